"""Async hooks: `folio worker` hands each committed event to plugins' folio_handle_event, with retries."""

import pytest

from cms.plugins import hookimpl


class Recorder:
    """Fails ``failures`` times, then records each event it is given."""

    def __init__(self, failures=0):
        self.failures, self.events = failures, []

    @hookimpl
    def folio_handle_event(self, event):
        if self.failures:
            self.failures -= 1
            raise RuntimeError("search index unavailable")
        self.events.append(event)


@pytest.fixture
def recorder(app, monkeypatch):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 0.0)
    plugin = Recorder()
    app.extensions["folio.plugins"].register(plugin, name="recorder")
    app.extensions["folio.plugins"].status["recorder"] = _status("recorder")
    yield plugin
    app.extensions["folio.plugins"].unregister(plugin)
    app.extensions["folio.plugins"].status.pop("recorder")


def _status(name):
    from cms.plugins.manager import PluginStatus

    return PluginStatus(name, "object", "Recorder")


def run_worker(app):
    from cms.jobs.worker import Worker

    return Worker(app, name="hooks").run(until_idle=True)


def test_each_committed_event_reaches_the_hook_once_after_the_commit(api, make_type, make_entry, recorder, app):
    make_type("post", [{"name": "title", "type": "string"}])
    post = make_entry("post", publish=True, title="Indexed")
    assert recorder.events == []  # nothing runs in the request
    run_worker(app)
    assert [e["type"] for e in recorder.events] == ["content_type.created", "entry.created", "entry.published"]
    assert recorder.events[-1]["data"]["entry"]["id"] == post["id"] and recorder.events[-1]["id"]
    run_worker(app)
    assert len(recorder.events) == 3


def test_a_failing_hook_is_retried_and_reported(api, make_type, recorder, app):
    recorder.failures = 2
    make_type("post", [{"name": "title", "type": "string"}])
    run_worker(app)
    assert [e["type"] for e in recorder.events] == ["content_type.created"]
    status = api.get("/api/plugins/recorder").json["data"]
    assert status["failures"] == 2 and "search index unavailable" in status["last_failure"]["error"]
    assert status["last_failure"]["hook"] == "folio_handle_event"
