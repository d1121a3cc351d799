"""GET /api/events: published changes as Server-Sent Events, resumable, filtered and permission-checked."""

import http.client
import io
import json
import time

import pytest
from PIL import Image

from cms.core.policy import SYSTEM
from cms.events.audience import Viewer
from cms.events.stream import Hub, advance, newest_seq, start_position
from tests.conftest import PASSWORD, Api
from tests.events.streaming import kinds, publish, unique, user_with_role, wait_for
from tests.helpers import error_of


@pytest.fixture
def note(admin_api):
    """A fresh public type with drafts: title, body, a private field and a component with a private part."""
    name = unique("note")
    response = admin_api.post("/api/content-types", json={"name": name, "fields": [
        {"name": "title", "type": "string"}, {"name": "body", "type": "text"},
        {"name": "secret", "type": "text", "private": True},
        {"name": "parts", "type": "component", "fields": [
            {"name": "label", "type": "string"}, {"name": "hidden", "type": "string", "private": True}]}]})
    assert response.status_code == 201, response.json
    return name


def newest(app):
    with app.app_context():
        return newest_seq()


# -- the format --------------------------------------------------------------------------------------

def test_an_event_carries_its_seq_type_and_the_event_as_json(stream_app, streams, admin_api, note):
    stream = streams(stream_app.config["ADMIN_TOKEN"])
    entry = publish(admin_api, note, title="Hello", secret="s")

    events = stream.read_event("entry.published", entry["id"])

    assert stream.status_code == 200
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-cache"
    assert stream.response.headers["X-Accel-Buffering"] == "no"
    assert stream.messages[0]["retry"] == "1000"  # reconnect after EVENTS_RETRY_SECONDS
    event = events[-1]
    assert event["id"].isdigit() and int(event["id"]) == newest(stream_app)
    assert set(event["data"]) == {"id", "type", "timestamp", "data"} and event["data"]["type"] == "entry.published"
    assert event["data"]["data"]["type"] == note
    assert event["data"]["data"]["entry"]["title"] == "Hello" and event["data"]["data"]["entry"]["secret"] == "s"


def test_an_idle_stream_sends_keep_alive_comments(stream_app, streams):
    stream = streams(stream_app.config["ADMIN_TOKEN"])

    stream.read_until(lambda s: any("keep-alive" in m["comments"] for m in s.messages))

    assert stream.events == []


def test_a_head_request_opens_no_stream(stream_app):
    hub = stream_app.extensions["folio.events_hub"]
    before = len(hub)

    response = stream_app.test_client().head("/api/events")

    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert len(hub) == before


def test_a_stream_without_last_event_id_starts_now(stream_app, streams, admin_api, note):
    before = publish(admin_api, note, title="before")
    stream = streams(stream_app.config["ADMIN_TOKEN"])
    after = publish(admin_api, note, title="after")

    events = stream.read_event("entry.published", after["id"])

    assert kinds(events) == [("entry.published", after["id"])]
    assert before["id"] not in json.dumps(events)


# -- resuming ----------------------------------------------------------------------------------------

def _first_id(stream_app, streams, admin_api, note):
    """Publish one entry while a stream is open and return the id the stream gave its event."""
    stream = streams(stream_app.config["ADMIN_TOKEN"], f"?content_types={note}")
    first = publish(admin_api, note, title="first")
    event_id = stream.read_event("entry.published", first["id"])[-1]["id"]
    stream.close()
    return first, event_id


@pytest.mark.parametrize("how", ["header", "query"])
def test_last_event_id_replays_what_was_missed_then_continues_live(stream_app, streams, admin_api, note, how):
    first, event_id = _first_id(stream_app, streams, admin_api, note)
    missed = [publish(admin_api, note, title=f"missed {i}") for i in range(3)]

    token = stream_app.config["ADMIN_TOKEN"]
    if how == "header":
        stream = streams(token, f"?content_types={note}", headers={"Last-Event-ID": event_id})
    else:
        stream = streams(token, f"?content_types={note}&last_event_id={event_id}")
    stream.read_event("entry.published", missed[-1]["id"])
    live = publish(admin_api, note, title="live")
    events = stream.read_event("entry.published", live["id"])

    published = [pair for pair in kinds(events) if pair[0] == "entry.published"]
    assert published == [("entry.published", e["id"]) for e in [*missed, live]]  # no gap, no duplicate
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(set(ids)) and ids[0] > int(event_id)


