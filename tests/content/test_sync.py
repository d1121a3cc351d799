"""The sync feed: GET /api/sync returns the published changes and deletions since a token."""

import json
import sqlite3

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from cms.cli import cli
from cms.content import services
from cms.content.models import ContentChange, Entry
from cms.content.services import sync
from cms.core.policy import SYSTEM
from cms.extensions import db as _db
from tests.conftest import table_count
from tests.helpers import error_details, publish

POST = [
    {"name": "title", "type": "string", "required": True},
    {"name": "body", "type": "text"},
    {"name": "note", "type": "string", "private": True},
    {"name": "author", "type": "relation", "target": "author", "on_delete": "set_null"},
]


@pytest.fixture
def blog(make_type):
    make_type("author", [{"name": "name", "type": "string"}])
    return make_type("post", POST)


def read(api, token="default", **params):
    """GET /api/sync with ``params`` (as the admin unless ``token``); return the body."""
    response = api.get("/api/sync", query_string=params, token=token)
    assert response.status_code == 200, response.json
    assert set(response.json) == {"data", "meta"} and set(response.json["meta"]) == {"next_token", "has_more"}
    return response.json


def latest_token(api, token="default", **params):
    """Return the token at the end of the feed, read page by page."""
    body = read(api, token, **params)
    while body["meta"]["has_more"]:
        body = read(api, token, since=body["meta"]["next_token"], **params)
    return body["meta"]["next_token"]


def ids(body, key="entries"):
    return [item["id"] for item in body["data"][key]]


def view(api, entry, token="default"):
    """Return the published entry as GET /api/content/<type>/<id> delivers it to the same caller."""
    response = api.get(f"/api/content/{entry['type']}/{entry['id']}", token=token)
    assert response.status_code == 200, response.json
    return response.json["data"]


def change_rows():
    return _db.session.execute(
        sa.select(ContentChange.entry_id, ContentChange.action).order_by(ContentChange.seq)).all()


# -- what the feed holds ---------------------------------------------------------------------------

def test_an_initial_sync_returns_every_published_entry_as_the_public_api_delivers_it(api, blog, make_entry):
    ann = make_entry("author", publish=True, name="Ann")
    first = make_entry("post", publish=True, title="First", note="internal", author=ann["id"])
    make_entry("post", title="Only a draft")
    edited = make_entry("post", publish=True, title="Live title")
    assert api.patch(f"/api/content/post/{edited['id']}", json={"title": "Unpublished edit"}).status_code == 200

    body = read(api, token=None)

    assert ids(body) == [ann["id"], first["id"], edited["id"]]
    assert body["data"]["entries"] == [view(api, e, token=None) for e in (ann, first, edited)]
    assert body["data"]["entries"][2]["title"] == "Live title"
    assert "note" not in body["data"]["entries"][1]
    assert body["data"]["deleted"] == []
    assert body["meta"]["has_more"] is False
    assert isinstance(body["meta"]["next_token"], str) and body["meta"]["next_token"]


def test_a_sync_from_the_latest_token_returns_nothing_and_the_same_token(api, blog, make_entry):
    make_entry("post", publish=True, title="First")
    token = latest_token(api)

    body = read(api, since=token)

    assert body == {"data": {"entries": [], "deleted": []}, "meta": {"next_token": token, "has_more": False}}


def test_an_empty_feed_still_answers_a_token_that_can_be_used_later(api, blog, make_entry):
    empty = read(api)
    post = make_entry("post", publish=True, title="Later")

    body = read(api, since=empty["meta"]["next_token"])

    assert empty["data"] == {"entries": [], "deleted": []}
    assert ids(body) == [post["id"]]


def test_a_publish_after_the_token_returns_only_that_entry(api, blog, make_entry):
    make_entry("post", publish=True, title="Old")
    token = latest_token(api)

    new = make_entry("post", publish=True, title="New")

    body = read(api, since=token)
    assert body["data"]["entries"] == [view(api, new)]
    assert body["data"]["deleted"] == []
    assert body["meta"]["next_token"] != token


def test_an_edit_appears_only_once_it_is_republished(api, blog, make_entry):
    post = make_entry("post", publish=True, title="Before")
    token = latest_token(api)

    assert api.patch(f"/api/content/post/{post['id']}", json={"title": "After"}).status_code == 200
    unpublished = read(api, since=token)
    publish(api, post)
    republished = read(api, since=token)

    assert unpublished["data"] == {"entries": [], "deleted": []}
    assert [e["title"] for e in republished["data"]["entries"]] == ["After"]
    assert republished["data"]["entries"][0]["version"] == 4  # create, publish, edit, publish


