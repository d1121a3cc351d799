"""Changing a content type that already has entries: data moves, reports, refusals."""

import re

import pytest
import sqlalchemy as sa

from cms.content.models import ContentType, Entry, EntryRelation, EntryUnique, Revision
from tests.conftest import table_count
from tests.helpers import error_details


def snapshot(db):
    """Return the stored state a refused change must leave alone."""
    types = db.session.execute(sa.select(ContentType.name, ContentType.version, ContentType.fields,
                                         ContentType.kind, ContentType.updated_at).order_by(ContentType.name))
    entries = db.session.execute(sa.select(Entry.id, Entry.version, Entry.status, Entry.data,
                                           Entry.published_data).order_by(Entry.id))
    return [tuple(r) for r in types], [tuple(r) for r in entries], table_count(EntryUnique), table_count(Revision)


def stored(db, entry_id):
    """Return ``(data, published_data)`` of an entry as stored (keyed by field id)."""
    return tuple(db.session.execute(sa.select(Entry.data, Entry.published_data).where(Entry.id == entry_id)).one())


def field(definition, name):
    return next(f for f in definition["fields"] if f["name"] == name)


@pytest.fixture
def post(make_type):
    return make_type("post", [{"name": "title", "type": "string", "max_length": 100},
                              {"name": "summary", "type": "text"}])


def put_fields(api, fields, query=""):
    return api.put(f"/api/content-types/post{query}", json={"name": "post", "fields": fields})


def read(api, entry_id, public=False):
    if public:
        return api.get(f"/api/content/post/{entry_id}", token=None)
    return api.get(f"/api/content/post/{entry_id}?status=draft")


def test_an_added_field_with_a_default_is_delivered_for_existing_entries(api, post, make_entry, db):
    draft = make_entry("post", title="draft")
    live = make_entry("post", publish=True, title="live")

    response = put_fields(api, post["fields"] + [
        {"name": "views", "type": "integer", "default": 0},
        {"name": "stage", "type": "enum", "values": ["news", "blog"], "default": "news"}])

    assert response.status_code == 200, response.json
    views = field(response.json["data"], "views")
    assert {"op": "add_field", "field": "views", "id": views["id"], "field_type": "integer"} in response.json["meta"]["changes"]
    for entry in (draft, live):
        assert (read(api, entry["id"]).json["data"]["views"], read(api, entry["id"]).json["data"]["stage"]) == (0, "news")
    public = read(api, live["id"], public=True)
    assert public.status_code == 200 and (public.json["data"]["views"], public.json["data"]["stage"]) == (0, "news")
    data, published = stored(db, live["id"])
    assert data[views["id"]] == published[views["id"]] == 0


def test_renaming_a_field_keeps_its_id_and_moves_its_values(api, post, make_entry, db):
    entry = make_entry("post", publish=True, title="Hello")
    api.patch(f"/api/content/post/{entry['id']}", json={"title": "Hello again"})
    title = field(post, "title")
    before = stored(db, entry["id"])

    response = put_fields(api, [{**title, "name": "headline", "label": "Title"}, field(post, "summary")])

    assert response.status_code == 200, response.json
    assert response.json["meta"]["changes"] == [
        {"op": "rename_field", "id": title["id"], "from": "title", "to": "headline"}]
    assert field(response.json["data"], "headline")["id"] == title["id"]
    draft, public = read(api, entry["id"]).json["data"], read(api, entry["id"], public=True).json["data"]
    assert (draft["headline"], public["headline"]) == ("Hello again", "Hello")
    assert "title" not in draft and "title" not in public
    assert stored(db, entry["id"]) == before


def test_a_removed_field_is_hidden_but_its_values_are_kept_and_come_back(api, post, make_entry, db):
    entry = make_entry("post", publish=True, title="t", summary="kept")
    summary = field(post, "summary")

    response = put_fields(api, [field(post, "title")])

    assert response.status_code == 200
    assert response.json["meta"]["changes"] == [{"op": "remove_field", "field": "summary", "id": summary["id"]}]
    assert "summary" not in read(api, entry["id"]).json["data"]
    assert "summary" not in read(api, entry["id"], public=True).json["data"]
    revision = api.get(f"/api/content/post/{entry['id']}/revisions/1")
    assert revision.status_code == 200 and "summary" not in revision.json["data"]["data"]
    stored_revision = db.session.scalar(sa.select(Revision.data).where(Revision.entry_id == entry["id"],
                                                                       Revision.number == 1))
    assert stored_revision[summary["id"]] == "kept"
    assert stored(db, entry["id"])[0][summary["id"]] == "kept"

    assert put_fields(api, post["fields"]).status_code == 200
    assert read(api, entry["id"]).json["data"]["summary"] == "kept"
    assert read(api, entry["id"], public=True).json["data"]["summary"] == "kept"


