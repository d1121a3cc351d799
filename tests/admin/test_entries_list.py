"""The content lists of the admin: types, entries (search, filters, sort, pages), bulk actions.

Page checks run through Flask's test client with a signed-in session (fast, rolled back); the
journeys run in a real browser against a live server.
"""

import re
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import check_accessibility, sign_in
from tests.conftest import Api

ARTICLE = [
    {"name": "title", "type": "string", "required": True, "indexed": True},
    {"name": "kind", "type": "enum", "values": ["news", "blog"]},
    {"name": "featured", "type": "boolean"},
    {"name": "body", "type": "text"},
]


def _html(response):
    return response.get_data(as_text=True)


def _ids_in(html):
    return re.findall(r'name="ids" value="([^"]+)"', html)


def _titles_in(html):
    return re.findall(r'<td class="title" data-label="Title">\s*(?:<a [^>]*>)?([^<]*)<', html)


@pytest.fixture
def articles(make_type, make_entry):
    make_type("article", ARTICLE)
    made = [make_entry("article", title="Banana split", kind="news", featured=True, body="Fruit and cream"),
            make_entry("article", title="Apple pie", kind="blog", body="Pastry"),
            make_entry("article", title="Cherry tart", kind="news", body="More pastry", publish=True)]
    return {entry["title"]: entry for entry in made}


def test_the_content_home_lists_readable_types_with_counts_and_links_singletons_to_the_editor(
        session_as, articles, make_type):
    make_type("settings", [{"name": "site_name", "type": "string"}], kind="singleton")
    html = _html(session_as("viewer").get("/admin/content"))
    assert re.search(r'href="/admin/content/article">Article</a>.*?<td>3</td>', html, re.DOTALL)
    assert 'href="/admin/content/settings/singleton"' in html
    assert "/admin/content/article/new" not in html  # a viewer creates nothing


def test_the_list_searches_filters_and_sorts_working_copies(session_as, articles):
    editor = session_as("editor")
    assert _titles_in(_html(editor.get("/admin/content/article?sort=title"))) == \
        ["Apple pie", "Banana split", "Cherry tart"]
    assert _titles_in(_html(editor.get("/admin/content/article?sort=-title"))) == \
        ["Cherry tart", "Banana split", "Apple pie"]
    assert _titles_in(_html(editor.get("/admin/content/article?q=pastry&sort=title"))) == ["Apple pie", "Cherry tart"]
    assert _titles_in(_html(editor.get("/admin/content/article?status=published"))) == ["Cherry tart"]
    assert _titles_in(_html(editor.get("/admin/content/article?status=draft&sort=title"))) == \
        ["Apple pie", "Banana split"]
    assert _titles_in(_html(editor.get("/admin/content/article?f_kind=news&sort=title"))) == \
        ["Banana split", "Cherry tart"]
    assert _titles_in(_html(editor.get("/admin/content/article?f_featured=true"))) == ["Banana split"]


def test_options_the_list_does_not_offer_are_ignored_and_bad_pages_are_a_400_page(session_as, articles):
    editor = session_as("editor")
    response = editor.get("/admin/content/article?status=bogus&sort=drop+table&f_kind=nope&locale=xx")
    assert response.status_code == 200
    assert len(_titles_in(_html(response))) == 3
    response = editor.get("/admin/content/article?q=%00pie%00&sort=title")
    assert response.status_code == 200 and _titles_in(_html(response)) == ["Apple pie"]
    response = editor.get("/admin/content/article?q=" + "x" * 5000)
    assert response.status_code == 200 and _titles_in(_html(response)) == []
    response = editor.get("/admin/content/article?page=abc")
    assert response.status_code == 400 and "page" in _html(response)
    assert editor.get("/admin/content/nothing-here").status_code == 404


