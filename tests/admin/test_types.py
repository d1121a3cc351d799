"""The content-type builder: model a type, reorder its fields, review a change's consequences, delete.

Browser journeys against a live server, plus the service's dry run (``plan_type_update``).
"""

import json
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from cms.auth.models import User
from cms.extensions import db
from tests.admin.conftest import check_accessibility, sign_in

BLOCKS = {"paragraph": [{"name": "text", "type": "text", "required": True}],
          "quote": [{"name": "text", "type": "string"}, {"name": "by", "type": "string"}]}


def _add_field(page, name, type_name, base="fields-"):
    page.locator(f"#{base}new-name").fill(name)
    page.locator(f"#{base}new-type").select_option(type_name)
    page.locator(f"button[value='add@{base}']").click()
    expect(page.locator(f"#{base}new-name")).to_have_value("")


def _names(site, type_name):
    response = site.api().get(f"/api/content-types/{type_name}")
    assert response.status_code == 200, response.json
    return [field["name"] for field in response.json["data"]["fields"]]


@pytest.mark.browser
def test_an_administrator_models_a_type_with_a_relation_media_and_blocks(page, site):
    assert site.api().post("/api/content-types", json={
        "name": "writer", "fields": [{"name": "name", "type": "string"}]}).status_code == 201
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Content types").click()
    expect(page.get_by_role("row", name=re.compile("Writer"))).to_be_visible()
    check_accessibility(page, "types")

    page.get_by_role("link", name="New content type").click()
    page.get_by_label("Name", exact=True).fill("story")
    page.get_by_label("Label", exact=True).fill("Story")
    _add_field(page, "title", "string")
    expect(page.locator("#fields-0-name")).to_be_focused()  # focus goes to the new field
    page.locator("#fields-0-label").fill("Title")
    page.locator("#fields-0-required").check()
    page.locator("#fields-0-max_length").fill("120")
    _add_field(page, "author", "relation")
    page.locator("#fields-1-target").fill("writer")
    page.locator("#fields-1-on_delete").select_option("restrict")
    _add_field(page, "cover", "media")
    _add_field(page, "body", "blocks")
    page.locator("#fields-3-min").fill("1")
    for kind, fields in BLOCKS.items():  # kinds of block, each with its own fields
        page.get_by_label("New kind of block (in body)").fill(kind)
        page.get_by_role("button", name="Add kind of block").click()
        index = list(BLOCKS).index(kind)
        expect(page.locator(f"#fields-3-blocks-{index}-name")).to_be_focused()
        for field in fields:
            _add_field(page, field["name"], field["type"], base=f"fields-3-blocks-{index}-fields-")
    page.locator("#fields-3-blocks-0-fields-0-required").check()
    _add_field(page, "credit", "component")
    _add_field(page, "caption", "string", base="fields-4-fields-")
    _add_field(page, "photo", "media", base="fields-4-fields-")
    page.get_by_role("button", name="Move up: field 2 photo").click()  # inside the component
    assert page.locator("#fields-0-label").input_value() == "Title"  # earlier rows survive each round trip
    check_accessibility(page, "type-builder")
    page.get_by_role("button", name="Create the type").first.click()
    page.wait_for_url(re.compile(r"/admin/types/story$"))
    assert "is created" in page.get_by_role("status").first.inner_text()

    data = site.api().get("/api/content-types/story").json["data"]
    fields = {field["name"]: field for field in data["fields"]}
    assert [field["name"] for field in data["fields"]] == ["title", "author", "cover", "body", "credit"]
    assert [(f["name"], f["type"]) for f in fields["credit"]["fields"]] == [("photo", "media"), ("caption", "string")]
    assert fields["body"]["blocks"]["paragraph"][0] == {**fields["body"]["blocks"]["paragraph"][0],
                                                        "name": "text", "type": "text", "required": True}
    assert fields["title"]["required"] is True and fields["title"]["max_length"] == 120
    assert fields["author"]["type"] == "relation" and fields["author"]["target"] == "writer"
    assert fields["author"]["on_delete"] == "restrict"
    assert fields["cover"]["type"] == "media"
    assert sorted(fields["body"]["blocks"]) == ["paragraph", "quote"]
    assert [f["name"] for f in fields["body"]["blocks"]["quote"]] == ["text", "by"]
    assert fields["body"]["min"] == 1
    assert page.errors == []


