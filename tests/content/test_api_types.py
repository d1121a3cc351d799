"""The content-types API: CRUD, every field type and rule, refused definitions, permissions."""

import re

import pytest
import sqlalchemy as sa

from cms.content.models import ContentType, Entry, Revision
from tests.conftest import table_count
from tests.helpers import error_details

FIELD_ID = re.compile(r"^[a-z0-9_]{1,32}$")


def stored_types(db):
    """Return every stored type definition as plain tuples (read fresh from the database)."""
    columns = (ContentType.name, ContentType.version, ContentType.label, ContentType.kind,
               ContentType.options, ContentType.fields, ContentType.updated_at)
    return [tuple(row) for row in db.session.execute(sa.select(*columns).order_by(ContentType.name))]


def stored_entries(db):
    columns = (Entry.id, Entry.version, Entry.status, Entry.data, Entry.published_data)
    return [tuple(row) for row in db.session.execute(sa.select(*columns).order_by(Entry.id))]


# -- create, read, list ----------------------------------------------------------------------------

def test_creating_a_type_assigns_field_ids_and_default_labels(api, db):
    response = api.post("/api/content-types", json={
        "name": "blog_post",
        "fields": [{"name": "title", "type": "string"}, {"name": "body_text", "type": "text", "label": "Body"},
                   {"name": "seo", "type": "component", "fields": [{"name": "meta_title", "type": "string"}]}],
    })

    assert response.status_code == 201, response.json
    data = response.json["data"]
    assert data["label"] == "Blog post"
    assert data["kind"] == "collection"
    assert data["options"] == {"draft_publish": True, "localized": False, "public": True}
    assert data["version"] == 1 and data["entries"] == 0 and data["description"] == ""
    title, body, seo = data["fields"]
    assert (title["label"], body["label"], seo["fields"][0]["label"]) == ("Title", "Body", "Meta title")
    ids = [title["id"], body["id"], seo["id"], seo["fields"][0]["id"]]
    assert all(FIELD_ID.match(field_id) for field_id in ids) and len(set(ids)) == 4
    [(name, version, _label, _kind, _options, fields, _at)] = stored_types(db)
    assert (name, version, fields) == ("blog_post", 1, data["fields"])


def test_getting_a_type_returns_what_was_created(api, make_type):
    created = make_type("page", [{"name": "title", "type": "string"}], description="Pages of the site")

    response = api.get("/api/content-types/page")

    assert response.status_code == 200
    assert response.json["data"] == created
    assert response.json["data"]["description"] == "Pages of the site"


def test_getting_a_missing_type_is_not_found(api):
    error_details(api.get("/api/content-types/nothing"), 404, "not_found")


def test_listing_types_counts_their_entries(api, make_type, make_entry):
    make_type("tag", [{"name": "name", "type": "string"}])
    make_type("author", [{"name": "name", "type": "string"}])
    make_entry("tag", name="a")
    make_entry("tag", publish=True, name="b")

    response = api.get("/api/content-types")

    assert response.status_code == 200
    assert [(t["name"], t["entries"]) for t in response.json["data"]] == [("author", 0), ("tag", 2)]


def test_a_singleton_and_its_options_are_stored_as_sent(api, make_type):
    created = make_type("settings", [{"name": "site_name", "type": "string"}], kind="singleton", label="Site",
                        options={"draft_publish": False, "localized": True, "public": False})

    assert created["kind"] == "singleton" and created["label"] == "Site"
    assert created["options"] == {"draft_publish": False, "localized": True, "public": False}
    assert api.get("/api/content-types/settings").json["data"]["options"] == created["options"]


def test_options_not_sent_take_their_defaults(make_type):
    created = make_type("note", [], options={"public": False})

    assert created["options"] == {"draft_publish": True, "localized": False, "public": False}


# -- replace, merge ---------------------------------------------------------------------------------