def test_the_list_pages_by_number_keeping_the_criteria(session_as, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string"}])
    for number in range(27):
        make_entry("note", title=f"Note {number:02d}")
    editor = session_as("editor")
    first = _html(editor.get("/admin/content/note?sort=title&q=note"))
    assert len(_titles_in(first)) == 25 and "Page 1 of 2" in first
    assert 'href="/admin/content/note?page=2&amp;q=note&amp;sort=title"' in first
    second = _html(editor.get("/admin/content/note?page=2&q=note&sort=title"))
    assert _titles_in(second) == ["Note 25", "Note 26"]


def test_bulk_publish_reports_each_entry_and_one_refusal_undoes_nothing(session_as, articles, make_type, anonymous):
    editor = session_as("editor")
    ids = [articles["Apple pie"]["id"], articles["Banana split"]["id"], "01234567-not-an-entry"]
    response = editor.post("/admin/content/article/bulk", data={"action": "publish", "ids": ids})
    assert response.status_code == 302
    page = _html(editor.get(response.headers["Location"]))
    assert "2 published, 1 refused: 01234567-not-an-entry: No article with the id 01234567-not-an-entry." in page
    published = anonymous.get("/api/content/article?sort=title").json["data"]
    assert [entry["title"] for entry in published] == ["Apple pie", "Banana split", "Cherry tart"]


def test_a_draft_that_cannot_be_published_is_refused_with_its_fields(session_as, make_type, api):
    make_type("meetup", [{"name": "title", "type": "string", "required": True},
                        {"name": "starts", "type": "date", "required": True}])
    entry = api.post("/api/content/meetup", json={"title": "Launch"}).json["data"]
    editor = session_as("editor")
    response = editor.post("/admin/content/meetup/bulk", data={"action": "publish", "ids": [entry["id"]]})
    page = _html(editor.get(response.headers["Location"]))
    assert ("0 published, 1 refused: Launch: The entry cannot be published until these values are fixed (starts)."
            in page)


def test_bulk_delete_asks_first_then_deletes(session_as, articles, api):
    editor = session_as("editor")
    ids = [articles["Apple pie"]["id"], articles["Cherry tart"]["id"]]
    confirm = editor.post("/admin/content/article/bulk", data={"action": "delete", "ids": ids, "sort": "title"})
    assert confirm.status_code == 200
    html = _html(confirm)
    assert "Delete 2 entries" in html and "Apple pie" in html and "Cherry tart" in html
    assert api.get(f"/api/content/article/{ids[0]}?status=draft").status_code == 200  # nothing deleted yet
    response = editor.post("/admin/content/article/bulk",
                           data={"action": "delete", "ids": ids, "confirmed": "yes", "sort": "title"})
    assert response.headers["Location"].endswith("/admin/content/article?sort=title")
    assert "2 deleted." in _html(editor.get(response.headers["Location"]))
    assert api.get(f"/api/content/article/{ids[0]}?status=draft").status_code == 404
    assert api.get(f"/api/content/article/{articles['Banana split']['id']}?status=draft").status_code == 200


def test_bulk_without_an_action_or_entries_says_what_is_missing(session_as, articles):
    editor = session_as("editor")
    response = editor.post("/admin/content/article/bulk", data={"action": "", "ids": [articles["Apple pie"]["id"]]})
    assert "Choose an action to apply." in _html(editor.get(response.headers["Location"]))
    response = editor.post("/admin/content/article/bulk", data={"action": "publish"})
    assert "Check the entries to apply it to." in _html(editor.get(response.headers["Location"]))
    response = editor.post("/admin/content/article/bulk",
                           data={"action": "publish", "ids": [f"x{n}" for n in range(101)]})
    assert "at most 100 entries" in _html(editor.get(response.headers["Location"]))
    response = editor.post("/admin/content/article/bulk",
                           data={"action": "unpublish", "ids": [f"missing-{n}" for n in range(100)]})
    message = _html(editor.get(response.headers["Location"]))
    assert "0 unpublished, 100 refused: missing-0: No article with the id missing-0;" in message
    assert "missing-9: No article" in message and "missing-10:" not in message and "; and 90 more." in message


def test_bulk_needs_the_forms_security_token(session_as, articles):
    editor = session_as("editor")
    del editor.headers["X-CSRF-Token"]
    response = editor.post("/admin/content/article/bulk",
                           data={"action": "publish", "ids": [articles["Apple pie"]["id"]]})
    assert response.status_code == 400


def test_an_author_is_offered_no_publishing_and_acts_on_their_own_entries_only(session_as, articles, anonymous):
    author = session_as("author")
    own = Api(author.client, author.user.token).post("/api/content/article", json={"title": "Mine"}).json["data"]
    html = _html(author.get("/admin/content/article"))
    assert 'value="publish"' not in html and 'value="unpublish"' not in html
    assert 'value="delete"' in html
    assert _ids_in(html) == [own["id"]]  # others' entries are listed without a checkbox
    other = articles["Apple pie"]["id"]
    response = author.post("/admin/content/article/bulk", data={"action": "publish", "ids": [own["id"], other]})
    page = _html(author.get(response.headers["Location"]))
    assert "0 published, 2 refused: Mine: You are not allowed to do this; Apple pie: You are not allowed" in page
    assert [e["title"] for e in anonymous.get("/api/content/article").json["data"]] == ["Cherry tart"]
    response = author.post("/admin/content/article/bulk",
                           data={"action": "delete", "ids": [own["id"], other], "confirmed": "yes"})
    page = _html(author.get(response.headers["Location"]))
    assert "1 deleted, 1 refused: Apple pie: You may delete only the article entries you created." in page


def test_a_viewer_gets_no_bulk_actions_and_its_posts_are_refused(session_as, articles):
    viewer = session_as("viewer")
    html = _html(viewer.get("/admin/content/article"))
    assert "bulk-action" not in html and _ids_in(html) == []
    response = viewer.post("/admin/content/article/bulk",
                           data={"action": "delete", "ids": [articles["Apple pie"]["id"]], "confirmed": "yes"})
    assert "0 deleted, 1 refused" in _html(viewer.get(response.headers["Location"]))


def test_a_type_the_user_may_not_read_is_refused(session_as, make_type, api):
    make_type("secret", [{"name": "title", "type": "string"}])
    response = api.post("/api/roles", json={"name": "nothing", "permissions": [{"type": "article", "action": "read"}]})
    assert response.status_code == 201, response.json
    user = session_as("nothing")
    assert user.get("/admin/content/secret").status_code == 403
    assert "secret" not in _html(user.get("/admin/content"))
    assert user.post("/admin/content/secret/bulk", data={"action": "delete", "ids": ["x"]}).status_code == 403


def test_localized_types_show_the_language_and_switch_it(session_as, make_type, api, app):
    if len(app.extensions["folio.locales"].codes) < 2:
        pytest.skip("one locale configured")
    make_type("page", [{"name": "title", "type": "string"}], options={"localized": True})
    first = api.post("/api/content/page", json={"title": "Hello"}).json["data"]
    second = app.extensions["folio.locales"].codes[1]
    api.post(f"/api/content/page/{first['id']}/translations/{second}", json={"title": "Bonjour"})
    editor = session_as("editor")
    html = _html(editor.get("/admin/content/page"))
    assert 'id="locale"' in html and _titles_in(html) == ["Hello"]
    assert _titles_in(_html(editor.get(f"/admin/content/page?locale={second}"))) == ["Bonjour"]
    assert sorted(_titles_in(_html(editor.get("/admin/content/page?locale=*")))) == ["Bonjour", "Hello"]


def test_an_own_only_reader_lists_only_their_own_entries(session_as, articles, api):
    response = api.post("/api/roles", json={"name": "contributor", "permissions": [
        {"type": "article", "action": "read", "own": True}, {"type": "article", "action": "create"},
        {"type": "article", "action": "delete", "own": True}]})
    assert response.status_code == 201, response.json
    contributor = session_as("contributor")
    own = Api(contributor.client, contributor.user.token).post("/api/content/article", json={"title": "Mine"})
    html = _html(contributor.get("/admin/content/article"))
    assert _titles_in(html) == ["Mine"] and _ids_in(html) == [own.json["data"]["id"]]
    assert re.search(r'href="/admin/content/article">Article</a>.*?<td>1</td>',
                     _html(contributor.get("/admin/content")), re.DOTALL)


def test_the_list_costs_the_same_queries_for_three_entries_or_twenty(session_as, make_type, make_entry,
                                                                     count_queries):
    make_type("note", [{"name": "title", "type": "string"}])
    editor = session_as("editor")

    def queries():
        with count_queries() as statements:
            assert editor.get("/admin/content/note").status_code == 200
        return len(statements)

    for number in range(3):
        make_entry("note", title=f"Note {number}")
    few = queries()
    for number in range(17):
        make_entry("note", title=f"More {number}")
    assert queries() == few


# -- in a browser --------------------------------------------------------------------------------

def _make_articles(site, count=30):
    api = site.api()
    if api.get("/api/content-types/dish").status_code == 404:
        response = api.post("/api/content-types", json={"name": "dish", "label": "Dish", "fields": ARTICLE})
        assert response.status_code == 201, response.json
    made = []
    for number in range(count):
        response = api.post("/api/content/dish", json={"title": f"Dish {number:02d}",
                                                       "kind": "news" if number % 2 else "blog"})
        assert response.status_code == 201, response.json
        made.append(response.json["data"])
    return made


def test_an_editor_finds_pages_publishes_and_deletes_entries(page, site):
    _make_articles(site)
    site.api().post("/api/content/dish", json={"title": "<script>alert('x')</script> Soup"})
    page.on("dialog", lambda dialog: pytest.fail(f"unexpected dialog {dialog.message}"))
    sign_in(page, site.user("editor"))
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Content", exact=True).click()
    check_accessibility(page, "content-types")
    page.get_by_role("link", name="Dish", exact=True).click()
    page.wait_for_url(re.compile(r"/admin/content/dish$"))
    soup = "<script>alert('x')</script> Soup"
    assert page.get_by_role("cell", name=soup, exact=True).count() == 1  # shown as text, not run as markup
    check_accessibility(page, "entries")

    page.get_by_label("Search").fill("Dish")
    page.get_by_label("Sort").select_option("title")
    page.get_by_role("button", name="Show").click()
    assert "Page 1 of 2" in page.get_by_role("navigation", name="Pages").inner_text()
    assert page.locator("td.title").first.inner_text() == "Dish 00"
    page.get_by_role("link", name="Next").click()
    expect(page.locator("td.title")).to_have_text([f"Dish {n}" for n in range(25, 30)])

    page.goto("/admin/content/dish?sort=title&f_kind=news")
    assert page.get_by_label("Kind").input_value() == "news"
    page.get_by_label("Select Dish 01").check()
    page.get_by_label("Select Dish 03").check()
    page.get_by_label("With the checked entries").select_option("publish")
    page.get_by_role("button", name="Apply").click()
    assert "2 published." in page.get_by_role("status").inner_text()
    assert page.get_by_label("Kind").input_value() == "news"  # the list comes back as it was
    public = site.app.test_client().get("/api/content/dish?sort=title").json["data"]
    assert [entry["title"] for entry in public] == ["Dish 01", "Dish 03"]

    page.get_by_label("Status").select_option("published")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("td.title")).to_have_text(["Dish 01", "Dish 03"])
    page.get_by_label("Select all entries on this page").check()  # added by the script
    page.get_by_label("With the checked entries").select_option("delete")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Delete 2 entries?")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Delete 2 entries").click()
    assert "2 deleted." in page.get_by_role("status").inner_text()
    assert site.app.test_client().get("/api/content/dish").json["data"] == []
    assert page.errors == []


