"""Scheduled publishing: POST …/schedule, run by `folio worker`."""

import threading
import time
from datetime import timedelta

import pytest

from cms.content.models import Entry, Schedule
from cms.core.db import isoformat, utcnow
from tests.helpers import give_role


@pytest.fixture
def blog(make_type):
    make_type("post", [{"name": "title", "type": "string", "required": True}])


def later(seconds):
    return isoformat(utcnow() + timedelta(seconds=seconds))


def due(db, entry_id, **moments):
    """Move a schedule's times into the past (time passes)."""
    row = db.session.get(Schedule, entry_id)
    for name, seconds in moments.items():
        setattr(row, name, utcnow() - timedelta(seconds=seconds))
    db.session.commit()


def run_worker(app):
    from cms.jobs.worker import Worker

    return Worker(app, name="schedule-test").run(until_idle=True)


def test_a_scheduled_publish_and_unpublish_run_when_due(api, blog, make_entry, app, db):
    post = make_entry("post", title="Soon")
    response = api.post(f"/api/content/post/{post['id']}/schedule",
                        json={"publish_at": later(3600), "unpublish_at": later(7200)})
    assert response.status_code == 200, response.json
    assert response.json["data"]["publish_at"] and response.json["data"]["unpublish_at"]
    assert api.get(f"/api/content/post/{post['id']}/schedule").json["data"] == response.json["data"]
    assert run_worker(app)["scheduled"] == 0  # not yet
    due(db, post["id"], publish_at=1)
    assert run_worker(app)["scheduled"] == 1
    published = api.get(f"/api/content/post/{post['id']}")
    assert published.status_code == 200 and published.json["data"]["title"] == "Soon"
    remaining = api.get(f"/api/content/post/{post['id']}/schedule").json["data"]
    assert remaining["publish_at"] is None and remaining["unpublish_at"] is not None
    due(db, post["id"], unpublish_at=1)
    run_worker(app)
    assert api.get(f"/api/content/post/{post['id']}").status_code == 404
    assert db.session.get(Schedule, post["id"]) is None
    actions = [r["action"] for r in api.get(f"/api/content/post/{post['id']}/revisions").json["data"]]
    assert actions[:2] == ["unpublish", "publish"]


def test_a_scheduled_publish_that_fails_validation_records_why(api, make_type, make_entry, app, db):
    make_type("note", [{"name": "title", "type": "string", "required": True},
                       {"name": "body", "type": "text", "required": True}])
    note = make_entry("note", title="No body yet")
    api.post(f"/api/content/note/{note['id']}/schedule", json={"publish_at": later(60), "unpublish_at": later(120)})
    due(db, note["id"], publish_at=1)
    run_worker(app)
    schedule = api.get(f"/api/content/note/{note['id']}/schedule").json["data"]
    assert "publish" in schedule["last_error"] and schedule["publish_at"] is None and schedule["unpublish_at"] is None
    assert db.session.get(Entry, note["id"]).published_data is None
    audit = api.get("/api/audit?action=entry.scheduled_publish_failed").json["data"]
    assert [(a["target"]["id"], "required" in str(a["summary"]["details"]).lower() or bool(a["summary"]["error"]))
            for a in audit] == [(note["id"], True)]


def test_a_schedule_runs_as_its_user_and_fails_once_the_user_is_deactivated(as_role, blog, app, db, api):
    editor = as_role("editor")
    post = editor.post("/api/content/post", json={"title": "Mine"}).json["data"]
    assert editor.post(f"/api/content/post/{post['id']}/schedule", json={"publish_at": later(60)}).status_code == 200
    assert api.patch(f"/api/users/{editor.user.id}", json={"active": False}).status_code == 200
    due(db, post["id"], publish_at=1)
    run_worker(app)
    assert db.session.get(Entry, post["id"]).published_data is None
    assert "can no longer publish" in db.session.get(Schedule, post["id"]).last_error


