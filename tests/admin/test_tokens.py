"""API tokens in the admin: the secret is shown once, works against the API, stops when revoked;
nobody mints a token above their own permissions; others' tokens stay out of reach."""

import re

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import check_accessibility, sign_in


@pytest.fixture(autouse=True)
def fresh_limits(site):
    site.app.extensions["folio.limiter"].reset()



def test_a_new_token_is_shown_once_works_and_stops_when_revoked(page, site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="API tokens").click()
    check_accessibility(page, "tokens")
    page.get_by_role("link", name="Create a token").click()
    page.get_by_role("button", name="Create the token").click()
    expect(page.locator("#name-error")).to_be_visible()  # a name is required
    page.get_by_label("Name").fill("site <b>build</b>")
    page.get_by_label("Expires").select_option("7")
    page.get_by_role("button", name="Create the token").click()
    assert "shown only once" in page.get_by_role("alert").inner_text()
    secret = page.get_by_label("Token").input_value()
    assert secret.startswith("folio_")
    check_accessibility(page, "token-created")
    page.get_by_role("button", name="Copy the token").click()
    page.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret

    me = site.api(secret).get("/api/auth/me")
    assert me.status_code == 200 and me.json["data"]["user"]["email"] == "admin@example.com"

    page.reload()  # the answer to the form: sent again, it makes no second token and shows nothing
    assert secret not in page.content()
    page.goto("/admin/tokens")
    assert secret not in page.content()
    rows = page.locator("tr", has_text="site <b>build</b>")
    assert rows.count() == 1  # shown as text; one token, not two
    assert secret[:12] in rows.inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    rows.get_by_role("button", name=re.compile("Revoke")).click()
    assert "is revoked" in page.get_by_role("status").inner_text()
    assert site.api(secret).get("/api/auth/me").status_code == 401
    assert page.errors == []


def test_a_token_cannot_hold_more_than_its_maker(page, site):
    sign_in(page, site.user("editor"))
    page.goto("/admin/tokens/new")
    page.get_by_label("Name").fill("too much")
    page.get_by_label("Role").select_option("administrator")
    page.get_by_role("button", name="Create the token").click()
    assert "You cannot grant the role 'administrator'" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Name").input_value() == "too much"
    page.get_by_label("Kind").select_option("delivery")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Create the token").click()
    assert "give them permissions, not a role" in page.locator("#role-error").inner_text()
    page.get_by_label("Role").select_option("")
    page.get_by_role("button", name="Create the token").click()
    secret = page.get_by_label("Token").input_value()
    assert site.api(secret).get("/api/content-types").status_code in (200, 403)
    assert site.api(secret).get("/api/users").status_code == 403  # a delivery token reads published content only


def test_others_tokens_are_listed_only_for_managers_and_never_revoked_by_others(new_page, site):
    admin_tokens = site.api().get("/api/tokens").json["data"]
    admin_token = admin_tokens[0]
    author = new_page()
    sign_in(author, site.user("author"))
    assert author.get_by_role("navigation", name="Sections").get_by_role("link", name="API tokens").count() == 1
    author.goto("/admin/tokens")
    assert admin_token["prefix"] not in author.content()
    token = author.locator('meta[name="csrf-token"]').get_attribute("content")
    posted = author.request.post(f"{site.url}/admin/tokens/{admin_token['id']}/revoke", form={"csrf_token": token})
    assert posted.status == 404
    assert site.api().get("/api/auth/me").status_code == 200  # still works

    admin = new_page()
    sign_in(admin)
    admin.goto("/admin/tokens")
    assert admin_token["prefix"] in admin.content()  # tokens.manage sees every user's tokens