def test_a_tightened_rule_reports_exactly_the_entries_it_invalidates(api, post, make_entry, db):
    short = make_entry("post", title="short")
    long_draft = make_entry("post", title="a rather long title")
    long_live = make_entry("post", publish=True, title="another long title")
    before = stored(db, long_draft["id"]), stored(db, long_live["id"]), stored(db, short["id"])

    response = put_fields(api, [{**field(post, "title"), "max_length": 10}, field(post, "summary")])

    assert response.status_code == 200, response.json
    meta = response.json["meta"]
    assert meta["invalid_count"] == 2
    assert sorted((e["id"], e["status"]) for e in meta["invalid_entries"]) == sorted(
        [(long_draft["id"], "draft"), (long_live["id"], "published")])
    assert all(list(e["errors"]) == ["title"] for e in meta["invalid_entries"])
    assert (stored(db, long_draft["id"]), stored(db, long_live["id"]), stored(db, short["id"])) == before
    assert read(api, long_live["id"], public=True).json["data"]["title"] == "another long title"


def test_a_field_made_required_reports_entries_that_must_have_it(api, post, make_entry):
    missing = make_entry("post", publish=True, title="no summary")
    make_entry("post", publish=True, title="has one", summary="s")
    make_entry("post", title="a draft need not have it yet")

    response = put_fields(api, [field(post, "title"), {**field(post, "summary"), "required": True}])

    assert response.status_code == 200, response.json
    meta = response.json["meta"]
    assert (meta["invalid_count"], [e["id"] for e in meta["invalid_entries"]]) == (1, [missing["id"]])
    assert list(meta["invalid_entries"][0]["errors"]) == ["summary"]


def test_a_dry_run_reports_but_changes_nothing(api, post, make_entry, db):
    entry = make_entry("post", title="a rather long title")
    before = snapshot(db)

    response = put_fields(api, [{**field(post, "title"), "max_length": 5},
                                {"name": "ghost", "type": "string", "default": "boo"}], "?dry_run=true")

    assert response.status_code == 200, response.json
    assert response.json["meta"]["dry_run"] is True
    assert [e["id"] for e in response.json["meta"]["invalid_entries"]] == [entry["id"]]
    assert {c["op"] for c in response.json["meta"]["changes"]} == {"change_field", "add_field", "remove_field"}
    assert snapshot(db) == before
    assert api.get("/api/content-types/post").json["data"]["version"] == 1


def test_the_change_after_a_dry_run_uses_its_own_schema(api, post, make_entry):
    make_entry("post", title="t")
    put_fields(api, post["fields"] + [{"name": "ghost", "type": "string", "required": True}], "?dry_run=true")

    response = put_fields(api, post["fields"] + [{"name": "real", "type": "integer"}])

    assert response.status_code == 200 and response.json["data"]["version"] == 2
    created = api.post("/api/content/post", json={"title": "x", "real": 3})
    assert created.status_code == 201, created.json
    assert created.json["data"]["real"] == 3 and "ghost" not in created.json["data"]
    details = error_details(api.post("/api/content/post", json={"ghost": "boo"}), 422, "validation_failed")
    assert "ghost" in details["fields"]


@pytest.mark.parametrize(("name", "new_type"), [("title", "integer"), ("title", "relation"), ("summary", "json"),
                                                ("summary", "component")])
def test_a_field_cannot_change_type_across_families(api, post, make_entry, db, name, new_type):
    make_entry("post", title="t", summary="s")
    before = snapshot(db)
    changed = {"id": field(post, name)["id"], "name": name, "type": new_type}
    changed.update({"relation": {"target": "post"}, "component": {"fields": [{"name": "a", "type": "string"}]}}
                   .get(new_type, {}))
    others = [f for f in post["fields"] if f["name"] != name]

    details = error_details(put_fields(api, others + [changed]), 422, "validation_failed")

    assert list(details["fields"]["fields"]) == [name]
    assert snapshot(db) == before


def test_a_field_may_change_type_within_its_family(api, post, make_entry):
    entry = make_entry("post", title="t", summary="s")

    response = put_fields(api, [field(post, "title"), {**field(post, "summary"), "type": "string"}])

    assert response.status_code == 200 and response.json["meta"]["invalid_count"] == 0
    assert read(api, entry["id"]).json["data"]["summary"] == "s"


