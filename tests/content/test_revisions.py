"""Revisions: one per save, viewable, comparable and restorable."""

import pytest

from cms.content.models import Revision
from tests.conftest import table_count
from tests.helpers import error_of

PAGE = [
    {"name": "title", "type": "string", "required": True},
    {"name": "body", "type": "richtext"},
    {"name": "note", "type": "string", "private": True},
    {"name": "owner", "type": "relation", "target": "person"},
]


@pytest.fixture
def page(make_type, make_entry):
    make_type("person", [{"name": "name", "type": "string"}])
    make_type("page", PAGE)
    return make_entry("page", title="One", body="*first*", note="n1")


def url(entry, suffix=""):
    return f"/api/content/page/{entry['id']}{suffix}"


def draft(api, entry):
    response = api.get(url(entry, "?status=draft"))
    assert response.status_code == 200, response.json
    return response.json["data"]


def history(api, entry):
    response = api.get(url(entry, "/revisions"))
    assert response.status_code == 200, response.json
    return [(row["number"], row["action"]) for row in response.json["data"]]


def test_every_save_publish_and_unpublish_writes_one_revision_numbered_by_version(api, page, admin):
    api.patch(url(page), json={"title": "Two"})
    api.post(url(page, "/publish"))
    api.post(url(page, "/unpublish"))
    api.post(url(page, "/revisions/1/restore"))

    response = api.get(url(page, "/revisions"))

    assert response.json["meta"] == {"total": 5}
    assert history(api, page) == [(5, "restore"), (4, "unpublish"), (3, "publish"), (2, "update"), (1, "create")]
    newest = response.json["data"][0]
    assert set(newest) == {"number", "action", "type_version", "created_at", "created_by"}
    assert (newest["created_by"], newest["type_version"]) == (admin.id, 1)
    assert draft(api, page)["version"] == 5


def test_a_save_that_changes_nothing_writes_no_revision(api, page):
    response = api.put(url(page), json={"title": "One", "body": "*first*", "note": "n1"})

    assert response.status_code == 200, response.json
    assert history(api, page) == [(1, "create")]


def test_a_refused_save_writes_no_revision(api, page):
    error_of(api.patch(url(page), json={"title": 5}), 422, "validation_failed")
    error_of(api.post(url(page, "/publish"), headers={"If-Match": '"7"'}), 412, "precondition_failed")

    assert history(api, page) == [(1, "create")]
    assert table_count(Revision) == 1


def test_a_revision_delivers_its_data(api, page):
    api.patch(url(page), json={"title": "Two", "note": None})

    first = api.get(url(page, "/revisions/1"))
    second = api.get(url(page, "/revisions/2"))

    assert first.status_code == 200, first.json
    data = first.json["data"]
    assert (data["number"], data["action"]) == (1, "create")
    assert data["data"] == {"title": "One", "body": {"markdown": "*first*", "html": "<p><em>first</em></p>\n"},
                            "note": "n1", "owner": None}
    assert (second.json["data"]["data"]["title"], second.json["data"]["data"]["note"]) == ("Two", None)


def test_a_diff_lists_the_changed_fields_between_two_revisions(api, page):
    api.patch(url(page), json={"title": "Two"})
    api.patch(url(page), json={"body": "changed"})

    response = api.get(url(page, "/revisions/1/diff?against=2"))

    assert response.status_code == 200, response.json
    assert response.json["data"] == {"from": 1, "to": 2, "changes": [{"field": "title", "from": "One", "to": "Two"}]}


def test_a_diff_without_against_compares_with_the_current_working_copy(api, page):
    api.patch(url(page), json={"title": "Two"})
    api.patch(url(page), json={"body": "changed", "note": None})

    response = api.get(url(page, "/revisions/1/diff"))

    assert response.json["data"] == {"from": 1, "to": 3, "changes": [
        {"field": "title", "from": "One", "to": "Two"},
        {"field": "body", "from": "*first*", "to": "changed"},
        {"field": "note", "from": "n1", "to": None},
    ]}
    assert api.get(url(page, "/revisions/3/diff")).json["data"]["changes"] == []


def test_restore_brings_the_old_values_back_as_a_new_revision(api, page):
    api.put(url(page), json={"title": "Two"})

    response = api.post(url(page, "/revisions/1/restore"))

    assert response.status_code == 200, response.json
    data = response.json["data"]
    assert (data["title"], data["body"]["markdown"], data["note"], data["version"]) == ("One", "*first*", "n1", 3)
    assert history(api, page)[0] == (3, "restore")
    assert api.get(url(page, "/revisions/2")).json["data"]["data"]["title"] == "Two"


def test_restore_honours_if_match(api, page):
    api.patch(url(page), json={"title": "Two"})

    stale = api.post(url(page, "/revisions/1/restore"), headers={"If-Match": '"1"'})
    current = api.post(url(page, "/revisions/1/restore"), headers={"If-Match": '"2"'})

    assert error_of(stale, 412, "precondition_failed")["details"] == {"current_version": 2, "sent_version": 1}
    assert current.status_code == 200, current.json
    assert current.json["data"]["title"] == "One"
    assert history(api, page) == [(3, "restore"), (2, "update"), (1, "create")]


def test_restoring_a_revision_whose_target_is_gone_is_422_and_changes_nothing(api, page, make_entry):
    person = make_entry("person", name="P")
    api.patch(url(page), json={"owner": person["id"]})
    api.patch(url(page), json={"owner": None})
    assert api.delete(f"/api/content/person/{person['id']}").status_code == 204

    error = error_of(api.post(url(page, "/revisions/2/restore")), 422, "validation_failed")

    assert set(error["details"]["fields"]) == {"owner"}
    assert draft(api, page)["version"] == 3
    assert len(history(api, page)) == 3


@pytest.mark.parametrize("method,suffix", [
    ("get", "/revisions/9"), ("get", "/revisions/9/diff"), ("get", "/revisions/1/diff?against=9"),
    ("post", "/revisions/9/restore"),
])
def test_an_unknown_revision_is_404(api, page, method, suffix):
    error_of(getattr(api, method)(url(page, suffix)), 404, "not_found")

    assert draft(api, page)["version"] == 1


def test_revisions_of_an_unknown_entry_are_404(api, page):
    error_of(api.get("/api/content/page/0190aaaa-0000-7000-8000-000000000000/revisions"), 404, "not_found")


@pytest.mark.parametrize("query", ["against=0", "against=x", "since=1"])
def test_a_bad_diff_query_is_400(api, page, query):
    error_of(api.get(url(page, f"/revisions/1/diff?{query}")), 400, "bad_request")


@pytest.mark.parametrize("method,suffix", [
    ("get", "/revisions"), ("get", "/revisions/1"), ("get", "/revisions/1/diff"), ("post", "/revisions/1/restore"),
])
def test_revisions_are_401_for_anonymous_callers(api, page, method, suffix):
    api.post(url(page, "/publish"))

    error_of(getattr(api, method)(url(page, suffix), token=None), 401, "not_authenticated")

    assert history(api, page) == [(2, "publish"), (1, "create")]


def test_a_singleton_has_its_revisions_on_the_type_url(api, make_type):
    make_type("footer", [{"name": "text", "type": "string"}], kind="singleton")
    api.put("/api/content/footer", json={"text": "a"})
    api.put("/api/content/footer", json={"text": "b"})

    listed = api.get("/api/content/footer/revisions")
    restored = api.post("/api/content/footer/revisions/1/restore")

    assert [row["number"] for row in listed.json["data"]] == [2, 1]
    assert restored.status_code == 200, restored.json
    assert restored.json["data"]["text"] == "a"