def test_the_header_wins_over_the_query_parameter(stream_app, streams, admin_api, note):
    first, event_id = _first_id(stream_app, streams, admin_api, note)
    second = publish(admin_api, note, title="second")

    stream = streams(stream_app.config["ADMIN_TOKEN"], f"?content_types={note}&last_event_id=0",
                     headers={"Last-Event-ID": event_id})
    events = stream.read_event("entry.published", second["id"])

    assert first["id"] not in {entry_id for _kind, entry_id in kinds(events)}


def test_an_id_older_than_the_outbox_replays_everything_it_holds(stream_app, streams, admin_api, note):
    entry = publish(admin_api, note, title="old")

    stream = streams(stream_app.config["ADMIN_TOKEN"], f"?content_types={note}", headers={"Last-Event-ID": "0"})

    assert ("entry.published", entry["id"]) in kinds(stream.read_event("entry.published", entry["id"]))


@pytest.mark.parametrize("headers, query", [
    ({"Last-Event-ID": "abc"}, ""), ({"Last-Event-ID": "-1"}, ""), ({"Last-Event-ID": ""}, ""),
    ({"Last-Event-ID": "1" * 30}, ""), ({}, "?last_event_id=1.5"), ({}, "?last_event_id=x"),
])
def test_a_malformed_last_event_id_is_a_400(stream_app, streams, headers, query):
    stream = streams(stream_app.config["ADMIN_TOKEN"], query, headers=headers)

    error_of(stream.response, 400, "bad_request")


def test_an_id_beyond_the_outbox_is_a_400(stream_app, streams):
    stream = streams(stream_app.config["ADMIN_TOKEN"], headers={"Last-Event-ID": str(newest(stream_app) + 1000)})

    assert "ahead" in error_of(stream.response, 400, "bad_request")["message"]


# -- filters -----------------------------------------------------------------------------------------

def test_types_and_content_types_filter_the_events(stream_app, streams, admin_api, note):
    other = unique("other")
    admin_api.post("/api/content-types", json={"name": other, "fields": [{"name": "title", "type": "string"}]})
    token = stream_app.config["ADMIN_TOKEN"]
    deletions = streams(token, "?types=entry.deleted")
    notes = streams(token, f"?content_types={note}")
    kept = publish(admin_api, note, title="kept")
    elsewhere = publish(admin_api, other, title="elsewhere")
    gone = publish(admin_api, note, title="gone")
    assert admin_api.delete(f"/api/content/{note}/{gone['id']}").status_code == 204

    only_deletions = deletions.read_event("entry.deleted", gone["id"])
    only_notes = notes.read_event("entry.deleted", gone["id"])

    assert kinds(only_deletions) == [("entry.deleted", gone["id"])]
    assert kinds(only_notes) == [("entry.published", kept["id"]), ("entry.published", gone["id"]),
                                 ("entry.deleted", gone["id"])]
    assert elsewhere["id"] not in json.dumps(only_notes)


@pytest.mark.parametrize("query", ["?types=entry.exploded", "?types=", "?types=entry.published,,entry.deleted",
                                   "?content_types=nosuchtype", "?content_types=", "?since=1"])
def test_bad_filters_are_a_400(stream_app, streams, query):
    stream = streams(stream_app.config["ADMIN_TOKEN"], query)

    error_of(stream.response, 400, "bad_request")


# -- who sees what -----------------------------------------------------------------------------------

def test_anonymous_callers_see_what_the_public_role_reads_and_no_private_field(stream_app, streams, admin_api, note):
    hidden = unique("hidden")
    admin_api.post("/api/content-types", json={"name": hidden, "options": {"public": False},
                                               "fields": [{"name": "title", "type": "string"}]})
    stream = streams()  # no token: the Public role
    internal = publish(admin_api, hidden, title="internal")
    entry = publish(admin_api, note, title="T", body="B", secret="never", parts={"label": "L", "hidden": "never"})

    events = stream.read_event("entry.published", entry["id"])

    assert kinds(events) == [("entry.published", entry["id"])]
    assert internal["id"] not in json.dumps(events)
    delivered = events[-1]["data"]["data"]["entry"]
    assert delivered["title"] == "T" and delivered["body"] == "B" and delivered["parts"] == {"label": "L"}
    assert "secret" not in delivered and "never" not in json.dumps(events)


def test_anonymous_callers_are_refused_when_the_public_role_reads_nothing(stream_app, streams, admin_api):
    public = admin_api.get("/api/roles/public").json["data"]["permissions"]
    assert admin_api.patch("/api/roles/public", json={"permissions": []}).status_code == 200
    try:
        error_of(streams().response, 401, "not_authenticated")
    finally:
        assert admin_api.patch("/api/roles/public", json={"permissions": public}).status_code == 200


