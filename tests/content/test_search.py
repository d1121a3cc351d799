"""Full-text search (``q``) on lists: ranking, freshness, type changes, imports and hostile input."""

import json

import pytest
import sqlalchemy as sa

from cms.content.models import ContentType
from cms.content.query.params import ListQuery
from cms.content.services.bulk import import_entries
from cms.content.services.listing import list_entries
from cms.core.errors import BadRequest
from tests.helpers import error_of

ARTICLE = [
    {"name": "title", "type": "string", "max_length": 200},
    {"name": "body", "type": "richtext"},
    {"name": "summary", "type": "text"},
    {"name": "views", "type": "integer"},
    {"name": "notes", "type": "text", "private": True},
]
FILLER = ["Gardening in spring", "Baking bread at home", "Trains of Europe", "A history of maps", "Night skies"]


@pytest.fixture
def article(make_type, make_entry):
    make_type("article", ARTICLE)
    for title in FILLER:  # unrelated entries make the rare words count in the ranking
        make_entry("article", publish=True, title=title, body="Nothing to see here.")


def search(api, q, token=None, **params):
    """Return the list response of ``q`` (anonymous unless a token is given)."""
    return api.get("/api/content/article", query_string={"q": q, **params}, token=token)


def titles(response):
    assert response.status_code == 200, response.json
    return [entry["title"] for entry in response.json["data"]]


def test_a_title_match_ranks_above_a_double_body_match_which_ranks_above_a_single_one(api, article, make_entry):
    make_entry("article", publish=True, title="Once", body="A zebra crossed once.")
    make_entry("article", publish=True, title="Twice", body="The zebra met another zebra.")
    make_entry("article", publish=True, title="Zebra stripes", body="Black and white.")

    assert titles(search(api, "zebra")) == ["Zebra stripes", "Twice", "Once"]


def test_all_words_must_match_in_any_searchable_field(api, article, make_entry):
    make_entry("article", publish=True, title="Harbour lights", summary="Boats at dusk")
    make_entry("article", publish=True, title="Harbour walls", summary="Stones")

    assert titles(search(api, "harbour boats")) == ["Harbour lights"]
    assert titles(search(api, "HARBOUR")) and len(titles(search(api, "harbour"))) == 2


def test_a_saved_draft_is_searchable_with_status_draft_but_never_publicly(api, article, make_entry):
    make_entry("article", title="Secret falcon")

    assert titles(search(api, "falcon", token="default", status="draft")) == ["Secret falcon"]
    assert titles(search(api, "falcon")) == []
    assert titles(search(api, "falcon", token="default")) == []


def test_a_published_entry_is_found_by_its_snapshot_while_its_draft_changes(api, article, make_entry):
    entry = make_entry("article", publish=True, title="Falcon")

    response = api.patch(f"/api/content/article/{entry['id']}", json={"title": "Heron"})

    assert response.status_code == 200, response.json
    assert titles(search(api, "falcon")) == ["Falcon"]
    assert titles(search(api, "heron")) == []
    assert titles(search(api, "heron", token="default", status="draft")) == ["Heron"]
    assert titles(search(api, "falcon", token="default", status="draft")) == []
    assert api.post(f"/api/content/article/{entry['id']}/publish").status_code == 200
    assert titles(search(api, "heron")) == ["Heron"]
    assert titles(search(api, "falcon")) == []


def test_unpublishing_and_deleting_remove_entries_from_results(api, article, make_entry):
    gone = make_entry("article", publish=True, title="Osprey one")
    hidden = make_entry("article", publish=True, title="Osprey two")

    assert api.post(f"/api/content/article/{hidden['id']}/unpublish").status_code == 200
    assert api.delete(f"/api/content/article/{gone['id']}").status_code == 204

    assert titles(search(api, "osprey")) == []
    assert titles(search(api, "osprey", token="default", status="draft")) == ["Osprey two"]


def test_an_added_text_field_becomes_searchable_and_a_removed_one_stops_matching(api, article, make_entry):
    make_entry("article", publish=True, title="Kestrel", summary="Hovering bird")
    fields = [field for field in ARTICLE if field["name"] != "summary"]

    removed = api.put("/api/content-types/article", json={"name": "article", "fields": fields})
    assert removed.status_code == 200, removed.json
    assert titles(search(api, "hovering")) == []
    assert titles(search(api, "kestrel")) == ["Kestrel"]

    added = api.put("/api/content-types/article", json={
        "name": "article", "fields": [*fields, {"name": "caption", "type": "string", "default": "Wings"}]})
    assert added.status_code == 200, added.json
    assert sorted(titles(search(api, "wings"))) == sorted(["Kestrel", *FILLER])  # backfilled defaults
    entry = make_entry("article", publish=True, title="Eagle", caption="Talons")
    assert [e["id"] for e in search(api, "talons").json["data"]] == [entry["id"]]


