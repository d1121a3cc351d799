"""Users in the admin: add, edit, delete; bad input shown beside its field; permissions enforced."""

import re

from playwright.sync_api import expect

from tests.admin.conftest import check_accessibility, sign_in
from tests.conftest import PASSWORD


def test_an_administrator_adds_edits_and_deletes_a_user(page, site):
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Users").click()
    check_accessibility(page, "users")
    page.get_by_role("link", name="Add a user").click()
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Add the user").click()
    expect(page.locator("#email-error")).to_be_visible()
    assert page.get_by_label("Email").input_value() == "not-an-email"  # what was typed is kept
    check_accessibility(page)
    page.get_by_label("Email").fill("new.writer@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Add the user").click()
    expect(page.locator("#password-error")).to_be_visible()
    page.get_by_label("Name").fill("New <b>Writer</b>")
    page.get_by_label("Role").select_option("author")
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Add the user").click()
    page.wait_for_url(re.compile(r"/admin/users$"))
    assert "new.writer@example.com can now sign in" in page.get_by_role("status").inner_text()
    row = page.get_by_role("row", name=re.compile("new.writer@example.com"))
    assert "New <b>Writer</b>" in row.inner_text()  # shown as text, not markup

    page.get_by_role("link", name="new.writer@example.com").click()
    page.get_by_label("Role").select_option("editor")
    page.get_by_label("Active (may sign in)").uncheck()
    page.get_by_role("button", name="Save").click()
    row = page.get_by_role("row", name=re.compile("new.writer@example.com"))
    assert "editor" in row.inner_text() and "deactivated" in row.inner_text()

    page.get_by_role("link", name="new.writer@example.com").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("Delete new.writer")).click()
    assert "is deleted" in page.get_by_role("status").inner_text()
    expect(page.get_by_role("row", name=re.compile("new.writer@example.com"))).to_have_count(0)


def test_a_taken_email_is_refused_beside_the_field(page, site):
    taken = site.user("viewer")
    sign_in(page)
    page.goto("/admin/users/new")
    page.get_by_label("Email").fill(taken)
    page.get_by_label("Password").fill("a-long-enough-password")
    page.get_by_role("button", name="Add the user").click()
    assert "Already taken" in page.locator("#email-error").inner_text()


def test_the_last_administrator_cannot_be_deactivated(page, site):
    sign_in(page)
    page.goto("/admin/users?q=admin@example.com")
    page.get_by_role("link", name="admin@example.com").click()
    page.get_by_label("Active (may sign in)").uncheck()
    page.get_by_role("button", name="Save").click()
    assert "last active administrator" in page.get_by_role("alert").inner_text()


def test_an_editor_reads_users_without_controls_and_an_author_is_refused(new_page, site):
    editor = new_page()
    sign_in(editor, site.user("editor"))
    editor.goto("/admin/users")
    assert editor.get_by_role("link", name="Add a user").count() == 0
    assert editor.get_by_role("link", name="admin@example.com").count() == 0  # no edit links
    response = editor.goto("/admin/users/new")
    assert response.status == 403
    posted = editor.request.post(f"{site.url}/admin/users/new", form={
        "csrf_token": editor.locator('meta[name="csrf-token"]').get_attribute("content"),
        "email": "sneaky@example.com", "password": "a-long-enough-password", "role": "administrator"})
    assert posted.status == 403  # the server refuses what the page does not offer

    author = new_page()
    sign_in(author, site.user("author"))
    assert author.goto("/admin/users").status == 403
    assert "Not allowed" in author.get_by_role("heading", level=1).inner_text()
    assert author.get_by_role("navigation", name="Sections").get_by_role("link", name="Users").count() == 0
    assert PASSWORD