def test_a_caller_who_may_see_nothing_is_refused(stream_app, streams, admin_api):
    _user, token, _token_id = user_with_role(stream_app, admin_api, unique("nothing"), [])

    error_of(streams(token).response, 403, "permission_denied")


def test_entries_are_cut_to_the_field_allow_list(stream_app, streams, admin_api, note):
    _user, token, _token_id = user_with_role(stream_app, admin_api, unique("titles"),
                                            [{"type": note, "action": "read", "fields": ["title"]}])
    stream = streams(token)
    entry = publish(admin_api, note, title="T", body="B", secret="S", parts={"label": "L"})

    delivered = stream.read_event("entry.published", entry["id"])[-1]["data"]["data"]["entry"]

    assert set(delivered) == {"id", "type", "locale", "status", "version", "created_at", "updated_at",
                              "published_at", "title"}


def test_own_only_readers_get_their_own_entries_and_their_deletions(stream_app, streams, admin_api, note):
    _user, token, _token_id = user_with_role(stream_app, admin_api, unique("own"), [
        {"type": note, "action": "read", "own": True}, {"type": note, "action": "create"},
        {"type": note, "action": "publish", "own": True}, {"type": note, "action": "delete", "own": True}])
    mine_api = Api(stream_app.test_client(), token)
    stream = streams(token)
    theirs = publish(admin_api, note, title="theirs")
    mine = publish(mine_api, note, title="mine")
    assert admin_api.delete(f"/api/content/{note}/{theirs['id']}").status_code == 204
    assert mine_api.delete(f"/api/content/{note}/{mine['id']}").status_code == 204

    events = stream.read_event("entry.deleted", mine["id"])

    assert kinds(events) == [("entry.published", mine["id"]), ("entry.deleted", mine["id"])]


def test_saves_of_types_without_drafts_are_published_changes_and_drafts_are_not(stream_app, streams, admin_api, note):
    direct = unique("direct")
    admin_api.post("/api/content-types", json={"name": direct, "options": {"draft_publish": False},
                                               "fields": [{"name": "title", "type": "string"}]})
    stream = streams()
    draft = admin_api.post(f"/api/content/{note}", json={"title": "draft"}).json["data"]
    admin_api.patch(f"/api/content/{note}/{draft['id']}", json={"title": "still a draft"})
    saved = admin_api.post(f"/api/content/{direct}", json={"title": "one"}).json["data"]
    admin_api.patch(f"/api/content/{direct}/{saved['id']}", json={"title": "two"})
    shown = publish(admin_api, note, title="draft changes", body="v1")
    admin_api.patch(f"/api/content/{note}/{shown['id']}", json={"body": "unpublished edit"})
    assert admin_api.post(f"/api/content/{note}/{shown['id']}/unpublish").status_code == 200

    events = stream.read_event("entry.unpublished", shown["id"])

    assert kinds(events) == [("entry.created", saved["id"]), ("entry.updated", saved["id"]),
                             ("entry.published", shown["id"]), ("entry.unpublished", shown["id"])]
    assert events[1]["data"]["data"]["entry"]["title"] == "two"
    assert events[-1]["data"]["data"]["entry"] == {"id": shown["id"], "type": note, "locale": "en"}
    assert "unpublished edit" not in json.dumps(events)


def _png():
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), (5, 6, 7)).save(picture, "PNG")
    return io.BytesIO(picture.getvalue())


def test_type_and_media_events_need_their_read_permissions(stream_app, streams, admin_api):
    readers = {
        "entries": user_with_role(stream_app, admin_api, unique("entries"), [{"type": "*", "action": "read"}])[1],
        "viewer": user_with_role(stream_app, admin_api, "viewer")[1],  # content_types: read, no media
        "media": user_with_role(stream_app, admin_api, unique("media"), [
            {"type": "*", "action": "read"}, {"system": "media", "action": "read"}])[1],
    }
    opened = {name: streams(token) for name, token in readers.items()}
    name = unique("kind")
    admin_api.post("/api/content-types", json={"name": name, "fields": [{"name": "title", "type": "string"}]})
    item = admin_api.request("POST", "/api/media", data={"file": (_png(), "a.png")},
                             content_type="multipart/form-data").json["data"]
    marker = publish(admin_api, name, title="marker")

    seen = {reader: [e["event"] for e in stream.read_event("entry.published", marker["id"])]
            for reader, stream in opened.items()}

    assert seen == {"entries": ["entry.published"],
                    "viewer": ["content_type.created", "entry.published"],
                    "media": ["media.created", "entry.published"]}
    media_event = opened["media"].events[0]["data"]
    assert media_event["data"]["id"] == item["id"]


