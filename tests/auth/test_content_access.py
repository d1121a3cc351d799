"""Content permissions: field allow-lists both ways, own entries in SQL, drafts, delivery and preview tokens."""

import pytest
import sqlalchemy as sa

from tests.conftest import Api
from tests.helpers import error_of, give_role

PERSON = [{"name": "name", "type": "string"}, {"name": "email", "type": "email", "private": True},
          {"name": "salary", "type": "integer"}]
ARTICLE = [{"name": "title", "type": "string", "indexed": True}, {"name": "body", "type": "text"},
           {"name": "notes", "type": "text"}, {"name": "views", "type": "integer", "indexed": True},
           {"name": "author", "type": "relation", "target": "person"}]


@pytest.fixture
def model(make_type, make_entry):
    make_type("person", PERSON)
    make_type("article", ARTICLE)
    ann = make_entry("person", publish=True, name="Ann", email="ann@example.com", salary=100)
    articles = [make_entry("article", publish=True, title=f"A{n}", body="words here", notes=f"secret {n}",
                           views=n, author=ann["id"]) for n in range(3)]
    return {"ann": ann, "articles": articles}


@pytest.fixture
def limited(db, as_role):
    """A role reading article title+views and person name, updating article title only."""
    give_role(db, "limited", [
        {"type": "article", "action": "read", "fields": ["title", "views", "author"]},
        {"type": "person", "action": "read", "fields": ["name"]},
        {"type": "article", "action": "update", "fields": ["title"]},
    ])
    return as_role("limited")


# -- field allow-lists: reading ---------------------------------------------------------------------

def test_fields_outside_the_allow_list_are_absent_everywhere(limited, model):
    article = model["articles"][0]
    listed = limited.get("/api/content/article?populate=author&sort=title").json["data"][0]
    single = limited.get(f"/api/content/article/{article['id']}?populate=author").json["data"]
    drafts = limited.get("/api/content/article?status=draft").json["data"][0]
    revisions = limited.get(f"/api/content/article/{article['id']}/revisions/1").json["data"]["data"]
    synced = [e for e in limited.get("/api/sync").json["data"]["entries"] if e["type"] == "article"][0]

    for delivered in (listed, single, drafts, synced):
        assert {"title", "views", "author"} <= set(delivered) and not {"body", "notes"} & set(delivered)
    assert set(revisions) <= {"title", "views", "author"}
    assert listed["author"]["name"] == "Ann" and "salary" not in listed["author"] and "email" not in listed["author"]


@pytest.mark.parametrize("query", [
    "filter[notes][contains]=secret", "sort=notes", "fields=title,notes", "filter[author.salary][gt]=5",
    "populate=author&populate[author][fields]=salary", "q=secret", "filter[or][0][body][eq]=x",
])
def test_queries_naming_unreadable_fields_are_400_before_any_sql(limited, model, count_queries, query):
    with count_queries() as statements:
        response = limited.get(f"/api/content/article?{query}")

    error_of(response, 400, "bad_request")
    assert not [s for s in statements if "entries" in s and "FROM entries" in s]


def test_the_total_is_no_oracle_for_unreadable_fields(limited, model):
    """The Strapi-style leak: guessing a hidden value one character at a time by watching totals."""
    for guess in ("s", "se", "x"):
        error_of(limited.get(f"/api/content/article?filter[notes][startswith]={guess}"), 400)


# -- field allow-lists: writing ---------------------------------------------------------------------

def test_writing_fields_outside_the_allow_list_is_403_and_changes_nothing(limited, api, model):
    article = model["articles"][0]

    refused = limited.patch(f"/api/content/article/{article['id']}", json={"title": "New", "notes": "mine now"})
    allowed = limited.patch(f"/api/content/article/{article['id']}", json={"title": "New"})

    assert error_of(refused, 403, "permission_denied")["details"]["fields"] == {
        "notes": ["You may not write this field."]}
    assert allowed.status_code == 200, allowed.json
    stored = api.get(f"/api/content/article/{article['id']}?status=draft").json["data"]
    assert (stored["title"], stored["notes"], stored["body"]) == ("New", "secret 0", "words here")


