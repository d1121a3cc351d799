"""Presigned multipart uploads straight to S3, and `folio media gc`."""

import urllib3

import pytest

from cms.media.models import MediaItem, MediaUpload
from tests.conftest import table_count
from tests.helpers import error_of
from tests.media.conftest import image_bytes, upload


def put(url, data):
    """PUT a part to its presigned URL, as a browser would; return its ETag."""
    answer = urllib3.PoolManager().request("PUT", url, body=data)
    assert answer.status == 200, answer.data[:300]
    return answer.headers["ETag"]


def start(api, data, mime="image/png", filename="big.png"):
    response = api.post("/api/media/uploads", json={"filename": filename, "size": len(data), "mime": mime})
    assert response.status_code == 201, response.json
    return response.json["data"]


def test_a_presigned_upload_becomes_a_checked_media_item(api, s3):
    data = image_bytes(size=(64, 48))
    started = start(api, data)
    etags = [put(part["url"], data) for part in started["parts"]]

    done = api.post(f"/api/media/uploads/{started['id']}/complete",
                    json={"parts": [{"number": 1, "etag": etags[0]}]})

    assert done.status_code == 201, done.json
    item = done.json["data"]
    assert (item["mime"], item["size"], item["width"], item["height"]) == ("image/png", len(data), 64, 48)
    assert list(s3.keys("uploads/")) == [] and len(list(s3.keys("originals/"))) == 1
    assert table_count(MediaUpload) == 0


def test_completing_an_upload_that_never_happened_is_422(api, s3):
    started = start(api, image_bytes())

    response = api.post(f"/api/media/uploads/{started['id']}/complete", json={"parts": [{"number": 1, "etag": '"x"'}]})

    error_of(response, 422)
    assert table_count(MediaItem) == 0


def test_a_swapped_file_is_refused_and_removed(api, s3):
    fake = b"<html><script>alert(1)</script></html>" + b" " * 100
    started = start(api, fake, mime="image/png")
    etag = put(started["parts"][0]["url"], fake)

    response = api.post(f"/api/media/uploads/{started['id']}/complete", json={"parts": [{"number": 1, "etag": etag}]})

    assert response.status_code in (415, 422)
    assert table_count(MediaItem) == 0 and list(s3.keys("uploads/")) == [] and list(s3.keys("originals/")) == []


def test_a_file_of_another_size_than_announced_is_refused(api, s3):
    data = image_bytes()
    response = api.post("/api/media/uploads", json={"filename": "a.png", "size": len(data) + 10, "mime": "image/png"})
    started = response.json["data"]
    etag = put(started["parts"][0]["url"], data)

    done = api.post(f"/api/media/uploads/{started['id']}/complete", json={"parts": [{"number": 1, "etag": etag}]})

    assert "parts" in error_of(done, 422)["details"]["fields"]
    assert list(s3.keys("uploads/")) == []


@pytest.mark.parametrize("body, field", [
    ({"filename": "a.png", "size": 0, "mime": "image/png"}, "size"),
    ({"filename": "a.png", "size": "10", "mime": "image/png"}, "size"),
    ({"filename": "a.html", "size": 10, "mime": "text/html"}, "mime"),
    ({"filename": "a.png", "mime": "image/png"}, "size"),
    ({"filename": "a.png", "size": 10, "mime": "image/png", "bucket": "other"}, "bucket"),
])
def test_bad_upload_announcements_are_422(api, s3, body, field):
    assert field in error_of(api.post("/api/media/uploads", json=body), 422)["details"]["fields"]


def test_an_announced_size_over_the_limit_is_413(app, api, s3, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_UPLOAD_BYTES", 100)

    response = api.post("/api/media/uploads", json={"filename": "a.png", "size": 101, "mime": "image/png"})

    error_of(response, 413)


@pytest.mark.parametrize("parts", [[], "x", [{"number": 2, "etag": "x"}], [{"number": 1}],
                                   [{"number": 1, "etag": "a"}, {"number": 1, "etag": "b"}]])
def test_bad_completions_are_422(api, s3, parts):
    started = start(api, image_bytes())

    error_of(api.post(f"/api/media/uploads/{started['id']}/complete", json={"parts": parts}), 422)


def test_unknown_uploads_are_404_and_local_storage_has_no_presigned_uploads(app, api, s3, monkeypatch, tmp_path):
    error_of(api.post("/api/media/uploads/nope/complete", json={"parts": [{"number": 1, "etag": "x"}]}), 404)
    from cms.media.storage import LocalStorage

    monkeypatch.setitem(app.extensions, "folio.media_storage", LocalStorage(tmp_path))
    error_of(api.post("/api/media/uploads", json={"filename": "a.png", "size": 10, "mime": "image/png"}), 400)


def test_only_media_managers_start_uploads(as_role, anonymous, s3):
    body = {"filename": "a.png", "size": 10, "mime": "image/png"}
    error_of(anonymous.post("/api/media/uploads", json=body), 401)
    error_of(as_role("viewer").post("/api/media/uploads", json=body), 403)


# -- garbage collection -----------------------------------------------------------------------------------

def test_gc_removes_orphans_and_reports_missing_objects(api, run, storage, db):
    import io

    kept = upload(api, image_bytes(color=(1, 1, 1))).json["data"]
    lost = upload(api, image_bytes(color=(2, 2, 2))).json["data"]
    storage.save("originals/zz/orphan.png", io.BytesIO(b"left behind"), "image/png")
    storage.save(f"renditions/{kept['id']}/64x0-cover-c.webp", io.BytesIO(b"kept"), "image/webp")
    storage.save("renditions/deleted-item/64x0-cover-c.webp", io.BytesIO(b"stale"), "image/webp")
    storage.delete(db.session.get(MediaItem, lost["id"]).storage_key)

    dry = run("media", "gc", "--dry-run")
    real = run("media", "gc")

    assert "orphan object (would delete): originals/zz/orphan.png" in dry.output
    assert f"missing object: media {lost['id']}" in dry.output and dry.exit_code == 1
    assert "2 orphan(s)" in real.output
    remaining = sorted(storage.keys(""))
    assert "originals/zz/orphan.png" not in remaining and "renditions/deleted-item/64x0-cover-c.webp" not in remaining
    assert f"renditions/{kept['id']}/64x0-cover-c.webp" in remaining
