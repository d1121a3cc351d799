"""The bundled seo plugin: the seo field type, end to end through the API."""

import pytest

from tests.helpers import error_details

PAGE = [{"name": "title", "type": "string"}, {"name": "seo", "type": "seo"}]
FULL = {"meta_title": "Folio", "meta_description": "A headless CMS.", "canonical_url": "https://example.com/folio",
        "noindex": True}


@pytest.fixture
def page(make_type):
    return make_type("page", PAGE)


def test_an_seo_value_is_delivered_with_every_key_and_the_image_as_a_media_reference(api, page, media_rows):
    media_rows("img1")

    response = api.post("/api/content/page", json={"title": "Home", "seo": {**FULL, "og_image": "img1"}})

    assert response.status_code == 201, response.json
    assert response.json["data"]["seo"] == {**FULL, "og_image": {"id": "img1", "type": "media"}}
    sparse = api.post("/api/content/page", json={"seo": {"meta_title": "Only a title"}}).json["data"]["seo"]
    assert sparse == {"meta_title": "Only a title", "meta_description": None, "canonical_url": None,
                      "og_image": None, "noindex": False}


def test_a_delivered_value_sent_back_changes_nothing_and_patch_merges_keys(api, page, make_entry, media_rows):
    media_rows("img1")
    entry = make_entry("page", title="Home", seo={"meta_title": "Home", "og_image": "img1"})

    again = api.put(f"/api/content/page/{entry['id']}", json={"title": "Home", "seo": entry["seo"]})
    assert again.status_code == 200 and again.json["data"]["version"] == entry["version"]

    patched = api.patch(f"/api/content/page/{entry['id']}", json={"seo": {"meta_description": "Welcome."}})
    assert patched.json["data"]["seo"]["meta_title"] == "Home"
    assert patched.json["data"]["seo"]["meta_description"] == "Welcome."
    assert patched.json["data"]["seo"]["og_image"] == {"id": "img1", "type": "media"}


@pytest.mark.parametrize("value, key", [
    ({"meta_title": "x" * 61}, "meta_title"),
    ({"meta_description": "x" * 161}, "meta_description"),
    ({"meta_title": "two\nlines"}, "meta_title"),
    ({"canonical_url": "/relative/path"}, "canonical_url"),
    ({"canonical_url": "ftp://example.com/file"}, "canonical_url"),
    ({"canonical_url": "javascript:alert(1)"}, "canonical_url"),
    ({"og_image": 12}, "og_image"),
    ({"noindex": "yes"}, "noindex"),
    ({"keywords": "cms"}, "keywords"),
])
def test_bad_seo_values_are_refused_key_by_key(api, page, value, key):
    response = api.post("/api/content/page", json={"seo": value})

    fields = error_details(response, 422, "validation_failed")["fields"]
    assert list(fields["seo"]) == [key]
    assert api.get("/api/content/page?status=draft").json["data"] == []


@pytest.mark.parametrize("value", ["Home", ["meta_title"], 1])
def test_an_seo_value_must_be_an_object(api, page, value):
    response = api.post("/api/content/page", json={"seo": value})

    assert "seo" in error_details(response, 422, "validation_failed")["fields"]


def test_the_image_must_be_in_the_media_library(api, page):
    response = api.post("/api/content/page", json={"seo": {"og_image": "missing"}})

    assert error_details(response, 422, "validation_failed")["fields"] == {"seo": ["No media with the id missing."]}


def test_an_image_used_by_an_seo_field_is_a_use_of_that_media(api, page, make_entry, media_rows):
    media_rows("img1")
    entry = make_entry("page", seo={"og_image": "img1"})

    response = api.delete("/api/media/img1")

    used = error_details(response, 409, "conflict")["used_by"]
    assert {"entry": entry["id"], "type": "page", "state": "draft"} in used


def test_a_required_seo_field_may_not_be_empty(api, make_type):
    make_type("post", [{"name": "seo", "type": "seo", "required": True}], options={"draft_publish": False})

    response = api.post("/api/content/post", json={"seo": {}})

    assert "seo" in error_details(response, 422, "validation_failed")["fields"]


def test_the_openapi_document_describes_seo_values(api, page):
    from openapi_spec_validator import validate

    document = api.get("/api/openapi.json").json

    validate(document)
    seo = document["components"]["schemas"]["page.Entry"]["properties"]["seo"]["anyOf"][0]
    assert set(seo["required"]) == {"meta_title", "meta_description", "canonical_url", "og_image", "noindex"}
    assert seo["properties"]["meta_title"]["maxLength"] == 60
