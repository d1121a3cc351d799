"""Webhooks end to end: subscriptions, signed deliveries by the worker, retries, the delivery log."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks.webhooks import Webhook as Verifier

from cms.core.db import utcnow
from cms.events.models import OutboxEvent
from cms.jobs import services as jobs
from cms.jobs.models import Job
from cms.webhooks.models import Webhook


@pytest.fixture
def blog(make_type):
    make_type("post", [{"name": "title", "type": "string", "required": True}])
    make_type("page", [{"name": "title", "type": "string"}])


def subscribe(api, url, **extra):
    response = api.post("/api/webhooks", json={"name": "site", "url": url, **extra})
    assert response.status_code == 201, response.json
    return response.json["data"]


def bodies(receiver):
    return [json.loads(request.body) for request in receiver.requests]


def deliveries(api, webhook_id):
    response = api.get(f"/api/webhooks/{webhook_id}/deliveries")
    assert response.status_code == 200, response.json
    return response.json["data"]


def test_a_published_entry_reaches_the_receiver_signed_by_the_standard_webhooks_convention(
        api, blog, receiver, work, make_entry):
    hook = subscribe(api, receiver.url, events=["entry.published"])
    assert hook["secret"].startswith("whsec_")
    post = make_entry("post", publish=True, title="Hello")

    counts = work()

    assert counts["jobs"] == 1 and len(receiver.requests) == 1
    request = receiver.requests[0]
    payload = Verifier(hook["secret"]).verify(request.body, request.headers)  # raises when the signature is wrong
    assert payload["type"] == "entry.published"
    assert payload["data"]["entry"]["id"] == post["id"] and payload["data"]["entry"]["title"] == "Hello"
    assert payload["data"]["entry"]["status"] == "published"
    event = api.get(f"/api/content/post/{post['id']}").json["data"]
    assert payload["data"]["entry"]["version"] == event["version"]
    assert request.headers["webhook-id"] == payload["id"]
    assert request.headers["content-type"] == "application/json"
    log = deliveries(api, hook["id"])
    assert [(d["status"], d["attempts"], d["event"]["type"]) for d in log] == [("done", 1, "entry.published")]
    assert log[0]["log"][0]["status_code"] == 200 and log[0]["log"][0]["response_excerpt"] == "answer 200"


def test_a_wrong_secret_or_a_changed_body_fails_verification(api, blog, receiver, work, make_entry):
    from standardwebhooks.webhooks import WebhookVerificationError

    hook = subscribe(api, receiver.url)
    make_entry("post", title="Hello")
    work()
    request = receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        Verifier("whsec_" + "A" * 43 + "=").verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(hook["secret"]).verify(request.body.replace(b"Hello", b"Hullo"), request.headers)


def test_events_and_content_types_filter_what_a_webhook_receives(api, blog, receiver, work, make_entry):
    subscribe(api, receiver.url, events=["entry.*"], content_types=["page"])
    make_entry("post", publish=True, title="Not me")
    page = make_entry("page", publish=True, title="Me")
    api.post("/api/content-types", json={"name": "other", "fields": [{"name": "x", "type": "string"}]})
    work()
    assert [(b["type"], b["data"]["entry"]["id"]) for b in bodies(receiver)] == [
        ("entry.created", page["id"]), ("entry.published", page["id"])]


def test_each_committed_event_is_dispatched_once(api, blog, receiver, work, make_entry, db):
    subscribe(api, receiver.url)
    make_entry("post", title="One")
    first = work()
    second = work()
    assert first["events"] >= 1 and second["events"] == 0 and second["jobs"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                             .where(OutboxEvent.dispatched_at.is_(None))) == 0
    assert len(receiver.requests) == 1


def test_a_500_then_200_is_retried_and_delivered_once(api, blog, receiver, work, make_entry):
    hook = subscribe(api, receiver.url)
    receiver.answers = [500]
    make_entry("post", title="Retry me")
    work()
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    [delivery] = deliveries(api, hook["id"])
    assert delivery["status"] == "done" and delivery["attempts"] == 2
    assert [attempt["status_code"] for attempt in delivery["log"]] == [500, 200]


def test_retries_back_off_exponentially_with_jitter_up_to_a_limit():
    waits = [jobs.backoff_seconds(attempt, 30, 3600) for attempt in range(1, 10)]
    assert 22.5 <= waits[0] <= 37.5 and 45 <= waits[1] <= 75 and 90 <= waits[2] <= 150
    assert all(wait <= 3600 * 1.25 for wait in waits) and waits[-1] >= 3600 * 0.75
    assert len({round(jobs.backoff_seconds(3, 30, 3600), 6) for _ in range(20)}) > 1  # jittered


def test_a_receiver_that_keeps_failing_is_retried_up_to_the_limit_then_marked_failed(
        api, blog, receiver, work, make_entry, webhook_settings):
    hook = subscribe(api, receiver.url)
    receiver.answers = [503] * 10
    make_entry("post", title="Never")
    work()
    assert len(receiver.requests) == webhook_settings["WEBHOOK_MAX_ATTEMPTS"] == 3
    [delivery] = deliveries(api, hook["id"])
    assert delivery["status"] == "failed" and "503" in delivery["last_error"]


def test_a_retry_waits_for_its_backoff(api, blog, receiver, work, make_entry, monkeypatch, app, db):
    monkeypatch.setitem(app.config, "WEBHOOK_RETRY_BASE_SECONDS", 60.0)
    hook = subscribe(api, receiver.url)
    receiver.answers = [500]
    make_entry("post", title="Later")
    work()
    assert len(receiver.requests) == 1
    [delivery] = deliveries(api, hook["id"])
    assert delivery["status"] == "pending" and delivery["next_attempt_at"] > utcnow().isoformat()[:19]
    job = db.session.get(Job, delivery["id"])
    job.run_at = utcnow() - timedelta(seconds=1)  # time passes
    db.session.commit()
    work()
    assert len(receiver.requests) == 2 and deliveries(api, hook["id"])[0]["status"] == "done"


def test_a_receiver_that_is_down_is_retried(api, blog, work, make_entry):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = subscribe(api, f"http://127.0.0.1:{port}/gone")
    make_entry("post", title="Nobody home")
    work()
    [delivery] = deliveries(api, hook["id"])
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    assert all(attempt["status_code"] is None and "refused" in attempt["error"] for attempt in delivery["log"])


def test_a_receiver_slower_than_the_timeout_is_an_attempt_that_timed_out(
        api, blog, receiver, work, make_entry, monkeypatch, app):
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 1)
    receiver.delay = 1.0
    hook = subscribe(api, receiver.url)
    make_entry("post", title="Slow")
    work()
    [delivery] = deliveries(api, hook["id"])
    assert delivery["status"] == "failed" and delivery["log"][0]["error"] == "timeout"


def test_a_410_disables_the_webhook(api, blog, receiver, work, make_entry):
    hook = subscribe(api, receiver.url)
    receiver.answers = [410]
    make_entry("post", title="One")
    make_entry("post", title="Two")
    work()
    assert len(receiver.requests) == 1  # the second delivery is not attempted
    state = api.get(f"/api/webhooks/{hook['id']}").json["data"]
    assert state["enabled"] is False and "410" in state["disabled_reason"]
    assert {d["status"] for d in deliveries(api, hook["id"])} == {"failed"}
    make_entry("post", title="Three")
    work()
    assert len(receiver.requests) == 1  # a disabled webhook gets no new deliveries
    enabled = api.patch(f"/api/webhooks/{hook['id']}", json={"enabled": True}).json["data"]
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_a_loopback_destination_is_refused_unless_allow_listed(api, blog, receiver, work, make_entry, monkeypatch,
                                                               app, host):
    url = receiver.url.replace("127.0.0.1", host)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW", [])
    response = api.post("/api/webhooks", json={"name": "x", "url": url})
    if host == "127.0.0.1":  # a literal address is refused when saved
        assert response.status_code == 422 and "loopback" in response.json["error"]["details"]["fields"]["url"][0]
        return
    hook = response.json["data"]  # a name is checked when delivering: it may resolve elsewhere later
    make_entry("post", title="Steal")
    work()
    assert receiver.requests == []
    [delivery] = deliveries(api, hook["id"])
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert "refused" in delivery["last_error"] and "loopback" in delivery["last_error"]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://10.0.0.1/x",
                                 "http://[::ffff:127.0.0.1]/x", "ftp://example.com/x", "http://user:pw@example.com/",
                                 "not a url", "http://example.com/" + "x" * 2100])
def test_bad_and_internal_urls_are_refused_when_saved(api, url):
    response = api.post("/api/webhooks", json={"name": "x", "url": url})
    assert response.status_code == 422, response.json
    assert "url" in response.json["error"]["details"]["fields"]


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "url": "https://example.com/h", "events": ["entry.exploded"]}, "events"),
    ({"name": "x", "url": "https://example.com/h", "events": []}, "events"),
    ({"name": "x", "url": "https://example.com/h", "content_types": ["nope"]}, "content_types"),
    ({"name": "x", "url": "https://example.com/h", "content_types": ["Bad Name"]}, "content_types"),
    ({"name": "x", "url": "https://example.com/h", "secret": "plain"}, "secret"),
    ({"name": "", "url": "https://example.com/h"}, "name"),
    ({"url": "https://example.com/h"}, "name"),
    ({"name": "x", "url": "https://example.com/h", "surprise": 1}, "surprise"),
    ({"name": "x", "url": 42}, "url"),
])
def test_bad_webhook_definitions_are_refused(api, body, field):
    response = api.post("/api/webhooks", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]


def test_webhooks_are_listed_read_changed_and_deleted_without_showing_the_secret(api, blog, receiver, db):
    hook = subscribe(api, "https://example.com/hooks", events=["entry.published", "media.*"])
    listed = api.get("/api/webhooks").json["data"]
    assert [item["id"] for item in listed] == [hook["id"]]
    assert "secret" not in listed[0] and listed[0]["secret_hint"] == hook["secret"][-4:]
    changed = api.patch(f"/api/webhooks/{hook['id']}", json={"name": "renamed", "content_types": ["post"]})
    assert changed.status_code == 200 and changed.json["data"]["name"] == "renamed"
    assert api.patch(f"/api/webhooks/{hook['id']}", json={"secret": "whsec_x"}).status_code == 422
    assert api.patch(f"/api/webhooks/{hook['id']}", json={"url": "gopher://x"}).status_code == 422
    assert api.get(f"/api/webhooks/{hook['id']}").json["data"]["url"] == "https://example.com/hooks"
    assert api.delete(f"/api/webhooks/{hook['id']}").status_code == 204
    assert api.get(f"/api/webhooks/{hook['id']}").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) == 0


def test_a_rotated_secret_signs_beside_the_previous_one_until_it_expires(api, blog, receiver, work, make_entry, db):
    hook = subscribe(api, receiver.url)
    rotated = api.post(f"/api/webhooks/{hook['id']}/rotate-secret", json={"keep_previous_seconds": 3600})
    assert rotated.status_code == 200
    new_secret = rotated.json["data"]["secret"]
    assert new_secret != hook["secret"] and rotated.json["data"]["secrets_valid"] == 2
    make_entry("post", title="Both")
    work()
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split()) == 2
    Verifier(hook["secret"]).verify(request.body, request.headers)  # receivers not yet updated still verify
    Verifier(new_secret).verify(request.body, request.headers)
    row = db.session.get(Webhook, hook["id"])
    row.secrets = [row.secrets[0], {**row.secrets[1], "expires_at": "2000-01-01T00:00:00.000Z"}]
    db.session.commit()
    make_entry("post", title="New only")
    work()
    request = receiver.requests[-1]
    assert len(request.headers["webhook-signature"].split()) == 1
    Verifier(new_secret).verify(request.body, request.headers)


@pytest.mark.parametrize("body", [{"keep_previous_seconds": -1}, {"keep_previous_seconds": "1"},
                                  {"keep_previous_seconds": 10**9}, {"secret": "nope"}, {"secret": 5}, {"x": 1}])
def test_bad_rotations_are_refused_and_keep_the_secret(api, body):
    hook = subscribe(api, "https://example.com/h")
    response = api.post(f"/api/webhooks/{hook['id']}/rotate-secret", json=body)
    assert response.status_code == 422, response.json
    assert api.get(f"/api/webhooks/{hook['id']}").json["data"]["secret_hint"] == hook["secret"][-4:]


def test_a_delivery_can_be_sent_again_by_hand(api, blog, receiver, work, make_entry):
    hook = subscribe(api, receiver.url)
    make_entry("post", title="Again")
    work()
    [first] = deliveries(api, hook["id"])
    response = api.post(f"/api/webhooks/{hook['id']}/deliveries/{first['id']}/redeliver")
    assert response.status_code == 202 and response.json["data"]["status"] == "pending"
    work()
    assert len(receiver.requests) == 2 and len(set(receiver.ids())) == 1  # the same event id: receivers dedupe
    assert [d["status"] for d in deliveries(api, hook["id"])] == ["done", "done"]
    assert api.post(f"/api/webhooks/{hook['id']}/deliveries/999999/redeliver").status_code == 404
    assert api.post(f"/api/webhooks/{hook['id']}/deliveries/99999999999999999999/redeliver").status_code == 404
    assert api.post(f"/api/webhooks/{hook['id']}/deliveries/abc/redeliver").status_code == 404


def test_the_delivery_log_pages_newest_first(api, blog, receiver, work, make_entry):
    hook = subscribe(api, receiver.url, events=["entry.created"])
    for number in range(5):
        make_entry("post", title=f"n{number}")
    work()
    first = api.get(f"/api/webhooks/{hook['id']}/deliveries?limit=3").json
    assert len(first["data"]) == 3 and first["meta"]["next_before"] == first["data"][-1]["id"]
    rest = api.get(f"/api/webhooks/{hook['id']}/deliveries?limit=3&before={first['meta']['next_before']}").json
    assert len(rest["data"]) == 2 and rest["meta"]["next_before"] is None
    ids = [d["id"] for d in first["data"] + rest["data"]]
    assert ids == sorted(ids, reverse=True)
    assert api.get(f"/api/webhooks/{hook['id']}/deliveries?limit=0").status_code == 400
    assert api.get(f"/api/webhooks/{hook['id']}/deliveries?before=x").status_code == 400


def test_a_worker_killed_between_sending_and_recording_delivers_again(api, blog, receiver, work, make_entry, db,
                                                                     app):
    from cms.jobs.worker import dispatch
    from cms.webhooks.services import deliver

    hook = subscribe(api, receiver.url)
    make_entry("post", title="Crash")
    with app.app_context():
        dispatch()
        job = jobs.claim("doomed-worker", lease_seconds=300)
        job_id = job.id
        deliver(job)  # sent … and the worker dies before recording the outcome
        db.session.rollback()
    assert len(receiver.requests) == 1
    assert work()["jobs"] == 0  # the lease still holds: nobody else takes it yet
    stuck = db.session.get(Job, job_id)
    stuck.locked_until = utcnow() - timedelta(seconds=1)  # the lease runs out
    db.session.commit()
    work()
    assert len(receiver.requests) == 2 and len(set(receiver.ids())) == 1
    [delivery] = deliveries(api, hook["id"])
    assert delivery["status"] == "done" and delivery["attempts"] == 2


@pytest.mark.parametrize("role, status", [("editor", 403), ("author", 403), ("viewer", 403)])
def test_webhooks_need_the_webhooks_permissions(as_role, role, status):
    caller = as_role(role)
    assert caller.get("/api/webhooks").status_code == status
    assert caller.post("/api/webhooks", json={"name": "x", "url": "https://example.com/h"}).status_code == status


def test_anonymous_callers_get_401(anonymous):
    assert anonymous.get("/api/webhooks").status_code == 401
    assert anonymous.post("/api/webhooks", json={"name": "x", "url": "https://example.com/h"}).status_code == 401


def test_a_reader_of_webhooks_cannot_change_them(api, as_role, db):
    from tests.helpers import give_role

    hook = subscribe(api, "https://example.com/h")
    give_role(db, "hook_reader", [{"system": "webhooks", "action": "read"}])
    reader = as_role("hook_reader")
    shown = reader.get(f"/api/webhooks/{hook['id']}")
    assert shown.status_code == 200 and "secret" not in shown.json["data"]
    assert reader.patch(f"/api/webhooks/{hook['id']}", json={"name": "mine"}).status_code == 403
    assert reader.post(f"/api/webhooks/{hook['id']}/rotate-secret", json={}).status_code == 403
    assert reader.delete(f"/api/webhooks/{hook['id']}").status_code == 403


def test_old_dispatched_events_and_finished_jobs_are_pruned(api, blog, receiver, work, make_entry, db, app):
    from cms.jobs.worker import prune

    subscribe(api, receiver.url)
    make_entry("post", title="Old")
    work()
    make_entry("post", title="Undispatched")  # not yet fanned out: kept whatever its age
    month_ago = utcnow() - timedelta(days=31)
    db.session.execute(sa.update(OutboxEvent).values(occurred_at=month_ago))
    db.session.execute(sa.update(Job).values(finished_at=month_ago))
    db.session.commit()

    removed = prune(outbox_days=14, job_days=30)

    left = db.session.scalars(sa.select(OutboxEvent)).all()
    assert [event.dispatched_at for event in left] == [None] and removed >= 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert prune(outbox_days=0, job_days=0) == 0
