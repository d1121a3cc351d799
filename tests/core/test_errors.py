"""Every /api failure answers with the one JSON error shape and the right status, never HTML or 500."""

import pytest

from cms.content.models import ContentType
from tests.conftest import make_app, table_count
from tests.helpers import error_of

TYPES_URL = "/api/content-types"
VALID_TYPE = {"name": "note", "fields": [{"name": "title", "type": "string"}]}


def test_an_unknown_api_route_answers_404_json(api):
    response = api.get("/api/no-such-thing")

    error_of(response, 404, "not_found")


def test_an_unknown_api_route_answers_json_to_anonymous_callers(api):
    response = api.get("/api/content-types/x/y/z", token=None)

    error_of(response, 404, "not_found")
    assert b"<html" not in response.data.lower()


def test_a_wrong_method_answers_405_json_with_allow(api):
    response = api.delete(TYPES_URL)

    error_of(response, 405, "method_not_allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_a_body_over_the_limit_answers_413_json(api):
    body = b'{"name": "' + b"x" * (1024 * 1024) + b'"}'

    response = api.post(TYPES_URL, data=body, content_type="application/json")

    error_of(response, 413)
    assert table_count(ContentType) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": '{"name": "note"}', "content_type": "text/plain"},
        {"data": {"name": "note"}},  # form data
        {"data": '{"name": "note"}'},  # no Content-Type at all
    ],
    ids=["text-plain", "form-data", "none"],
)
def test_a_body_that_is_not_declared_json_answers_415(api, kwargs):
    response = api.post(TYPES_URL, **kwargs)

    error_of(response, 415, "unsupported_media_type")
    assert table_count(ContentType) == 0


@pytest.mark.parametrize(
    "body",
    ['{"name": "note"', "{'name': 'note'}", "", "\xff\xfe"],
    ids=["truncated", "single-quotes", "empty", "not-utf8"],
)
def test_malformed_json_answers_400(api, body):
    data = body.encode("latin-1")

    response = api.post(TYPES_URL, data=data, content_type="application/json")

    error_of(response, 400)
    assert table_count(ContentType) == 0


@pytest.mark.parametrize("body", ["[]", '"note"', "42", "null", "true"])
def test_json_that_is_not_an_object_answers_400(api, body):
    response = api.post(TYPES_URL, data=body, content_type="application/json")

    error = error_of(response, 400)
    assert "object" in error["message"]
    assert table_count(ContentType) == 0


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 5000])
def test_non_finite_or_overflowing_numbers_answer_400(api, number):
    body = '{"name": "note", "fields": [], "extra": ' + number + "}"

    response = api.post(TYPES_URL, data=body, content_type="application/json")

    error_of(response, 400)
    assert table_count(ContentType) == 0


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")], ids=["arrays", "objects"])
def test_100000_deep_nesting_answers_400_not_500(api, opening, closing):
    depth = 100_000
    body = '{"name": "note", "deep": ' + opening * depth + "1" + closing * depth + "}"

    response = api.post(TYPES_URL, data=body, content_type="application/json")

    error_of(response, 400)
    assert table_count(ContentType) == 0


def test_an_unexpected_exception_answers_500_without_leaking_its_text(database_url, tmp_path, caplog):
    app = make_app(database_url, tmp_path)

    @app.get("/api/test-boom")
    def boom():
        raise RuntimeError("password=hunter2 in /srv/secret.py")

    response = app.test_client().get("/api/test-boom")

    error_of(response, 500, "internal_error")
    assert b"hunter2" not in response.data
    assert b"secret.py" not in response.data
    assert b"RuntimeError" not in response.data
    assert "hunter2" in caplog.text  # logged for operators, not sent to the caller


def test_an_unexpected_exception_outside_api_is_not_shown_either(database_url, tmp_path):
    app = make_app(database_url, tmp_path)

    @app.get("/test-boom")
    def boom():
        raise KeyError("hunter2")

    response = app.test_client().get("/test-boom")

    assert response.status_code == 500
    assert b"hunter2" not in response.data


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("GET", TYPES_URL, {}),
        ("GET", TYPES_URL, {"token": None}),
        ("GET", "/api/nowhere", {}),
        ("DELETE", TYPES_URL, {}),
        ("POST", TYPES_URL, {"json": VALID_TYPE}),
        ("POST", TYPES_URL, {"data": "x", "content_type": "text/plain"}),
        ("POST", TYPES_URL, {"json": VALID_TYPE, "token": "folio_wrong"}),
    ],
)
def test_every_api_response_carries_the_security_headers(api, method, path, kwargs):
    response = api.request(method, path, **kwargs)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_a_get_has_an_etag_and_if_none_match_answers_304(api, make_type):
    make_type("note", VALID_TYPE["fields"])
    first = api.get(TYPES_URL)
    etag = first.headers["ETag"]

    again = api.get(TYPES_URL, headers={"If-None-Match": etag})

    assert first.status_code == 200
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag


def test_an_entry_etag_changes_when_the_entry_changes(api, make_type, make_entry):
    make_type("note", VALID_TYPE["fields"])
    entry = make_entry("note", title="One")
    url = f"/api/content/note/{entry['id']}"
    etag = api.get(url, query_string={"status": "draft"}).headers["ETag"]

    patched = api.patch(url, json={"title": "Two"}, headers={"If-Match": etag})
    response = api.get(url, query_string={"status": "draft"}, headers={"If-None-Match": etag})

    assert patched.status_code == 200, patched.json

    assert response.status_code == 200
    assert response.json["data"]["title"] == "Two"
    assert response.headers["ETag"] != etag


def test_an_anonymous_get_is_publicly_cacheable(api, make_type, make_entry):
    make_type("note", VALID_TYPE["fields"])
    make_entry("note", publish=True, title="Hello")

    response = api.get("/api/content/note", token=None)

    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert "Authorization" in response.headers["Vary"]


def test_a_get_with_a_token_is_private_and_not_stored(api, make_type, make_entry):
    make_type("note", VALID_TYPE["fields"])
    make_entry("note", publish=True, title="Hello")

    response = api.get("/api/content/note")

    assert response.status_code == 200
    cache_control = response.headers["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert "public" not in cache_control


def test_a_write_is_never_cacheable(api):
    response = api.post(TYPES_URL, json=VALID_TYPE)

    assert response.status_code == 201
    assert "no-store" in response.headers["Cache-Control"]
