"""The draft preview page: what it shows of every kind of field, escaping, locales and headers."""

import re

import pytest

from tests.helpers import give_role
from tests.themes.conftest import preview_token


def html_of(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def field_html(page, name):
    """The markup inside one top-level field's ``<div class="field … field-name-<name>">``."""
    start = page.find(f'field-name-{name}">')
    assert start >= 0, f"no field {name} in the page"
    start = page.index(">", start) + 1
    depth = 1
    for tag in re.finditer(r"<(/?)div\b", page[start:]):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return page[start:start + tag.start()]
    raise AssertionError(f"field {name} is not closed")


@pytest.fixture
def shown(api, anonymous, model):
    token = preview_token(api, "article")
    return html_of(anonymous.get(f"/preview/article/{model['article']['id']}?token={token}"))


def test_the_page_shows_the_drafts_title_and_state(shown, model):
    assert '<h1 id="entry-title">Hello preview</h1>' in shown
    assert "<title>Preview: Hello preview · Folio</title>" in shown
    assert "<dd>Draft</dd>" in shown and "<dd>1</dd>" in shown and "<dd>en</dd>" in shown
    assert '<p class="preview-badge">Draft preview</p>' in shown
    assert '<html lang="en">' in shown and '<main id="main"' in shown


def test_plain_values_are_shown_as_text(shown):
    assert "Line one\nline two" in field_html(shown, "summary") and 'class="long-text"' in shown
    assert "42" in field_html(shown, "views") and "9.5" in field_html(shown, "price")
    assert "Yes" in field_html(shown, "featured")
    assert '<time datetime="2026-03-01">1 March 2026</time>' in field_html(shown, "day")
    assert re.search(r'<time datetime="2026-03-01T\S+">1 March 2026, \d\d:30 UTC', field_html(shown, "at"))
    assert '<a href="https://example.com/more">https://example.com/more</a>' in field_html(shown, "link")
    assert "<dt>Title</dt>" in shown


def test_rich_text_is_rendered_as_sanitized_html(shown):
    body = field_html(shown, "body")

    assert "<h2>Big news</h2>" in body and "<em>emphasis</em>" in body  # the page's title is its only h1


def test_media_is_shown_as_an_image_with_its_alt_text(shown, model):
    cover = field_html(shown, "cover")

    assert f'<img src="/api/media/{model["image"]["id"]}/file" alt="The harbour at dawn" width="40" height="30"' in cover
    assert "<figcaption>Early light</figcaption>" in cover


def test_relations_are_shown_by_title(shown, model):
    author = field_html(shown, "author")

    # the preview token reads articles' drafts only: the person is named but not linked, and the token's
    # public reading of people shows nothing of a draft person
    assert "Ann Writer" not in author and f"person {model['ann']['id']}" in author


def test_components_and_blocks_show_their_own_fields(shown, model):
    seo, sections = field_html(shown, "seo"), field_html(shown, "sections")

    assert "<dt>Meta title</dt>" in seo and "Meta here" in seo
    assert f'/api/media/{model["image"]["id"]}/file' in seo  # media inside a component
    assert '<li class="block block-quote">' in sections and "Quoted words" in sections
    assert '<p class="block-label">Note</p>' in sections and "<strong>bold</strong>" in sections


def test_json_is_shown_preformatted(shown):
    extra = field_html(shown, "extra")

    assert "<pre><code>{\n" in extra and "\n  &#34;answer&#34;: 42" in extra  # key order is the database's
    assert '&#34;tags&#34;: [\n    &#34;a&#34;,\n    &#34;b&#34;\n  ]' in extra


def test_private_fields_are_not_shown_to_a_preview_token(shown):
    assert "internal only" not in shown and "field-name-notes" not in shown


def test_a_signed_in_editor_sees_private_fields_and_related_drafts(session_as, model):
    editor = session_as("editor")

    page = html_of(editor.get(f"/preview/article/{model['article']['id']}"))

    assert "internal only" in field_html(page, "notes")
    author = field_html(page, "author")
    assert f'<a href="/preview/person/{model["ann"]["id"]}">Ann Writer</a>' in author
    assert "Ann Writer" in field_html(page, "sections")  # a relation inside a block


def test_an_api_token_in_the_authorization_header_works(api, model):
    page = html_of(api.get(f"/preview/article/{model['article']['id']}"))

    assert '<h1 id="entry-title">Hello preview</h1>' in page
    assert "Ann Writer" in field_html(page, "author")  # not linked: a header cannot follow a link
    assert "/preview/person/" not in page


def test_a_published_related_entry_is_named_for_a_preview_token(api, anonymous, model):
    api.post(f"/api/content/person/{model['ann']['id']}/publish")
    token = preview_token(api, "article")

    page = html_of(anonymous.get(f"/preview/article/{model['article']['id']}?token={token}"))

    assert "Ann Writer" in field_html(page, "author") and "/preview/person/" not in page


def test_links_between_entries_of_the_tokens_type_keep_the_token(api, anonymous, make_type, make_entry):
    make_type("page", [{"name": "title", "type": "string"}, {"name": "next", "type": "relation", "target": "page"}])
    second = make_entry("page", title="Second")
    first = make_entry("page", title="First", next=second["id"])
    token = preview_token(api, "page")

    page = html_of(anonymous.get(f"/preview/page/{first['id']}?token={token}"))

    assert f'<a href="/preview/page/{second["id"]}?token={token}">Second</a>' in page


def test_a_field_allow_list_limits_what_is_shown(db, session_as, model):
    give_role(db, "titles", [{"type": "article", "action": "read", "fields": ["title", "views"]}])
    reader = session_as("titles")

    page = html_of(reader.get(f"/preview/article/{model['article']['id']}"))

    assert "field-name-views" in page and "Hello preview" in page
    assert "Big news" not in page and "field-name-body" not in page and "Quoted words" not in page


def test_a_singleton_is_previewed_at_its_type_url(api, anonymous, make_type):
    make_type("settings", [{"name": "site_name", "type": "string"}], kind="singleton")
    api.put("/api/content/settings", json={"site_name": "My site"})
    token = preview_token(api, "settings")

    page = html_of(anonymous.get(f"/preview/settings?token={token}"))

    assert "My site" in page


def test_an_entry_without_a_title_field_is_named_by_type_and_id(api, anonymous, make_type, make_entry):
    make_type("counter", [{"name": "count", "type": "integer"}])
    entry = make_entry("counter", count=3)
    token = preview_token(api, "counter")

    page = html_of(anonymous.get(f"/preview/counter/{entry['id']}?token={token}"))

    assert f'<h1 id="entry-title">Counter {entry["id"]}</h1>' in page
    assert '<span class="empty">No value</span>' not in page


def test_empty_fields_say_so(api, anonymous, make_type, make_entry):
    make_type("memo", [{"name": "title", "type": "string"}, {"name": "body", "type": "richtext"},
                       {"name": "tags", "type": "relation", "target": "memo", "many": True}])
    entry = make_entry("memo", title="Short")
    token = preview_token(api, "memo")

    page = html_of(anonymous.get(f"/preview/memo/{entry['id']}?token={token}"))

    assert '<span class="empty">No value</span>' in field_html(page, "body")
    assert '<span class="empty">No value</span>' in field_html(page, "tags")


# -- escaping -----------------------------------------------------------------------------------------------

def test_script_in_a_title_and_a_field_label_is_shown_as_text(api, anonymous, make_type, make_entry):
    make_type("trap", [{"name": "title", "type": "string"},
                       {"name": "body", "type": "richtext", "label": "<script>alert('label')</script>"},
                       {"name": "site", "type": "url"}])
    entry = make_entry("trap", title="<script>alert('title')</script>",
                       body="<script>alert('body')</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(2))",
                       site="https://example.com/?q=<b>")
    token = preview_token(api, "trap")

    page = html_of(anonymous.get(f"/preview/trap/{entry['id']}?token={token}"))

    assert "<script" not in page and "onerror" not in page and 'href="javascript:' not in page
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in page
    assert "<dt>&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;</dt>" in page
    assert "https://example.com/?q=&lt;b&gt;" in page


# -- locales ------------------------------------------------------------------------------------------------

@pytest.fixture
def translated(api, make_type, make_entry):
    make_type("story", [{"name": "title", "type": "string"}], options={"localized": True})
    en = make_entry("story", title="Hello")
    response = api.post(f"/api/content/story/{en['id']}/translations/fr", json={"title": "Bonjour"})
    assert response.status_code == 201, response.json
    return {"en": en, "token": preview_token(api, "story")}


def test_locale_picks_a_translation(anonymous, translated):
    url = f"/preview/story/{translated['en']['id']}?token={translated['token']}"

    french = html_of(anonymous.get(f"{url}&locale=fr"))
    english = html_of(anonymous.get(url))
    german = html_of(anonymous.get(f"{url}&locale=de"), 404)  # de has no fallback

    assert "Bonjour" in french and '<html lang="fr">' in french
    assert "Hello" in english and '<html lang="en">' in english
    assert "No story here in de." in german


def test_an_unknown_locale_is_a_400_page(anonymous, translated):
    page = html_of(anonymous.get(f"/preview/story/{translated['en']['id']}?token={translated['token']}&locale=xx"),
                   400)

    assert "locale" in page


# -- headers ------------------------------------------------------------------------------------------------

def test_the_page_is_private_unindexed_and_runs_no_script(api, anonymous, model):
    token = preview_token(api, "article")

    response = anonymous.get(f"/preview/article/{model['article']['id']}?token={token}")

    headers = response.headers
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["X-Robots-Tag"] == "noindex, nofollow"
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'" and "script-src" not in csp
    assert csp["style-src"] == "'self'" and csp["img-src"] == "'self'"
    assert csp["frame-ancestors"] == "'self'" and headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "style=" not in response.get_data(as_text=True) and "<script" not in response.get_data(as_text=True)


def test_a_frontend_may_frame_the_preview_when_configured(app, api, anonymous, model, monkeypatch):
    monkeypatch.setitem(app.config, "PREVIEW_FRAME_ANCESTORS", ["'self'", "https://www.example.com"])
    token = preview_token(api, "article")

    response = anonymous.get(f"/preview/article/{model['article']['id']}?token={token}")

    assert response.headers["Content-Security-Policy"].endswith("frame-ancestors 'self' https://www.example.com")
    assert "X-Frame-Options" not in response.headers  # it would forbid the frontend in browsers that read it


def test_images_from_a_media_cdn_are_allowed_by_the_policy(app, api, anonymous, model, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_PUBLIC_URL", "https://media.example.com/assets")
    token = preview_token(api, "article")

    response = anonymous.get(f"/preview/article/{model['article']['id']}?token={token}")

    assert "img-src 'self' https://media.example.com;" in response.headers["Content-Security-Policy"]
