"""The media library on both backends: uploads, detection, dedupe, metadata, serving, deletion, entries."""

import io
import struct
import urllib3
import zlib

import pytest
import sqlalchemy as sa
from PIL import Image

from cms.media.models import MediaItem, MediaReference
from tests.conftest import table_count
from tests.helpers import error_of
from tests.media.conftest import image_bytes, upload


def stored_keys(storage):
    return sorted(storage.keys("originals/"))


def fetch(api, path):
    """GET a file path; follow a redirect into the bucket like a browser. Return ``(status, headers, bytes)``."""
    response = api.get(path, token=None)
    if response.status_code == 302:
        remote = urllib3.PoolManager().request("GET", response.headers["Location"])  # the presigned S3 URL
        return remote.status, dict(remote.headers), remote.data
    body = response.get_data()
    response.close()  # releases the served file
    return response.status_code, dict(response.headers), body


# -- uploads -------------------------------------------------------------------------------------------

def test_an_upload_is_stored_described_and_served(api, storage):
    data = image_bytes(size=(40, 30))

    response = upload(api, data, "Photo.png", alt="A red square", tags="red, square", folder="/blog", focal_x="0.25")

    assert response.status_code == 201, response.json
    item = response.json["data"]
    assert {k: item[k] for k in ("type", "filename", "mime", "size", "width", "height", "alt", "tags", "folder")} == {
        "type": "media", "filename": "Photo.png", "mime": "image/png", "size": len(data), "width": 40,
        "height": 30, "alt": "A red square", "tags": ["red", "square"], "folder": "/blog"}
    assert len(stored_keys(storage)) == 1
    status, headers, body = fetch(api, f"/api/media/{item['id']}/file")
    assert (status, body) == (200, data)
    if storage.name == "local":
        assert headers["X-Content-Type-Options"] == "nosniff" and "sandbox" in headers["Content-Security-Policy"]


def test_the_same_bytes_are_stored_once(api, storage):
    data = image_bytes()

    first = upload(api, data, "a.png")
    second = upload(api, data, "b.png")

    assert first.status_code == 201 and second.status_code == 200
    assert second.json["data"]["id"] == first.json["data"]["id"] and second.json["meta"] == {"duplicate": True}
    assert table_count(MediaItem) == 1 and len(stored_keys(storage)) == 1