# -- streams that end --------------------------------------------------------------------------------

def test_the_stream_of_a_deactivated_user_ends(stream_app, streams, admin_api):
    user_id, token, _token_id = user_with_role(stream_app, admin_api, "viewer")
    stream = streams(token)
    stream.read_until(lambda s: len(s.messages) >= 2)  # open and waiting

    assert admin_api.patch(f"/api/users/{user_id}", json={"active": False}).status_code == 200

    stream.read_to_end(timeout=20)
    assert stream.ended


def test_the_stream_of_a_revoked_token_ends(stream_app, streams, admin_api):
    _user_id, token, token_id = user_with_role(stream_app, admin_api, "viewer")
    stream = streams(token)
    stream.read_until(lambda s: len(s.messages) >= 2)

    assert admin_api.delete(f"/api/tokens/{token_id}").status_code in (200, 204)

    stream.read_to_end(timeout=20)
    assert stream.ended


def test_the_stream_of_an_ended_session_ends(stream_app, streams, admin_api):
    user_id, _token, _token_id = user_with_role(stream_app, admin_api, "viewer")
    email = admin_api.get(f"/api/users/{user_id}").json["data"]["email"]
    browser = stream_app.test_client()
    signed_in = browser.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.json
    stream = streams(client=browser)
    stream.read_until(lambda s: len(s.messages) >= 2)

    out = browser.post("/api/auth/logout", headers={"X-CSRF-Token": signed_in.json["meta"]["csrf_token"]})
    assert out.status_code in (200, 204)

    stream.read_to_end(timeout=20)
    assert stream.ended


def test_a_stream_ends_after_its_longest_duration(stream_app, streams, monkeypatch):
    monkeypatch.setitem(stream_app.config, "EVENTS_MAX_SECONDS", 0.5)

    stream = streams(stream_app.config["ADMIN_TOKEN"])

    stream.read_to_end(timeout=20)
    assert stream.ended and stream.messages[0]["retry"] == "1000"


def test_a_third_stream_beyond_the_cap_is_a_503_with_retry_after(stream_app, streams, monkeypatch):
    monkeypatch.setitem(stream_app.config, "EVENTS_MAX_SUBSCRIBERS", 2)
    token = stream_app.config["ADMIN_TOKEN"]
    first, second = streams(token), streams(token)

    third = streams(token)

    assert first.status_code == second.status_code == 200
    error_of(third.response, 503, "service_unavailable")
    assert third.response.headers["Retry-After"] == "1"
    first.close()
    assert streams(token).status_code == 200  # a closed stream frees its place


def test_a_slow_stream_is_disconnected_and_resumes_without_loss(stream_app, streams, admin_api, note, monkeypatch):
    monkeypatch.setitem(stream_app.config, "EVENTS_QUEUE_SIZE", 2)
    token, hub = stream_app.config["ADMIN_TOKEN"], stream_app.extensions["folio.events_hub"]
    stream = streams(token, f"?content_types={note}")
    first = publish(admin_api, note, title="read")
    first_id = stream.read_event("entry.published", first["id"])[-1]["id"]
    burst = [publish(admin_api, note, title=f"burst {i}") for i in range(4)]  # 4 events into a queue of 2, unread
    target = newest(stream_app)
    wait_for(lambda: hub.position is not None and hub.position >= target)

    stream.read_to_end()

    assert stream.ended and kinds(stream.events) == [("entry.published", first["id"])]
    resumed = streams(token, f"?content_types={note}", headers={"Last-Event-ID": first_id})
    rest = resumed.read_event("entry.published", burst[-1]["id"])
    assert kinds(rest) == [("entry.published", entry["id"]) for entry in burst]


# -- documented --------------------------------------------------------------------------------------

def test_the_route_is_in_the_openapi_document(admin_api):
    operation = admin_api.get("/api/openapi.json").json["paths"]["/api/events"]["get"]

    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {"400", "401", "403", "503"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"types", "content_types", "last_event_id", "Last-Event-ID"}


# -- the hub's order: late commits, gaps -------------------------------------------------------------

def test_advance_delivers_in_order_and_holds_back_after_a_gap():
    seen = {}

    assert advance(10, [11, 12], seen, now=0, grace=5) == (2, 12)
    assert advance(12, [13, 15, 16], seen, now=0, grace=5) == (1, 13)  # 14 is missing: 15 and 16 wait
    assert advance(13, [14, 15, 16], seen, now=1, grace=5) == (3, 16)  # 14 committed late: all in order
    assert seen == {}


