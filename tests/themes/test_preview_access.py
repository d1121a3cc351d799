"""Who may open a preview page, and the themed HTML errors everybody else gets."""

import pytest

from tests.conftest import Api
from tests.helpers import give_role
from tests.themes.conftest import preview_token

ARTICLE = [{"name": "title", "type": "string"}, {"name": "body", "type": "text"}]


@pytest.fixture
def drafts(api, make_type, make_entry):
    make_type("person", [{"name": "name", "type": "string"}])
    make_type("article", ARTICLE)
    return {"article": make_entry("article", title="Secret plan"), "person": make_entry("person", name="Ann")}


def error_page(response, status, words):
    """Assert a themed HTML error page with ``status`` whose text contains ``words``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"Error {status}" in page and words in page, page
    assert "/themes/default/static/theme.css" in page
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    return page


def test_without_credentials_the_page_is_401(anonymous, drafts):
    page = error_page(anonymous.get(f"/preview/article/{drafts['article']['id']}"), 401, "preview link")

    assert "Secret plan" not in page


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
                                    lambda t: t.replace("preview_", "preview_x"), lambda t: "preview_",
                                    lambda t: "preview_" + "A" * 5000])
def test_an_invalid_preview_token_is_401(api, anonymous, drafts, mangle):
    token = mangle(preview_token(api, "article"))

    error_page(anonymous.get(f"/preview/article/{drafts['article']['id']}?token={token}"), 401, "invalid or has expired")


def test_an_expired_preview_token_is_401(api, anonymous, drafts, monkeypatch):
    from itsdangerous import TimestampSigner

    token = preview_token(api, "article", expires_in=60)
    assert anonymous.get(f"/preview/article/{drafts['article']['id']}?token={token}").status_code == 200
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(__import__("time").time()) + 61)

    error_page(anonymous.get(f"/preview/article/{drafts['article']['id']}?token={token}"), 401, "has expired")


def test_an_api_token_is_refused_in_the_link(api, anonymous, drafts):
    response = anonymous.get(f"/preview/article/{drafts['article']['id']}?token={api.token}")

    error_page(response, 401, "send API tokens in the Authorization header")


def test_a_bad_authorization_header_is_401(client, drafts):
    response = Api(client, "folio_not-a-real-token").get(f"/preview/article/{drafts['article']['id']}")

    error_page(response, 401, "invalid, expired or revoked")


def test_a_token_in_the_link_and_a_header_together_are_400(api, drafts):
    token = preview_token(api, "article")

    error_page(api.get(f"/preview/article/{drafts['article']['id']}?token={token}"), 400, "Give the token once")


def test_a_preview_token_for_another_type_is_403(api, anonymous, drafts):
    token = preview_token(api, "article")

    page = error_page(anonymous.get(f"/preview/person/{drafts['person']['id']}?token={token}"), 403, "not allowed")

    assert "Ann" not in page


def test_an_unknown_entry_or_type_is_404(api, anonymous, drafts):
    token = preview_token(api, "article")

    error_page(anonymous.get(f"/preview/article/missing-id?token={token}"), 404, "No article with the id missing-id.")
    error_page(anonymous.get(f"/preview/article/{drafts['person']['id']}?token={token}"), 404, "No article with the id")
    error_page(api.get("/preview/nothing/1"), 404, "No content type named")


def test_a_collection_needs_an_id_and_a_singleton_none(api, drafts, make_type):
    make_type("settings", [{"name": "site_name", "type": "string"}], kind="singleton")

    error_page(api.get("/preview/article"), 404, "is a collection")
    error_page(api.get("/preview/settings/abc"), 404, "is a singleton")
    error_page(api.get("/preview/settings"), 404, "has no content yet")


@pytest.mark.parametrize("query, words", [("?status=draft", "Unknown parameter"), ("?locale=en&locale=fr", "once")])
def test_unknown_or_repeated_parameters_are_400(api, drafts, query, words):
    error_page(api.get(f"/preview/article/{drafts['article']['id']}{query}"), 400, words)


def test_a_user_without_read_permission_is_403(db, session_as, drafts):
    give_role(db, "people_only", [{"type": "person", "action": "read"}])
    reader = session_as("people_only")

    error_page(reader.get(f"/preview/article/{drafts['article']['id']}"), 403, "not allowed")


def test_an_own_only_authors_token_does_not_show_another_authors_entry(db, api, client, session_as, drafts):
    give_role(db, "writer", [{"type": "article", "action": "read", "own": True},
                             {"type": "article", "action": "create"}])
    writer = session_as("writer")
    mine = writer.post("/api/content/article", json={"title": "My draft"}).json["data"]
    token = preview_token(writer, "article")
    frontend = Api(client, None)

    own = frontend.get(f"/preview/article/{mine['id']}?token={token}")
    other = frontend.get(f"/preview/article/{drafts['article']['id']}?token={token}")

    assert own.status_code == 200 and "My draft" in own.get_data(as_text=True)
    page = error_page(other, 404, "No article with the id")  # like the API: not found, not forbidden
    assert "Secret plan" not in page
    assert writer.get(f"/preview/article/{drafts['article']['id']}").status_code == 404  # the session alike


def test_a_token_stops_when_its_issuer_is_deactivated(api, session_as, anonymous, drafts):
    editor = session_as("editor")
    token = preview_token(editor, "article")
    url = f"/preview/article/{drafts['article']['id']}?token={token}"
    assert anonymous.get(url).status_code == 200

    api.patch(f"/api/users/{editor.user.id}", json={"active": False})

    error_page(anonymous.get(url), 401, "invalid or has expired")


def test_a_broken_template_is_a_themed_500_without_details(app, api, drafts, monkeypatch):
    theme = app.extensions["folio.theme"]
    real = theme.render

    def failing(names, **context):
        if names != "error.html":
            raise RuntimeError("template exploded: secret detail")
        return real(names, **context)

    monkeypatch.setattr(theme, "render", failing)

    page = error_page(api.get(f"/preview/article/{drafts['article']['id']}"), 500, "could not be shown")
    assert "secret detail" not in page


def test_a_broken_error_template_still_answers(app, api, monkeypatch):
    theme = app.extensions["folio.theme"]
    monkeypatch.setattr(theme, "render", lambda names, **context: 1 / 0)

    response = api.get("/preview/nothing/x")

    assert response.status_code == 404 and response.mimetype == "text/html"  # the status of the first error
    assert "<h1>Not found</h1><p>No content type named &#39;nothing&#39;.</p>" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_other_methods_are_405_pages(api, drafts):
    response = api.post(f"/preview/article/{drafts['article']['id']}")

    assert response.status_code == 405


def test_a_preview_token_may_also_come_in_the_authorization_header(api, client, drafts):
    frontend = Api(client, preview_token(api, "article"))

    response = frontend.get(f"/preview/article/{drafts['article']['id']}")

    assert response.status_code == 200 and "Secret plan" in response.get_data(as_text=True)