def test_a_replace_keeps_the_fields_the_caller_may_not_write(limited, api, model):
    article = model["articles"][1]

    response = limited.put(f"/api/content/article/{article['id']}", json={"title": "Replaced"})

    assert response.status_code == 200, response.json
    stored = api.get(f"/api/content/article/{article['id']}?status=draft").json["data"]
    assert (stored["title"], stored["notes"], stored["views"]) == ("Replaced", "secret 1", 1)


def test_a_caller_without_create_permission_cannot_create(limited, model):
    error_of(limited.post("/api/content/article", json={"title": "x"}), 403)
    error_of(limited.post(f"/api/content/article/{model['articles'][0]['id']}/publish"), 403)
    error_of(limited.delete(f"/api/content/article/{model['articles'][0]['id']}"), 403)


# -- own entries --------------------------------------------------------------------------------------

def test_an_author_edits_and_deletes_only_their_own_entries(as_role, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string"}])
    theirs = make_entry("note", title="by the admin")
    author = as_role("author")
    mine = author.post("/api/content/note", json={"title": "by the author"}).json["data"]

    error_of(author.patch(f"/api/content/note/{theirs['id']}", json={"title": "hijacked"}), 403, "permission_denied")
    error_of(author.delete(f"/api/content/note/{theirs['id']}"), 403)
    error_of(author.post(f"/api/content/note/{mine['id']}/publish"), 403)  # authors do not publish
    assert author.patch(f"/api/content/note/{mine['id']}", json={"title": "edited"}).status_code == 200
    assert author.delete(f"/api/content/note/{mine['id']}").status_code == 204


def test_own_only_reads_are_part_of_the_sql_so_totals_and_cursors_stay_right(db, as_role, client, make_type,
                                                                             make_entry):
    make_type("note", [{"name": "title", "type": "string"}])
    give_role(db, "own_reader", [{"type": "note", "action": "read", "own": True},
                                 {"type": "note", "action": "create"}])
    reader = as_role("own_reader")
    for n in range(3):
        make_entry("note", title=f"admin {n}")
    mine = [reader.post("/api/content/note", json={"title": f"mine {n}"}).json["data"]["id"] for n in range(5)]

    first = reader.get("/api/content/note?status=draft&per_page=2&sort=title").json
    second = reader.get(f"/api/content/note?status=draft&per_page=2&sort=title&cursor={first['meta']['next_cursor']}")
    others = reader.get("/api/content/note?status=draft&filter[title][startswith]=admin").json

    assert first["meta"]["total"] == 5
    assert [e["title"] for e in first["data"] + second.json["data"]] == ["mine 0", "mine 1", "mine 2", "mine 3"]
    assert others["data"] == [] and others["meta"]["total"] == 0
    theirs = db.session.scalar(sa.text("SELECT id FROM entries WHERE created_by_id != :me"), {"me": reader.user.id})
    error_of(reader.get(f"/api/content/note/{theirs}?status=draft"), 404)
    assert reader.get(f"/api/content/note/{mine[0]}?status=draft").status_code == 200


def test_explain_says_why(as_role, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string"}])
    theirs = make_entry("note", title="by the admin")
    author = as_role("author")
    mine = author.post("/api/content/note", json={"title": "mine"}).json["data"]

    own = author.get(f"/api/auth/explain?action=update&type=note&id={mine['id']}").json["data"]
    other = author.get(f"/api/auth/explain?action=update&type=note&id={theirs['id']}").json["data"]
    publish_ = author.get("/api/auth/explain?action=publish&type=note").json["data"]
    system = author.get("/api/auth/explain?action=users.manage").json["data"]

    assert own["allowed"] is True and own["own"] is True and "own entries only" in own["reason"]
    assert other["allowed"] is False and "created by someone else" in other["reason"]
    assert publish_["allowed"] is False and "no publish permission" in publish_["reason"]
    assert system["allowed"] is False and "users" in system["reason"]


@pytest.mark.parametrize("query, status", [
    ("", 400), ("action=fly", 400), ("action=update", 400), ("action=update&type=nope", 404),
    ("action=update&type=note&id=nope", 404), ("action=users.manage&type=note", 400), ("action=x&extra=1", 400),
])
def test_bad_explain_questions_are_refused(api, make_type, query, status):
    make_type("note", [{"name": "title", "type": "string"}])

    error_of(api.get(f"/api/auth/explain?{query}"), status)


# -- drafts, the Public role, delivery tokens -----------------------------------------------------------

def test_anonymous_callers_read_published_public_content_only(anonymous, model, make_type, make_entry, api):
    draft = make_entry("article", title="draft only")
    make_type("memo", [{"name": "text", "type": "text"}], options={"public": False})
    memo = make_entry("memo", publish=True, text="internal")

    error_of(anonymous.get("/api/content/article?status=draft"), 401)
    error_of(anonymous.get(f"/api/content/article/{draft['id']}"), 404)
    error_of(anonymous.get("/api/content/memo"), 401)
    error_of(anonymous.get(f"/api/content/memo/{memo['id']}"), 401)
    person = anonymous.get(f"/api/content/person/{model['ann']['id']}").json["data"]
    assert "email" not in person and person["name"] == "Ann"
    error_of(anonymous.get("/api/content/person?filter[email][eq]=ann@example.com"), 400)


def test_the_public_role_decides_what_anonymous_callers_read(api, anonymous, model):
    assert anonymous.get("/api/content/article").status_code == 200

    api.put("/api/roles/public", json={"permissions": [{"type": "person", "action": "read", "fields": ["name"]}]})

    error_of(anonymous.get("/api/content/article"), 401)
    assert set(anonymous.get("/api/content/person").json["data"][0]) >= {"name"}
    assert "salary" not in anonymous.get("/api/content/person").json["data"][0]


def test_a_public_role_change_is_not_hidden_by_the_response_cache(api, anonymous, model):
    first = anonymous.get("/api/content/person")
    assert "salary" in first.json["data"][0]

    api.put("/api/roles/public", json={"permissions": [{"type": "person", "action": "read", "fields": ["name"]}]})
    second = anonymous.get("/api/content/person")

    assert "salary" not in second.json["data"][0]


def test_a_delivery_token_reads_published_content_like_the_public(api, client, model, make_entry):
    draft = make_entry("article", title="draft only")
    created = api.post("/api/tokens", json={"name": "site", "kind": "delivery",
                                            "permissions": [{"type": "article", "action": "read"}]})
    secret = created.json["meta"]["token"]
    site = Api(client, secret)

    assert len(site.get("/api/content/article").json["data"]) == 3
    error_of(site.get("/api/content/article?status=draft"), 403)
    error_of(site.get(f"/api/content/article/{draft['id']}?status=draft"), 403)
    error_of(site.get("/api/content/person"), 403)  # not in its permission set
    error_of(site.post("/api/content/article", json={"title": "x"}), 403)
    error_of(site.get("/api/users"), 403)
    assert site.get("/api/content/article").headers["Cache-Control"] == "private, no-store"


def test_viewers_read_drafts_and_private_fields_but_change_nothing(as_role, model, make_entry):
    viewer = as_role("viewer")
    draft = make_entry("article", title="draft only")

    assert viewer.get(f"/api/content/article/{draft['id']}?status=draft").status_code == 200
    assert viewer.get(f"/api/content/person/{model['ann']['id']}").json["data"]["email"] == "ann@example.com"
    error_of(viewer.patch(f"/api/content/article/{draft['id']}", json={"title": "x"}), 403)
    error_of(viewer.post("/api/content-types", json={"name": "x", "fields": []}), 403)


# -- preview tokens -----------------------------------------------------------------------------------

@pytest.fixture
def preview(api, client, model, make_entry):
    draft = make_entry("article", title="coming soon")
    created = api.post("/api/tokens/preview", json={"type": "article", "expires_in": 600})
    assert created.status_code == 201, created.json
    return {"draft": draft, "token": created.json["data"]["token"], "client": Api(client, created.json["data"]["token"])}


def test_a_preview_token_reads_one_types_drafts(preview, model):
    frontend = preview["client"]

    drafted = frontend.get(f"/api/content/article/{preview['draft']['id']}?status=draft")
    listed = frontend.get("/api/content/article?status=draft")

    assert drafted.status_code == 200 and drafted.json["data"]["title"] == "coming soon"
    assert "notes" in drafted.json["data"]  # not private
    assert drafted.headers["Cache-Control"] == "private, no-store"
    assert listed.json["meta"]["total"] == 4
    error_of(frontend.get("/api/content/person?status=draft"), 403)
    error_of(frontend.patch(f"/api/content/article/{preview['draft']['id']}", json={"title": "x"}), 403)


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
                                    lambda t: t.replace("preview_", "preview_x"), lambda t: "preview_"])