def test_advance_gives_up_a_gap_after_the_grace_period_without_adding_gaps_up():
    seen = {}

    assert advance(10, [12, 14], seen, now=0, grace=5) == (0, 10)
    assert advance(10, [12, 14], seen, now=4.9, grace=5) == (0, 10)
    assert advance(10, [12, 14], seen, now=5, grace=5) == (2, 14)  # both gaps were 5 s old: one wait, not two


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _add(db, *seqs):
    from cms.core.db import new_id, utcnow
    from cms.events.models import OutboxEvent

    for seq in seqs:
        db.session.add(OutboxEvent(seq=seq, id=new_id(), type="media.created", occurred_at=utcnow(),
                                   subject_type="media", subject_id=f"m{seq}", data={"id": f"m{seq}"}))
    db.session.commit()


def _delivered(subscriber):
    out = []
    while not subscriber.queue.empty():
        out.append(subscriber.queue.get_nowait()[0])
    return out


def test_the_hub_delivers_an_event_that_commits_after_a_later_one_in_order(app, db):
    clock, grace = Clock(), app.config["EVENTS_GAP_GRACE_SECONDS"]
    hub = Hub(app, clock=clock, threaded=False)
    subscriber = hub.subscribe(Viewer(SYSTEM))
    base = hub.position
    assert base == newest_seq()

    _add(db, base + 1, base + 3)  # base + 2 is still committing
    hub.poll()
    assert _delivered(subscriber) == [base + 1]
    clock.now += grace / 2
    _add(db, base + 2)
    hub.poll()
    assert _delivered(subscriber) == [base + 2, base + 3]

    _add(db, base + 5)  # base + 4 rolled back: a gap for ever
    hub.poll()
    clock.now += grace - 0.01
    hub.poll()
    assert _delivered(subscriber) == [] and hub.position == base + 3
    clock.now += 0.02
    hub.poll()
    assert _delivered(subscriber) == [base + 5] and hub.position == base + 5

    _add(db, base + 4)  # later than the grace period: given up (documented)
    hub.poll()
    assert _delivered(subscriber) == []


def test_a_starting_hub_begins_before_the_events_of_the_grace_period(app, db):
    from datetime import timedelta

    from cms.core.db import new_id, utcnow
    from cms.events.models import OutboxEvent

    base = newest_seq()
    for seq, age in ((base + 1, 60), (base + 2, 0)):
        db.session.add(OutboxEvent(seq=seq, id=new_id(), type="media.created", subject_type="media", subject_id="m",
                                   data={}, occurred_at=utcnow() - timedelta(seconds=age)))
    db.session.commit()

    assert start_position(grace=5) == base + 1  # seq base + 2 may sit above a transaction still committing


# -- open streams do not starve the API --------------------------------------------------------------

def _read_until_published(response, entry_id, timeout=30):
    """Read an http.client response line by line until the entry.published event of ``entry_id``."""
    deadline, event = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        line = response.readline().decode()
        if not line:
            return False
        line = line.rstrip("\n")
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: ") and event == "entry.published" and entry_id in line:
            return True
        elif not line:
            event = None
    return False


def test_a_hundred_idle_streams_leave_the_api_answering(stream_app, live_server, pool_peak, admin_api, note):
    port, token = live_server, stream_app.config["ADMIN_TOKEN"]
    existing = publish(admin_api, note, title="existing")
    hub = stream_app.extensions["folio.events_hub"]
    streams_open = []
    try:
        for _ in range(100):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/api/events")  # anonymous: the Public role reads every type
            response = connection.getresponse()
            assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
            streams_open.append((connection, response))
        assert len(hub) >= 100

        def call(method, path, body=None):
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # answers within 10 s or fails
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            client.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            answer = client.getresponse()
            payload = json.loads(answer.read() or b"null")
            client.close()
            return answer.status, payload

        assert call("GET", f"/api/content/{note}")[0] == 200
        assert call("GET", f"/api/content/{note}/{existing['id']}")[0] == 200
        status, created = call("POST", f"/api/content/{note}", {"title": "to everyone"})
        assert status == 201
        entry_id = created["data"]["id"]
        assert call("POST", f"/api/content/{note}/{entry_id}/publish")[0] == 200

        received = [_read_until_published(response, entry_id) for _connection, response in streams_open]

        assert received == [True] * 100
        assert 1 <= pool_peak["max"] <= 4  # the hub's poll and a request or two: no stream holds a connection
    finally:
        for connection, response in streams_open:
            response.close()
            connection.close()
