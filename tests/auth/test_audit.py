"""The audit log: every change recorded with actor, time, target and summary; /api/audit filters and pages."""

import pytest

from tests.helpers import error_of


def events(api, query=""):
    response = api.get(f"/api/audit{query}")
    assert response.status_code == 200, response.json
    return response.json


def actions(api, query=""):
    return [event["action"] for event in events(api, query)["data"]]


def test_content_changes_are_recorded_newest_first(api, admin, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string"}])
    entry = make_entry("note", title="one")
    api.patch(f"/api/content/note/{entry['id']}", json={"title": "two"})
    api.post(f"/api/content/note/{entry['id']}/publish")
    api.post(f"/api/content/note/{entry['id']}/unpublish")
    api.post(f"/api/content/note/{entry['id']}/revisions/1/restore")
    api.delete(f"/api/content/note/{entry['id']}")
    api.patch("/api/content-types/note", json={"label": "Notes"})
    api.delete("/api/content-types/note")

    assert actions(api) == ["content_type.delete", "content_type.update", "entry.delete", "entry.restore",
                            "entry.unpublish", "entry.publish", "entry.update", "entry.create",
                            "content_type.create"]
    newest = events(api)["data"][0]
    assert newest["actor"] == {"id": admin.id, "label": "admin@example.com (token 'tests')"}
    assert newest["target"] == {"type": "content_type", "id": "note"} and newest["at"].endswith("Z")
    publish = events(api, f"?target_type=entry&target_id={entry['id']}&action=entry.publish")["data"][0]
    assert publish["summary"] == {"type": "note", "version": 3, "locale": "en"}


def test_account_changes_are_recorded_without_secrets(api, make_user):
    user = api.post("/api/users", json={"email": "a@example.com", "password": "a-long-password",
                                        "role": "viewer"}).json["data"]
    api.patch(f"/api/users/{user['id']}", json={"role": "editor", "password": "another-password"})
    api.post("/api/roles", json={"name": "extra", "permissions": [{"type": "*", "action": "read"}]})
    token = api.post("/api/tokens", json={"name": "ci", "kind": "delivery"}).json
    api.delete(f"/api/tokens/{token['data']['id']}")
    api.delete(f"/api/users/{user['id']}")

    log = events(api)
    assert [event["action"] for event in log["data"]] == ["user.delete", "token.revoke", "token.create",
                                                          "role.create", "user.update", "user.create"]
    update = log["data"][4]["summary"]["changes"]
    assert update["role"] == {"before": "viewer", "after": "editor"} and update["password"] == "changed"
    text = str(log)
    assert "a-long-password" not in text and "another-password" not in text and token["meta"]["token"] not in text


def test_the_audit_log_pages_with_before(api, make_type):
    for n in range(5):
        make_type(f"type{n}", [])

    first = events(api, "?per_page=2&action=content_type.")
    second = events(api, f"?per_page=2&action=content_type.&before={first['meta']['next_before']}")
    third = events(api, f"?per_page=2&action=content_type.&before={second['meta']['next_before']}")

    names = [event["target"]["id"] for page in (first, second, third) for event in page["data"]]
    assert names == ["type4", "type3", "type2", "type1", "type0"]
    assert third["meta"]["next_before"] is None


def test_the_audit_log_filters_by_actor_and_time(api, as_role, make_type):
    editor = as_role("editor")
    make_type("note", [{"name": "title", "type": "string"}])
    editor.post("/api/content/note", json={"title": "by the editor"})

    mine = events(api, f"?actor={editor.user.id}")["data"]
    future = events(api, "?since=2999-01-01T00:00:00Z")["data"]
    past = events(api, "?until=2000-01-01T00:00:00Z")["data"]

    assert [event["action"] for event in mine] == ["entry.create"]
    assert future == [] and past == []


@pytest.mark.parametrize("role", ["editor", "author", "viewer"])
def test_only_audit_readers_see_the_log(as_role, role):
    error_of(as_role(role).get("/api/audit"), 403, "permission_denied")


def test_anonymous_callers_do_not_see_the_log(anonymous):
    error_of(anonymous.get("/api/audit"), 401)


@pytest.mark.parametrize("query", ["?per_page=0", "?per_page=201", "?before=abc", "?since=yesterday",
                                   "?since=2024-01-01T00:00:00", "?actor=", "?target_id=" + "x" * 101, "?sort=at",
                                   "?actor=a%00b", "?action=entry.%00"])
def test_bad_audit_parameters_are_400(api, query):
    error_of(api.get(f"/api/audit{query}"), 400, "bad_request")


def test_a_refused_change_leaves_no_event(api, make_type):
    make_type("note", [{"name": "title", "type": "string", "required": True}])
    before = actions(api)

    api.post("/api/content-types", json={"name": "note", "fields": []})  # 409

    assert actions(api) == before
