"""Roles in the admin: the permission matrix makes the roles service's permission JSON; nobody
grants what they lack; built-in roles are fixed where they cannot change; permissions enforced."""

import re

import pytest

from tests.admin.conftest import check_accessibility, sign_in


@pytest.fixture(autouse=True)
def fresh_limits(site):
    site.app.extensions["folio.limiter"].reset()


@pytest.fixture(scope="module")
def article(site):
    response = site.api().post("/api/content-types", json={"name": "article", "fields": [
        {"name": "title", "type": "string"}, {"name": "body", "type": "text"}]})
    assert response.status_code == 201, response.json
    return "article"


def test_an_administrator_builds_a_role_with_the_matrix(page, site, article):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Roles").click()
    check_accessibility(page, "roles")
    page.get_by_role("link", name="Add a role").click()
    page.get_by_label("Name", exact=True).fill("article_writer")
    page.get_by_label("Label").fill("Writer <script>alert(1)</script>")
    for action in ("Read", "Create", "Update"):
        page.get_by_label(f"{action} — article", exact=True).check()
    page.get_by_label("Own entries only — article", exact=True).check()
    page.get_by_label("Fields — article", exact=True).fill("Title!")
    page.get_by_label("Read — media", exact=True).check()
    page.get_by_role("button", name="Add the role").click()
    assert "Use field names." in page.locator(".field-error").first.inner_text()  # beside the row at fault
    assert page.get_by_label("Update — article", exact=True).is_checked()  # what was ticked is kept
    check_accessibility(page, "role-editor")

    page.get_by_label("Fields — article", exact=True).fill("title")
    page.get_by_role("button", name="Add the role").click()
    page.wait_for_url(re.compile(r"/admin/roles/article_writer$"))
    assert "is created" in page.get_by_role("status").first.inner_text()
    stored = site.api().get("/api/roles/article_writer").json["data"]["permissions"]
    assert stored == [
        {"type": "article", "action": "read", "fields": ["title"], "own": True},
        {"type": "article", "action": "create", "fields": ["title"]},
        {"type": "article", "action": "update", "fields": ["title"], "own": True},
        {"system": "media", "action": "read"},
    ]
    # the stored set shows again in the matrix: create (never own) is a row of its own
    assert page.get_by_label("Read — media", exact=True).is_checked()
    assert page.get_by_label(re.compile("^Fields — article")).count() == 2

    page.goto("/admin/roles")
    assert page.get_by_role("link", name="Writer <script>alert(1)</script>").is_visible()  # text, not markup
    page.get_by_role("link", name="Writer <script>alert(1)</script>").click()
    page.get_by_role("button", name="Delete the role article_writer").click()
    assert "is deleted" in page.get_by_role("status").inner_text()
    assert site.api().get("/api/roles/article_writer").status_code == 404
    assert dialogs == ["confirm"]  # the delete's question, and no script from the label
    assert page.errors == []


def test_a_built_in_role_is_editable_and_the_administrator_role_is_fixed(page, site, article):
    sign_in(page)
    page.goto("/admin/roles/administrator")
    assert "cannot be changed" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Save").count() == 0
    assert page.get_by_label("Read — every type", exact=True).is_disabled()
    assert page.get_by_role("button", name=re.compile("Delete the role")).count() == 0

    page.goto("/admin/roles/viewer")
    assert page.get_by_role("button", name=re.compile("Delete the role")).count() == 0  # built-in: kept
    page.get_by_label("Read — media", exact=True).check()
    page.get_by_role("button", name="Save").click()
    assert "is saved" in page.get_by_role("status").first.inner_text()
    assert {"system": "media", "action": "read"} in site.api().get("/api/roles/viewer").json["data"]["permissions"]
    page.get_by_label("None — media", exact=True).check()
    page.get_by_role("button", name="Save").click()
    assert site.api().get("/api/roles/viewer").json["data"]["permissions"] == [
        {"type": "*", "action": "read"}, {"system": "content_types", "action": "read"}]


def test_nobody_grants_a_permission_they_do_not_hold(page, site, article):
    response = site.api().post("/api/roles", json={"name": "role_keeper", "permissions": [
        {"type": "*", "action": "read"}, {"system": "roles", "action": "manage"},
        {"system": "content_types", "action": "read"}]})
    assert response.status_code == 201, response.json
    sign_in(page, site.user("role_keeper"))
    page.goto("/admin/roles/new")
    page.get_by_label("Name", exact=True).fill("publishers")
    page.get_by_label("Publish — article", exact=True).check()
    page.get_by_role("button", name="Add the role").click()
    alert = page.get_by_role("alert").inner_text()
    assert "You cannot grant the role 'publishers'" in alert and "article publish" in alert
    assert site.api().get("/api/roles/publishers").status_code == 404
    page.get_by_label("Publish — article", exact=True).uncheck()
    page.get_by_label("Read — article", exact=True).check()
    page.get_by_role("button", name="Add the role").click()
    assert "is created" in page.get_by_role("status").first.inner_text()


def test_editors_and_viewers_are_refused_the_roles_pages(new_page, site):
    for role in ("editor", "viewer"):
        page = new_page()
        sign_in(page, site.user(role))
        assert page.get_by_role("navigation", name="Sections").get_by_role("link", name="Roles").count() == 0
        assert page.goto("/admin/roles").status == 403
        assert page.goto("/admin/roles/new").status == 403
        assert page.goto("/admin/roles/editor").status == 403
        token = page.locator('meta[name="csrf-token"]').get_attribute("content")
        posted = page.request.post(f"{site.url}/admin/roles/new", form={
            "csrf_token": token, "name": "sneaky", "rows": "1", "row-0-type": "*", "row-0-read": "on"})
        assert posted.status == 403
        posted = page.request.post(f"{site.url}/admin/roles/viewer/delete", form={"csrf_token": token})
        assert posted.status == 403
    assert site.api().get("/api/roles/sneaky").status_code == 404


def test_the_matrix_is_usable_on_a_phone(new_page, site, article):
    page = new_page(width=390, height=844)
    sign_in(page)
    page.goto("/admin/roles/editor")
    check_accessibility(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # the table scrolls, not the page
    page.get_by_label("Publish — article", exact=True).scroll_into_view_if_needed()
    assert page.get_by_label("Publish — article", exact=True).is_visible()


def test_a_role_someone_holds_is_not_deleted(page, site):
    assert site.api().post("/api/roles", json={"name": "held_role", "permissions": [
        {"type": "*", "action": "read"}]}).status_code == 201
    site.user("held_role")
    sign_in(page)
    page.goto("/admin/roles/held_role")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the role held_role").click()
    assert "is held by 1 user(s)" in page.get_by_role("alert").inner_text()
    assert site.api().get("/api/roles/held_role").status_code == 200
