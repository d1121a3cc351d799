"""Image renditions: sizes from the configured list, focal point, EXIF orientation, no metadata, kept."""

import io

import pytest
from PIL import Image

from tests.helpers import error_of
from tests.media.conftest import image_bytes, upload
from tests.media.test_library import fetch


def rendition(api, media_id, query):
    status, headers, body = fetch(api, f"/api/media/{media_id}/image?{query}")
    assert status == 200, body[:300]
    return Image.open(io.BytesIO(body)), headers


def test_a_rendition_is_made_once_and_served_again(api, storage, monkeypatch):
    import cms.media.renditions as renditions

    item = upload(api, image_bytes(size=(400, 200))).json["data"]
    made = []
    real = renditions.render
    monkeypatch.setattr(renditions, "render", lambda *args: made.append(1) or real(*args))

    first, _headers = rendition(api, item["id"], "w=128&h=128&fit=cover&format=png")
    second, _headers = rendition(api, item["id"], "w=128&h=128&fit=cover&format=png")

    assert first.size == second.size == (128, 128) and first.format == "PNG"
    assert made == [1]
    assert len(list(storage.keys(f"renditions/{item['id']}/"))) == 1


def test_contain_keeps_the_aspect_ratio_and_width_alone_scales(api, storage):
    item = upload(api, image_bytes(size=(400, 200))).json["data"]

    contained, _h = rendition(api, item["id"], "w=128&h=128&fit=contain&format=webp")
    by_width, _h = rendition(api, item["id"], "w=320&format=jpeg")

    assert contained.size == (128, 64) and contained.format == "WEBP"
    assert by_width.size == (320, 160) and by_width.format == "JPEG"


def test_cover_crops_around_the_focal_point(api, storage):
    picture = Image.new("RGB", (400, 100), (0, 0, 255))
    picture.paste((255, 0, 0), (300, 0, 400, 100))  # the right quarter is red
    out = io.BytesIO()
    picture.save(out, "PNG")
    item = upload(api, out.getvalue(), "wide.png").json["data"]
    api.patch(f"/api/media/{item['id']}", json={"focal_x": 0.9, "focal_y": 0.5})

    square, _h = rendition(api, item["id"], "w=64&h=64&format=png")

    assert square.convert("RGB").getpixel((40, 32))[0] > 200  # the crop sits on the red part


def test_exif_orientation_is_honoured_and_metadata_stripped(api, storage):
    picture = Image.new("RGB", (200, 100), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0)}  # GPS
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif)
    item = upload(api, out.getvalue(), "phone.jpg").json["data"]

    turned, _h = rendition(api, item["id"], "w=64&format=jpeg")

    assert turned.size == (64, 128)  # portrait, as the camera meant
    assert not turned.getexif()  # no orientation, no GPS


@pytest.mark.parametrize("query, parameter", [
    ("w=100", "w"), ("w=-64", "w"), ("w=99999999", "w"), ("w=abc", "w"), ("h=65", "h"), ("", "w"),
    ("w=64&fit=fill", "fit"), ("w=64&format=gif", "format"), ("w=64&format=svg", "format"), ("w=64&x=1", "x"),
])
def test_bad_rendition_requests_are_400(api, storage, query, parameter):
    item = upload(api, image_bytes()).json["data"]

    response = api.get(f"/api/media/{item['id']}/image?{query}")

    assert parameter in error_of(response, 400, "bad_request")["details"]["parameters"]
    assert list(storage.keys("renditions/")) == []


def test_files_that_are_not_images_have_no_renditions(app, api, storage, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_ALLOWED_TYPES", [*app.config["MEDIA_ALLOWED_TYPES"]])
    item = upload(api, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "doc.pdf").json["data"]

    error_of(api.get(f"/api/media/{item['id']}/image?w=64"), 400)


def test_renditions_of_unknown_media_are_404(api, storage):
    error_of(api.get("/api/media/nope/image?w=64"), 404)


def test_the_worker_makes_a_new_images_usual_renditions_ahead_of_requests(api, storage, app, monkeypatch):
    import cms.media.renditions as renditions
    from cms.jobs.worker import Worker

    monkeypatch.setitem(app.config, "MEDIA_PRERENDER_WIDTHS", [128, 320])
    item = upload(api, image_bytes(size=(400, 200))).json["data"]
    upload(api, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "doc.pdf")
    counts = Worker(app, name="renders").run(until_idle=True)

    assert counts["jobs"] == 1  # the image only
    assert len(list(storage.keys(f"renditions/{item['id']}/"))) == 2
    made = []
    real = renditions.render
    monkeypatch.setattr(renditions, "render", lambda *args: made.append(1) or real(*args))
    served, _headers = rendition(api, item["id"], "w=320&format=webp")
    assert served.size == (320, 160) and made == []  # served from what the worker made
