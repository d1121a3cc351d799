"""Plugins and settings in the admin: what runs, read-only, with no secret shown; administrators only."""

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import check_accessibility, sign_in


@pytest.fixture(autouse=True)
def fresh_limits(site):
    site.app.extensions["folio.limiter"].reset()


def test_the_plugins_page_lists_the_bundled_plugins_as_active(page, site):
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Plugins").click()
    for name in ("colour", "reading_time", "seo"):
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name, exact=True))
        expect(row).to_have_count(1)
        assert "active" in row.get_by_role("cell").nth(2).inner_text()
    assert "folio_" in page.locator("table").inner_text()  # the hooks they implement
    check_accessibility(page, "plugins")
    assert page.errors == []


def test_the_settings_page_shows_what_matters_and_no_secret(page, site, monkeypatch):
    monkeypatch.setitem(site.app.config, "REDIS_URL", "redis://:hunter2-redis@cache.internal:6379/0")
    monkeypatch.setitem(site.app.config, "S3_ENDPOINT_URL", "https://key:hunter3-s3@objects.example.com/")
    monkeypatch.setitem(site.app.config, "S3_SECRET_ACCESS_KEY", "hunter4-s3-secret")
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Settings").click()
    main = page.locator("main").inner_text()
    assert "default" in main and "local" in main  # theme and media storage
    assert "WEBHOOK_MAX_ATTEMPTS" in main and "PLUGINS" in main
    assert "objects.example.com" in main and "configured (redis)" in main
    html = page.content()
    for secret in (site.app.config["SECRET_KEY"], "hunter2", "hunter3", "hunter4", site.app.config["ADMIN_TOKEN"]):
        assert secret not in html
    assert "password" not in main.lower()
    check_accessibility(page, "settings")


@pytest.mark.parametrize("role", ["editor", "author", "viewer"])
def test_only_administrators_see_plugins_and_settings(page, site, role):
    sign_in(page, site.user(role))
    sections = page.get_by_role("navigation", name="Sections")
    assert sections.get_by_role("link", name="Plugins").count() == 0
    assert sections.get_by_role("link", name="Settings").count() == 0
    assert page.goto("/admin/plugins").status == 403
    assert page.goto("/admin/settings").status == 403


def test_a_wide_table_scrolls_in_a_region_the_keyboard_reaches(new_page, site):
    page = new_page(width=390, height=844)
    sign_in(page)
    page.goto("/admin/plugins")
    region = page.get_by_role("region", name="Plugins")
    assert region.evaluate("wrap => wrap.scrollWidth > wrap.clientWidth")  # the table is wider than a phone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # the table scrolls, not the page
    check_accessibility(page)  # axe: a scrollable region must be reachable by keyboard
    region.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.table-wrap').scrollLeft > 0")
