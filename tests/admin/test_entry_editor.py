"""The entry editor: a form per content type, uploads and pickers, publishing, schedules, permissions."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import check_accessibility, sign_in

ARTICLE = {
    "name": "article", "label": "Article", "fields": [
        {"name": "title", "type": "string", "required": True},
        {"name": "body", "type": "richtext"},
        {"name": "hero", "type": "media"},
        {"name": "writer", "type": "relation", "target": "writer"},
        {"name": "rating", "type": "integer", "min": 1, "max": 5},
        {"name": "featured", "type": "boolean"},
        {"name": "kind", "type": "enum", "values": ["news", "essay"]},
        {"name": "extra", "type": "json"},
        {"name": "seo", "type": "component", "fields": [{"name": "description", "type": "text"}]},
        {"name": "sections", "type": "blocks", "blocks": {
            "quote": [{"name": "text", "type": "text", "required": True}, {"name": "by", "type": "string"}],
            "links": [{"name": "items", "type": "component", "repeatable": True,
                       "fields": [{"name": "url", "type": "url"}]}]}},
    ]}


@pytest.fixture(scope="module")
def types(site):
    api = site.api()
    for payload in ({"name": "writer", "fields": [{"name": "name", "type": "string"}]}, ARTICLE,
                    {"name": "homepage", "kind": "singleton", "fields": [{"name": "headline", "type": "string"}]}):
        response = api.post("/api/content-types", json=payload)
        assert response.status_code == 201, response.json
    response = api.post("/api/content/writer", json={"name": "Ada Lovelace"})
    assert response.status_code == 201, response.json
    return {"writer": response.json["data"]["id"]}


def png(color=(200, 30, 30)):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "PNG")
    return buffer.getvalue()


def entry_id_of(page):
    return re.search(r"/admin/content/\w+/([\w-]+)", page.url).group(1)


def no_dialogs(page):
    seen = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def test_an_editor_writes_an_entry_with_an_uploaded_image_and_publishes_it(page, site, types):
    dialogs = no_dialogs(page)
    sign_in(page)
    page.goto("/admin/content/article/new")
    page.get_by_label("Title").fill("Engines of thought")
    page.get_by_label("Body", exact=True).fill("Some **bold** words <script>alert('md')</script>")
    preview = page.locator("#f-body-preview")
    preview.locator("strong").wait_for()
    assert preview.inner_text().startswith("Some bold words")
    assert preview.locator("script").count() == 0  # the sanitizer removed it
    page.get_by_label("Upload a new file for Hero").set_input_files(
        {"name": "engine.png", "mimeType": "image/png", "buffer": png()})
    page.locator('ul[data-chosen-for="f-hero"] img').wait_for()
    media_id = page.get_by_label("Hero", exact=True).input_value()
    assert media_id
    page.get_by_label("Find entries for Writer").fill("Ada")
    page.get_by_label("Find entries for Writer").press("Enter")
    page.get_by_role("button", name="Choose Ada Lovelace").click()
    assert page.get_by_label("Writer", exact=True).input_value() == types["writer"]
    page.get_by_role("button", name="Add a quote block").click()  # server-side: works without scripts
    page.get_by_label("Text").fill("The engine weaves algebraic patterns.")
    page.get_by_role("button", name="Add a links block").click()
    page.get_by_role("button", name="Add Items").click()
    page.get_by_label("Url").fill("https://example.com/engine")
    assert page.get_by_label("Text").input_value() == "The engine weaves algebraic patterns."  # kept
    assert page.get_by_label("Hero", exact=True).input_value() == media_id
    page.get_by_role("button", name="Move block 2 up").click()
    expect(page.locator("fieldset.blocks > fieldset.item > legend").nth(0)).to_have_text("1. Links block")
    expect(page.locator("fieldset.blocks > fieldset.item > legend").nth(1)).to_have_text("2. Quote block")
    check_accessibility(page, "entry-editor")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r"/admin/content/article/(?!new$)[\w-]+$"))
    assert "Engines of thought is published" in page.get_by_role("status").first.inner_text()
    assert dialogs == [] and page.errors == []

    entry_id = entry_id_of(page)
    public = site.api(token=None).get(f"/api/content/article/{entry_id}?populate=hero")
    assert public.status_code == 200, public.json
    data = public.json["data"]
    assert data["title"] == "Engines of thought" and data["hero"]["id"] == media_id
    assert data["hero"]["mime"] == "image/png"
    assert data["writer"]["id"] == types["writer"]
    assert [block["type"] for block in data["sections"]] == ["links", "quote"]
    assert "<script" not in data["body"]["html"] and "<strong>bold</strong>" in data["body"]["html"]
    image = site.api(token=None).get(f"/api/media/{media_id}/image?w=128&h=128&fit=cover")
    assert image.status_code == 200


def test_the_editor_works_without_scripts(browser, site, types):
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto("/admin/content/article/new")
        page.get_by_label("Title").fill("Plain")
        page.get_by_label("Body", exact=True).fill("*plain* <img src=x onerror=alert(1)>")
        page.get_by_label("Writer", exact=True).fill(types["writer"])
        page.get_by_role("button", name="Preview Body").click()
        assert page.locator("#f-body-preview em").inner_text() == "plain"
        assert "onerror" not in page.locator("#f-body-preview").inner_html()
        page.get_by_role("button", name="Add a quote block").click()
        page.get_by_role("button", name="Add a quote block").click()
        page.get_by_label("Text").nth(1).fill("second")
        page.get_by_role("button", name="Remove block 1").click()
        expect(page.get_by_label("Text")).to_have_count(1)  # the posted form re-renders: wait for it
        expect(page.get_by_label("Text")).to_have_value("second")
        page.get_by_role("button", name="Save draft").click()
        assert "Plain is saved" in page.get_by_role("status").inner_text()
        entry = site.api().get(f"/api/content/article/{entry_id_of(page)}?status=draft").json["data"]
        assert entry["writer"]["id"] == types["writer"] and entry["sections"][0]["value"]["text"] == "second"
    finally:
        context.close()


def test_validation_errors_are_shown_beside_their_fields_with_what_was_typed(page, site, types):
    sign_in(page)
    page.goto("/admin/content/article/new")
    page.get_by_label("Rating").fill("9")
    page.get_by_label("Extra").fill("{not json")
    page.get_by_role("button", name="Save draft").click()
    assert "Not valid JSON" in page.locator("#f-extra-error").inner_text()
    assert page.get_by_label("Extra").input_value() == "{not json"
    page.get_by_label("Extra").fill('{"a": 1}')
    page.get_by_role("button", name="Save draft").click()
    assert "less than or equal to 5" in page.locator("#f-rating-error").inner_text()
    assert page.get_by_label("Rating").input_value() == "9"
    assert page.get_by_label("Rating").get_attribute("aria-describedby") == "f-rating-error"
    page.get_by_label("Rating").fill("4")
    page.get_by_role("button", name="Add a quote block").click()
    page.get_by_role("button", name="Publish").click()  # title and the quote's text are required to publish
    page.locator("#f-title-error").wait_for()
    assert page.locator("#f-sections-0-value-text-error").is_visible()
    assert page.get_by_label("Rating").input_value() == "4"
    check_accessibility(page)


def test_a_schedule_is_stored_and_a_past_time_is_refused_beside_its_field(page, site, types):
    created = site.api().post("/api/content/article", json={"title": "Later"}).json["data"]
    sign_in(page)
    page.goto(f"/admin/content/article/{created['id']}")
    page.get_by_label("Publish at", exact=True).fill("2001-01-01T10:00")
    page.get_by_role("button", name="Schedule", exact=True).click()
    assert "Choose a time in the future" in page.locator("#schedule-publish_at-error").inner_text()
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Publish at", exact=True).fill(later)
    page.get_by_role("button", name="Schedule", exact=True).click()
    assert "Later is scheduled" in page.get_by_role("status").inner_text()
    schedule = site.api().get(f"/api/content/article/{created['id']}/schedule").json["data"]
    assert schedule["publish_at"].startswith(later)
    page.get_by_role("button", name="Cancel the schedule").click()
    assert site.api().get(f"/api/content/article/{created['id']}/schedule").json["data"]["publish_at"] is None


def test_an_author_cannot_publish_nor_open_others_entries(new_page, site, types):
    others = site.api().post("/api/content/article", json={"title": "Not yours"}).json["data"]
    author = new_page()
    sign_in(author, site.user("author"))
    author.goto("/admin/content/article/new")
    assert author.get_by_role("button", name="Publish").count() == 0
    author.get_by_label("Title").fill("Mine")
    author.get_by_role("button", name="Save draft").click()
    assert "Mine is saved" in author.get_by_role("status").inner_text()
    mine = entry_id_of(author)
    assert author.get_by_role("button", name="Publish").count() == 0
    assert author.get_by_role("button", name="Schedule", exact=True).count() == 0
    token = author.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = author.request.post(f"{site.url}/admin/content/article/{mine}/publish", form={"csrf_token": token})
    assert refused.status == 403
    sneaky = author.request.post(f"{site.url}/admin/content/article/{mine}", form={
        "csrf_token": token, "title": "Mine", "op": "publish"})
    assert sneaky.status == 403
    assert site.api().get(f"/api/content/article/{mine}?status=draft").json["data"]["status"] == "draft"
    author.goto("/admin/content/article")
    expect(author.get_by_role("link", name="Mine", exact=True)).to_be_visible()  # their own entry opens …
    assert author.get_by_role("link", name="Not yours", exact=True).count() == 0  # … another's does not
    response = author.goto(f"/admin/content/article/{others['id']}")
    assert response.status == 403
    assert "Not yours" not in author.content()
    refused = author.request.post(f"{site.url}/admin/content/article/{others['id']}", form={
        "csrf_token": token, "title": "Taken over", "op": "save"})
    assert refused.status == 403
    assert site.api().get(f"/api/content/article/{others['id']}?status=draft").json["data"]["title"] == "Not yours"


def test_markup_in_labels_and_values_is_shown_as_text(page, site, types):
    dialogs = no_dialogs(page)
    response = site.api().post("/api/content-types", json={"name": "trap", "label": "<script>alert('type')</script>Trap",
                                                           "fields": [{"name": "title", "type": "string",
                                                                       "label": "<img src=x onerror=alert('label')>Title"}]})
    assert response.status_code == 201, response.json
    created = site.api().post("/api/content/trap", json={"title": "<script>alert('title')</script>"}).json["data"]
    sign_in(page)
    page.goto(f"/admin/content/trap/{created['id']}")
    assert page.get_by_label("<img src=x onerror=alert('label')>Title").input_value() == "<script>alert('title')</script>"
    assert "Edit <script>alert('title')</script>" in page.get_by_role("heading", level=1).inner_text()
    page.goto("/admin/content/trap/new")
    assert "<script>alert('type')</script>Trap" in page.get_by_role("heading", level=1).inner_text()
    assert dialogs == [] and page.errors == []


def test_an_entry_is_created_with_the_keyboard_only(page, site, types):
    sign_in(page)
    page.goto("/admin/content/writer/new")
    page.locator("#main").focus()
    for _ in range(30):  # Tab to the name field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "f-name":
            break
    page.keyboard.type("Grace Hopper")
    page.keyboard.press("Enter")  # the form's first button: Save draft
    page.wait_for_url(re.compile(r"/admin/content/writer/(?!new$)[\w-]+$"))
    entry = site.api().get(f"/api/content/writer/{entry_id_of(page)}?status=draft").json["data"]
    assert entry["name"] == "Grace Hopper"
    for _ in range(40):  # Tab to Publish, and press it with the space bar
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Publish":
            break
    page.keyboard.press("Space")
    page.wait_for_load_state()
    assert "is published" in page.get_by_role("status").inner_text()


def test_leaving_with_unsaved_changes_asks_first(page, site, types):
    sign_in(page)
    page.goto("/admin/content/writer/new")
    page.get_by_label("Name").click()
    page.keyboard.type("Unsaved")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Dashboard").click(no_wait_after=True)
    for _ in range(100):  # not a timing assertion: waits (up to 10 s) for the browser to ask
        if asked:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)  # and for the dismissed navigation to be cancelled
    assert asked == ["beforeunload"]
    assert page.url.endswith("/admin/content/writer/new")
    assert page.get_by_label("Name").input_value() == "Unsaved"


def test_a_singleton_is_edited_in_place(page, site, types):
    sign_in(page)
    page.goto("/admin/content/homepage/new")
    page.wait_for_url(re.compile(r"/admin/content/homepage/singleton$"))
    page.get_by_label("Headline").fill("Welcome")
    page.get_by_role("button", name="Publish").click()
    assert "Welcome is published" in page.get_by_role("status").inner_text()
    assert site.api(token=None).get("/api/content/homepage").json["data"]["headline"] == "Welcome"


def test_the_markdown_preview_is_sanitized_and_needs_the_csrf_token(page, site, types):
    sign_in(page)
    page.goto("/admin/content/article/new")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    answer = page.request.post(f"{site.url}/admin/markdown-preview", form={"markdown": "# Hi <script>x()</script>"},
                               headers={"X-CSRF-Token": token})
    assert answer.status == 200 and "<h1>Hi" in answer.text() and "<script" not in answer.text()
    assert page.request.post(f"{site.url}/admin/markdown-preview", form={"markdown": "x"}).status == 400
    assert page.request.post(f"{site.url}/admin/markdown-preview", form={}, headers={"X-CSRF-Token": token}).status == 422


def test_unknown_types_actions_and_entries_are_error_pages(page, site, types):
    sign_in(page)
    assert page.goto("/admin/content/nothing/new").status == 404
    assert page.goto("/admin/content/article/missing").status == 404
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    created = site.api().post("/api/content/article", json={"title": "X"}).json["data"]
    assert page.request.post(f"{site.url}/admin/content/article/{created['id']}/explode",
                             form={"csrf_token": token}).status == 400


def test_the_editor_fits_a_phone(new_page, site, types):
    phone = new_page(width=390, height=844)
    sign_in(phone)
    phone.goto("/admin/content/article/new")
    phone.get_by_role("button", name="Add a quote block").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    check_accessibility(phone)


def test_crafted_form_values_are_refused_or_ignored_never_a_500(page, site, types):
    sign_in(page)
    page.goto("/admin/content/article/new")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    new = f"{site.url}/admin/content/article/new"
    for form in ({"op": "add:nothing"}, {"op": "up:sections.7"}, {"op": "add:sections=unknown"},
                 {"sections.__count": "many", "op": "remove:sections.0"}, {"sections.__count": "1", "sections.0.type": "x"},
                 {"writer": "a, b", "op": "save"}, {"rating": "ten"}, {"featured.__present": "1", "featured": "maybe"},
                 {"sections.__count": "1", "sections.0.type": "quote", "sections.0.id": "bad id!"}):
        answer = page.request.post(new, form={"csrf_token": token, **form})
        assert answer.status in (200, 422), (form, answer.status)
    answer = page.request.post(new, form={"csrf_token": token, "writer": "a, b", "rating": "ten"})
    assert answer.status == 422 and 'id="f-writer-error"' in answer.text() and 'id="f-rating-error"' in answer.text()
    assert page.request.post(new, form={"title": "no token"}).status == 400


def test_signed_out_visitors_are_sent_to_sign_in(page, site, types):
    page.goto("/admin/content/article/new")
    assert "/admin/login" in page.url