@pytest.mark.browser
def test_fields_are_reordered_with_the_move_buttons_keeping_focus_on_the_moved_field(page, site):
    api = site.api()
    assert api.post("/api/content-types", json={"name": "memo", "fields": [
        {"name": "one", "type": "string"}, {"name": "two", "type": "integer"},
        {"name": "three", "type": "boolean"}]}).status_code == 201
    sign_in(page)
    page.goto("/admin/types/memo")
    page.get_by_role("button", name="Move down: field 1 one").click()  # in the page, by the script
    expect(page.get_by_role("button", name="Move down: field 2 one")).to_be_focused()
    page.keyboard.press("Enter")  # the focused button again: one goes last
    expect(page.get_by_role("button", name="Move up: field 3 one")).to_be_focused()
    assert page.get_by_role("button", name="Move down: field 3 one").is_disabled()
    page.get_by_role("button", name="Review changes").first.click()
    expect(page.get_by_role("heading", name="Review changes to Memo")).to_be_visible()
    assert "Reorder the fields: two, three, one." in page.locator(".changes").inner_text()
    assert _names(site, "memo") == ["one", "two", "three"]  # the review saved nothing
    page.get_by_role("button", name="Apply the changes").click()
    page.wait_for_url(re.compile(r"/admin/types/memo$"))
    assert _names(site, "memo") == ["two", "three", "one"]
    ids = {f["name"]: f["id"] for f in site.api().get("/api/content-types/memo").json["data"]["fields"]}

    page.locator("#fields-0-name").fill("deux")  # the row keeps its field id: a rename
    page.get_by_role("button", name="Review changes").first.click()
    assert "Rename the field two to deux (its values follow)." in page.locator(".changes").inner_text()
    page.get_by_role("button", name="Apply the changes").click()
    page.wait_for_url(re.compile(r"/admin/types/memo$"))
    fields = site.api().get("/api/content-types/memo").json["data"]["fields"]
    assert (fields[0]["name"], fields[0]["id"]) == ("deux", ids["two"])
    assert page.errors == []


@pytest.mark.browser
def test_moving_fields_works_without_javascript(browser, site):
    assert site.api().post("/api/content-types", json={"name": "plain", "fields": [
        {"name": "first", "type": "string"}, {"name": "second", "type": "string"}]}).status_code == 201
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto("/admin/types/plain")
        page.locator("#fields-0-label").fill("First, relabelled")
        page.get_by_role("button", name="Move down: field 1 first").click()  # posted: the server moves it
        assert page.locator("#fields-1-name").input_value() == "first"
        assert page.locator("#fields-1-label").input_value() == "First, relabelled"  # nothing typed is lost
        expect(page.get_by_role("button", name="Move up: field 2 first")).to_be_focused()  # autofocus
        page.get_by_role("button", name="Remove field 1 second").click()
        assert page.locator("#fields-0-name").input_value() == "first"
        expect(page.locator("#fields-1-name")).to_have_count(0)
        page.get_by_role("button", name="Review changes").first.click()
        assert "Remove the field second" in page.locator(".changes").inner_text()
        page.get_by_role("button", name="Back to editing").click()
        expect(page.locator("#fields-0-label")).to_have_value("First, relabelled")
        expect(page.locator("#fields-1-name")).to_have_count(0)  # back where we were
        assert _names(site, "plain") == ["first", "second"]
    finally:
        context.close()


@pytest.mark.browser
def test_a_change_that_invalidates_entries_is_reviewed_before_it_applies(page, site):
    api = site.api()
    assert api.post("/api/content-types", json={"name": "note", "fields": [
        {"name": "title", "type": "string"}]}).status_code == 201
    long_one = api.post("/api/content/note", json={"title": "A rather long title"}).json["data"]
    assert api.post(f"/api/content/note/{long_one['id']}/publish").status_code == 200
    assert api.post("/api/content/note", json={"title": "Short"}).status_code == 201
    sign_in(page)
    page.goto("/admin/types/note")
    page.locator("#fields-0-max_length").fill("10")
    page.get_by_role("button", name="Review changes").first.click()
    expect(page.get_by_role("heading", name="Entries that will no longer validate: 1")).to_be_visible()
    link = page.get_by_role("link", name=long_one["id"])
    assert link.get_attribute("href").endswith(f"/admin/content/note/{long_one['id']}")
    assert "max_length from (none) to 10" in page.locator(".changes").inner_text()
    check_accessibility(page, "type-review")
    assert "max_length" not in api.get("/api/content-types/note").json["data"]["fields"][0]

    page.get_by_role("button", name="Apply the changes").click()
    page.wait_for_url(re.compile(r"/admin/types/note$"))
    assert "1 entry no longer validates" in page.get_by_role("status").first.inner_text()
    assert api.get("/api/content-types/note").json["data"]["fields"][0]["max_length"] == 10
    entry = api.get(f"/api/content/note/{long_one['id']}?status=draft").json["data"]
    assert entry["title"] == "A rather long title"  # kept as it was, as the service says
    assert page.errors == []