def test_a_relation_cannot_change_its_target(api, make_type, make_entry, db):
    make_type("author", [{"name": "name", "type": "string"}])
    make_type("editor", [{"name": "name", "type": "string"}])
    post = make_type("post", [{"name": "by", "type": "relation", "target": "author"}])
    before = snapshot(db)

    response = put_fields(api, [{**post["fields"][0], "target": "editor"}])

    assert "by" in error_details(response, 422, "validation_failed")["fields"]["fields"]
    assert snapshot(db) == before


def test_a_field_cannot_become_unique_while_entries_share_a_value(api, post, make_entry, db):
    first = make_entry("post", title="same")
    second = make_entry("post", title="same")
    make_entry("post", title="other")
    before = snapshot(db)

    response = put_fields(api, [{**field(post, "title"), "unique": True}, field(post, "summary")])

    details = error_details(response, 409, "conflict")
    assert details["fields"] == {"title": ["Already used by another entry."]}
    assert sorted(details["conflicting_entries"]) == sorted([first["id"], second["id"]])
    assert snapshot(db) == before


def test_a_field_made_unique_claims_the_existing_values(api, post, make_entry):
    make_entry("post", title="taken")

    assert put_fields(api, [{**field(post, "title"), "unique": True}, field(post, "summary")]).status_code == 200

    details = error_details(api.post("/api/content/post", json={"title": "taken"}), 409, "conflict")
    assert details["fields"] == {"title": ["Already used by another entry."]}


def test_a_collection_with_several_entries_cannot_become_a_singleton(api, post, make_entry, db):
    make_entry("post", title="a")
    make_entry("post", title="b")
    before = snapshot(db)

    response = api.patch("/api/content-types/post", json={"kind": "singleton"})

    error_details(response, 409, "conflict")
    assert snapshot(db) == before


def test_a_collection_with_one_entry_can_become_a_singleton(api, post, make_entry):
    entry = make_entry("post", title="only")

    response = api.patch("/api/content-types/post", json={"kind": "singleton"})

    assert response.status_code == 200 and response.json["data"]["kind"] == "singleton"
    singleton = api.get("/api/content/post?status=draft")
    assert singleton.status_code == 200 and singleton.json["data"]["id"] == entry["id"]


def test_an_unchanged_definition_does_not_bump_the_version(api, post, make_entry, db):
    make_entry("post", publish=True, title="t")
    before = snapshot(db)

    put = api.put("/api/content-types/post", json=api.get("/api/content-types/post").json["data"])
    patch = api.patch("/api/content-types/post", json={})

    for response in (put, patch):
        assert response.status_code == 200, response.json
        assert response.json["data"]["version"] == 1 and response.json["meta"]["changes"] == []
    assert snapshot(db) == before


def test_a_change_bumps_the_version_once(api, post):
    response = api.patch("/api/content-types/post", json={"label": "Article"})

    assert response.json["data"]["version"] == 2
    assert response.json["meta"]["changes"] == [
        {"op": "change_type", "type": "post", "changes": {"label": {"from": "Post", "to": "Article"}}}]


def test_a_re_added_relation_field_is_enforced_again(api, make_type, make_entry, db):
    make_type("author", [{"name": "name", "type": "string"}])
    post = make_type("post", [{"name": "by", "type": "relation", "target": "author", "on_delete": "restrict"}])
    ann = make_entry("author", name="Ann")
    entry = make_entry("post", publish=True, by=ann["id"])
    assert put_fields(api, []).status_code == 200
    assert table_count(EntryRelation) == 0

    assert put_fields(api, post["fields"]).status_code == 200

    assert table_count(EntryRelation) == 2  # the draft and the published reference
    details = error_details(api.delete(f"/api/content/author/{ann['id']}"), 409, "conflict")
    assert details["referenced_by"] == [{"id": entry["id"], "type": "post", "field": "by"}]


def test_re_adding_a_relation_field_skips_targets_deleted_meanwhile(api, make_type, make_entry, db):
    make_type("author", [{"name": "name", "type": "string"}])
    post = make_type("post", [{"name": "by", "type": "relation", "target": "author", "many": True}])
    ann, bob = make_entry("author", name="Ann"), make_entry("author", name="Bob")
    entry = make_entry("post", by=[ann["id"], bob["id"]])
    assert put_fields(api, []).status_code == 200
    assert api.delete(f"/api/content/author/{ann['id']}").status_code == 204

    assert put_fields(api, post["fields"]).status_code == 200

    rows = db.session.execute(sa.select(EntryRelation.source_id, EntryRelation.target_id)).all()
    assert [tuple(row) for row in rows] == [(entry["id"], bob["id"])]


