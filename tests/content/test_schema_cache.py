"""Two app processes on one database: a type changed through one is used by the other at once."""

import pytest

from cms.auth import services as auth_services
from cms.core import migrate
from cms.extensions import db
from tests.conftest import Api, make_app


@pytest.fixture
def two_apps(tmp_path):
    """Return API clients of two separately built apps sharing one fresh SQLite file."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = make_app(url, tmp_path / "a"), make_app(url, tmp_path / "b")
    with first.app_context():
        migrate.upgrade(db.engine)
        user = auth_services.create_user("admin@example.com", "correct-horse-battery", role="administrator")
        _token, secret = auth_services.create_token(user, "tests")
        db.session.commit()
    try:
        yield Api(first.test_client(), secret), Api(second.test_client(), secret)
    finally:
        for app in (first, second):
            with app.app_context():
                db.engine.dispose()


def create_note(api):
    response = api.post("/api/content-types", json={
        "name": "note", "options": {"draft_publish": False},
        "fields": [{"name": "title", "type": "string", "max_length": 50}]})
    assert response.status_code == 201, response.json
    entry = api.post("/api/content/note", json={"title": "first"})
    assert entry.status_code == 201, entry.json
    return response.json["data"], entry.json["data"]


def warm(api, entry_id):
    response = api.get(f"/api/content/note/{entry_id}")
    assert response.status_code == 200, response.json
    assert api.post("/api/content/note", json={"title": "warm"}).status_code == 201
    return response.json["data"]


def test_a_required_field_added_by_one_process_is_enforced_by_the_other(two_apps):
    api_a, api_b = two_apps
    note, entry = create_note(api_a)
    assert "body" not in warm(api_b, entry["id"])

    changed = api_a.put("/api/content-types/note", json={
        **note, "fields": note["fields"] + [{"name": "body", "type": "text", "required": True, "default": "empty"},
                                            {"name": "rating", "type": "integer", "required": True}]})
    assert changed.status_code == 200, changed.json

    refused = api_b.post("/api/content/note", json={"title": "no rating"})
    assert refused.status_code == 422
    assert list(refused.json["error"]["details"]["fields"]) == ["rating"]
    delivered = api_b.get(f"/api/content/note/{entry['id']}").json["data"]
    assert (delivered["title"], delivered["body"], delivered["rating"]) == ("first", "empty", None)
    created = api_b.post("/api/content/note", json={"title": "rated", "rating": 4})
    assert created.status_code == 201 and created.json["data"]["body"] == "empty"


def test_a_field_renamed_by_one_process_is_renamed_for_the_other(two_apps):
    api_a, api_b = two_apps
    note, entry = create_note(api_a)
    warm(api_b, entry["id"])

    renamed = api_a.patch("/api/content-types/note", json={"fields": [{**note["fields"][0], "name": "headline"}]})
    assert renamed.status_code == 200, renamed.json

    delivered = api_b.get(f"/api/content/note/{entry['id']}").json["data"]
    assert delivered["headline"] == "first" and "title" not in delivered
    refused = api_b.post("/api/content/note", json={"title": "old name"})
    assert refused.status_code == 422 and "title" in refused.json["error"]["details"]["fields"]
    assert api_b.post("/api/content/note", json={"headline": "new name"}).status_code == 201


def test_a_tightened_rule_set_by_one_process_is_checked_by_the_other(two_apps):
    api_a, api_b = two_apps
    note, entry = create_note(api_a)
    warm(api_b, entry["id"])

    tightened = api_a.put("/api/content-types/note", json={**note, "fields": [{**note["fields"][0], "max_length": 3}]})
    assert tightened.status_code == 200 and tightened.json["meta"]["invalid_count"] == 2

    refused = api_b.post("/api/content/note", json={"title": "too long"})
    assert refused.status_code == 422 and list(refused.json["error"]["details"]["fields"]) == ["title"]


def test_a_dry_run_in_one_process_does_not_leak_into_either(two_apps):
    api_a, api_b = two_apps
    note, entry = create_note(api_a)
    warm(api_b, entry["id"])
    ghost = {"name": "ghost", "type": "string", "required": True}
    assert api_a.put("/api/content-types/note?dry_run=true",
                     json={**note, "fields": note["fields"] + [ghost]}).status_code == 200

    real = api_a.put("/api/content-types/note", json={**note, "fields": note["fields"] + [{"name": "real", "type": "integer"}]})
    assert real.status_code == 200 and real.json["data"]["version"] == 2

    for api in (api_a, api_b):
        created = api.post("/api/content/note", json={"title": "t", "real": 1})
        assert created.status_code == 201, created.json
        assert "ghost" not in created.json["data"]


def test_a_type_deleted_and_created_again_by_one_process_is_new_for_the_other(two_apps):
    api_a, api_b = two_apps
    _note, entry = create_note(api_a)
    warm(api_b, entry["id"])

    assert api_a.delete("/api/content-types/note?force=true").status_code == 204
    again = api_a.post("/api/content-types", json={"name": "note", "options": {"draft_publish": False},
                                                   "fields": [{"name": "text", "type": "text", "required": True}]})
    assert again.status_code == 201 and again.json["data"]["version"] == 1

    refused = api_b.post("/api/content/note", json={"title": "old field"})
    assert refused.status_code == 422
    assert set(refused.json["error"]["details"]["fields"]) == {"title", "text"}
    created = api_b.post("/api/content/note", json={"text": "new field"})
    assert created.status_code == 201 and "title" not in created.json["data"]
