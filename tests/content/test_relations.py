"""Relations: targets checked on write, stubs on read, and on_delete restrict or set_null."""

import pytest
import sqlalchemy as sa

from cms.content.models import Entry, EntryRelation
from cms.extensions import db
from tests.conftest import table_count
from tests.helpers import error_of

ARTICLE = [
    {"name": "title", "type": "string"},
    {"name": "author", "type": "relation", "target": "author", "on_delete": "restrict"},
    {"name": "editor", "type": "relation", "target": "author"},
    {"name": "tags", "type": "relation", "target": "tag", "many": True},
    {"name": "related", "type": "relation", "target": "article", "many": True},
    {"name": "review", "type": "component",
     "fields": [{"name": "reviewer", "type": "relation", "target": "author"}]},
    {"name": "sections", "type": "blocks",
     "blocks": {"credit": [{"name": "person", "type": "relation", "target": "author"}]}},
]


@pytest.fixture
def types(make_type):
    make_type("author", [{"name": "name", "type": "string"}])
    make_type("tag", [{"name": "name", "type": "string"}])
    make_type("article", ARTICLE)


@pytest.fixture
def ann(types, make_entry):
    return make_entry("author", publish=True, name="Ann")


def draft(api, type_name, entry_id):
    response = api.get(f"/api/content/{type_name}/{entry_id}?status=draft")
    assert response.status_code == 200, response.json
    return response.json["data"]


def revisions(api, type_name, entry_id):
    return api.get(f"/api/content/{type_name}/{entry_id}/revisions").json["data"]


def targets_of(entry_id):
    return sorted(db.session.scalars(
        sa.select(EntryRelation.target_id).where(EntryRelation.source_id == entry_id)
    ))


def stub(entry, type_name):
    return {"id": entry["id"], "type": type_name}


# -- writes ----------------------------------------------------------------------------------

def test_relations_are_delivered_as_stubs(api, ann, make_entry):
    tags = [make_entry("tag", name=name) for name in ("a", "b")]

    article = make_entry("article", publish=True, author=ann["id"], tags=[t["id"] for t in tags],
                         review={"reviewer": ann["id"]},
                         sections=[{"type": "credit", "value": {"person": ann["id"]}}])

    assert article["author"] == stub(ann, "author")
    assert article["editor"] is None
    assert article["tags"] == [stub(tags[0], "tag"), stub(tags[1], "tag")]
    assert article["review"] == {"reviewer": stub(ann, "author")}
    assert article["sections"][0]["value"] == {"person": stub(ann, "author")}
    public = api.get(f"/api/content/article/{article['id']}", token=None).json["data"]
    assert public["author"] == stub(ann, "author") and public["tags"] == article["tags"]


@pytest.mark.parametrize("values", [
    {"author": "0190aaaa-0000-7000-8000-000000000000"},
    {"tags": ["0190aaaa-0000-7000-8000-000000000000"]},
    {"review": {"reviewer": "0190aaaa-0000-7000-8000-000000000000"}},
])
def test_a_missing_target_is_refused_per_field_and_nothing_is_stored(api, types, values):
    error = error_of(api.post("/api/content/article", json=values), 422, "validation_failed")

    assert list(error["details"]["fields"]) == list(values)
    assert table_count(Entry) == 0


def test_a_missing_target_inside_a_component_or_block_is_reported_at_its_path(api, types):
    missing = "0190aaaa-0000-7000-8000-000000000000"

    response = api.post("/api/content/article", json={
        "review": {"reviewer": missing},
        "sections": [{"type": "credit", "value": {}}, {"type": "credit", "value": {"person": missing}}],
    })

    assert error_of(response, 422, "validation_failed")["details"]["fields"] == {
        "review": {"reviewer": [f"No author with the id {missing}."]},
        "sections": {"1": {"value": {"person": [f"No author with the id {missing}."]}}},
    }
    assert table_count(Entry) == 0


def test_a_target_of_another_type_is_refused(api, ann, make_entry):
    tag = make_entry("tag", name="t")
    article = make_entry("article", title="T")

    wrong_id = api.patch(f"/api/content/article/{article['id']}", json={"author": tag["id"], "tags": [ann["id"]]})
    wrong_stub = api.patch(f"/api/content/article/{article['id']}", json={"editor": {"id": tag["id"], "type": "tag"}})

    error = error_of(wrong_id, 422, "validation_failed")
    assert set(error["details"]["fields"]) == {"author", "tags"}
    assert set(error_of(wrong_stub, 422, "validation_failed")["details"]["fields"]) == {"editor"}
    assert draft(api, "article", article["id"])["version"] == 1
    assert targets_of(article["id"]) == []


def test_a_many_relation_refuses_duplicates(api, types, make_entry):
    tag = make_entry("tag", name="t")

    error = error_of(api.post("/api/content/article", json={"tags": [tag["id"], tag["id"]]}), 422,
                     "validation_failed")

    assert set(error["details"]["fields"]) == {"tags"}
    assert table_count(Entry) == 1