def test_put_replaces_the_whole_definition(api, make_type, db):
    make_type("page", [{"name": "title", "type": "string"}, {"name": "body", "type": "text"}],
              description="old", label="Page")

    response = api.put("/api/content-types/page", json={"name": "page", "fields": [{"name": "heading", "type": "string"}]})

    assert response.status_code == 200, response.json
    data = response.json["data"]
    assert [f["name"] for f in data["fields"]] == ["heading"]
    assert (data["label"], data["description"], data["version"]) == ("Page", "", 2)
    assert stored_types(db)[0][5] == data["fields"]


def test_patch_merges_top_level_keys_and_options(api, make_type):
    created = make_type("page", [{"name": "title", "type": "string"}], description="kept")

    response = api.patch("/api/content-types/page", json={"label": "Web page", "options": {"public": False}})

    assert response.status_code == 200, response.json
    data = response.json["data"]
    assert (data["label"], data["description"], data["fields"]) == ("Web page", "kept", created["fields"])
    assert data["options"] == {"draft_publish": True, "localized": False, "public": False}
    assert data["version"] == 2


def test_patch_with_options_that_are_not_an_object_is_refused(api, make_type, db):
    make_type("page", [{"name": "title", "type": "string"}])
    before = stored_types(db)

    details = error_details(api.patch("/api/content-types/page", json={"options": ["public"]}), 422, "validation_failed")

    assert "options" in details["fields"]
    assert stored_types(db) == before


def test_renaming_a_type_is_refused(api, make_type, db):
    make_type("page", [{"name": "title", "type": "string"}])
    before = stored_types(db)

    for method in ("put", "patch"):
        response = getattr(api, method)("/api/content-types/page", json={"name": "post", "fields": []})
        details = error_details(response, 422, "validation_failed")
        assert "name" in details["fields"]
    assert stored_types(db) == before


def test_updating_a_missing_type_is_not_found(api):
    error_details(api.put("/api/content-types/nothing", json={"name": "nothing"}), 404, "not_found")


# -- delete -----------------------------------------------------------------------------------------

def test_deleting_an_empty_type_answers_no_content(api, make_type, db):
    make_type("page", [])

    response = api.delete("/api/content-types/page")

    assert response.status_code == 204 and response.data == b""
    assert stored_types(db) == []
    error_details(api.get("/api/content-types/page"), 404, "not_found")


def test_deleting_a_type_with_entries_needs_force(api, make_type, make_entry, db):
    make_type("page", [{"name": "title", "type": "string"}])
    make_entry("page", title="a")
    make_entry("page", publish=True, title="b")
    types, entries = stored_types(db), stored_entries(db)

    details = error_details(api.delete("/api/content-types/page"), 409, "conflict")

    assert details == {"entries": 2}
    assert (stored_types(db), stored_entries(db)) == (types, entries)
    assert api.delete("/api/content-types/page?force=true").status_code == 204
    assert (stored_types(db), stored_entries(db), table_count(Revision)) == ([], [], 0)


def test_deleting_the_target_of_a_relation_is_refused_even_when_forced(api, make_type, db):
    make_type("author", [{"name": "name", "type": "string"}])
    make_type("post", [{"name": "extra", "type": "component",
                        "fields": [{"name": "writer", "type": "relation", "target": "author"}]}])
    before = stored_types(db)

    for path in ("/api/content-types/author", "/api/content-types/author?force=true"):
        details = error_details(api.delete(path), 409, "conflict")
        assert details == {"referenced_by": ["post"]}
    assert stored_types(db) == before


def test_a_relation_to_its_own_type_does_not_block_deleting(api, make_type, make_entry):
    make_type("category", [{"name": "parent", "type": "relation", "target": "category"}])
    root = make_entry("category")
    make_entry("category", parent=root["id"])

    assert api.delete("/api/content-types/category?force=true").status_code == 204