def test_imported_entries_are_searchable_at_once(api, article, admin, db):
    lines = [
        json.dumps({"id": "imported-live", "type": "article", "data": {"title": "Imported pelican"},
                    "published": {"title": "Imported pelican"}}),
        json.dumps({"id": "imported-draft", "type": "article", "data": {"title": "Draft pelican"}}),
    ]
    import_entries(lines, admin)
    db.session.commit()

    assert titles(search(api, "pelican")) == ["Imported pelican"]
    assert sorted(titles(search(api, "pelican", token="default", status="draft"))) == [
        "Draft pelican", "Imported pelican"]


@pytest.mark.parametrize("q", [
    '"', '"unbalanced', 'quote"d', "star*", "*", "title:gull", "body : gull", "(gull", "gull)", "NEAR(gull tern)",
    "NEAR", "AND", "gull OR", "NOT gull", "gull AND NOT", "^gull", "-gull", "+gull", "{title}", "'", "\\", "%_",
    "gull & | ! <->", "::", "ÿ", "\t gull \n",
])
def test_search_syntax_characters_never_cause_an_error(api, article, make_entry, q):
    make_entry("article", publish=True, title="Gull")

    response = search(api, q)

    assert response.status_code == 200, response.json
    assert all(entry["title"] == "Gull" for entry in response.json["data"])


def test_syntax_characters_around_a_word_still_find_it(api, article, make_entry):
    make_entry("article", publish=True, title='Say "tern" twice')

    assert titles(search(api, '"tern"')) == ['Say "tern" twice']
    assert titles(search(api, "tern*")) == ['Say "tern" twice']
    assert titles(search(api, "(tern)")) == ['Say "tern" twice']


def test_operators_are_plain_words_on_every_engine(api, article, make_entry):
    make_entry("article", publish=True, title="Gull")
    make_entry("article", publish=True, title="Tern")

    assert titles(search(api, "gull OR tern")) == []
    assert titles(search(api, "-gull")) == ["Gull"]
    assert titles(search(api, '"gull tern"')) == []


@pytest.mark.parametrize("q", ["", "   ", "x" * 201, "gull\x00", "\x00"])
def test_blank_overlong_and_nul_searches_are_refused(api, article, q):
    error = error_of(search(api, q), 400)

    assert "q" in error["details"]["parameters"]


def test_a_10_kb_search_is_refused(api, article):
    error_of(search(api, "word " * 2048), 400)


def test_a_search_of_exactly_200_characters_is_accepted(api, article, make_entry):
    make_entry("article", publish=True, title="a" * 200)

    assert titles(search(api, "a" * 200)) == ["a" * 200]


def test_unicode_words_are_found_regardless_of_case(api, article, make_entry):
    make_entry("article", publish=True, title="Grüße aus KÖLN", body="東京 und Αθήνα")

    assert titles(search(api, "köln")) == ["Grüße aus KÖLN"]
    assert titles(search(api, "grüße")) == ["Grüße aus KÖLN"]
    assert titles(search(api, "東京 αθήνα")) == ["Grüße aus KÖLN"]
    assert titles(search(api, "koln")) == []  # accents are kept, not folded


def test_private_fields_are_not_searchable_even_by_admins(api, article, make_entry):
    make_entry("article", publish=True, title="Plain", notes="confidential albatross")

    assert titles(search(api, "albatross")) == []
    assert titles(search(api, "albatross", token="default", status="draft")) == []


def test_enum_slug_and_email_fields_are_searchable_but_numbers_are_not(api, make_type, make_entry):
    make_type("contact", [
        {"name": "name", "type": "string"}, {"name": "slug", "type": "slug", "source": "name"},
        {"name": "kind", "type": "enum", "values": ["supplier", "customer"]},
        {"name": "email", "type": "email"}, {"name": "age", "type": "integer"},
    ])
    make_entry("contact", publish=True, name="Ada Lovelace", kind="supplier", email="ada@example.org", age=36)

    def found(q):
        response = api.get("/api/content/contact", query_string={"q": q})
        assert response.status_code == 200, response.json
        return len(response.json["data"])

    assert (found("ada-lovelace"), found("supplier"), found("ada@example.org"), found("36")) == (1, 1, 1, 0)


