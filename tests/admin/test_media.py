"""The media library in the admin: drag-and-drop uploads with progress, refused files, metadata and
focal point, where a file is used, deleting (refused while used unless forced), permissions."""

import io
import os
import re

import pytest
from playwright.sync_api import expect
from PIL import Image

from tests.admin.conftest import check_accessibility, sign_in

HOSTILE = "<img src=x onerror=alert(1)>.png"


@pytest.fixture(autouse=True)
def fresh_limits(site):
    site.app.extensions["folio.limiter"].reset()  # many sign-ins from one address in a module


def png(color=(200, 30, 30), size=(120, 80)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()



def upload(site, name, data):
    response = site.api().post("/api/media", data={"file": (io.BytesIO(data), name)})
    assert response.status_code == 201, response.json
    return response.json["data"]


def drop(page, files):
    """Drop ``[(name, mime, bytes)]`` on the upload zone, as a browser drag-and-drop does."""
    page.evaluate("""(files) => {
        const transfer = new DataTransfer();
        for (const [name, type, bytes] of files) transfer.items.add(new File([new Uint8Array(bytes)], name, {type}));
        document.querySelector("form.dropzone").dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", [[name, mime, list(data)] for name, mime, data in files])


def test_files_dropped_on_the_zone_upload_with_progress_and_appear_in_the_grid(page, site):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Media").click()
    page.wait_for_url(re.compile(r"/admin/media$"))
    drop(page, [("red-dot.png", "image/png", png((220, 0, 0))), ("green-dot.png", "image/png", png((0, 160, 0))),
                ("notes.png", "image/png", b"just some text, not a picture\n")])
    progress = page.get_by_role("list", name="Uploads")
    progress.locator("li.ok").nth(1).wait_for()
    progress.locator("li.failed").wait_for()
    assert progress.locator("li", has_text="red-dot.png").locator(".state").inner_text() == "Complete."
    refused = progress.locator("li", has_text="notes.png").inner_text()
    assert "not accepted" in refused  # the 415 message of the API
    results = page.locator("#media-results")
    results.get_by_text("green-dot.png").wait_for()  # the grid was refreshed without a page load
    assert results.get_by_text("red-dot.png").is_visible()
    assert results.get_by_text("notes.png").count() == 0

    page.set_input_files("#files", files=[{"name": HOSTILE, "mimeType": "image/png", "buffer": png((1, 2, 3))}])
    results.get_by_text(HOSTILE).wait_for()  # chosen files upload at once, by the same script
    assert page.locator("img[src='x']").count() == 0
    check_accessibility(page, "media")
    page.reload()
    assert page.locator("#media-results").get_by_text(HOSTILE).is_visible()  # shown as text after a page load too
    assert dialogs == [] and page.errors == []


def test_without_javascript_the_form_uploads_every_file_and_reports_each(browser, site):
    context = browser.new_context(base_url=site.url, java_script_enabled=False)
    try:
        page = context.new_page()
        out = io.BytesIO()
        Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(out, "PNG")
        noise = out.getvalue()
        assert len(noise) > site.app.config["MAX_CONTENT_LENGTH"]
        sign_in(page)
        page.goto("/admin/media")
        page.set_input_files("#files", files=[
            {"name": "plain-upload.png", "mimeType": "image/png", "buffer": png((5, 5, 200))},
            {"name": "noise.png", "mimeType": "image/png", "buffer": noise},  # larger than a JSON body may be
            {"name": "empty.png", "mimeType": "image/png", "buffer": b""},
            {"name": "letter.png", "mimeType": "image/png", "buffer": b"Dear reader,\n"}])
        page.get_by_role("button", name="Upload the files").click()
        page.wait_for_url(re.compile(r"/admin/media$"))
        assert {"plain-upload.png: uploaded.", "noise.png: uploaded."} <= set(page.get_by_role("status").all_inner_texts())
        alerts = " ".join(page.get_by_role("alert").all_inner_texts())
        assert "letter.png:" in alerts and "not accepted" in alerts
        assert "empty.png:" in alerts
        page.get_by_label("Search").fill("plain-upload")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("#media-results").get_by_text("plain-upload.png")).to_be_visible()
    finally:
        context.close()


def test_alt_text_and_a_focal_point_set_by_clicking_the_picture_are_saved(page, site):
    item = upload(site, "focus.png", png((10, 120, 200), size=(400, 200)))
    sign_in(page)
    page.goto("/admin/media?view=list")
    page.get_by_role("link", name="focus.png").click()
    page.wait_for_url(re.compile(rf"/admin/media/{item['id']}$"))
    check_accessibility(page, "media-item")
    page.get_by_label("Alternative text").fill("A blue <b>field</b>")
    page.get_by_label("Tags").fill("sky, blue")
    picture = page.locator("[data-focal-image]")
    box = picture.bounding_box()
    picture.click(position={"x": box["width"] * 0.25, "y": box["height"] * 0.75})
    expect(page.locator("[data-focal-marker]")).to_be_visible()
    assert abs(float(page.get_by_label("Across (x)").input_value()) - 0.25) < 0.02
    page.get_by_role("button", name="Save").click()
    assert "focus.png is saved" in page.get_by_role("status").inner_text()

    data = site.api().get(f"/api/media/{item['id']}").json["data"]
    assert data["alt"] == "A blue <b>field</b>" and data["tags"] == ["sky", "blue"]
    assert abs(data["focal"]["x"] - 0.25) < 0.02 and abs(data["focal"]["y"] - 0.75) < 0.02
    assert page.get_by_label("Alternative text").input_value() == "A blue <b>field</b>"

    page.get_by_label("Across (x)").fill("1.5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#focal_x-error")).to_be_visible()  # refused beside its field, what was typed kept
    assert page.get_by_label("Across (x)").input_value() == "1.5"
    assert page.errors == []


def test_a_used_file_shows_where_and_is_deleted_only_when_forced(page, site):
    item = upload(site, "cover.png", png((90, 90, 0)))
    api = site.api()
    assert api.post("/api/content-types", json={"name": "story", "fields": [
        {"name": "title", "type": "string"}, {"name": "cover", "type": "media"}]}).status_code == 201
    entry = api.post("/api/content/story", json={"title": "Uses it", "cover": item["id"]}).json["data"]
    sign_in(page)
    page.goto(f"/admin/media/{item['id']}")
    usage = page.locator("ul.usage")
    assert "story" in usage.inner_text() and entry["id"] in usage.inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the file").click()
    assert "is used by 1 entries" in page.get_by_role("alert").inner_text()
    assert api.get(f"/api/media/{item['id']}").status_code == 200

    page.get_by_label("Delete anyway, although entries use it").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the file").click()
    page.wait_for_url(re.compile(r"/admin/media$"))
    assert "cover.png is deleted" in page.get_by_role("status").inner_text()
    assert api.get(f"/api/media/{item['id']}").status_code == 404


def test_a_viewer_is_refused_the_library_and_an_author_may_upload(new_page, site):
    item = upload(site, "viewer-check.png", png((3, 3, 3)))
    viewer = new_page()
    sign_in(viewer, site.user("viewer"))
    assert viewer.get_by_role("navigation", name="Sections").get_by_role("link", name="Media").count() == 0
    assert viewer.goto("/admin/media").status == 403
    assert viewer.goto(f"/admin/media/{item['id']}").status == 403
    token = viewer.locator('meta[name="csrf-token"]').get_attribute("content")
    posted = viewer.request.post(f"{site.url}/admin/media/{item['id']}/delete", form={"csrf_token": token, "force": "on"})
    assert posted.status == 403
    posted = viewer.request.post(f"{site.url}/admin/media/{item['id']}", form={"csrf_token": token, "alt": "x"})
    assert posted.status == 403
    assert site.api().get(f"/api/media/{item['id']}").status_code == 200

    author = new_page()
    sign_in(author, site.user("author"))
    author.goto("/admin/media")
    assert author.get_by_label("Files to upload").is_visible()


def test_the_library_and_an_item_work_on_a_phone(new_page, site):
    item = upload(site, "phone.png", png((0, 90, 90), size=(300, 300)))
    page = new_page(width=390, height=844)
    sign_in(page)
    page.goto("/admin/media")
    assert page.get_by_label("Files to upload").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    check_accessibility(page)
    page.goto(f"/admin/media/{item['id']}")
    page.locator("[data-focal-image]").click(position={"x": 10, "y": 10})
    page.get_by_role("button", name="Save").click()
    assert site.api().get(f"/api/media/{item['id']}").json["data"]["focal"]["x"] < 0.2
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_file_over_the_size_limit_is_refused_with_the_reason(page, site, monkeypatch):
    monkeypatch.setitem(site.app.config, "MEDIA_MAX_BYTES", 5000)
    out = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(100 * 100 * 3)).save(out, "PNG")
    sign_in(page)
    page.goto("/admin/media")
    drop(page, [("big-one.png", "image/png", out.getvalue())])
    row = page.get_by_role("list", name="Uploads").locator("li", has_text="big-one.png")
    assert "too large" in row.inner_text()  # refused before sending
    page.evaluate("delete document.querySelector('form.dropzone').dataset.maxBytes")
    drop(page, [("big-two.png", "image/png", out.getvalue())])
    row = page.get_by_role("list", name="Uploads").locator("li.failed", has_text="big-two.png")
    assert "larger than 5,000 bytes" in row.inner_text()  # the server's 413
    assert page.errors == []