# -- request hygiene --------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path"), [
    ("get", "/api/content-types?page=2"),
    ("post", "/api/content-types?dry_run=true"),
    ("get", "/api/content-types/page?populate=x"),
    ("put", "/api/content-types/page?dryrun=true"),
    ("patch", "/api/content-types/page?force=true"),
    ("delete", "/api/content-types/page?forced=true"),
    ("put", "/api/content-types/page?dry_run=maybe"),
    ("delete", "/api/content-types/page?force=yes"),
])
def test_unknown_or_malformed_query_parameters_are_refused(api, make_type, db, method, path):
    make_type("page", [{"name": "title", "type": "string"}])
    before = stored_types(db)

    response = getattr(api, method)(path, json={"name": "page", "fields": []})

    details = error_details(response, 400, "bad_request")
    assert list(details["parameters"]) == [path.split("?")[1].split("=")[0]]
    assert stored_types(db) == before


BODIES = {
    "malformed JSON": ('{"name": "page",', "application/json", 400, "bad_request"),
    "an array": ("[]", "application/json", 400, "bad_request"),
    "a string": ('"page"', "application/json", 400, "bad_request"),
    "null": ("null", "application/json", 400, "bad_request"),
    "a form": ("name=page", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    "no content type": ('{"name": "page"}', None, 415, "unsupported_media_type"),
}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize(("data", "content_type", "status", "code"), BODIES.values(), ids=BODIES.keys())
def test_a_body_that_is_not_a_json_object_is_refused(api, make_type, db, method, data, content_type, status, code):
    make_type("page", [])
    before = stored_types(db)
    path = "/api/content-types" if method == "POST" else "/api/content-types/page"

    response = api.request(method, path, data=data, content_type=content_type)

    error_details(response, status, code)
    assert stored_types(db) == before


def test_a_taken_name_is_a_conflict(api, make_type, db):
    make_type("page", [{"name": "title", "type": "string"}])
    before = stored_types(db)

    response = api.post("/api/content-types", json={"name": "page", "fields": []})

    assert error_details(response, 409, "conflict") == {"fields": {"name": ["Already taken."]}}
    assert stored_types(db) == before


# -- permissions ------------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/api/content-types", None),
    ("GET", "/api/content-types/page", None),
    ("POST", "/api/content-types", {"name": "other", "fields": []}),
    ("PUT", "/api/content-types/page", {"name": "page", "fields": []}),
    ("PATCH", "/api/content-types/page", {"label": "Hacked"}),
    ("DELETE", "/api/content-types/page", None),
    ("DELETE", "/api/content-types/page?force=true", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize("token", [None, "folio_not-a-real-token", "garbage"])
def test_callers_without_a_valid_token_are_not_authenticated(api, make_type, make_entry, db, method, path, body,
                                                             token):
    make_type("page", [{"name": "title", "type": "string"}])
    make_entry("page", title="t")
    before = (stored_types(db), stored_entries(db))

    response = api.request(method, path, json=body, token=token)

    error_details(response, 401, "not_authenticated")
    assert (stored_types(db), stored_entries(db)) == before


# -- every field type and rule ----------------------------------------------------------------------

EVERY_FIELD = [
    {"name": "title", "type": "string", "label": "Headline", "description": "Shown in lists", "required": True,
     "unique": True, "indexed": True, "min_length": 2, "max_length": 100, "pattern": "^[A-Z]", "default": "Hello"},
    {"name": "slug", "type": "slug", "source": "title", "max_length": 120},
    {"name": "summary", "type": "text", "min_length": 1, "max_length": 5000, "pattern": "\\S", "localized": False},
    {"name": "body", "type": "richtext", "min_length": 1, "max_length": 10000, "private": True},
    {"name": "views", "type": "integer", "min": 0, "max": 10, "default": 0, "indexed": True},
    {"name": "price", "type": "decimal", "min": -1.5, "max": 99.25, "scale": 2, "default": 1.25},
    {"name": "featured", "type": "boolean", "default": False, "indexed": True},
    {"name": "day", "type": "date", "min": "2000-01-01", "max": "2099-12-31", "default": "2024-05-01"},
    {"name": "starts_at", "type": "datetime", "min": "2000-01-01T00:00:00Z", "max": "2099-12-31T23:59:59Z",
     "default": "2024-05-01T09:30:00Z"},
    {"name": "contact", "type": "email", "unique": True, "default": "ann@example.com"},
    {"name": "website", "type": "url", "default": "https://example.com"},
    {"name": "stage", "type": "enum", "values": ["draft", "final"], "default": "draft", "indexed": True},
    {"name": "extra", "type": "json", "default": {"a": [1, None]}},
    {"name": "cover", "type": "media", "required": True},
    {"name": "gallery", "type": "media", "many": True, "min": 1, "max": 5},
    {"name": "writer", "type": "relation", "target": "author", "on_delete": "restrict"},
    {"name": "editors", "type": "relation", "target": "author", "many": True, "min": 0, "max": 3,
     "on_delete": "set_null"},
    {"name": "related", "type": "relation", "target": "article", "many": True},
    {"name": "links", "type": "component", "repeatable": True, "min": 1, "max": 4, "fields": [
        {"name": "label", "type": "string", "required": True}, {"name": "href", "type": "url"}]},
    {"name": "seo", "type": "component", "fields": [
        {"name": "description", "type": "text", "max_length": 160},
        {"name": "image", "type": "component", "fields": [{"name": "alt", "type": "string"}]}]},
    {"name": "sections", "type": "blocks", "min": 0, "max": 10, "blocks": {
        "quote": [{"name": "text", "type": "text", "required": True}, {"name": "by", "type": "string"}],
        "gallery": [{"name": "images", "type": "media", "many": True}]}},
]


def _without_server_keys(fields):
    out = []
    for field in fields:
        field = {key: value for key, value in field.items() if key not in {"id"}}
        if field.get("label") == field["name"].replace("_", " ").capitalize():
            del field["label"]
        if field["type"] == "relation" and field["on_delete"] == "set_null" and field["name"] != "editors":
            del field["on_delete"]
        if field["type"] == "component":
            field["fields"] = _without_server_keys(field["fields"])
        if field["type"] == "blocks":
            field["blocks"] = {name: _without_server_keys(items) for name, items in field["blocks"].items()}
        out.append(field)
    return out


def test_every_field_type_can_be_defined_with_each_of_its_rules(api, make_type, media_rows):
    make_type("author", [{"name": "name", "type": "string"}])
    media_rows("m1", "m2")

    created = make_type("article", EVERY_FIELD)

    assert _without_server_keys(created["fields"]) == EVERY_FIELD
    ann = api.post("/api/content/author", json={"name": "Ann"}).json["data"]
    entry = api.post("/api/content/article", json={
        "title": "Hello World", "views": 3, "price": 2.5, "day": "2024-06-01", "stage": "final",
        "writer": ann["id"], "editors": [ann["id"]], "cover": "m1", "gallery": ["m1", "m2"],
        "links": [{"label": "Home", "href": "https://example.com/"}], "seo": {"image": {"alt": "A"}},
        "sections": [{"type": "quote", "value": {"text": "Be brief."}}],
    })
    assert entry.status_code == 201, entry.json
    assert (entry.json["data"]["slug"], entry.json["data"]["contact"]) == ("hello-world", "ann@example.com")


def test_a_definition_read_back_and_put_unchanged_changes_nothing(api, make_type, db):
    make_type("author", [{"name": "name", "type": "string"}])
    created = make_type("article", EVERY_FIELD, description="All of it")
    before = stored_types(db)

    response = api.put("/api/content-types/article", json=api.get("/api/content-types/article").json["data"])

    assert response.status_code == 200, response.json
    assert response.json["meta"] == {"changes": [], "invalid_entries": [], "invalid_count": 0, "dry_run": False}
    assert response.json["data"] == created
    assert stored_types(db) == before


# -- refused definitions ----------------------------------------------------------------------------

def _one(field):
    return {"name": "thing", "fields": [field]}


def _f(name, kind, **rules):
    return {"name": name, "type": kind, **rules}


def _s(name="title", **rules):
    return _f(name, "string", **rules)


BAD_DEFINITIONS = {
    "uppercase type name": ({"name": "Article"}, "name"),
    "type name with a leading digit": ({"name": "1article"}, "name"),
    "type name too long": ({"name": "a" * 65}, "name"),
    "type name with a space": ({"name": "my article"}, "name"),
    "type name with a trailing newline": ({"name": "article\n"}, "name"),
    "empty type name": ({"name": ""}, "name"),
    "no type name": ({"fields": []}, "name"),
    "reserved type name": ({"name": "users"}, "name"),
    "type name that is not a string": ({"name": 7}, "name"),
    "unknown kind": ({"name": "thing", "kind": "list"}, "kind"),
    "unknown top-level key": ({"name": "thing", "title": "x"}, "title"),
    "unknown option": ({"name": "thing", "options": {"cache": True}}, "options/cache"),
    "options not an object": ({"name": "thing", "options": ["public"]}, "options/_schema"),
    "option that is not a boolean": ({"name": "thing", "options": {"public": "yes"}}, "options/public"),
    "label with a NUL": ({"name": "thing", "label": "A\x00B"}, "label"),
    "label with a control character": ({"name": "thing", "label": "A\x07B"}, "label"),
    "label too long": ({"name": "thing", "label": "x" * 201}, "label"),
    "fields not a list": ({"name": "thing", "fields": {"title": {"type": "string"}}}, "fields"),
    "field not an object": ({"name": "thing", "fields": ["title"]}, "fields/0/_schema"),
    "too many fields": ({"name": "thing", "fields": [_s(f"f{i}") for i in range(201)]}, "fields"),
    "field label with a NUL": (_one(_s(label="x\x00")), "fields.0.label"),
    "uppercase field name": (_one(_s("Title")), "fields/0/name"),
    "field name with a leading digit": (_one(_s("1title")), "fields/0/name"),
    "field name with a trailing newline": (_one(_s("title\n")), "fields/0/name"),
    "reserved field name id": (_one(_s("id")), "fields/0/name"),
    "reserved field name status": (_one(_s("status")), "fields/0/name"),
    "field without a type": (_one({"name": "title"}), "fields/0/type"),
    "unknown field type": (_one(_f("title", "hologram")), "fields/0/type"),
    "unknown field key": (_one(_s(requried=True)), "fields/0/requried"),
    "rule that is not a boolean": (_one(_s(required="yes")), "fields/0/required"),
    "bad field id": (_one(_s(id="F-1")), "fields/0/id"),
    "duplicate field names": ({"name": "thing", "fields": [_s(), _s()]}, "fields/1/name"),
    "duplicate field ids": ({"name": "thing", "fields": [_s(id="a1"), _s("other", id="a1")]}, "fields/1/id"),
    "duplicate names inside a component": (_one(_f("seo", "component", fields=[_s(), _s()])), "fields/0/fields/1/name"),
    "max_length on an integer": (_one(_f("n", "integer", max_length=3)), "fields/0/max_length"),
    "pattern on a boolean": (_one(_f("b", "boolean", pattern="x")), "fields/0/pattern"),
    "values on a string": (_one(_s(values=["a"])), "fields/0/values"),
    "min greater than max": (_one(_f("n", "integer", min=5, max=1)), "fields/0/min"),
    "min_length greater than max_length": (_one(_s(min_length=9, max_length=2)), "fields/0/min_length"),
    "date min after max": (_one(_f("d", "date", min="2024-02-01", max="2024-01-01")), "fields/0/min"),
    "bad date bound": (_one(_f("d", "date", min="yesterday")), "fields/0/min"),
    "decimal bound that is a string": (_one(_f("p", "decimal", min="1")), "fields/0/min"),
    "component min greater than max": (_one(_f("c", "component", repeatable=True, min=3, max=1, fields=[_s()])),
        "fields/0/min"),
    "component count without repeatable": (_one(_f("c", "component", min=1, fields=[_s()])), "fields/0/repeatable"),
    "component without fields": (_one(_f("c", "component", fields=[])), "fields/0/fields"),
    "bad block name": (_one({"name": "b", "type": "blocks", "blocks": {"Quote": [_s()]}}), "fields/0/blocks/Quote/key"),
    "bad field inside a block": (_one({"name": "b", "type": "blocks", "blocks": {"quote": [_s("X")]}}),
                                 "fields/0/blocks/quote/0/name"),
    "bad regular expression": (_one(_s(pattern="(")), "fields/0/pattern"),
    "regular expression with a huge repeat": (_one(_s(pattern="a{4294967296}")), "fields/0/pattern"),
    "regular expression nested too deeply": (_one(_s(pattern="(" * 400 + ")" * 400)), "fields/0/pattern"),
    "enum without values": (_one(_f("e", "enum")), "fields/0/values"),
    "enum with no values": (_one(_f("e", "enum", values=[])), "fields/0/values"),
    "enum with duplicate values": (_one(_f("e", "enum", values=["a", "a"])), "fields/0/values"),
    "relation to a missing type": (_one(_f("r", "relation", target="ghost")), "fields/0/target"),
    "relation without a target": (_one(_f("r", "relation")), "fields/0/target"),
    "unknown on_delete": (_one(_f("r", "relation", target="thing", on_delete="cascade")), "fields/0/on_delete"),
    "count on a single relation": (_one(_f("r", "relation", target="thing", max=2)), "fields/0/many"),
    "slug source that does not exist": (_one(_f("s", "slug", source="title")), "fields/0/source"),
    "slug source that is not text": ({"name": "thing", "fields": [_f("n", "integer"), _f("s", "slug", source="n")]},
        "fields/1/source"),
    "slug inside a component": (_one({"name": "c", "type": "component", "fields": [_f("s", "slug")]}),
                                "fields/0/fields/0/type"),
    "unique component": (_one(_f("c", "component", unique=True, fields=[_s()])), "fields/0/unique"),
    "indexed component": (_one(_f("c", "component", indexed=True, fields=[_s()])), "fields/0/indexed"),
    "unique inside a component": (_one(_f("c", "component", fields=[_s(unique=True)])), "fields/0/fields/0/unique"),
    "indexed json": (_one(_f("j", "json", indexed=True)), "fields/0/indexed"),
    "default below min": (_one(_f("n", "integer", min=0, default=-1)), "fields/0/default"),
    "default of the wrong kind": (_one(_f("n", "integer", default="5")), "fields/0/default"),
    "default too long": (_one(_s(max_length=3, default="toolong")), "fields/0/default"),
    "default not matching the pattern": (_one(_s(pattern="^a", default="b")), "fields/0/default"),
    "default outside the enum": (_one(_f("e", "enum", values=["a"], default="b")), "fields/0/default"),
    "default that is not an email": (_one(_f("e", "email", default="nope")), "fields/0/default"),
    "default that is not a date": (_one(_f("d", "date", default="2024-13-01")), "fields/0/default"),
    "default inside a component": (_one(_f("c", "component", fields=[_f("n", "integer", max=1, default=2)])),
                                   "fields/0/fields/0/default"),
}


@pytest.mark.parametrize(("payload", "path"), BAD_DEFINITIONS.values(), ids=BAD_DEFINITIONS.keys())
def test_a_bad_definition_is_refused_with_the_field_named(api, db, payload, path):
    response = api.post("/api/content-types", json=payload)

    details = error_details(response, 422, "validation_failed")
    node = details["fields"]
    for key in path.split("/"):
        assert key in node, details
        node = node[key]
    assert isinstance(node, list) and all(isinstance(message, str) for message in node), details
    assert table_count(ContentType) == 0


ON_PUT = ["fields not a list", "reserved field name status", "min greater than max", "relation to a missing type",
          "default below min", "unique inside a component", "regular expression with a huge repeat"]


@pytest.mark.parametrize("case", ON_PUT)
def test_a_bad_definition_does_not_change_an_existing_type(api, make_type, make_entry, db, case):
    make_type("thing", [_s()])
    make_entry("thing", title="kept")
    before = (stored_types(db), stored_entries(db))
    payload, path = BAD_DEFINITIONS[case]

    response = api.put("/api/content-types/thing", json=payload)

    assert path.split("/")[0] in error_details(response, 422, "validation_failed")["fields"]
    assert (stored_types(db), stored_entries(db)) == before
