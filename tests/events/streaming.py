"""Helpers of the change stream tests: an app on its own database whose writes really commit
(the hub reads the outbox from its own thread, so the rolled-back ``db`` fixture cannot serve),
and a reader of Server-Sent Events from a test-client response."""

import json
import time
import uuid

import pytest
import sqlalchemy as sa

from cms.auth import services as auth_services
from cms.extensions import db as _db
from tests.conftest import PASSWORD, Api, app_on_own_database

#: fast enough for tests: the hub polls every 50 ms, idle streams say keep-alive every 200 ms
FAST = {"EVENTS_POLL_SECONDS": 0.05, "EVENTS_HEARTBEAT_SECONDS": 0.2, "EVENTS_GAP_GRACE_SECONDS": 0.5,
        "EVENTS_MAX_SECONDS": 30, "EVENTS_RETRY_SECONDS": 1}


@pytest.fixture(scope="module")
def stream_app(tmp_path_factory):
    """An app on a new database of the engine under test, with an administrator token in ``ADMIN_TOKEN``."""
    with app_on_own_database(tmp_path_factory.mktemp("stream"), "stream", **FAST) as app:
        yield app


@pytest.fixture
def admin_api(stream_app):
    return Api(stream_app.test_client(), stream_app.config["ADMIN_TOKEN"])


@pytest.fixture
def streams(stream_app):
    """Open ``GET /api/events`` (``client`` to send a session cookie); every stream is closed after the test."""
    opened = []

    def open_stream(token=None, query="", headers=None, client=None):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        client = client or stream_app.test_client()
        stream = Stream(client.get(f"/api/events{query}", headers=headers, buffered=False))
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def unique(prefix="t"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def user_with_role(app, admin_api, role, permissions=None):
    """Create a user with ``role`` (made from ``permissions`` when given).

    Returns ``(user id, token secret, token id)``.
    """
    if permissions is not None:
        response = admin_api.post("/api/roles", json={"name": role, "permissions": permissions})
        assert response.status_code == 201, response.json
    email = f"{unique('u')}@example.com"
    response = admin_api.post("/api/users", json={"email": email, "password": PASSWORD, "role": role})
    assert response.status_code == 201, response.json
    with app.app_context():
        token, secret = auth_services.create_token(auth_services.find_user(email), "stream")
        token_id = token.id
        _db.session.commit()
    return response.json["data"]["id"], secret, token_id


def publish(api, type_name, **values):
    """Create and publish an entry through the API; return the published entry."""
    created = api.post(f"/api/content/{type_name}", json=values)
    assert created.status_code == 201, created.json
    published = api.post(f"/api/content/{type_name}/{created.json['data']['id']}/publish")
    assert published.status_code == 200, published.json
    return published.json["data"]


def wait_for(condition, timeout=20):
    """Wait until ``condition()`` holds (a liveness bound, not a timing)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still false after {timeout} s"
        time.sleep(0.02)


def parse_block(block):
    """One SSE message: its fields (``id``, ``event``, ``data``, ``retry``) and its comment lines."""
    message = {"comments": []}
    for line in block.split("\n"):
        if line.startswith(":"):
            message["comments"].append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            message[name] = value[1:] if value.startswith(" ") else value
    return message


class Stream:
    """A streamed test-client response, read message by message."""

    def __init__(self, response):
        self.response = response
        self.status_code = response.status_code
        self._chunks = iter(response.response) if response.status_code == 200 else iter(())
        self._buffer = ""
        self.messages = []
        self.ended = False

    @property
    def events(self):
        """The events received so far, ``data`` decoded."""
        return [{**message, "data": json.loads(message["data"])} for message in self.messages if "event" in message]

    def read_until(self, done, timeout=20):
        """Read until ``done(stream)`` or the end of the stream; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not done(self) and not self.ended:
            assert time.monotonic() < deadline, f"waited {timeout} s; received {self.events}"
            try:
                chunk = next(self._chunks)
            except StopIteration:
                self.ended = True
                break
            self._buffer += chunk.decode()
            while "\n\n" in self._buffer:
                block, self._buffer = self._buffer.split("\n\n", 1)
                self.messages.append(parse_block(block))
        return self.events

    def read_event(self, event_type, entry_id=None, timeout=20):
        """Read until an event of ``event_type`` (about ``entry_id``) arrives; return the events so far."""
        events = self.read_until(lambda stream: _has(stream.events, event_type, entry_id), timeout)
        assert _has(events, event_type, entry_id), f"the stream ended without {event_type}: {events}"
        return events

    def read_to_end(self, timeout=20):
        self.read_until(lambda stream: False, timeout)
        return self.events

    def close(self):
        self.response.close()


def _has(events, event_type, entry_id):
    return any(e["event"] == event_type
               and (entry_id is None or e["data"]["data"].get("entry", {}).get("id") == entry_id) for e in events)


def kinds(events, entry_ids=None):
    """``[(event type, entry id)]`` of entry events (of ``entry_ids`` only, when given)."""
    out = [(e["event"], e["data"]["data"]["entry"]["id"]) for e in events if e["event"].startswith("entry.")]
    return [pair for pair in out if entry_ids is None or pair[1] in entry_ids]


@pytest.fixture
def live_server(stream_app):
    """The stream app served by a real threaded WSGI server on loopback; yields its port."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, stream_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join(10)
    hub = stream_app.extensions["folio.events_hub"]
    wait_for(lambda: len(hub) == 0)  # closed connections are noticed at their next keep-alive


@pytest.fixture
def pool_peak(stream_app):
    """Track the most database connections checked out at once (``peak["max"]``)."""
    import threading

    with stream_app.app_context():
        engine = _db.engine
    lock, peak = threading.Lock(), {"now": 0, "max": 0}

    def checked_out(*_args):
        with lock:
            peak["now"] += 1
            peak["max"] = max(peak["max"], peak["now"])

    def checked_in(*_args):
        with lock:
            peak["now"] -= 1

    sa.event.listen(engine, "checkout", checked_out)
    sa.event.listen(engine, "checkin", checked_in)
    yield peak
    sa.event.remove(engine, "checkout", checked_out)
    sa.event.remove(engine, "checkin", checked_in)