def test_drafts_never_appear(api, blog, make_entry):
    token = latest_token(api)

    make_entry("post", title="Draft one")
    draft = make_entry("post", title="Draft two")
    assert api.delete(f"/api/content/post/{draft['id']}").status_code == 204

    assert read(api, since=token)["data"] == {"entries": [], "deleted": []}
    assert change_rows() == []


def test_an_unpublished_entry_is_listed_as_deleted(api, blog, make_entry):
    post = make_entry("post", publish=True, title="Gone soon")
    token = latest_token(api)

    assert api.post(f"/api/content/post/{post['id']}/unpublish").status_code == 200

    body = read(api, token=None, since=token)
    assert body["data"] == {"entries": [], "deleted": [{"id": post["id"], "type": "post", "locale": "en"}]}


def test_a_deleted_published_entry_is_listed_as_deleted(api, blog, make_entry):
    post = make_entry("post", publish=True, title="Gone soon")
    token = latest_token(api)

    assert api.delete(f"/api/content/post/{post['id']}").status_code == 204

    body = read(api, token=None, since=token)
    assert body["data"] == {"entries": [], "deleted": [{"id": post["id"], "type": "post", "locale": "en"}]}


def test_a_set_null_cleanup_resends_the_referencing_published_entry(api, blog, make_entry):
    ann = make_entry("author", publish=True, name="Ann")
    post = make_entry("post", publish=True, title="By Ann", author=ann["id"])
    draft = make_entry("post", title="Draft by Ann", author=ann["id"])
    token = latest_token(api)

    assert api.delete(f"/api/content/author/{ann['id']}").status_code == 204

    body = read(api, since=token)
    assert ids(body) == [post["id"]]
    assert body["data"]["entries"][0]["author"] is None
    assert body["data"]["deleted"] == [{"id": ann["id"], "type": "author", "locale": "en"}]
    assert draft["id"] not in {row.entry_id for row in change_rows()}


def test_a_field_rename_resends_every_published_entry_with_the_new_name(api, blog, make_entry):
    posts = [make_entry("post", publish=True, title=f"Post {n}") for n in range(3)]
    make_entry("post", title="Draft")
    make_entry("author", publish=True, name="Not a post")
    token = latest_token(api)
    fields = [{**f, "name": "headline"} if f["name"] == "title" else f for f in blog["fields"]]

    renamed = api.put("/api/content-types/post", json={"name": "post", "fields": fields})

    assert renamed.status_code == 200, renamed.json
    body = read(api, since=token)
    assert sorted(ids(body)) == sorted(p["id"] for p in posts)
    assert all("headline" in e and "title" not in e for e in body["data"]["entries"])


def test_a_type_change_that_delivers_the_same_documents_records_nothing(api, blog, make_entry):
    make_entry("post", publish=True, title="Stays")
    before = change_rows()

    relabelled = api.patch("/api/content-types/post", json={"label": "Blog post"})

    assert relabelled.status_code == 200, relabelled.json
    assert change_rows() == before


def test_a_dry_run_of_a_type_change_records_nothing(api, blog, make_entry):
    make_entry("post", publish=True, title="Stays")
    before = change_rows()
    fields = blog["fields"] + [{"name": "views", "type": "integer", "default": 0}]

    dry = api.put("/api/content-types/post?dry_run=true", json={"name": "post", "fields": fields})

    assert dry.status_code == 200, dry.json
    assert change_rows() == before


def test_a_type_without_drafts_appears_in_the_feed_on_every_save(api, make_type, make_entry):
    make_type("notice", [{"name": "text", "type": "string"}], options={"draft_publish": False})
    notice = make_entry("notice", text="Open")
    token = latest_token(api)

    assert api.patch(f"/api/content/notice/{notice['id']}", json={"text": "Closed"}).status_code == 200

    body = read(api, since=token)
    assert [e["text"] for e in body["data"]["entries"]] == ["Closed"]