def test_a_tampered_preview_token_is_401(client, preview, mangle):
    response = Api(client, mangle(preview["token"])).get("/api/content/article?status=draft")

    error_of(response, 401, "not_authenticated")


def test_an_expired_preview_token_is_401(app, api, client, model, monkeypatch):
    from itsdangerous import TimestampSigner

    token = api.post("/api/tokens/preview", json={"type": "article", "expires_in": 60}).json["data"]["token"]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(__import__("time").time()) + 61)

    error_of(Api(client, token).get("/api/content/article?status=draft"), 401)


def test_a_preview_token_stops_when_its_user_is_deactivated(api, session_as, client, model):
    editor = session_as("editor")
    token = editor.post("/api/tokens/preview", json={"type": "article"}).json["data"]["token"]
    frontend = Api(client, token)
    assert frontend.get("/api/content/article?status=draft").status_code == 200

    api.patch(f"/api/users/{editor.user.id}", json={"active": False})

    error_of(frontend.get("/api/content/article?status=draft"), 401)


@pytest.mark.parametrize("body, status", [({"type": "nope"}, 404), ({}, 422), ({"type": "article", "expires_in": 5}, 422),
                                          ({"type": "article", "expires_in": 10**9}, 422),
                                          ({"type": "article", "expires_in": "1h"}, 422),
                                          ({"type": "article", "extra": 1}, 422)])
