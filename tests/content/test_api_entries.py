"""The entries API: CRUD, lists, singletons, draft/publish, preconditions and permissions."""

import re

import pytest

from cms.content.models import Entry, Revision
from tests.conftest import table_count
from tests.helpers import error_of

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

ARTICLE = [
    {"name": "title", "type": "string", "required": True}, {"name": "body", "type": "text"},
    {"name": "views", "type": "integer"},
    {"name": "seo", "type": "component",
     "fields": [{"name": "title", "type": "string"}, {"name": "description", "type": "text"}]},
]


def working_copy(api, type_name, entry_id):
    """Return the admin's view of the stored working copy."""
    response = api.get(f"/api/content/{type_name}/{entry_id}?status=draft")
    assert response.status_code == 200, response.json
    return response.json["data"]


@pytest.fixture
def article(make_type):
    return make_type("article", ARTICLE)


@pytest.fixture
def settings(make_type):
    theme = [{"name": "color", "type": "string"}, {"name": "font", "type": "string"}]
    fields = [{"name": "site_name", "type": "string", "required": True},
              {"name": "theme", "type": "component", "fields": theme}]
    return make_type("settings", fields, kind="singleton")


# -- create, read, update, delete --------------------------------------------------------------

def test_creating_an_entry_answers_201_with_a_uuid7_id_a_draft_and_version_1(api, article):
    response = api.post("/api/content/article", json={"title": "Hello", "views": 3})

    assert response.status_code == 201, response.json
    data = response.json["data"]
    assert UUID7.match(data["id"])
    assert (data["type"], data["status"], data["version"]) == ("article", "draft", 1)
    assert (data["title"], data["views"], data["body"]) == ("Hello", 3, None)
    assert data["published_at"] is None
    assert working_copy(api, "article", data["id"]) == data


def test_patch_merges_values_and_null_removes_one(api, article, make_entry):
    entry = make_entry("article", title="T", body="B", views=1)

    response = api.patch(f"/api/content/article/{entry['id']}", json={"views": 2, "body": None})

    assert response.status_code == 200, response.json
    data = response.json["data"]
    assert (data["title"], data["body"], data["views"], data["version"]) == ("T", None, 2, 2)
    assert working_copy(api, "article", entry["id"]) == data


def test_patch_merges_nested_component_objects(api, article, make_entry):
    entry = make_entry("article", title="T", seo={"title": "S", "description": "D"})

    response = api.patch(f"/api/content/article/{entry['id']}", json={"seo": {"description": "New"}})

    assert response.status_code == 200, response.json
    assert response.json["data"]["seo"] == {"title": "S", "description": "New"}


def test_patch_without_changes_keeps_the_version(api, article, make_entry):
    entry = make_entry("article", title="T")

    response = api.patch(f"/api/content/article/{entry['id']}", json={"title": "T"})

    assert response.status_code == 200, response.json
    assert response.json["data"]["version"] == 1
    assert table_count(Revision) == 1


def test_put_replaces_the_working_copy_and_clears_missing_fields(api, article, make_entry):
    entry = make_entry("article", title="T", body="B", seo={"title": "S"})

    response = api.put(f"/api/content/article/{entry['id']}", json={"title": "New"})

    assert response.status_code == 200, response.json
    data = working_copy(api, "article", entry["id"])
    assert (data["title"], data["body"], data["seo"], data["version"]) == ("New", None, None, 2)


def test_delete_answers_204_and_then_the_entry_is_gone(api, article, make_entry):
    entry = make_entry("article", title="T")

    response = api.delete(f"/api/content/article/{entry['id']}")

    assert response.status_code == 204
    assert response.get_data() == b""
    error_of(api.get(f"/api/content/article/{entry['id']}?status=draft"), 404, "not_found")
    error_of(api.delete(f"/api/content/article/{entry['id']}"), 404, "not_found")
    assert table_count(Entry) == 0 and table_count(Revision) == 0


@pytest.mark.parametrize("path", [
    "/api/content/nothing", "/api/content/nothing/0190aaaa-0000-7000-8000-000000000000",
    "/api/content/article/0190aaaa-0000-7000-8000-000000000000", "/api/content/article/" + "x" * 300,
])
def test_unknown_types_and_entries_are_404(api, article, path):
    error_of(api.get(path + "?status=draft"), 404, "not_found")
    error_of(api.get(path, token=None), 404, "not_found")
    if path.count("/") == 4:
        error_of(api.patch(path, json={"title": "x"}), 404, "not_found")
        error_of(api.delete(path), 404, "not_found")
        error_of(api.post(path + "/publish"), 404, "not_found")