@pytest.mark.browser
def test_bad_inputs_are_shown_beside_their_fields_with_what_was_typed(page, site):
    sign_in(page)
    page.goto("/admin/types/new")
    page.locator("#name").fill("Bad Name")
    _add_field(page, "title", "string")
    _add_field(page, "title", "string")
    _add_field(page, "owner", "relation")
    page.locator("#fields-2-target").fill("nobody")
    page.get_by_role("button", name="Create the type").first.click()
    assert "lowercase" in page.locator("#name-error").inner_text()
    assert page.locator("#name").input_value() == "Bad Name"
    assert page.locator("#name").get_attribute("aria-invalid") == "true"
    check_accessibility(page)

    page.locator("#name").fill("gadget")
    page.get_by_role("button", name="Create the type").first.click()
    assert "already named 'title'" in page.locator("#fields-1-name-error").inner_text()
    assert "No content type named 'nobody'" in page.locator("#fields-2-target-error").inner_text()
    assert page.locator("#fields-2-target").input_value() == "nobody"
    assert page.locator("#fields-2-target").get_attribute("aria-describedby").endswith("fields-2-target-error")
    page.locator("#fields-0-max_length").fill("lots")
    page.get_by_role("button", name="Create the type").first.click()
    assert "whole number" in page.locator("#fields-0-max_length-error").inner_text()
    assert page.locator("#fields-0-max_length").input_value() == "lots"
    assert site.api().get("/api/content-types/gadget").status_code == 404
    assert [error for error in page.errors if "status of 422" not in error] == []


