"""Lifecycle hooks around entries and media: vetoes, changed data, after-hooks, failing hooks."""

import copy
import io

import pytest
from PIL import Image

from cms.audit.models import AuditEvent
from cms.content.models import Entry, Revision
from cms.events.models import OutboxEvent
from cms.media.models import MediaItem
from cms.media.storage import LocalStorage
from cms.plugins import Veto, hookimpl
from tests.conftest import table_count
from tests.helpers import error_details, error_of

NOTE = [{"name": "title", "type": "string"}, {"name": "summary", "type": "text"}]


class Guard:
    """Refuses the (subject, stage, action) triples it is given; records every call it sees."""

    def __init__(self, *refused):
        self.refused = set(refused)
        self.seen = []

    def _check(self, subject, stage, change):
        target = change.entry if subject == "entry" else change.media
        self.seen.append({"subject": subject, "stage": stage, "action": change.action, "type": change.type,
                          "data": copy.deepcopy(change.data), "id": getattr(target, "id", None),
                          "version": getattr(target, "version", None),
                          "published": getattr(target, "published_data", None) is not None,
                          "content_type": getattr(change.content_type, "name", None)})
        if (subject, stage, change.action) in self.refused:
            raise Veto(f"No {change.action} today.", {"reason": "closed"})

    @hookimpl
    def folio_before_entry_change(self, change):
        self._check("entry", "before", change)

    @hookimpl
    def folio_after_entry_change(self, change):
        self._check("entry", "after", change)

    @hookimpl
    def folio_before_media_change(self, change):
        self._check("media", "before", change)

    @hookimpl
    def folio_after_media_change(self, change):
        self._check("media", "after", change)


def counts():
    return {model.__name__: table_count(model) for model in (Entry, Revision, OutboxEvent, AuditEvent, MediaItem)}


@pytest.fixture
def note(make_type):
    make_type("note", NOTE)


ENTRY_ACTIONS = {
    "create": ("POST", "/api/content/note", {"title": "new"}),
    "update": ("PATCH", "/api/content/note/{id}", {"title": "changed"}),
    "publish": ("POST", "/api/content/note/{id}/publish", None),
    "unpublish": ("POST", "/api/content/note/{id}/unpublish", None),
    "delete": ("DELETE", "/api/content/note/{id}", None),
}


@pytest.mark.parametrize("stage", ["before", "after"])
@pytest.mark.parametrize("action", list(ENTRY_ACTIONS))
def test_a_veto_refuses_an_entry_change_and_nothing_is_saved(api, note, make_entry, hooks, action, stage):
    entry = make_entry("note", publish=action == "unpublish", title="kept")
    hooks(Guard(("entry", stage, action)), "guard")
    before = counts()
    method, path, body = ENTRY_ACTIONS[action]

    response = api.request(method, path.format(id=entry["id"]), json=body)

    error = error_of(response, 422, "vetoed")
    assert error["message"] == f"No {action} today."
    assert error["details"] == {"reason": "closed", "plugin": "guard"}
    assert counts() == before  # no entry, revision, outbox event or audit row
    stored = api.get(f"/api/content/note/{entry['id']}?status=draft").json["data"]
    assert stored == entry


@pytest.fixture
def media_storage(app, monkeypatch, tmp_path):
    store = LocalStorage(tmp_path / "media")
    monkeypatch.setitem(app.extensions, "folio.media_storage", store)
    return store


