"""No lost work: two people edit one entry; the second sees the conflict, keeps their text, merges and saves."""

import pytest

from tests.admin.conftest import check_accessibility, sign_in


@pytest.fixture(scope="module")
def note(site):
    response = site.api().post("/api/content-types", json={"name": "note", "fields": [
        {"name": "title", "type": "string"}, {"name": "body", "type": "richtext"}, {"name": "pinned", "type": "boolean"}]})
    assert response.status_code == 201, response.json
    return "note"


def test_the_second_writer_sees_the_conflict_without_losing_text_then_merges(new_page, site, note):
    created = site.api().post("/api/content/note", json={"title": "Draft title", "body": "First line."}).json["data"]
    first, second = new_page(), new_page()
    sign_in(first)
    sign_in(second, site.user("editor"))
    url = f"/admin/content/note/{created['id']}"
    first.goto(url)
    second.goto(url)

    first.get_by_label("Title").fill("Their better title")
    first.get_by_role("button", name="Save draft").click()
    assert "Their better title is saved" in first.get_by_role("status").inner_text()

    second.get_by_label("Body", exact=True).fill("First line.\n\nMy long paragraph that must not be lost.")
    second.get_by_label("Pinned").check()
    second.get_by_role("button", name="Save draft").click()
    alert = second.get_by_role("alert")
    assert "Someone else saved this entry" in alert.inner_text()
    assert second.get_by_label("Body", exact=True).input_value() == "First line.\n\nMy long paragraph that must not be lost."
    assert second.get_by_label("Pinned").is_checked()
    assert second.get_by_label("Title").input_value() == "Draft title"  # still theirs to decide
    assert "Their better title" in second.locator("#f-title-theirs").inner_text()
    assert second.get_by_label("Title").get_attribute("aria-describedby") == "f-title-theirs"
    assert second.locator("#f-body-theirs, #f-pinned-theirs").count() == 0  # fields only I changed need no merge
    check_accessibility(second, "entry-conflict")
    stored = site.api().get(f"/api/content/note/{created['id']}?status=draft").json["data"]
    assert stored["title"] == "Their better title" and "long paragraph" not in stored["body"]["markdown"]

    second.get_by_role("button", name="Use their version of Title").click()
    assert second.get_by_label("Title").input_value() == "Their better title"
    second.get_by_role("button", name="Save draft").click()
    assert "Their better title is saved" in second.get_by_role("status").inner_text()
    merged = site.api().get(f"/api/content/note/{created['id']}?status=draft").json["data"]
    assert merged["title"] == "Their better title" and "must not be lost" in merged["body"]["markdown"]
    assert merged["pinned"] is True and merged["version"] == created["version"] + 2
    assert first.errors == []
    assert second.errors == []


def test_a_stale_delete_is_refused_and_the_entry_stays(new_page, site, note):
    created = site.api().post("/api/content/note", json={"title": "Keep me"}).json["data"]
    page = new_page()
    sign_in(page)
    page.goto(f"/admin/content/note/{created['id']}")
    assert site.api().patch(f"/api/content/note/{created['id']}", json={"title": "Changed"}).status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete this entry").click()
    assert "changed since the version you sent" in page.get_by_role("alert").first.inner_text()
    assert site.api().get(f"/api/content/note/{created['id']}?status=draft").status_code == 200
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete this entry").click()  # the page now carries the new version
    assert "The entry is deleted" in page.get_by_role("status").inner_text()
    assert site.api().get(f"/api/content/note/{created['id']}?status=draft").status_code == 404
