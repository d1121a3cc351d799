"""Signing in and out, lockouts, password reset and change, in a real browser."""

import re

from tests.admin.conftest import check_accessibility, sign_in
from tests.conftest import PASSWORD


def test_an_editor_signs_in_sees_the_dashboard_and_signs_out(page, site):
    from datetime import UTC, datetime, timedelta

    email = site.user("editor")
    api = site.api()
    api.post("/api/content-types", json={"name": "note", "fields": [{"name": "title", "type": "string"}]})
    for title in ("Spring launch", "Team update", "Roadmap"):
        note = api.post("/api/content/note", json={"title": title}).json["data"]
        api.post(f"/api/content/note/{note['id']}/publish")
    later = api.post("/api/content/note", json={"title": "Holiday opening hours"}).json["data"]
    when = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT09:00:00Z")
    assert api.post(f"/api/content/note/{later['id']}/schedule", json={"publish_at": when}).status_code == 200
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/admin/login\?next="))
    check_accessibility(page, "sign-in")
    sign_in(page, email)
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    nav = page.get_by_role("navigation", name="Sections")
    assert nav.get_by_role("link", name="Dashboard").get_attribute("aria-current") == "page"
    assert "Roadmap" in page.get_by_role("region", name="Recent changes").inner_text()
    assert "Holiday opening hours" in page.get_by_role("region", name="Scheduled").inner_text()
    check_accessibility(page, "dashboard")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/admin/login"))
    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/admin/login"))
    assert page.errors == []


def test_a_wrong_password_is_refused_with_a_message_and_the_email_kept(page, site):
    email = site.user("author")
    page.goto("/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "not right" in alert.inner_text()
    assert page.get_by_label("Email").input_value() == email


def test_repeated_failures_lock_the_account_with_a_clear_message(page, site):
    email = site.user("author")
    for _ in range(6):
        page.goto("/admin/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("wrong-password-again")
        page.get_by_role("button", name="Sign in").click()
    assert "Too many failed sign-ins" in page.get_by_role("alert").inner_text()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert "Too many failed sign-ins" in page.get_by_role("alert").inner_text()  # even the right password waits


def test_a_form_without_its_security_token_is_refused(page, site):
    email = site.user("viewer")
    sign_in(page, email)
    response = page.request.post(f"{site.url}/admin/account/password",
                                 form={"current_password": PASSWORD, "new_password": "x" * 20,
                                       "new_password_again": "x" * 20})
    assert response.status == 400 and "security token" in response.text()


def test_the_password_is_changed_and_mismatches_and_wrong_current_passwords_are_shown(page, site):
    email = site.user("viewer")
    sign_in(page, email)
    page.goto("/admin/account/password")
    check_accessibility(page)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-brand-new-password")
    page.get_by_label("New password again").fill("a-different-password")
    page.get_by_role("button", name="Change the password").click()
    assert "differ" in page.locator("#new_password_again-error").inner_text()
    page.get_by_label("Current password").fill("wrong-current-password")
    page.get_by_label("New password", exact=True).fill("a-brand-new-password")
    page.get_by_label("New password again").fill("a-brand-new-password")
    page.get_by_role("button", name="Change the password").click()
    assert "not your current password" in page.locator("#current_password-error").inner_text()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-brand-new-password")
    page.get_by_label("New password again").fill("a-brand-new-password")
    page.get_by_role("button", name="Change the password").click()
    assert "password is changed" in page.get_by_role("status").first.inner_text()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, email, "a-brand-new-password")


def test_a_reset_link_sets_a_new_password(page, site, caplog):
    import logging

    email = site.user("author")
    caplog.set_level(logging.WARNING)
    page.goto("/admin/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send the link").click()
    assert "on its way" in page.get_by_role("status").inner_text()
    link = re.search(r"(http://\S+\?token=[\w-]+)", caplog.text).group(1)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("reset-password-123")
    page.get_by_label("New password again").fill("reset-password-123")
    page.get_by_role("button", name="Set the password").click()
    page.wait_for_url(re.compile(r"/admin/login"))
    sign_in(page, email, "reset-password-123")
    page.goto(link)  # a used link is refused
    page.get_by_label("New password", exact=True).fill("another-password-456")
    page.get_by_label("New password again").fill("another-password-456")
    page.get_by_role("button", name="Set the password").click()
    assert "invalid, used or expired" in page.get_by_role("alert").inner_text()


def test_next_never_leads_to_another_site(page, site):
    email = site.user("viewer")
    page.goto("/admin/login?next=https://evil.example/steal")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.url.startswith(site.url)
