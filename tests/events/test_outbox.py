"""The outbox: every committed change records exactly one event, a refused or rolled-back one none."""

import io
import json

import pytest
from PIL import Image

from cms.content import services as content
from cms.content.services import bulk
from cms.core.policy import SYSTEM
from cms.events.models import OutboxEvent
from cms.events.services import emit, event_out, events_after
from tests.conftest import table_count


def kinds(db, after=0):
    db.session.expire_all()
    return [(event.type, event.subject_id) for event in events_after(after, limit=1000)]


def last_seq(db):
    events = events_after(0, limit=100000)
    return events[-1].seq if events else 0


@pytest.fixture
def note(make_type):
    make_type("note", [{"name": "title", "type": "string", "required": True},
                       {"name": "secret", "type": "text", "private": True}])


def test_each_entry_change_records_one_event_in_order(api, db, note):
    start = last_seq(db)
    entry = api.post("/api/content/note", json={"title": "One", "secret": "s"}).json["data"]
    api.patch(f"/api/content/note/{entry['id']}", json={"title": "Two"})
    api.post(f"/api/content/note/{entry['id']}/publish")
    api.post(f"/api/content/note/{entry['id']}/unpublish")
    api.post(f"/api/content/note/{entry['id']}/revisions/1/restore")
    api.delete(f"/api/content/note/{entry['id']}")

    assert kinds(db, start) == [(kind, entry["id"]) for kind in (
        "entry.created", "entry.updated", "entry.published", "entry.unpublished", "entry.updated", "entry.deleted")]
    published = [e for e in events_after(start, 100) if e.type == "entry.published"][0]
    body = event_out(published)
    assert set(body) == {"id", "type", "timestamp", "data"} and body["timestamp"].endswith("Z")
    assert body["data"]["entry"]["title"] == "Two" and body["data"]["entry"]["status"] == "published"
    assert body["data"]["entry"]["secret"] == "s"  # receivers are configured by administrators


def test_a_save_that_changes_nothing_records_nothing(api, db, note):
    entry = api.post("/api/content/note", json={"title": "One"}).json["data"]
    start = last_seq(db)

    api.patch(f"/api/content/note/{entry['id']}", json={"title": "One"})

    assert kinds(db, start) == []


@pytest.mark.parametrize("body", [{"title": ["x"]}, {"title": 5}, {"title": "x", "nope": 1}])
def test_a_refused_write_records_no_event(api, db, note, body):
    start = last_seq(db)

    assert api.post("/api/content/note", json=body).status_code == 422

    assert kinds(db, start) == []


def test_a_rolled_back_transaction_takes_its_events_with_it(db, note):
    start = last_seq(db)
    with db.session.begin_nested():
        content.create_entry("note", {"title": "kept"}, SYSTEM)
    savepoint = db.session.begin_nested()
    content.create_entry("note", {"title": "gone"}, SYSTEM)
    savepoint.rollback()

    assert [kind for kind, _id in kinds(db, start)] == ["entry.created"]


def test_type_and_media_changes_record_events(api, db, app, monkeypatch, tmp_path):
    from cms.media.storage import LocalStorage

    monkeypatch.setitem(app.extensions, "folio.media_storage", LocalStorage(tmp_path))
    start = last_seq(db)
    api.post("/api/content-types", json={"name": "page", "fields": [{"name": "title", "type": "string"}]})
    api.patch("/api/content-types/page", json={"label": "Pages"})
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), (1, 2, 3)).save(picture, "PNG")
    item = api.request("POST", "/api/media", data={"file": (io.BytesIO(picture.getvalue()), "a.png")},
                       content_type="multipart/form-data").json["data"]
    api.patch(f"/api/media/{item['id']}", json={"alt": "Dots"})
    api.delete(f"/api/media/{item['id']}")
    api.delete("/api/content-types/page")

    assert kinds(db, start) == [("content_type.created", "page"), ("content_type.updated", "page"),
                                ("media.created", item["id"]), ("media.updated", item["id"]),
                                ("media.deleted", item["id"]), ("content_type.deleted", "page")]


def test_event_ids_are_unique_and_types_are_checked(db):
    first, second = emit("entry.created", "entry", "a", {}), emit("entry.created", "entry", "a", {})
    db.session.flush()

    assert first.id != second.id and second.seq > first.seq
    with pytest.raises(ValueError):
        emit("entry.exploded", "entry", "a", {})
    assert table_count(OutboxEvent) >= 2


def test_an_import_records_each_entry_s_events_as_the_api_would(api, db, note, make_type):
    make_type("banner", [{"name": "text", "type": "string"}], options={"draft_publish": False})
    was_live = api.post("/api/content/note", json={"title": "Live"}).json["data"]
    api.post(f"/api/content/note/{was_live['id']}/publish")
    start = last_seq(db)
    lines = [
        {"id": "fresh-live", "type": "note", "data": {"title": "New", "secret": "s"},
         "published": {"title": "New", "secret": "s"}},
        {"id": "fresh-draft", "type": "note", "data": {"title": "Draft"}},
        {"id": was_live["id"], "type": "note", "data": {"title": "Back to draft"}},
        {"id": "banner-1", "type": "banner", "data": {"text": "Sale"}},
    ]

    report = bulk.import_entries([json.dumps(line) for line in lines], SYSTEM, batch_size=2)

    assert report["imported"] == 4 and report["replaced"] == 1
    assert kinds(db, start) == [
        ("entry.created", "fresh-live"), ("entry.published", "fresh-live"), ("entry.created", "fresh-draft"),
        ("entry.updated", was_live["id"]), ("entry.unpublished", was_live["id"]),
        ("entry.created", "banner-1"),  # a type without drafts publishes on save: one event
    ]
    events = {(e.type, e.subject_id): event_out(e)["data"] for e in events_after(start, 100)}
    published = events["entry.published", "fresh-live"]
    assert published["type"] == "note" and published["entry"]["status"] == "published"
    assert published["entry"]["title"] == "New" and published["entry"]["secret"] == "s"
    assert published["entry"]["created_at"].endswith("Z")
    assert events["entry.updated", was_live["id"]]["entry"]["status"] == "draft"
    assert events["entry.created", "banner-1"]["entry"]["text"] == "Sale"
    assert len({e.id for e in events_after(start, 100)}) == 6  # each event has its own id


def test_a_failed_import_takes_the_events_of_its_earlier_batches_with_it(db, note):
    start = last_seq(db)
    lines = [json.dumps({"id": f"n{i}", "type": "note", "data": {"title": f"Note {i}"}}) for i in range(3)]
    lines.append(json.dumps({"id": "bad", "type": "note", "data": {"title": ["not", "a", "string"]}}))
    savepoint = db.session.begin_nested()

    with pytest.raises(bulk.ImportFailed) as failed:
        bulk.import_entries(lines, SYSTEM, batch_size=1)  # three batches were written before line 4
    savepoint.rollback()

    assert "line 4" in str(failed.value.message)
    assert kinds(db, start) == []


def test_an_import_records_its_events_in_one_statement_per_batch(db, note, count_queries):
    lines = [json.dumps({"id": f"q{i}", "type": "note", "data": {"title": f"Q {i}"}, "published": {"title": f"Q {i}"}})
             for i in range(40)]
    with count_queries() as queries:
        bulk.import_entries(lines, SYSTEM, batch_size=20)

    outbox = [q for q in queries if "INSERT INTO outbox_events" in q]
    assert len(outbox) == 2 and table_count(OutboxEvent) >= 80
