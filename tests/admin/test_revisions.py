"""An entry's history in the admin: the list of revisions, one compared field by field, restore."""

import re

import pytest

from tests.admin.conftest import check_accessibility, sign_in
from tests.conftest import Api

POST = [{"name": "title", "type": "string", "required": True}, {"name": "body", "type": "text"},
        {"name": "tags", "type": "json"}]
LONG = "A first paragraph that goes on for a while, long enough to be shown as a block.\nAnd a second line."


def _html(response):
    return response.get_data(as_text=True)


@pytest.fixture
def post(make_type, api):
    """A post saved three times: created, then its title changed, then its body replaced."""
    make_type("post", POST)
    entry = api.post("/api/content/post", json={"title": "First title", "body": LONG}).json["data"]
    api.patch(f"/api/content/post/{entry['id']}", json={"title": "Second title"})
    api.patch(f"/api/content/post/{entry['id']}", json={"body": "Short body", "tags": ["a", "b"]})
    return entry["id"]


def test_the_history_lists_every_revision_with_who_and_what(session_as, post):
    html = _html(session_as("viewer").get(f"/admin/content/post/{post}/revisions"))
    assert "History of Second title" in html
    assert re.findall(r">Revision (\d+)</a>", html) == ["3", "2", "1"]
    assert html.count("admin@example.com</td>") == 3
    assert ">created<" in html and html.count(">edited<") == 2


def test_a_revision_is_compared_with_the_current_version_field_by_field(session_as, post):
    html = _html(session_as("viewer").get(f"/admin/content/post/{post}/revisions/1"))
    assert "Differences from the current working copy" in html
    assert re.search(r'Title <span class="badge">changed</span>.*?First title</del>.*?Second title</ins>',
                     html, re.DOTALL)
    assert re.search(r'Body <span class="badge">changed</span>.*?<pre class="old">A first paragraph', html, re.DOTALL)
    assert re.search(r'Tags <span class="badge">added</span>', html)


def test_a_revision_is_compared_with_the_previous_one(session_as, post):
    html = _html(session_as("viewer").get(f"/admin/content/post/{post}/revisions/2?against=previous"))
    assert "What revision 2 changed" in html
    assert "First title</del>" in html and "Second title</ins>" in html
    assert "Body" not in html.split("What revision 2 changed")[1].split("</section>")[0]


def test_restoring_makes_a_new_revision_with_the_old_values(session_as, post, api):
    editor = session_as("editor")
    response = editor.post(f"/admin/content/post/{post}/revisions/1/restore", data={"version": "3"})
    assert response.status_code == 302
    assert "Revision 1 is restored as revision 4." in _html(editor.get(response.headers["Location"]))
    current = api.get(f"/api/content/post/{post}?status=draft").json["data"]
    assert current["title"] == "First title" and current["body"] == LONG and current["version"] == 4
    revisions = api.get(f"/api/content/post/{post}/revisions").json["data"]
    assert revisions[0]["number"] == 4 and revisions[0]["action"] == "restore"


def test_a_stale_restore_changes_nothing_and_says_why(session_as, post, api):
    editor = session_as("editor")
    response = editor.post(f"/admin/content/post/{post}/revisions/1/restore", data={"version": "2"})
    assert response.status_code == 412
    assert "Someone changed this entry after you opened this page" in _html(response)
    assert api.get(f"/api/content/post/{post}?status=draft").json["data"]["version"] == 3


def test_missing_revisions_and_entries_are_404_pages(session_as, post):
    viewer = session_as("viewer")
    assert viewer.get(f"/admin/content/post/{post}/revisions/99").status_code == 404
    assert viewer.get(f"/admin/content/post/{post}/revisions/99999999999").status_code == 404
    assert viewer.get("/admin/content/post/not-an-entry/revisions").status_code == 404
    assert viewer.get(f"/admin/content/nope/{post}/revisions").status_code == 404