def test_fields_sent_without_ids_keep_the_ids_of_fields_with_their_names(api, post, make_entry):
    entry = make_entry("post", publish=True, title="kept", summary="s")
    without_ids = [{key: value for key, value in f.items() if key != "id"} for f in post["fields"]]

    response = put_fields(api, without_ids + [{"name": "extra", "type": "string"}])

    assert response.status_code == 200, response.json
    assert [f["id"] for f in response.json["data"]["fields"][:2]] == [f["id"] for f in post["fields"]]
    assert [c["op"] for c in response.json["meta"]["changes"]] == ["add_field"]
    assert read(api, entry["id"], public=True).json["data"]["title"] == "kept"


def test_a_field_sent_without_an_id_cannot_silently_change_family(api, post, make_entry, db):
    make_entry("post", title="t")
    before = snapshot(db)

    response = put_fields(api, [{"name": "title", "type": "integer"}, field(post, "summary")])

    assert list(error_details(response, 422, "validation_failed")["fields"]["fields"]) == ["title"]
    assert snapshot(db) == before


def _moves(post_fields):
    title, summary = post_fields
    group = {"name": "group", "type": "component", "fields": [{"name": "note", "type": "string"}]}
    return {
        "into a component": [summary, {**group, "fields": group["fields"] + [title]}],
        "into a block": [summary, {"name": "parts", "type": "blocks", "blocks": {"intro": [title]}}],
    }


@pytest.mark.parametrize("move", ["into a component", "into a block"])
def test_a_field_cannot_move_to_another_level(api, post, make_entry, db, move):
    make_entry("post", title="kept", summary="s")
    before = snapshot(db)

    response = put_fields(api, _moves(post["fields"])[move])

    assert list(error_details(response, 422, "validation_failed")["fields"]["fields"]) == ["title"]
    assert snapshot(db) == before


def test_a_field_cannot_move_out_of_a_component_or_between_blocks(api, make_type, make_entry, db):
    created = make_type("post", [
        {"name": "seo", "type": "component", "fields": [{"name": "text", "type": "string"}]},
        {"name": "parts", "type": "blocks", "blocks": {"a": [{"name": "body", "type": "text"}],
                                                       "b": [{"name": "other", "type": "text"}]}}])
    make_entry("post", seo={"text": "x"}, parts=[{"type": "a", "value": {"body": "y"}}])
    seo, parts = created["fields"]
    before = snapshot(db)

    out_of_component = put_fields(api, [seo["fields"][0], {**seo, "fields": [{"name": "n", "type": "string"}]}, parts])
    between_blocks = put_fields(api, [seo, {**parts, "blocks": {"a": [{"name": "fresh", "type": "text"}],
                                                                "b": parts["blocks"]["b"] + parts["blocks"]["a"]}}])

    assert list(error_details(out_of_component, 422, "validation_failed")["fields"]["fields"]) == ["text"]
    assert "body" in error_details(between_blocks, 422, "validation_failed")["fields"]["fields"]
    assert snapshot(db) == before


def test_an_added_slug_is_derived_for_existing_entries(api, post, make_entry):
    first = make_entry("post", title="Hello World")
    second = make_entry("post", title="Hello world")

    response = put_fields(api, post["fields"] + [{"name": "slug", "type": "slug", "source": "title"}])

    assert response.status_code == 200, response.json
    slugs = [read(api, entry["id"]).json["data"]["slug"] for entry in (first, second)]
    assert slugs[0] == "hello-world" and re.fullmatch(r"hello-world-\d", slugs[1])
    error_details(api.post("/api/content/post", json={"title": "x", "slug": "hello-world"}), 409, "conflict")


def test_an_added_slug_reaches_the_published_snapshot_too(api, post, make_entry):
    entry = make_entry("post", publish=True, title="Hello World")

    response = put_fields(api, post["fields"] + [{"name": "slug", "type": "slug", "source": "title"}])

    assert response.status_code == 200, response.json
    public = api.get(f"/api/content/post/{entry['id']}", token=None)
    assert public.json["data"]["slug"] == "hello-world"


def test_an_added_unique_field_whose_default_would_repeat_is_refused(api, post, make_entry, db):
    make_entry("post", title="a")
    make_entry("post", title="b")
    before = snapshot(db)

    response = put_fields(api, post["fields"] + [{"name": "code", "type": "string", "unique": True, "default": "x"}])

    assert error_details(response, 409, "conflict")["fields"] == {"code": ["Already used by another entry."]}
    assert snapshot(db) == before