def test_an_entry_may_relate_to_its_own_type_and_to_itself(api, types, make_entry):
    first = make_entry("article", title="First")
    second = make_entry("article", title="Second", related=[first["id"]])

    response = api.patch(f"/api/content/article/{first['id']}", json={"related": [first["id"], second["id"]]})

    assert response.status_code == 200, response.json
    assert response.json["data"]["related"] == [stub(first, "article"), stub(second, "article")]
    assert targets_of(first["id"]) == sorted([first["id"], second["id"]])
    assert api.delete(f"/api/content/article/{first['id']}").status_code == 204
    assert draft(api, "article", second["id"])["related"] == []


# -- on_delete -------------------------------------------------------------------------------

def test_deleting_a_restricted_target_is_409_and_deletes_nothing(api, ann, make_entry):
    articles = [make_entry("article", title=f"T{i}", author=ann["id"]) for i in range(2)]

    error = error_of(api.delete(f"/api/content/author/{ann['id']}"), 409, "conflict")

    referenced = sorted(error["details"]["referenced_by"], key=lambda item: item["id"])
    assert referenced == sorted(({"id": a["id"], "type": "article", "field": "author"} for a in articles),
                                key=lambda item: item["id"])
    assert error["details"]["count"] == 2
    assert draft(api, "author", ann["id"])["name"] == "Ann"
    assert all(draft(api, "article", a["id"])["author"] == stub(ann, "author") for a in articles)
    assert table_count(Entry) == 3


def test_a_published_snapshot_alone_still_restricts_deletion(api, ann, make_entry):
    bob = make_entry("author", name="Bob")
    article = make_entry("article", publish=True, author=ann["id"])
    api.patch(f"/api/content/article/{article['id']}", json={"author": bob["id"]})

    error_of(api.delete(f"/api/content/author/{ann['id']}"), 409, "conflict")
    api.post(f"/api/content/article/{article['id']}/publish")

    assert api.delete(f"/api/content/author/{ann['id']}").status_code == 204


def test_deleting_the_source_first_frees_a_restricted_target(api, ann, make_entry):
    article = make_entry("article", publish=True, author=ann["id"])

    assert api.delete(f"/api/content/article/{article['id']}").status_code == 204
    assert api.delete(f"/api/content/author/{ann['id']}").status_code == 204
    assert table_count(Entry) == 0 and table_count(EntryRelation) == 0


def test_deleting_a_set_null_target_clears_the_working_copy_and_the_snapshot(api, ann, make_entry):
    article = make_entry("article", publish=True, title="T", editor=ann["id"])

    assert api.delete(f"/api/content/author/{ann['id']}").status_code == 204

    working = draft(api, "article", article["id"])
    public = api.get(f"/api/content/article/{article['id']}", token=None).json["data"]
    assert working["editor"] is None and public["editor"] is None
    assert (working["title"], public["title"]) == ("T", "T")
    assert working["version"] == article["version"] + 1
    assert [(r["number"], r["action"]) for r in revisions(api, "article", article["id"])][0] == (
        working["version"], "system")
    assert targets_of(article["id"]) == []


def test_set_null_removes_one_id_from_a_many_relation(api, types, make_entry):
    tags = [make_entry("tag", name=name) for name in ("a", "b", "c")]
    article = make_entry("article", publish=True, tags=[t["id"] for t in tags])

    assert api.delete(f"/api/content/tag/{tags[1]['id']}").status_code == 204

    expected = [stub(tags[0], "tag"), stub(tags[2], "tag")]
    assert draft(api, "article", article["id"])["tags"] == expected
    assert api.get(f"/api/content/article/{article['id']}", token=None).json["data"]["tags"] == expected
    assert targets_of(article["id"]) == sorted([tags[0]["id"], tags[2]["id"]] * 2)  # draft and published rows


def test_relations_inside_components_and_blocks_are_tracked_and_cleared(api, ann, make_entry):
    bob = make_entry("author", name="Bob")
    article = make_entry("article", publish=True, review={"reviewer": ann["id"]},
                         sections=[{"type": "credit", "id": "c1", "value": {"person": ann["id"]}},
                                   {"type": "credit", "id": "c2", "value": {"person": bob["id"]}}])
    assert set(targets_of(article["id"])) == {ann["id"], bob["id"]}

    assert api.delete(f"/api/content/author/{ann['id']}").status_code == 204

    for view in (draft(api, "article", article["id"]),
                 api.get(f"/api/content/article/{article['id']}", token=None).json["data"]):
        assert view["review"] == {"reviewer": None}
        assert [item["value"]["person"] for item in view["sections"]] == [None, stub(bob, "author")]
        assert [item["id"] for item in view["sections"]] == ["c1", "c2"]
    assert set(targets_of(article["id"])) == {bob["id"]}


def test_a_restrict_field_inside_a_component_refuses_deletion(api, make_type, make_entry):
    make_type("person", [{"name": "name", "type": "string"}])
    make_type("book", [{"name": "credits", "type": "component", "repeatable": True, "fields": [
        {"name": "who", "type": "relation", "target": "person", "on_delete": "restrict"}]}])
    person = make_entry("person", name="P")
    book = make_entry("book", credits=[{"who": person["id"]}])

    error = error_of(api.delete(f"/api/content/person/{person['id']}"), 409, "conflict")

    assert error["details"]["referenced_by"] == [{"id": book["id"], "type": "book", "field": "who"}]
    assert draft(api, "book", book["id"])["credits"] == [{"who": stub(person, "person")}]