def test_force_deleting_a_type_lists_its_published_entries_as_deleted(api, make_type, make_entry):
    make_type("memo", [{"name": "text", "type": "string"}], options={"public": False})
    memos = [make_entry("memo", publish=True, text=f"Memo {n}") for n in range(2)]
    make_entry("memo", text="Draft")
    token, public_token = latest_token(api), latest_token(api, token=None)

    assert api.delete("/api/content-types/memo?force=true").status_code == 204

    deleted = read(api, since=token)["data"]["deleted"]
    assert sorted(deleted, key=lambda d: d["id"]) == [{"id": m["id"], "type": "memo", "locale": "en"} for m in memos]
    assert read(api, token=None, since=public_token)["data"] == {"entries": [], "deleted": []}


# -- collapsing and paging -------------------------------------------------------------------------

def test_several_changes_of_one_entry_collapse_to_its_latest_state(api, blog, make_entry):
    token = latest_token(api)
    kept = make_entry("post", publish=True, title="v1")
    assert api.post(f"/api/content/post/{kept['id']}/unpublish").status_code == 200
    assert api.patch(f"/api/content/post/{kept['id']}", json={"title": "v2"}).status_code == 200
    publish(api, kept)
    gone = make_entry("post", publish=True, title="Short-lived")
    assert api.patch(f"/api/content/post/{gone['id']}", json={"title": "Edited"}).status_code == 200
    publish(api, gone)
    assert api.delete(f"/api/content/post/{gone['id']}").status_code == 204

    body = read(api, since=token)

    assert [(e["id"], e["title"]) for e in body["data"]["entries"]] == [(kept["id"], "v2")]
    assert body["data"]["deleted"] == [{"id": gone["id"], "type": "post", "locale": "en"}]


def test_paging_with_limit_walks_every_change_once(api, blog, make_entry):
    posts = [make_entry("post", publish=True, title=f"Post {n}") for n in range(5)]

    pages, body = [], read(api, limit=2)
    pages.append(body)
    while body["meta"]["has_more"]:
        body = read(api, since=body["meta"]["next_token"], limit=2)
        pages.append(body)

    assert [ids(page) for page in pages] == [[p["id"] for p in posts[i:i + 2]] for i in (0, 2, 4)]
    assert [page["meta"]["has_more"] for page in pages] == [True, True, False]
    assert read(api, since=pages[-1]["meta"]["next_token"])["data"] == {"entries": [], "deleted": []}


def test_an_entry_withdrawn_on_a_later_page_is_left_to_that_page(api, blog, make_entry):
    token = latest_token(api)
    post = make_entry("post", publish=True, title="Soon withdrawn")
    assert api.post(f"/api/content/post/{post['id']}/unpublish").status_code == 200

    first = read(api, since=token, limit=1)
    second = read(api, since=first["meta"]["next_token"], limit=1)

    assert first["data"] == {"entries": [], "deleted": []} and first["meta"]["has_more"] is True
    assert second["data"]["deleted"] == [{"id": post["id"], "type": "post", "locale": "en"}]


def test_the_types_filter_returns_only_changes_of_those_types(api, blog, make_entry):
    ann = make_entry("author", publish=True, name="Ann")
    post = make_entry("post", publish=True, title="Post")

    assert ids(read(api, types="author")) == [ann["id"]]
    assert ids(read(api, types="post,author")) == [ann["id"], post["id"]]
    assert ids(read(api, types=" post ")) == [post["id"]]


# -- who sees what ---------------------------------------------------------------------------------

def test_anonymous_callers_see_nothing_of_non_public_types_and_administrators_see_all(api, make_type, make_entry):
    make_type("page", [{"name": "title", "type": "string"}])
    make_type("memo", [{"name": "text", "type": "string"}], options={"public": False})
    page = make_entry("page", publish=True, title="Home")
    memo = make_entry("memo", publish=True, text="Internal")
    public_token, token = latest_token(api, token=None), latest_token(api)
    gone = make_entry("memo", publish=True, text="Gone")
    assert api.delete(f"/api/content/memo/{gone['id']}").status_code == 204

    assert ids(read(api, token=None)) == [page["id"]]
    assert read(api, token=None, since=public_token)["data"] == {"entries": [], "deleted": []}
    assert ids(read(api)) == [page["id"], memo["id"]]
    assert read(api, since=token)["data"]["deleted"] == [{"id": gone["id"], "type": "memo", "locale": "en"}]