def test_the_type_comes_from_the_bytes_not_the_name(api, storage):
    png_named_exe = upload(api, image_bytes(), "setup.exe")
    html_named_jpg = upload(api, b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>", "cat.jpg")
    svg_with_script = upload(api, b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "x.svg")

    assert png_named_exe.status_code == 201
    assert (png_named_exe.json["data"]["mime"], png_named_exe.json["data"]["filename"]) == ("image/png", "setup.png")
    assert error_of(html_named_jpg, 415, "unsupported_media_type")["details"]["detected"] == "text/html"
    error_of(svg_with_script, 415, "unsupported_media_type")
    assert table_count(MediaItem) == 1 and len(stored_keys(storage)) == 1


@pytest.mark.parametrize("data", [b"", None])
def test_an_empty_file_is_422(api, storage, data):
    response = upload(api, data or b"", "empty.png")

    assert "file" in error_of(response, 422, "validation_failed")["details"]["fields"]
    assert stored_keys(storage) == []


def test_a_file_over_the_limit_is_413_and_leaves_nothing(app, api, storage, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", 1000)

    response = upload(api, image_bytes(size=(300, 300), color=None) + b"\0" * 5000, "big.png")

    assert response.status_code == 413
    assert response.json["error"]["code"] in {"too_large", "request_entity_too_large"}
    assert table_count(MediaItem) == 0 and stored_keys(storage) == []


def _png_claiming(width, height):
    """A tiny PNG whose header claims ``width``×``height`` (a decompression bomb's shape)."""
    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_without_decoding(api, storage):
    response = upload(api, _png_claiming(100_000, 100_000), "bomb.png")

    assert "file" in error_of(response, 422, "validation_failed")["details"]["fields"]
    assert stored_keys(storage) == []


def test_images_over_the_pixel_limit_are_refused(app, api, storage, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_PIXELS", 100)

    error_of(upload(api, image_bytes(size=(20, 20)), "a.png"), 422)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_image_is_422(api, storage, fmt):
    whole = image_bytes(fmt, size=(200, 200), color=None)
    noisy = Image.effect_noise((200, 200), 80).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, fmt)
    whole = out.getvalue()

    response = upload(api, whole[: len(whole) // 2], f"cut.{fmt.lower()}")

    error_of(response, 422, "validation_failed")
    assert stored_keys(storage) == []


@pytest.mark.parametrize("name, stored", [
    ("../../etc/passwd", "passwd.png"), ("..\\..\\windows\\win.ini", None), ("x" * 300 + ".png", "x" * 251 + ".png"),
    ("/absolute/path/photo.png", "photo.png"), (".hidden.png", "hidden.png"),
])
def test_file_names_are_reduced_to_a_safe_name(api, storage, name, stored):
    response = upload(api, image_bytes(color=(len(name) % 255, 1, 2)), name)

    assert response.status_code == 201, response.json
    filename = response.json["data"]["filename"]
    assert "/" not in filename and "\\" not in filename and not filename.startswith(".") and filename.endswith(".png")
    assert stored is None or filename == stored


@pytest.mark.parametrize("name", ["a\x00b.png", "a\nb.png", "a\u202eb.png"])
def test_control_characters_in_file_names_are_422(api, storage, name):
    error_of(upload(api, image_bytes(), name), 422)


@pytest.mark.parametrize("fields, field", [({"focal_x": "2"}, "focal_x"), ({"focal_x": "left"}, "focal_x"),
                                           ({"folder": "../x"}, "folder"), ({"owner": "me"}, "owner"),
                                           ({"alt": "a\x00b"}, "alt"), ({"tags": "a\x00"}, "tags"),
                                           ({"alt": "x" * 1001}, "alt")])
def test_bad_upload_metadata_is_422_before_anything_is_stored(api, storage, fields, field):
    response = upload(api, image_bytes(), "a.png", **fields)

    assert field in error_of(response, 422)["details"]["fields"]
    assert stored_keys(storage) == []


def test_uploads_need_a_multipart_file(api, storage):
    error_of(api.post("/api/media", json={"file": "aGVsbG8="}), 422)
    two = api.request("POST", "/api/media", content_type="multipart/form-data",
                      data={"file": [(io.BytesIO(b"a"), "a.png"), (io.BytesIO(b"b"), "b.png")]})
    error_of(two, 422)
    error_of(api.request("POST", "/api/media", content_type="multipart/form-data",
                         data={"other": (io.BytesIO(image_bytes()), "a.png")}), 422)


def test_an_unreachable_s3_is_503_and_leaves_no_item(app, api, db, monkeypatch):
    from cms.media.storage import S3Storage

    monkeypatch.setitem(app.extensions, "folio.media_storage",
                        S3Storage("nowhere", endpoint_url="http://127.0.0.1:9", region="us-east-1"))

    response = upload(api, image_bytes(), "a.png")

    error_of(response, 503, "storage_unavailable")
    assert table_count(MediaItem) == 0


# -- permissions ---------------------------------------------------------------------------------------

def test_who_may_upload_and_list(as_role, anonymous, storage):
    error_of(upload(anonymous, image_bytes()), 401)
    error_of(upload(as_role("viewer"), image_bytes()), 403)
    assert upload(as_role("author"), image_bytes()).status_code == 201
    error_of(anonymous.get("/api/media"), 401)
    error_of(as_role("viewer").get("/api/media"), 403)
    assert as_role("editor").get("/api/media").json["meta"]["total"] == 1


def test_files_are_public_by_their_unguessable_url(api, anonymous, storage):
    item = upload(api, image_bytes()).json["data"]

    status, _headers, _body = fetch(anonymous, f"/api/media/{item['id']}/file")

    assert status == 200
    error_of(anonymous.patch(f"/api/media/{item['id']}", json={"alt": "x"}), 401)
    error_of(anonymous.delete(f"/api/media/{item['id']}"), 401)


# -- listing and metadata --------------------------------------------------------------------------------

def test_listing_filters_and_searches(api, storage):
    upload(api, image_bytes(color=(1, 1, 1)), "beach.png", alt="Sunset at the sea", folder="/travel", tags="sea")
    upload(api, image_bytes("JPEG", color=(2, 2, 2)), "office.jpg", folder="/work")
    upload(api, image_bytes("GIF", color=(3, 3, 3)), "dance.gif", caption="A sea shanty")

    def names(query):
        return sorted(item["filename"] for item in api.get(f"/api/media?{query}").json["data"])

    assert names("q=sea") == ["beach.png", "dance.gif"]
    assert names("mime=image/") == ["beach.png", "dance.gif", "office.jpg"]
    assert names("mime=image/jpeg") == ["office.jpg"]
    assert names("folder=/travel") == ["beach.png"]
    assert names("tag=sea") == ["beach.png"]
    assert api.get("/api/media?per_page=2").json["meta"] == {"total": 3, "page": 1, "per_page": 2}


def test_tags_match_exactly_whatever_their_characters(api, storage):
    upload(api, image_bytes(color=(5, 5, 5)), "a.png", tags="café,50%")
    upload(api, image_bytes(color=(6, 6, 6)), "b.png", tags="cafe,50")

    for tag, expected in (("café", ["a.png"]), ("50%", ["a.png"]), ("50", ["b.png"]), ("caf", [])):
        found = [item["filename"] for item in api.get("/api/media", query_string={"tag": tag}).json["data"]]
        assert found == expected, tag


@pytest.mark.parametrize("query", ["page=0", "per_page=101", "sort=size", "q=" + "x" * 201, "q=a%00b", "tag=%00"])
def test_bad_listing_parameters_are_400(api, storage, query):
    error_of(api.get(f"/api/media?{query}"), 400)


def test_metadata_is_edited_and_recorded(api, storage):
    item = upload(api, image_bytes()).json["data"]

    changed = api.patch(f"/api/media/{item['id']}", json={"alt": "New alt", "focal_x": 0.2, "focal_y": 0.8,
                                                         "tags": ["a", "a", "b"], "filename": "../renamed.png"})

    assert changed.status_code == 200, changed.json
    data = changed.json["data"]
    assert (data["alt"], data["focal"], data["tags"], data["filename"]) == ("New alt", {"x": 0.2, "y": 0.8},
                                                                           ["a", "b"], "renamed.png")
    audit = api.get(f"/api/audit?target_type=media&target_id={item['id']}").json["data"]
    assert [event["action"] for event in audit] == ["media.update", "media.create"]


@pytest.mark.parametrize("body", [{"size": 1}, {"mime": "text/html"}, {"focal_x": "x"}, {"tags": "a"}, {"id": "x"}])
def test_bad_metadata_edits_are_422(api, storage, body):
    item = upload(api, image_bytes()).json["data"]

    error_of(api.patch(f"/api/media/{item['id']}", json=body), 422)


@pytest.mark.parametrize("media_id", ["nope", "x" * 200, "00000000-0000-0000-0000-000000000000"])
def test_unknown_media_is_404(api, storage, media_id):
    error_of(api.get(f"/api/media/{media_id}"), 404)
    error_of(api.get(f"/api/media/{media_id}/file"), 404)


# -- entries --------------------------------------------------------------------------------------------

@pytest.fixture
def post_type(make_type):
    return make_type("post", [{"name": "title", "type": "string"}, {"name": "cover", "type": "media"},
                              {"name": "gallery", "type": "media", "many": True}])


def test_media_fields_take_only_existing_items_and_populate_to_media_objects(api, storage, post_type, make_entry):
    one, two = (upload(api, image_bytes(color=(n, n, n))).json["data"] for n in (1, 2))

    missing = api.post("/api/content/post", json={"title": "x", "cover": "no-such-media"})
    entry = make_entry("post", publish=True, title="x", cover=one["id"], gallery=[two["id"], one["id"]])
    stub = api.get(f"/api/content/post/{entry['id']}").json["data"]
    full = api.get(f"/api/content/post/{entry['id']}?populate=cover,gallery").json["data"]

    assert error_of(missing, 422)["details"]["fields"] == {"cover": ["No media with the id no-such-media."]}
    assert stub["cover"] == {"id": one["id"], "type": "media"}
    assert full["cover"]["url"] and full["cover"]["mime"] == "image/png" and full["cover"]["width"] == 40
    assert [item["id"] for item in full["gallery"]] == [two["id"], one["id"]]
    used = api.get(f"/api/media/{one['id']}").json["data"]["used_by"]
    assert {(use["entry"], use["state"]) for use in used} == {(entry["id"], "draft"), (entry["id"], "published")}


def test_populating_media_takes_one_query_whatever_the_page(app, api, storage, post_type, make_entry, count_queries,
                                                            monkeypatch):
    monkeypatch.setitem(app.extensions, "folio.count_cache", None)
    items = [upload(api, image_bytes(color=(n, 0, 0))).json["data"]["id"] for n in range(3)]
    for n in range(20):
        make_entry("post", publish=True, title=f"p{n}", cover=items[n % 3], gallery=items[:2])

    def queries(per_page):
        with count_queries() as statements:
            response = api.get(f"/api/content/post?per_page={per_page}&populate=cover,gallery")
        assert all(entry["cover"]["type"] == "media" for entry in response.json["data"])
        return len(statements)

    assert queries(1) == queries(20)


@pytest.mark.parametrize("query", ["populate=cover.owner", "populate=cover&populate[cover][fields]=alt"])
def test_media_has_nothing_to_populate_inside(api, storage, post_type, query):
    error_of(api.get(f"/api/content/post?{query}"), 400)


def test_a_used_item_is_not_deleted_unless_forced(api, storage, post_type, make_entry):
    item = upload(api, image_bytes()).json["data"]
    entry = make_entry("post", publish=True, title="x", cover=item["id"])

    refused = api.delete(f"/api/media/{item['id']}")
    forced = api.delete(f"/api/media/{item['id']}?force=true")

    assert error_of(refused, 409)["details"]["used_by"][0]["entry"] == entry["id"]
    assert forced.status_code == 204
    assert stored_keys(storage) == [] and table_count(MediaItem) == 0 and table_count(MediaReference) == 0
    assert api.get(f"/api/content/post/{entry['id']}?populate=cover").json["data"]["cover"] is None


def test_an_unused_item_is_deleted_with_its_object(api, storage, db):
    item = upload(api, image_bytes()).json["data"]

    assert api.delete(f"/api/media/{item['id']}").status_code == 204

    assert stored_keys(storage) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaItem)) == 0


def test_a_failure_after_the_object_is_stored_leaves_neither_item_nor_object(app, api, storage, monkeypatch):
    import cms.media.services as services

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "record", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_UNEXPECTED", False)

    response = upload(api, image_bytes(), "a.png")

    assert response.status_code == 500 and response.json["error"]["code"] == "internal_error"
    assert table_count(MediaItem) == 0 and stored_keys(storage) == []


def test_a_plugin_storage_backend_is_selected_by_name(database_url, tmp_path, db):
    from cms.media.storage import LocalStorage
    from cms.plugins.hookspecs import hookimpl
    from tests.conftest import make_app

    class Backend:
        @hookimpl
        def folio_register_media_storage(self, registry):
            registry.register("vault", lambda config: LocalStorage(tmp_path / "vault"))

    app = make_app(database_url, tmp_path, MEDIA_STORAGE="vault", PLUGINS_OBJECTS=[Backend()])

    assert isinstance(app.extensions["folio.media_storage"], LocalStorage)
    assert app.extensions["folio.media_storage"].root == (tmp_path / "vault").resolve()
    with pytest.raises(RuntimeError, match="FOLIO_MEDIA_STORAGE"):
        make_app(database_url, tmp_path, MEDIA_STORAGE="nowhere")


def test_imported_entries_track_the_media_they_use(api, storage, post_type, db):
    import json

    from cms.content.services.bulk import import_entries
    from cms.core.policy import SYSTEM

    item = upload(api, image_bytes()).json["data"]
    lines = [json.dumps({"id": "imported-1", "type": "post", "data": {"title": "x", "cover": item["id"],
                                                                       "gallery": [item["id"], "gone"]},
                         "published": {"title": "x", "cover": item["id"]}})]

    import_entries(lines, SYSTEM)
    db.session.commit()

    used = api.get(f"/api/media/{item['id']}").json["data"]["used_by"]
    assert {(use["entry"], use["state"]) for use in used} == {("imported-1", "draft"), ("imported-1", "published")}
    error_of(api.delete(f"/api/media/{item['id']}"), 409)


def test_admin_pages_let_images_come_from_the_bucket_and_nowhere_else(app, client, monkeypatch, s3_endpoint):
    """With files on a bucket or CDN, the admin's CSP names that origin (and only it) for images."""
    from tests.media.conftest import s3_storage

    monkeypatch.setitem(app.extensions, "folio.media_storage",
                        s3_storage(s3_endpoint, public_url="https://media.example.com/cms"))
    policy = client.get("/admin/login").headers["Content-Security-Policy"]
    images = next(part for part in policy.split(";") if part.strip().startswith("img-src")).split()
    assert images == ["img-src", "'self'", "data:", "blob:", "https://media.example.com"]

    monkeypatch.setitem(app.extensions, "folio.media_storage", s3_storage(s3_endpoint))  # presigned GET URLs
    policy = client.get("/admin/login").headers["Content-Security-Policy"]
    assert f"img-src 'self' data: blob: {s3_endpoint}" in policy