@pytest.mark.parametrize("body, status, field", [
    ({"publish_at": "2001-01-01T00:00:00Z"}, 400, "publish_at"),
    ({"unpublish_at": "2001-01-01T00:00:00Z"}, 400, "unpublish_at"),
    ({"publish_at": "NOW+2", "unpublish_at": "NOW+1"}, 400, "unpublish_at"),
    ({"publish_at": "NOW+1", "unpublish_at": "NOW+1"}, 400, "unpublish_at"),
    ({"publish_at": "2099-13-01T00:00:00Z"}, 422, "publish_at"),
    ({"publish_at": "2099-01-01T00:00:00"}, 422, "publish_at"),  # no offset: ambiguous
    ({"publish_at": "9999-01-01T00:00:00Z"}, 400, "publish_at"),  # more than ten years ahead
    ({"publish_at": 5}, 422, "publish_at"),
    ({"publish_at": "NOW+1", "extra": True}, 422, "extra"),
])
def test_bad_schedules_are_refused_and_keep_the_current_one(api, blog, make_entry, body, status, field):
    post = make_entry("post", title="Keep")
    kept = api.post(f"/api/content/post/{post['id']}/schedule", json={"publish_at": later(999)}).json["data"]
    now = utcnow()  # one moment for every NOW+n, so "NOW+1" twice is the same time, however slow the machine
    body = {key: isoformat(now + timedelta(hours=int(value[4:]))) if isinstance(value, str) and value.startswith("NOW+")
            else value for key, value in body.items()}
    response = api.post(f"/api/content/post/{post['id']}/schedule", json=body)
    assert response.status_code == status, response.json
    assert field in response.json["error"]["details"]["fields"]
    assert api.get(f"/api/content/post/{post['id']}/schedule").json["data"] == kept


def test_an_empty_schedule_a_bare_unpublish_and_a_type_without_drafts_are_refused(api, blog, make_entry, make_type):
    post = make_entry("post", title="Draft")
    assert api.post(f"/api/content/post/{post['id']}/schedule", json={}).status_code == 400
    bare = api.post(f"/api/content/post/{post['id']}/schedule", json={"unpublish_at": later(60)})
    assert bare.status_code == 409 and "not published" in bare.json["error"]["message"]
    make_type("flat", [{"name": "title", "type": "string"}], options={"draft_publish": False})
    flat = make_entry("flat", title="Live")
    assert api.post(f"/api/content/flat/{flat['id']}/schedule", json={"publish_at": later(60)}).status_code == 409
    assert api.delete(f"/api/content/post/{post['id']}/schedule").status_code == 409  # nothing to cancel
    assert api.post("/api/content/post/nope/schedule", json={"publish_at": later(60)}).status_code == 404


def test_a_schedule_can_be_cancelled(api, blog, make_entry, app, db):
    post = make_entry("post", title="Maybe")
    api.post(f"/api/content/post/{post['id']}/schedule", json={"publish_at": later(60)})
    assert api.delete(f"/api/content/post/{post['id']}/schedule").status_code == 204
    assert api.get(f"/api/content/post/{post['id']}/schedule").json["data"]["publish_at"] is None
    run_worker(app)
    assert db.session.get(Entry, post["id"]).published_data is None


def test_scheduling_needs_the_publish_permission(as_role, api, blog, make_entry, anonymous, db):
    post = make_entry("post", title="Theirs")
    body = {"publish_at": later(60)}
    assert as_role("viewer").post(f"/api/content/post/{post['id']}/schedule", json=body).status_code == 403
    assert anonymous.post(f"/api/content/post/{post['id']}/schedule", json=body).status_code == 401
    give_role(db, "own_publisher", [{"type": "post", "action": "*", "own": True}])
    own = as_role("own_publisher")
    assert own.post(f"/api/content/post/{post['id']}/schedule", json=body).status_code == 403
    mine = own.post("/api/content/post", json={"title": "Mine"}).json["data"]
    assert own.post(f"/api/content/post/{mine['id']}/schedule", json=body).status_code == 200
    assert own.get(f"/api/content/post/{post['id']}/schedule").status_code == 404


@pytest.mark.slow
def test_a_running_worker_publishes_within_one_poll_interval(live_app):
    """The 'done when' figure: a live worker (its own thread, polling every 0.2 s) publishes on time."""
    from cms.content.services import schedules
    from cms.content.services.entries import create_entry
    from cms.content.services.types import create_type
    from cms.core.policy import SYSTEM
    from cms.extensions import db as _db
    from cms.jobs.worker import Worker

    poll = 0.2
    live_app.config["WORKER_POLL_SECONDS"] = poll
    with live_app.app_context():
        create_type({"name": "post", "fields": [{"name": "title", "type": "string"}]}, SYSTEM)
        _compiled, entry = create_entry("post", {"title": "On time"}, SYSTEM)
        entry_id = entry.id
        publish_at = utcnow() + timedelta(seconds=1)
        schedules.set_schedule("post", entry_id, SYSTEM, publish_at=publish_at)
        _db.session.commit()
    worker = Worker(live_app, name="live")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        published_at = None
        while time.monotonic() < deadline and published_at is None:
            time.sleep(0.05)
            with live_app.app_context():
                published_at = _db.session.get(Entry, entry_id).published_at
                _db.session.remove()
    finally:
        worker.stop()
        thread.join(timeout=10)
    assert published_at is not None
    lateness = (published_at - publish_at).total_seconds()
    print(f"\npublished {lateness:.3f} s after publish_at (poll interval {poll} s)")
    assert 0 <= lateness <= poll + 0.5  # one poll, plus the pass itself on a busy machine