def test_bad_preview_token_requests_are_refused(api, model, body, status):
    error_of(api.post("/api/tokens/preview", json=body), status)


def test_only_callers_who_read_drafts_issue_preview_tokens(anonymous, limited, model, client, api):
    error_of(anonymous.post("/api/tokens/preview", json={"type": "article"}), 401)
    created = api.post("/api/tokens", json={"name": "site", "kind": "delivery"}).json["meta"]["token"]
    error_of(Api(client, created).post("/api/tokens/preview", json={"type": "article"}), 403)


# -- query safety ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "filter[created_by.password_hash][startswith]=$", "filter[created_by][eq]=x", "sort=created_by",
    "populate=created_by", "fields=password_hash", "filter[author.email][startswith]=a",
    "filter[author.password_hash][eq]=x", "populate=author&populate[author][fields]=email",
    "filter[title][regex]=.*", "filter[title][startswith]]=a", "filter[[title]][eq]=a", "unknown=1",
])
def test_paths_into_accounts_or_private_fields_are_400_for_the_public(anonymous, model, query):
    error_of(anonymous.get(f"/api/content/article?{query}"), 400, "bad_request")


def test_relation_hops_into_unreadable_types_are_400(db, as_role, model):
    give_role(db, "articles_only", [{"type": "article", "action": "read"}])
    reader = as_role("articles_only")

    error_of(reader.get("/api/content/article?filter[author.name][eq]=Ann"), 400)
    error_of(reader.get("/api/content/article?populate=author"), 400)
    assert reader.get("/api/content/article").json["data"][0]["author"]["type"] == "person"  # a stub, no values


def test_own_only_relation_targets_are_filtered_in_the_sql(db, as_role, model, api):
    give_role(db, "own_people", [{"type": "article", "action": "read"}, {"type": "person", "action": "read",
                                                                         "own": True}])
    reader = as_role("own_people")

    by_author = reader.get("/api/content/article?filter[author.name][eq]=Ann").json
    populated = reader.get("/api/content/article?populate=author").json["data"][0]

    assert by_author["data"] == [] and by_author["meta"]["total"] == 0  # Ann was created by someone else
    assert populated["author"] is None


def test_exports_leave_out_what_the_exporter_may_not_read(db, make_type, make_entry, make_user):
    from cms.content.services.bulk import export_entries

    make_type("note", [{"name": "title", "type": "string"}, {"name": "secret", "type": "text"}])
    make_type("memo", [{"name": "text", "type": "text"}])
    make_entry("note", title="visible", secret="hidden")
    make_entry("memo", text="not for them")
    give_role(db, "exporter", [{"system": "content_types", "action": "manage"},
                               {"type": "note", "action": "read", "fields": ["title"]}])
    exporter = make_user("exporter")

    lines = list(export_entries(actor=exporter))

    assert [(line["type"], line["data"]) for line in lines] == [("note", {"title": "visible"})]