def test_an_entry_of_another_type_is_404_by_id(api, article, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string"}])
    note = make_entry("note", publish=True, title="N")

    error_of(api.get(f"/api/content/article/{note['id']}?status=draft"), 404, "not_found")
    error_of(api.patch(f"/api/content/article/{note['id']}", json={"title": "x"}), 404, "not_found")
    error_of(api.delete(f"/api/content/article/{note['id']}"), 404, "not_found")
    assert working_copy(api, "note", note["id"])["title"] == "N"


def test_an_unknown_query_parameter_is_400(api, article, make_entry):
    entry = make_entry("article", title="T")

    response = api.patch(f"/api/content/article/{entry['id']}?force=1", json={"title": "x"})

    assert "force" in error_of(response, 400, "bad_request")["details"]["parameters"]
    assert working_copy(api, "article", entry["id"])["title"] == "T"


# -- lists ---------------------------------------------------------------------------------------

def test_a_list_answers_data_and_meta_newest_first(api, article, make_entry):
    ids = [make_entry("article", title=f"T{i}")["id"] for i in range(3)]

    response = api.get("/api/content/article?status=draft")

    assert response.status_code == 200
    assert [item["id"] for item in response.json["data"]] == ids[::-1]
    assert response.json["meta"] == {"total": 3, "total_exact": True, "page": 1, "per_page": 25, "next_cursor": None}


def test_page_and_per_page_slice_the_list(api, article, make_entry):
    ids = [make_entry("article", title=f"T{i}")["id"] for i in range(5)][::-1]

    response = api.get("/api/content/article?status=draft&page=2&per_page=2")

    assert [item["id"] for item in response.json["data"]] == ids[2:4]
    meta = response.json["meta"]
    assert (meta["total"], meta["page"], meta["per_page"]) == (5, 2, 2)
    assert isinstance(meta["next_cursor"], str)  # more entries follow this page


@pytest.mark.parametrize("query", ["per_page=101", "per_page=0", "page=0", "page=-1", "per_page=ten"])
def test_page_and_per_page_outside_their_limits_are_400(api, article, query):
    error = error_of(api.get(f"/api/content/article?{query}"), 400, "bad_request")

    assert set(error["details"]["parameters"]) == {query.split("=")[0]}


def test_an_anonymous_list_holds_only_published_entries(api, article, make_entry):
    published = make_entry("article", publish=True, title="Out")
    make_entry("article", title="Hidden")

    response = api.get("/api/content/article", token=None)

    assert response.status_code == 200
    assert [item["id"] for item in response.json["data"]] == [published["id"]]
    assert response.json["meta"]["total"] == 1


def test_a_draft_is_only_in_the_status_draft_view_which_anonymous_callers_may_not_ask_for(api, article, make_entry):
    entry = make_entry("article", title="Hidden")

    error_of(api.get(f"/api/content/article/{entry['id']}", token=None), 404, "not_found")
    error_of(api.get(f"/api/content/article/{entry['id']}"), 404, "not_found")
    error_of(api.get(f"/api/content/article/{entry['id']}?status=draft", token=None), 401, "not_authenticated")
    error_of(api.get("/api/content/article?status=draft", token=None), 401, "not_authenticated")
    assert working_copy(api, "article", entry["id"])["title"] == "Hidden"


def _queries_for_listing(api, count_queries, expected):
    counts = []
    for query, token in (("status=draft&per_page=30", "default"), ("per_page=30", None)):
        with count_queries() as statements:
            assert len(api.get(f"/api/content/article?{query}", token=token).json["data"]) == expected
        counts.append(len(statements))
    return counts


def test_listing_runs_as_many_queries_for_30_entries_as_for_1(api, article, make_entry, count_queries):
    make_entry("article", publish=True, title="T0", seo={"title": "S"}, body="B")
    one = _queries_for_listing(api, count_queries, 1)
    for i in range(29):
        make_entry("article", publish=True, title=f"T{i + 1}", seo={"title": "S"}, body="B")

    thirty = _queries_for_listing(api, count_queries, 30)

    assert thirty == one


# -- singletons ----------------------------------------------------------------------------------

def test_a_singleton_is_404_before_it_has_content(api, settings):
    error_of(api.get("/api/content/settings?status=draft"), 404, "not_found")
    error_of(api.get("/api/content/settings", token=None), 404, "not_found")
    error_of(api.post("/api/content/settings/publish"), 404, "not_found")


def test_a_singleton_put_creates_then_replaces(api, settings):
    created = api.put("/api/content/settings", json={"site_name": "Folio", "theme": {"color": "red"}})
    assert created.status_code == 201, created.json  # the first write creates the singleton
    assert created.json["data"]["version"] == 1

    same = api.put("/api/content/settings", json={"site_name": "Folio", "theme": {"color": "red"}})
    assert (same.status_code, same.json["data"]["version"]) == (200, 1)  # nothing changed, nothing created

    replaced = api.put("/api/content/settings", json={"site_name": "Folio 2"})

    assert replaced.status_code == 200, replaced.json
    data = api.get("/api/content/settings?status=draft").json["data"]
    assert (data["site_name"], data["theme"], data["version"], data["id"]) == (
        "Folio 2", None, 2, created.json["data"]["id"])
    error_of(api.post("/api/content/settings", json={"site_name": "Second"}), 409, "conflict")
    assert table_count(Entry) == 1


def test_if_match_on_a_singleton_that_does_not_exist_yet_is_412(api, settings):
    response = api.put("/api/content/settings", json={"site_name": "Folio"}, headers={"If-Match": '"1"'})

    error_of(response, 412, "precondition_failed")
    assert table_count(Entry) == 0


def test_a_singleton_patch_merges_and_publish_serves_it(api, settings):
    api.put("/api/content/settings", json={"site_name": "Folio", "theme": {"color": "red", "font": "serif"}})

    patched = api.patch("/api/content/settings", json={"theme": {"color": "blue"}})
    published = api.post("/api/content/settings/publish")

    assert patched.status_code == 200, patched.json
    assert patched.json["data"]["theme"] == {"color": "blue", "font": "serif"}
    assert published.status_code == 200, published.json
    public = api.get("/api/content/settings", token=None)
    assert public.status_code == 200
    assert (public.json["data"]["site_name"], public.json["data"]["status"]) == ("Folio", "published")
    assert public.json["data"]["theme"]["color"] == "blue"


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writing_to_a_collection_type_url_is_405(api, article, make_entry, method):
    entry = make_entry("article", title="T")
    kwargs = {} if method == "delete" else {"json": {"title": "x"}}

    response = getattr(api, method)("/api/content/article", **kwargs)

    error_of(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    assert working_copy(api, "article", entry["id"])["title"] == "T"


# -- draft and publish ---------------------------------------------------------------------------

def test_a_draft_may_be_incomplete_but_publishing_it_is_422(api, article):
    entry = api.post("/api/content/article", json={"body": "no title yet"}).json["data"]

    error = error_of(api.post(f"/api/content/article/{entry['id']}/publish"), 422, "validation_failed")

    assert set(error["details"]["fields"]) == {"title"}
    data = working_copy(api, "article", entry["id"])
    assert (data["status"], data["version"]) == ("draft", 1)
    error_of(api.get(f"/api/content/article/{entry['id']}", token=None), 404, "not_found")


def test_the_published_snapshot_stays_until_the_next_publish(api, article, make_entry):
    entry = make_entry("article", publish=True, title="First")

    edited = api.patch(f"/api/content/article/{entry['id']}", json={"title": "Second"}).json["data"]

    assert (edited["status"], edited["title"]) == ("changed", "Second")
    public = api.get(f"/api/content/article/{entry['id']}", token=None).json["data"]
    assert (public["title"], public["status"], public["version"]) == ("First", "published", 2)
    api.post(f"/api/content/article/{entry['id']}/publish")
    public = api.get(f"/api/content/article/{entry['id']}", token=None).json["data"]
    assert (public["title"], public["version"]) == ("Second", 4)
    assert working_copy(api, "article", entry["id"])["status"] == "published"


def test_unpublish_withdraws_the_snapshot_and_keeps_the_working_copy(api, article, make_entry):
    entry = make_entry("article", publish=True, title="T")

    response = api.post(f"/api/content/article/{entry['id']}/unpublish")

    assert response.status_code == 200, response.json
    assert (response.json["data"]["status"], response.json["data"]["published_at"]) == ("draft", None)
    error_of(api.get(f"/api/content/article/{entry['id']}", token=None), 404, "not_found")
    assert working_copy(api, "article", entry["id"])["title"] == "T"
    error_of(api.post(f"/api/content/article/{entry['id']}/unpublish"), 409, "conflict")


def test_a_type_without_drafts_publishes_on_save_and_validates_fully(api, make_type):
    make_type("happening", [{"name": "name", "type": "string", "required": True}],
              options={"draft_publish": False})

    error = error_of(api.post("/api/content/happening", json={}), 422, "validation_failed")
    created = api.post("/api/content/happening", json={"name": "Launch"})

    assert set(error["details"]["fields"]) == {"name"}
    assert created.status_code == 201, created.json
    assert created.json["data"]["status"] == "published"
    entry_id = created.json["data"]["id"]
    assert api.get(f"/api/content/happening/{entry_id}", token=None).json["data"]["name"] == "Launch"
    error_of(api.patch(f"/api/content/happening/{entry_id}", json={"name": None}), 422, "validation_failed")
    assert api.get(f"/api/content/happening/{entry_id}", token=None).json["data"]["name"] == "Launch"
    assert table_count(Entry) == 1


# -- preconditions -------------------------------------------------------------------------------

def test_a_get_answers_an_etag_and_if_none_match_gives_304(api, article, make_entry):
    entry = make_entry("article", publish=True, title="T")
    first = api.get(f"/api/content/article/{entry['id']}", token=None)

    again = api.get(f"/api/content/article/{entry['id']}", token=None, headers={"If-None-Match": first.headers["ETag"]})

    assert first.headers["ETag"].startswith('"2-')
    assert (again.status_code, again.get_data()) == (304, b"")


@pytest.mark.parametrize("method,suffix,body", [
    ("patch", "", {"title": "Lost"}), ("put", "", {"title": "Lost"}), ("delete", "", None), ("post", "/publish", None)])
def test_a_stale_if_match_is_412_and_overwrites_nothing(api, article, make_entry, method, suffix, body):
    entry = make_entry("article", title="T")
    api.patch(f"/api/content/article/{entry['id']}", json={"body": "v2"})
    kwargs = {"json": body} if body is not None else {}
    path = f"/api/content/article/{entry['id']}{suffix}"

    response = getattr(api, method)(path, headers={"If-Match": '"1"'}, **kwargs)

    error = error_of(response, 412, "precondition_failed")
    assert error["details"] == {"current_version": 2, "sent_version": 1}
    data = working_copy(api, "article", entry["id"])
    assert (data["title"], data["body"], data["version"], data["status"]) == ("T", "v2", 2, "draft")


def test_if_match_with_the_current_version_or_the_etag_is_accepted(api, article, make_entry):
    entry = make_entry("article", title="T")
    etag = api.get(f"/api/content/article/{entry['id']}?status=draft").headers["ETag"]

    by_etag = api.patch(f"/api/content/article/{entry['id']}", json={"title": "A"}, headers={"If-Match": etag})
    by_version = api.put(f"/api/content/article/{entry['id']}", json={"title": "B"}, headers={"If-Match": '"2"'})

    assert by_etag.status_code == 200, by_etag.json
    assert by_version.status_code == 200, by_version.json
    assert working_copy(api, "article", entry["id"])["title"] == "B"


# -- permissions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("method,suffix", [
    ("post", ""), ("put", "/{id}"), ("patch", "/{id}"), ("delete", "/{id}"), ("post", "/{id}/publish"),
    ("post", "/{id}/unpublish"), ("post", "/{id}/revisions/1/restore"),
])
def test_anonymous_writes_are_401_and_change_nothing(api, article, make_entry, method, suffix):
    entry = make_entry("article", publish=True, title="T")
    kwargs = {"json": {"title": "Anon"}} if suffix in {"", "/{id}"} else {}

    response = getattr(api, method)("/api/content/article" + suffix.format(id=entry["id"]), token=None, **kwargs)

    error_of(response, 401, "not_authenticated")
    data = working_copy(api, "article", entry["id"])
    assert (data["title"], data["version"], data["status"]) == ("T", 2, "published")
    assert table_count(Entry) == 1 and table_count(Revision) == 2


def test_a_non_public_type_is_401_for_anonymous_reads(api, make_type, make_entry):
    make_type("memo", [{"name": "title", "type": "string"}], options={"public": False})
    entry = make_entry("memo", publish=True, title="Secret")

    error_of(api.get("/api/content/memo", token=None), 401, "not_authenticated")
    error_of(api.get(f"/api/content/memo/{entry['id']}", token=None), 401, "not_authenticated")
    assert api.get(f"/api/content/memo/{entry['id']}").json["data"]["title"] == "Secret"


def test_a_single_entry_refuses_list_parameters(api, article, make_entry):
    entry = make_entry("article", title="One")

    response = api.get(f"/api/content/article/{entry['id']}?status=draft&filter[title]=One")

    error_of(response, 400, "bad_request")