def test_a_type_made_public_sends_its_published_entries_to_anonymous_callers(api, make_type, make_entry):
    make_type("memo", [{"name": "text", "type": "string"}], options={"public": False})
    memo = make_entry("memo", publish=True, text="Now public")
    make_entry("memo", text="Still a draft")
    public_token = latest_token(api, token=None)

    opened = api.patch("/api/content-types/memo", json={"options": {"public": True}})

    assert opened.status_code == 200, opened.json
    body = read(api, token=None, since=public_token)
    assert body["data"]["entries"] == [view(api, memo, token=None)]


def test_anonymous_callers_asking_for_a_non_public_type_are_refused(api, make_type):
    make_type("memo", [{"name": "text", "type": "string"}], options={"public": False})

    response = api.get("/api/sync?types=memo", token=None)

    error_details(response, 401, "not_authenticated")


def test_administrators_get_private_fields_and_a_private_answer(api, blog, make_entry):
    make_entry("post", publish=True, title="Post", note="internal")

    admin = api.get("/api/sync")
    anonymous = api.get("/api/sync", token=None)

    assert admin.json["data"]["entries"][0]["note"] == "internal"
    assert "note" not in anonymous.json["data"]["entries"][0]
    assert admin.headers["Cache-Control"] == "private, no-store"
    assert anonymous.headers["Cache-Control"].startswith("public, max-age=0, s-maxage=")


# -- refusals --------------------------------------------------------------------------------------

def _forged(token):
    """Swap the signed payload of a real token for another position, keeping the signature."""
    _payload, signature = token.rsplit(".", 1)
    return URLSafeSerializer("irrelevant").dumps(10**6).rsplit(".", 1)[0] + "." + signature


BAD_TOKENS = {
    "forged": _forged,
    "truncated": lambda token: token[:-3],
    "signed with another key": lambda _token: URLSafeSerializer("another-secret", salt="folio.sync").dumps(1),
    "signed for another purpose": lambda _token: URLSafeSerializer("test-secret", salt="folio.preview").dumps(1),
    "not a number": lambda _token: URLSafeSerializer("test-secret", salt="folio.sync").dumps("1"),
    "negative": lambda _token: URLSafeSerializer("test-secret", salt="folio.sync").dumps(-1),
    "ahead of the feed": lambda _token: URLSafeSerializer("test-secret", salt="folio.sync").dumps(10**6),
    "garbage": lambda _token: "not-a-token",
    "empty": lambda _token: "",
}