def upload(api, colour=(1, 2, 3), **fields):
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(picture, "PNG")
    return api.request("POST", "/api/media", data={"file": (io.BytesIO(picture.getvalue()), "a.png"), **fields},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("stage", ["before", "after"])
def test_a_veto_refuses_an_upload_and_stores_nothing(api, media_storage, hooks, stage):
    hooks(Guard(("media", stage, "create")), "guard")
    before = counts()

    response = upload(api)

    assert error_details(response, 422, "vetoed") == {"reason": "closed", "plugin": "guard"}
    assert counts() == before
    assert list(media_storage.keys("")) == []


@pytest.mark.parametrize("stage", ["before", "after"])
@pytest.mark.parametrize("action, method, body", [("update", "PATCH", {"alt": "changed"}), ("delete", "DELETE", None)])
def test_a_veto_refuses_a_media_change(api, media_storage, hooks, stage, action, method, body):
    item = upload(api, alt="kept").json["data"]
    hooks(Guard(("media", stage, action)), "guard")
    before = counts()

    response = api.request(method, f"/api/media/{item['id']}", json=body)

    assert error_of(response, 422, "vetoed")["message"] == f"No {action} today."
    assert counts() == before
    assert api.get(f"/api/media/{item['id']}").json["data"]["alt"] == "kept"
    assert list(media_storage.keys("originals/"))


class Tidy:
    """Fills and tidies values before they are stored."""

    @hookimpl
    def folio_before_entry_change(self, change):
        if change.action in ("create", "update"):
            change.data["title"] = (change.data.get("title") or "").strip().upper()
            change.data["summary"] = f"{len(change.data['title'])} letters"

    @hookimpl
    def folio_before_media_change(self, change):
        if change.action == "create":
            change.data["alt"] = change.data.get("alt") or f"A {change.data['mime']} file"
            change.data["tags"] = ["auto"]


def test_a_before_hook_may_change_the_values_stored_on_create_and_update(api, note, make_entry, hooks):
    hooks(Tidy(), "tidy")

    entry = make_entry("note", title="  hello ")
    assert (entry["title"], entry["summary"]) == ("HELLO", "5 letters")

    updated = api.patch(f"/api/content/note/{entry['id']}", json={"title": "bye"}).json["data"]
    assert (updated["title"], updated["summary"]) == ("BYE", "3 letters")
    revision = api.get(f"/api/content/note/{entry['id']}/revisions/2").json["data"]
    assert revision["data"]["title"] == "BYE"


def test_a_before_hook_may_change_media_metadata_which_is_validated_again(api, media_storage, hooks):
    hooks(Tidy(), "tidy")

    item = upload(api).json["data"]
    assert (item["alt"], item["tags"]) == ("A image/png file", ["auto"])

    class Breaks:
        @hookimpl
        def folio_before_media_change(self, change):
            change.data["focal_x"] = 7  # beyond 0..1

    hooks(Breaks(), "breaks")
    before = counts()
    response = upload(api, colour=(9, 9, 9))
    assert "focal_x" in error_details(response, 422, "validation_failed")["fields"]
    assert counts() == before


def test_after_hooks_see_the_stored_entry(api, note, hooks):
    guard = hooks(Guard(), "guard")

    created = api.post("/api/content/note", json={"title": "one"}).json["data"]
    api.post(f"/api/content/note/{created['id']}/publish")
    api.delete(f"/api/content/note/{created['id']}")

    after = [call for call in guard.seen if call["stage"] == "after"]
    assert [call["action"] for call in after] == ["create", "publish", "delete"]
    assert all(call["id"] == created["id"] and call["type"] == "note" and call["content_type"] == "note"
               for call in after)
    assert after[0]["version"] == 1 and after[0]["data"] == {"title": "one"}
    assert after[1]["version"] == 2 and after[1]["published"] is True
    before = [call for call in guard.seen if call["stage"] == "before"]
    assert before[0]["id"] is None and before[0]["data"] == {"title": "one"}  # nothing stored yet on create


def test_after_hooks_see_the_stored_media_item(api, media_storage, hooks):
    guard = hooks(Guard(), "guard")

    item = upload(api, alt="a picture").json["data"]

    after = [call for call in guard.seen if call["stage"] == "after"]
    assert after[0]["action"] == "create" and after[0]["id"] == item["id"]
    assert after[0]["data"]["alt"] == "a picture" and after[0]["data"]["mime"] == "image/png"


class Raises:
    """A plugin with a bug in its before-hook."""

    FOLIO_PLUGIN = {"name": "buggy", "version": "1.0", "description": "Raises.", "folio": ">=0.1"}

    @hookimpl
    def folio_before_entry_change(self, change):
        return 1 / 0


def test_a_raising_hook_is_counted_and_the_request_goes_on(build_app, client_of, note):
    built = build_app(PLUGINS_OBJECTS=[Raises()])
    api = client_of(built)

    response = api.post("/api/content/note", json={"title": "saved anyway"})

    assert response.status_code == 201, response.json
    status = api.get("/api/plugins/buggy").json["data"]
    assert status["state"] == "active" and status["source"] == "object" and status["failures"] == 1
    failure = status["last_failure"]
    assert failure["hook"] == "folio_before_entry_change"
    assert failure["error"].startswith("ZeroDivisionError: division by zero (") and __file__ in failure["error"]
    assert failure["at"].endswith("Z")


def test_in_strict_mode_a_raising_hook_fails_the_request_and_nothing_is_saved(build_app, client_of, note):
    api = client_of(build_app(PLUGINS_OBJECTS=[Raises()], PLUGINS_STRICT=True))
    before = counts()

    response = api.post("/api/content/note", json={"title": "lost"})

    details = error_details(response, 500, "plugin_failed")
    assert details == {"plugin": "buggy", "hook": "folio_before_entry_change"}
    assert counts() == before
    assert api.get("/api/plugins/buggy").json["data"]["failures"] == 1


def test_a_hook_that_replaces_the_data_with_no_object_fails_the_request(api, note, hooks):
    class Clears:
        @hookimpl
        def folio_before_entry_change(self, change):
            change.data = None

    hooks(Clears(), "clears")
    before = counts()

    response = api.post("/api/content/note", json={"title": "x"})

    error_of(response, 500, "plugin_failed")
    assert counts() == before