@pytest.mark.browser
def test_markup_in_labels_is_shown_as_text(page, site):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page)
    page.goto("/admin/types/new")
    page.locator("#name").fill("trap")
    page.get_by_label("Label", exact=True).fill("<script>alert(1)</script>")
    _add_field(page, "bait", "string")
    page.locator("#fields-0-label").fill("<script>alert(1)</script>")
    page.get_by_role("button", name="Create the type").first.click()
    page.wait_for_url(re.compile(r"/admin/types/trap$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Edit <script>alert(1)</script>"
    assert page.locator("#fields-0-label").input_value() == "<script>alert(1)</script>"
    page.goto("/admin/types")
    assert page.get_by_role("link", name="<script>alert(1)</script>").is_visible()
    page.goto("/admin/types/trap")
    page.get_by_role("button", name="Review changes").first.click()  # unchanged: said so
    assert "unchanged" in page.get_by_role("status").first.inner_text()
    assert dialogs == [] and page.errors == []


@pytest.mark.browser
def test_a_type_with_entries_is_deleted_only_when_forced(page, site):
    api = site.api()
    assert api.post("/api/content-types", json={"name": "scrap", "fields": [
        {"name": "title", "type": "string"}]}).status_code == 201
    assert api.post("/api/content/scrap", json={"title": "x"}).status_code == 201
    sign_in(page)
    page.goto("/admin/types/scrap")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete scrap").click()
    assert "still has 1 entries" in page.get_by_role("alert").first.inner_text()
    assert api.get("/api/content-types/scrap").status_code == 200
    page.get_by_label("Also delete its 1 entry").check()
    page.get_by_role("button", name="Delete scrap").click()
    page.wait_for_url(re.compile(r"/admin/types$"))
    assert "is deleted" in page.get_by_role("status").first.inner_text()
    assert api.get("/api/content-types/scrap").status_code == 404


@pytest.mark.browser
def test_an_editor_sees_the_types_read_only_and_is_refused_the_forms(new_page, site):
    assert site.api().post("/api/content-types", json={"name": "locked", "fields": [
        {"name": "title", "type": "string"}]}).status_code == 201
    editor = new_page()
    sign_in(editor, site.user("editor"))
    editor.get_by_role("navigation", name="Sections").get_by_role("link", name="Content types").click()
    expect(editor.get_by_role("row", name=re.compile("Locked"))).to_be_visible()
    assert editor.get_by_role("link", name="New content type").count() == 0
    assert editor.get_by_role("link", name="Locked").count() == 0  # no edit links
    token = editor.locator('meta[name="csrf-token"]').get_attribute("content")
    assert editor.goto("/admin/types/new").status == 403
    assert editor.goto("/admin/types/locked").status == 403
    for path, form in (("/admin/types/new", {"name": "sneaky", "op": "save"}),
                       ("/admin/types/locked", {"name": "locked", "op": "apply", "version": "1",
                                                "definition": json.dumps({"name": "locked", "fields": []})}),
                       ("/admin/types/locked/delete", {"force": "on"})):
        assert editor.request.post(f"{site.url}{path}", form={"csrf_token": token, **form}).status == 403
    assert _names(site, "locked") == ["title"]
    assert site.api().get("/api/content-types/sneaky").status_code == 404


@pytest.mark.browser
def test_a_phone_sized_builder_is_usable(new_page, site):
    phone = new_page(width=390, height=844)
    sign_in(phone)
    phone.goto("/admin/types/new")
    _add_field(phone, "title", "string")
    assert phone.locator("#fields-0-name").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    check_accessibility(phone)


def test_plan_type_update_reports_without_changing_anything(api, app, make_type, make_entry):
    from cms.content.services.types import find_type, plan_type_update

    make_type("draft_note", [{"name": "title", "type": "string"}], options={"draft_publish": False})
    make_entry("draft_note", title="Far too long for the new rule")
    make_entry("draft_note", title="Tiny")
    with app.app_context():
        actor = db.session.scalar(sa.select(User).where(User.email == "admin@example.com"))
        report = plan_type_update("draft_note", {"name": "draft_note", "options": {"draft_publish": False}, "fields": [
            {"name": "title", "type": "string", "max_length": 5}, {"name": "extra", "type": "integer", "indexed": True, "unique": True}]}, actor)
        assert [change["op"] for change in report["changes"]] == ["change_field", "add_field"]
        assert report["invalid_count"] == 1
        row = find_type("draft_note")
        assert row.version == 1 and [field["name"] for field in row.fields] == ["title"]
    assert "max_length" not in api.get("/api/content-types/draft_note").json["data"]["fields"][0]
    changed = api.put("/api/content-types/draft_note", json={"name": "draft_note", "fields": [
        {"name": "title", "type": "string"}, {"name": "extra", "type": "integer", "indexed": True, "unique": True}]})
    assert changed.status_code == 200, changed.json  # the rolled-back plan left no index or claim behind


@pytest.mark.browser
def test_refused_changes_nested_errors_and_plugin_field_types(page, site):
    assert site.api().post("/api/content-types", json={"name": "gizmo", "fields": [
        {"name": "title", "type": "string"}]}).status_code == 201
    sign_in(page)
    page.goto("/admin/types/gizmo")
    page.locator("#fields-0-type").select_option("integer")
    page.get_by_role("button", name="Show this type's options").click()
    expect(page.locator("#fields-0-type")).to_be_focused()
    assert page.locator("#fields-0-min").is_visible() and page.locator("#fields-0-max_length").count() == 0
    _add_field(page, "tint", "colour")  # a plugin's field type, with its own options
    page.locator("#fields-1-palette").fill("#FFF\n#000000")
    _add_field(page, "parts", "blocks")
    page.get_by_label("New kind of block (in parts)").fill("quote")
    page.get_by_role("button", name="Add kind of block").click()
    _add_field(page, "Bad Text", "text", base="fields-2-blocks-0-fields-")
    page.get_by_role("button", name="Review changes").first.click()
    assert "lowercase" in page.locator("#fields-2-blocks-0-fields-0-name-error").inner_text()  # beside the nested field
    assert page.locator("#fields-2-blocks-0-fields-0-name").input_value() == "Bad Text"
    assert page.locator("#fields-0-type").input_value() == "integer"  # what was chosen is kept

    page.locator("#fields-2-blocks-0-fields-0-name").fill("text")
    page.get_by_role("button", name="Review changes").first.click()
    assert "cannot become a integer field" in page.locator("#fields-0-type-error").inner_text()

    page.locator("#fields-0-type").select_option("string")
    page.get_by_role("button", name="Review changes").first.click()
    page.get_by_role("button", name="Apply the changes").click()
    page.wait_for_url(re.compile(r"/admin/types/gizmo$"))
    fields = {f["name"]: f for f in site.api().get("/api/content-types/gizmo").json["data"]["fields"]}
    assert fields["tint"] == {**fields["tint"], "type": "colour", "palette": ["#ffffff", "#000000"]}
    assert [f["name"] for f in fields["parts"]["blocks"]["quote"]] == ["text"]
    assert page.locator("#fields-1-palette").input_value() == "#ffffff\n#000000"
    assert [error for error in page.errors if "status of 422" not in error] == []
