"""The bundled colour plugin: a hex colour field type, end to end through the API."""

import pytest

from tests.helpers import error_details

SWATCH = [{"name": "name", "type": "string"}, {"name": "accent", "type": "colour"}]


def test_the_colour_field_type_is_contributed_by_its_plugin(api):
    plugin = api.get("/api/plugins/colour").json["data"]

    assert plugin["state"] == "active" and plugin["contributes"] == {"field_types": ["colour"]}


def test_colours_are_stored_and_delivered_lower_case_rrggbb(api, make_type, make_entry):
    make_type("swatch", SWATCH)

    entries = [make_entry("swatch", name=name, accent=colour)
               for name, colour in (("red", "#FF0000"), ("lime", "#0f0"), ("blue", "#1E90ff"))]

    assert [entry["accent"] for entry in entries] == ["#ff0000", "#00ff00", "#1e90ff"]
    stored = api.get(f"/api/content/swatch/{entries[1]['id']}?status=draft").json["data"]
    assert stored["accent"] == "#00ff00"


@pytest.mark.parametrize("bad", ["red", "#12", "#ggg", "ff0000", "#ff00000", " #fff", "#fff\n", 123, True, ["#fff"],
                                 "#ff000080"])
def test_a_value_that_is_no_opaque_hex_colour_is_refused(api, make_type, bad):
    make_type("swatch", SWATCH)

    response = api.post("/api/content/swatch", json={"name": "x", "accent": bad})

    fields = error_details(response, 422, "validation_failed")["fields"]
    assert list(fields) == ["accent"]
    assert api.get("/api/content/swatch?status=draft").json["data"] == []


def test_colours_filter_with_eq_ne_and_in_and_sort_like_strings(api, make_type, make_entry, anonymous):
    make_type("swatch", SWATCH)
    for name, colour in (("red", "#F00"), ("blue", "#0000FF"), ("green", "#008000"), ("none", None)):
        make_entry("swatch", publish=True, name=name, accent=colour)

    def names(query):
        response = anonymous.get(f"/api/content/swatch?{query}")
        assert response.status_code == 200, response.json
        return [entry["name"] for entry in response.json["data"]]

    assert names("filter[accent]=%23ff0000") == ["red"]
    assert names("filter[accent][eq]=%230000ff") == ["blue"]
    assert sorted(names("filter[accent][ne]=%23ff0000")) == ["blue", "green", "none"]
    assert sorted(names("filter[accent][in]=%23ff0000,%23008000")) == ["green", "red"]
    assert names("sort=accent") == ["none", "blue", "green", "red"]  # missing first, then byte order
    assert names("sort=-accent") == ["red", "green", "blue", "none"]


def test_a_palette_is_normalized_and_limits_the_values(api, make_type, make_entry):
    created = make_type("brand", [{"name": "accent", "type": "colour", "palette": ["#F00", "#00ff00"]}])

    assert created["fields"][0]["palette"] == ["#ff0000", "#00ff00"]
    assert make_entry("brand", accent="#FF0000")["accent"] == "#ff0000"
    response = api.post("/api/content/brand", json={"accent": "#0000ff"})
    fields = error_details(response, 422, "validation_failed")["fields"]
    assert "palette" in fields["accent"][0]


def test_a_default_is_stored_normalized_and_must_fit_the_palette(api, make_type, make_entry):
    created = make_type("theme", [{"name": "accent", "type": "colour", "default": "#ABC"}])

    assert created["fields"][0]["default"] == "#aabbcc"
    assert make_entry("theme")["accent"] == "#aabbcc"
    response = api.post("/api/content-types", json={"name": "other", "fields": [
        {"name": "accent", "type": "colour", "palette": ["#000"], "default": "#fff"}]})
    assert "default" in error_details(response, 422, "validation_failed")["fields"]["fields"]["0"]


def test_alpha_allows_transparency_and_drops_an_opaque_alpha(api, make_type, make_entry):
    make_type("overlay", [{"name": "tint", "type": "colour", "alpha": True}])

    assert make_entry("overlay", tint="#FF000080")["tint"] == "#ff000080"
    assert make_entry("overlay", tint="#f008")["tint"] == "#ff000088"
    assert make_entry("overlay", tint="#FF0000FF")["tint"] == "#ff0000"  # the same colour as opaque red


@pytest.mark.parametrize("definition, key", [
    ({"palette": ["nope"]}, "palette"),
    ({"palette": []}, "palette"),
    ({"palette": "#fff"}, "palette"),
    ({"palette": ["#fff", "#FFFFFF"]}, "palette"),
    ({"palette": ["#ff000080"]}, "palette"),  # transparency without alpha: true
    ({"alpha": "yes"}, "alpha"),
    ({"shade": "dark"}, "shade"),
])
def test_bad_options_are_refused_when_the_type_is_defined(api, definition, key):
    response = api.post("/api/content-types", json={"name": "swatch", "fields": [
        {"name": "accent", "type": "colour", **definition}]})

    fields = error_details(response, 422, "validation_failed")["fields"]
    assert key in fields["fields"]["0"], fields
    assert api.get("/api/content-types/swatch").status_code == 404


def test_a_unique_colour_is_unique_whatever_its_spelling(api, make_type, make_entry):
    make_type("swatch", [{"name": "accent", "type": "colour", "unique": True}])
    make_entry("swatch", accent="#abc")

    response = api.post("/api/content/swatch", json={"accent": "#AABBCC"})

    assert response.status_code == 409, response.json


def test_the_openapi_document_describes_colour_values(api, make_type):
    from openapi_spec_validator import validate

    make_type("swatch", [{"name": "accent", "type": "colour", "palette": ["#f00", "#0f0"]}])

    document = api.get("/api/openapi.json").json

    validate(document)
    accent = document["components"]["schemas"]["swatch.Entry"]["properties"]["accent"]
    assert accent["enum"] == ["#ff0000", "#00ff00", None] and accent["pattern"] == "^#[0-9a-f]{6}$"


def test_a_string_field_may_become_a_colour_field_and_misfits_are_reported(api, make_type, make_entry):
    make_type("swatch", [{"name": "accent", "type": "string"}])
    make_entry("swatch", accent="#ff0000")
    misfit = make_entry("swatch", accent="red")

    response = api.patch("/api/content-types/swatch", json={"fields": [{"name": "accent", "type": "colour"}]})

    assert response.status_code == 200, response.json
    report = response.json["meta"]
    assert report["invalid_count"] == 1 and [item["id"] for item in report["invalid_entries"]] == [misfit["id"]]
