"""A webhook receiver on loopback (allow-listed for the test app), recording what it is sent."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """``answers`` are the statuses of the next requests in order (then 200); ``delay`` seconds before each."""

    url: str = ""
    requests: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self):
        return [request.headers["webhook-id"] for request in self.requests]


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if state.delay:
                time.sleep(state.delay)
            with state.lock:
                status = state.answers.pop(0) if state.answers else 200
                state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            payload = f"answer {status}".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_settings(app, monkeypatch):
    """Deliveries to loopback allowed, retries at once, short timeouts."""
    for key, value in {"WEBHOOK_ALLOW": ["127.0.0.1/32"], "WEBHOOK_RETRY_BASE_SECONDS": 0.0,
                       "WEBHOOK_TIMEOUT_SECONDS": 2.0, "WEBHOOK_MAX_ATTEMPTS": 3}.items():
        monkeypatch.setitem(app.config, key, value)
    return app.config


@pytest.fixture
def work(app, db, webhook_settings):
    """Run the worker until it finds nothing to do; return its counts."""
    from cms.jobs.worker import Worker

    def run():
        return Worker(app, name="test-worker").run(until_idle=True)

    return run