def test_only_those_who_may_update_the_entry_may_restore_it(session_as, post):
    viewer = session_as("viewer")
    html = _html(viewer.get(f"/admin/content/post/{post}/revisions/1"))
    assert "Restore revision 1" not in html
    assert viewer.post(f"/admin/content/post/{post}/revisions/1/restore", data={"version": "3"}).status_code == 403
    author = session_as("author")
    assert "Restore revision 1" not in _html(author.get(f"/admin/content/post/{post}/revisions/1"))
    assert author.post(f"/admin/content/post/{post}/revisions/1/restore", data={"version": "3"}).status_code == 403
    own = Api(author.client, author.user.token).post("/api/content/post", json={"title": "Mine"}).json["data"]
    Api(author.client, author.user.token).patch(f"/api/content/post/{own['id']}", json={"title": "Mine, again"})
    assert "Restore revision 1" in _html(author.get(f"/admin/content/post/{own['id']}/revisions/1"))


def test_a_singletons_history_is_addressed_by_type(session_as, make_type, api):
    make_type("site", [{"name": "name", "type": "string"}], kind="singleton")
    api.put("/api/content/site", json={"name": "Old name"})
    api.put("/api/content/site", json={"name": "New name"})
    viewer = session_as("viewer")
    html = _html(viewer.get("/admin/content/site/singleton/revisions"))
    assert 'href="/admin/content/site/singleton/revisions/1"' in html
    assert "Old name</del>" in _html(viewer.get("/admin/content/site/singleton/revisions/1"))


# -- in a browser --------------------------------------------------------------------------------

def test_an_editor_reads_the_history_compares_and_restores(page, site):
    api = site.api()
    assert api.post("/api/content-types", json={"name": "story", "label": "Story", "fields": POST}).status_code == 201
    entry = api.post("/api/content/story",
                     json={"title": "<img src=x onerror=alert(1)> Draft", "body": LONG}).json["data"]
    api.patch(f"/api/content/story/{entry['id']}", json={"title": "<img src=x onerror=alert(1)> Edited"})
    api.patch(f"/api/content/story/{entry['id']}", json={"body": "Rewritten"})
    page.on("dialog", lambda dialog: dialog.accept() if dialog.type == "confirm" else pytest.fail(dialog.message))
    sign_in(page, site.user("editor"))
    page.goto("/admin/content/story")
    page.get_by_role("link", name=re.compile("History of")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "History of <img src=x onerror=alert(1)> Edited"
    check_accessibility(page, "revisions")
    page.get_by_role("link", name="Revision 1", exact=True).click()
    changes = page.locator("dl.diff")
    assert "<img src=x onerror=alert(1)> Draft" in changes.locator("del").first.inner_text()
    assert "Rewritten" in changes.locator("pre.new").inner_text()
    check_accessibility(page, "revision")
    assert page.get_by_role("link", name="the previous revision").count() == 0  # revision 1 has none
    page.get_by_role("button", name="Restore revision 1").click()
    assert "Revision 1 is restored as revision 4." in page.get_by_role("status").inner_text()
    assert page.get_by_role("link", name="Revision 4").is_visible()
    restored = api.get(f"/api/content/story/{entry['id']}?status=draft").json["data"]
    assert restored["title"] == "<img src=x onerror=alert(1)> Draft" and restored["version"] == 4
    assert page.errors == []


def test_the_history_is_usable_on_a_phone(new_page, site):
    api = site.api()
    if api.get("/api/content-types/story").status_code == 404:
        api.post("/api/content-types", json={"name": "story", "label": "Story", "fields": POST})
    entry = api.post("/api/content/story", json={"title": "Phone", "body": LONG}).json["data"]
    api.patch(f"/api/content/story/{entry['id']}", json={"body": LONG + " More."})
    page = new_page(width=390, height=844)
    sign_in(page, site.user("editor"))
    page.goto(f"/admin/content/story/{entry['id']}/revisions/1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.get_by_role("button", name="Restore revision 1").is_visible()
    check_accessibility(page)