def test_an_author_sees_no_publishing_and_no_checkbox_on_others_entries(new_page, site):
    _make_articles(site, 2)
    email = site.user("author")
    from cms.auth import services as auth_services
    from cms.extensions import db

    with site.app.app_context():
        _token, secret = auth_services.create_token(auth_services.find_user(email), "t")
        db.session.commit()
    own = site.api(secret).post("/api/content/dish", json={"title": "Author's own dish"}).json["data"]
    page = new_page()
    sign_in(page, email)
    page.goto("/admin/content/dish?q=dish")
    options = page.get_by_label("With the checked entries").locator("option").all_inner_texts()
    assert "Publish" not in options and "Unpublish" not in options and "Delete" in options
    assert page.locator('input[name="ids"]').count() == 1
    assert page.get_by_label("Select Author's own dish").is_visible()
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    other = page.locator("td.title").filter(has_text=re.compile(r"Dish \d\d")).first.inner_text().strip()
    other_id = next(e["id"] for e in site.api().get("/api/content/dish?status=draft&per_page=100").json["data"]
                    if e["title"] == other)
    # crafted: publish their own entry and someone else's, which the page does not offer
    response = page.request.post(f"{site.url}/admin/content/dish/bulk", data=urlencode(
        [("csrf_token", csrf), ("action", "publish"), ("ids", own["id"]), ("ids", other_id)]),
        headers={"Content-Type": "application/x-www-form-urlencoded"}, max_redirects=0)
    assert response.status == 302
    page.goto(response.headers["location"])
    assert "0 published, 2 refused" in page.get_by_role("alert").inner_text()
    assert site.app.test_client().get(f"/api/content/dish/{own['id']}").status_code == 404


def test_the_list_is_usable_on_a_phone(new_page, site):
    _make_articles(site, 3)
    page = new_page(width=390, height=844)
    sign_in(page, site.user("editor"))
    page.goto("/admin/content/dish?sort=-created")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator('input[name="ids"]').first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.get_by_role("button", name="Apply").is_visible()
    check_accessibility(page, "entries-phone")