def test_a_type_without_text_fields_finds_nothing(api, make_type, make_entry):
    make_type("score", [{"name": "points", "type": "integer"}])
    make_entry("score", publish=True, points=3)

    response = api.get("/api/content/score", query_string={"q": "3"})

    assert response.status_code == 200
    assert response.json["data"] == [] and response.json["meta"]["total"] == 0


def test_an_explicit_sort_wins_and_q_only_filters(api, article, make_entry):
    make_entry("article", publish=True, title="Wren b", body="wren wren wren")
    make_entry("article", publish=True, title="Wren a", body="none")
    make_entry("article", publish=True, title="Robin", body="none")

    assert titles(search(api, "wren", sort="title")) == ["Wren a", "Wren b"]
    assert titles(search(api, "wren", sort="-title")) == ["Wren b", "Wren a"]


def test_ranked_results_page_with_page_and_refuse_a_cursor(api, article, make_entry):
    for number in range(3):
        make_entry("article", publish=True, title=f"Swift {number}", body="swift " * number)

    first = search(api, "swift", per_page=2)
    second = search(api, "swift", per_page=2, page=2)
    sorted_page = search(api, "swift", per_page=2, sort="title")
    refused = search(api, "swift", cursor=sorted_page.json["meta"]["next_cursor"])

    assert titles(first) + titles(second) == ["Swift 2", "Swift 1", "Swift 0"]
    assert first.json["meta"]["next_cursor"] is None and first.json["meta"]["total"] == 3
    assert "cursor" in error_of(refused, 400)["details"]["parameters"]
    after = search(api, "swift", sort="title", cursor=sorted_page.json["meta"]["next_cursor"])
    assert titles(sorted_page) + titles(after) == ["Swift 0", "Swift 1", "Swift 2"]


def test_q_combines_with_filters_fields_populate_and_count(api, article, make_entry, make_type):
    make_type("review", [{"name": "title", "type": "string"}, {"name": "article", "type": "relation",
                                                             "target": "article", "many": False}])
    target = make_entry("article", publish=True, title="Puffin", views=9)
    make_entry("article", publish=True, title="Puffin too", views=1)
    make_entry("review", publish=True, title="Puffin review", article=target["id"])

    response = api.get("/api/content/article", token=None, query_string={
        "q": "puffin", "filter[views][gt]": "5", "fields": "title", "count": "false"})
    reviews = api.get("/api/content/review", token=None, query_string={"q": "review", "populate": "article"})

    assert response.status_code == 200, response.json
    assert [entry["title"] for entry in response.json["data"]] == ["Puffin"]
    assert "views" not in response.json["data"][0] and response.json["meta"]["total"] is None
    assert reviews.status_code == 200, reviews.json
    assert reviews.json["data"][0]["article"]["title"] == "Puffin"


def test_search_runs_as_many_queries_for_50_results_as_for_1(api, article, make_entry, count_queries):
    def queries():
        counts = []
        for params, token in (({"status": "draft"}, "default"), ({}, None)):
            with count_queries() as statements:
                response = search(api, "plover", token=token, per_page=50, **params)
                assert response.status_code == 200
            counts.append((len(statements), len(response.json["data"])))
        return counts

    make_entry("article", publish=True, title="Plover 0")
    one = queries()
    for number in range(49):
        make_entry("article", publish=True, title=f"Plover {number + 1}")

    fifty = queries()

    assert [count for count, _found in one] == [count for count, _found in fifty]
    assert [found for _count, found in one] == [1, 1] and [found for _count, found in fifty] == [50, 50]


def test_the_python_api_refuses_a_blank_q(article, admin):
    with pytest.raises(BadRequest):
        list_entries("article", admin, ListQuery(q=" "))


def test_a_type_has_search_structures_from_creation_until_deletion(api, make_type, db):
    make_type("memo", [{"name": "text", "type": "text"}])
    type_id = db.session.scalar(sa.select(ContentType.id).where(ContentType.name == "memo"))

    def structures():
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            query = "SELECT indexname FROM pg_indexes WHERE indexname LIKE :pattern ORDER BY 1"
            return connection.execute(sa.text(query), {"pattern": f"ix_s_{type_id}_%"}).scalars().all()
        query = "SELECT name FROM sqlite_master WHERE name = :table OR name LIKE :triggers ORDER BY 1"
        return connection.execute(sa.text(query), {"table": f"fts_{type_id}",
                                                   "triggers": f"trg_fts_{type_id}_%"}).scalars().all()

    created = structures()
    assert api.delete("/api/content-types/memo").status_code == 204

    assert len(created) in {2, 4} and structures() == []
