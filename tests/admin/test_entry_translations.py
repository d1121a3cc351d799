"""Translations in the editor: the locale switcher links each translation and offers the missing ones."""

import re

import pytest

from tests.admin.conftest import serve_site, sign_in


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A site with English and French (the shared fixture's site has the default locale only)."""
    with serve_site(tmp_path_factory.mktemp("locales"), "locales", LOCALES=["en", "fr"]) as served:
        yield served


def test_an_editor_adds_a_translation_through_the_locale_switcher(page, site):
    api = site.api()
    assert api.post("/api/content-types", json={"name": "page", "options": {"localized": True}, "fields": [
        {"name": "title", "type": "string"}]}).status_code == 201
    assert api.post("/api/content-types", json={"name": "banner", "kind": "singleton", "options": {"localized": True},
                                                "fields": [{"name": "text", "type": "string"}]}).status_code == 201
    english = api.post("/api/content/page", json={"title": "Hello"}).json["data"]
    sign_in(page)
    page.goto(f"/admin/content/page/{english['id']}")
    switcher = page.get_by_role("navigation", name="Translations")
    assert switcher.get_by_role("link", name="en").get_attribute("aria-current") == "page"
    switcher.get_by_role("link", name="fr (add)").click()
    page.get_by_label("Title").fill("Bonjour")
    page.get_by_role("button", name="Save draft").click()
    assert "Bonjour is saved" in page.get_by_role("status").inner_text()
    french_id = re.search(r"/admin/content/page/([\w-]+)", page.url).group(1)
    translations = api.get(f"/api/content/page/{english['id']}/translations?status=draft").json["data"]
    assert {(row["locale"], row["id"]) for row in translations} == {("en", english["id"]), ("fr", french_id)}
    assert page.get_by_role("navigation", name="Translations").get_by_role("link", name="fr").get_attribute(
        "aria-current") == "page"

    page.goto("/admin/content/banner/singleton?locale=fr")
    page.get_by_label("Text").fill("Soldes")
    page.get_by_role("button", name="Publish").click()
    assert "Soldes is published" in page.get_by_role("status").inner_text()
    assert api.get("/api/content/banner?locale=fr", token=None).json["data"]["text"] == "Soldes"
    assert page.goto("/admin/content/banner/singleton?locale=xx").status == 400