@pytest.mark.parametrize("make_bad", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_a_bad_token_is_refused(api, blog, make_entry, make_bad):
    make_entry("post", publish=True, title="Post")
    bad = make_bad(latest_token(api))

    response = api.get("/api/sync", query_string={"since": bad})

    assert set(error_details(response, 400, "bad_request")["parameters"]) == {"since"}


def test_a_token_that_is_not_a_string_is_refused_by_the_service(app, db):
    for token in (None, 3, b"bytes"):
        with pytest.raises(sync.BadRequest) as refused:
            sync.decode_token(token)
        assert set(refused.value.details["parameters"]) == {"since"}


@pytest.mark.parametrize("query, parameter", [
    ("page=2", "page"),
    ("limit=0", "limit"),
    ("limit=1001", "limit"),
    ("limit=ten", "limit"),
    ("types=nope", "types"),
    ("types=post,nope", "types"),
    ("types=", "types"),
    ("types=post,,author", "types"),
])
def test_bad_parameters_are_refused(api, blog, query, parameter):
    response = api.get(f"/api/sync?{query}")

    assert set(error_details(response, 400, "bad_request")["parameters"]) == {parameter}


def test_a_refused_publish_records_no_change(api, blog, make_entry):
    post = make_entry("post", body="No title yet")

    response = api.post(f"/api/content/post/{post['id']}/publish")

    error_details(response, 422, "validation_failed")
    assert change_rows() == []
    assert read(api)["data"] == {"entries": [], "deleted": []}


def test_a_refused_delete_records_no_change(api, make_type, make_entry):
    make_type("author", [{"name": "name", "type": "string"}])
    make_type("book", [{"name": "author", "type": "relation", "target": "author", "on_delete": "restrict"}])
    ann = make_entry("author", publish=True, name="Ann")
    make_entry("book", publish=True, author=ann["id"])
    before = change_rows()

    response = api.delete(f"/api/content/author/{ann['id']}")

    error_details(response, 409, "conflict")
    assert change_rows() == before
    assert api.get(f"/api/content/author/{ann['id']}", token=None).status_code == 200


# -- cost ------------------------------------------------------------------------------------------

def test_a_page_of_100_changes_costs_as_many_queries_as_a_page_of_1(api, blog, make_entry, count_queries):
    ann = make_entry("author", publish=True, name="Ann")
    start = latest_token(api, token=None)
    for n in range(100):
        make_entry("post", publish=True, title=f"Post {n}", author=ann["id"])
    read(api, token=None, since=start, limit=2)  # the first anonymous read also reads the Public role

    with count_queries() as one:
        small = read(api, token=None, since=start, limit=1)
    with count_queries() as many:
        large = read(api, token=None, since=start, limit=100)

    assert len(small["data"]["entries"]) == 1 and len(large["data"]["entries"]) == 100
    assert large["data"]["entries"][99]["author"] == {"id": ann["id"], "type": "author"}
    assert len(many) == len(one)


# -- import ----------------------------------------------------------------------------------------

def test_entries_imported_with_folio_content_import_show_up_in_the_feed(app, api, blog, make_entry, tmp_path):
    replaced = make_entry("post", publish=True, title="Published, then imported as a draft")
    token = latest_token(api)
    lines = [
        {"id": "imported-live", "type": "post", "data": {"title": "Live"}, "published": {"title": "Live"}},
        {"id": "imported-draft", "type": "post", "data": {"title": "Draft"}},
        {"id": replaced["id"], "type": "post", "data": {"title": "Now a draft"}},
    ]
    path = tmp_path / "entries.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))

    result = app.test_cli_runner().invoke(cli, ["content", "import", str(path), "--batch-size", "2"])

    assert result.exit_code == 0, result.output
    body = read(api, since=token)
    assert body["data"]["entries"] == [view(api, {"id": "imported-live", "type": "post"})]
    assert body["data"]["deleted"] == [{"id": replaced["id"], "type": "post", "locale": "en"}]


# -- ordering between writers ----------------------------------------------------------------------

def _another_writer_may_record(engine):
    """Return whether a second connection could add to the feed now, without waiting."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", (sync.FEED_LOCK,))
            return cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout = 0")
        try:
            cursor.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return False
        finally:
            cursor.execute("PRAGMA busy_timeout = 30000")
        return True
    finally:
        raw.rollback()
        raw.close()


def test_a_writer_of_the_feed_makes_others_wait_until_it_commits(live_app):
    with live_app.app_context():
        services.create_type({"name": "page", "fields": [{"name": "title", "type": "string"}]}, SYSTEM)
        _compiled, page = services.create_entry("page", {"title": "Home"}, SYSTEM)
        _db.session.commit()
        free_before = _another_writer_may_record(_db.engine)

        services.publish_entry("page", page.id, SYSTEM)
        held = _another_writer_may_record(_db.engine)
        _db.session.commit()
        free_after = _another_writer_may_record(_db.engine)

        assert (free_before, held, free_after) == (True, False, True)
        assert table_count(ContentChange) == 1
        assert _db.session.get(Entry, page.id).status == "published"


# -- own entries only ------------------------------------------------------------------------------

def test_a_reader_of_its_own_entries_hears_only_of_their_withdrawal(app, api, blog, make_entry, as_role):
    response = api.post("/api/roles", json={"name": "own_reader", "permissions": [
        {"type": "post", "action": "read", "own": True}, {"type": "post", "action": "create"},
        {"type": "post", "action": "publish", "own": True}, {"type": "post", "action": "delete", "own": True}]})
    assert response.status_code == 201, response.json
    reader = as_role("own_reader")
    token = latest_token(api, reader.user.token)
    mine = reader.post("/api/content/post", json={"title": "Mine"}).json["data"]
    assert reader.post(f"/api/content/post/{mine['id']}/publish").status_code == 200
    others = [make_entry("post", publish=True, title=f"Theirs {n}") for n in range(2)]
    api.post(f"/api/content/post/{others[0]['id']}/unpublish")
    api.delete(f"/api/content/post/{others[1]['id']}")
    assert reader.delete(f"/api/content/post/{mine['id']}").status_code == 204

    body = read(api, reader.user.token, since=token)["data"]

    assert body["entries"] == []
    assert body["deleted"] == [{"id": mine["id"], "type": "post", "locale": "en"}]  # not the others' ids
    everything = read(api, since=token)["data"]["deleted"]  # the administrator hears of all three
    assert {row["id"] for row in everything} == {mine["id"], others[0]["id"], others[1]["id"]}
