"""Field values: every field type round-trips valid input and refuses wrong kinds per field."""

import pytest

from cms.content.models import Entry
from tests.conftest import table_count

FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "code", "type": "string", "min_length": 3, "max_length": 5, "pattern": "^[A-Z]+$"},
    {"name": "notes", "type": "text", "max_length": 10_000},
    {"name": "contact", "type": "email"},
    {"name": "website", "type": "url"},
    {"name": "handle", "type": "slug"},
    {"name": "level", "type": "enum", "values": ["low", "high"]},
    {"name": "body", "type": "richtext"},
    {"name": "count", "type": "integer", "min": 0, "max": 10},
    {"name": "big", "type": "integer"},
    {"name": "price", "type": "decimal", "min": 0, "max": 100, "scale": 2},
    {"name": "active", "type": "boolean"},
    {"name": "day", "type": "date", "min": "2000-01-01", "max": "2099-12-31"},
    {"name": "moment", "type": "datetime"},
    {"name": "extra", "type": "json"},
    {"name": "cover", "type": "media"},
    {"name": "gallery", "type": "media", "many": True},
    {"name": "parent", "type": "relation", "target": "sample"},
    {"name": "address", "type": "component",
     "fields": [{"name": "city", "type": "string"}, {"name": "zip", "type": "string", "max_length": 5}]},
    {"name": "links", "type": "component", "repeatable": True, "min": 1, "max": 2,
     "fields": [{"name": "url", "type": "url"}]},
    {"name": "sections", "type": "blocks",
     "blocks": {"quote": [{"name": "text", "type": "text", "required": True}],
                "image": [{"name": "picture", "type": "media"}]}},
    {"name": "secret", "type": "string", "private": True},
]


@pytest.fixture
def sample(make_type, media_rows):
    media_rows("media_1", "m1", "m2")
    return make_type("sample", FIELDS)


@pytest.fixture
def entry(sample, make_entry):
    return make_entry("sample", name="Base", count=1, address={"city": "Paris"})


def working_copy(api, entry_id):
    response = api.get(f"/api/content/sample/{entry_id}?status=draft")
    assert response.status_code == 200, response.json
    return response.json["data"]


def refused_fields(response):
    """Assert a 422 in the JSON error shape and return its per-field details."""
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.json["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "validation_failed"
    return error["details"]["fields"]


def nested(depth):
    value = "leaf"
    for _ in range(depth):
        value = [value]
    return value


VALID = [
    ("name", "Ada Lovelace", "Ada Lovelace"),
    ("name", "x" * 255, "x" * 255),
    ("code", "ABC", "ABC"),
    ("notes", "line one\nline two\ttabbed", "line one\nline two\ttabbed"),
    ("notes", "\U0001F600" * 10_000, "\U0001F600" * 10_000),
    ("contact", "ada@example.com", "ada@example.com"),
    ("website", "https://example.com/a?b=1#c", "https://example.com/a?b=1#c"),
    ("handle", "my-handle-2", "my-handle-2"),
    ("level", "high", "high"),
    ("body", "**bold**", {"markdown": "**bold**", "html": "<p><strong>bold</strong></p>\n"}),
    ("body", {"markdown": "*i*", "html": "ignored"}, {"markdown": "*i*", "html": "<p><em>i</em></p>\n"}),
    ("count", 0, 0),
    ("count", 10, 10),
    ("big", 2**63 - 1, 2**63 - 1),
    ("big", -(2**63), -(2**63)),
    ("price", 12.5, 12.5),
    ("price", 3, 3),
    ("active", False, False),
    ("day", "2024-02-29", "2024-02-29"),
    ("moment", "2024-05-01T09:30:00Z", "2024-05-01T09:30:00.000Z"),
    ("moment", "2024-05-01T09:30:00", "2024-05-01T09:30:00.000Z"),
    ("moment", "2024-05-01T11:30:00.250+02:00", "2024-05-01T09:30:00.250Z"),
    ("extra", {"a": [1, 2.5, {"b": None}], "c": True}, {"a": [1, 2.5, {"b": None}], "c": True}),
    ("extra", nested(32), nested(32)),
    ("cover", "media_1", {"id": "media_1", "type": "media"}),
    ("cover", {"id": "media_1", "type": "media"}, {"id": "media_1", "type": "media"}),
    ("gallery", ["m1", "m2"], [{"id": "m1", "type": "media"}, {"id": "m2", "type": "media"}]),
    ("address", {"city": "Paris"}, {"city": "Paris", "zip": None}),
    ("links", [{"url": "https://a.example"}, {}], [{"url": "https://a.example"}, {"url": None}]),
    ("sections", [{"type": "quote", "id": "keep-me", "value": {"text": "q"}}],
     [{"type": "quote", "id": "keep-me", "value": {"text": "q"}}]),
    ("secret", "hush", "hush"),
]


@pytest.mark.parametrize("field,value,delivered", VALID, ids=[f"{v[0]}-{i}" for i, v in enumerate(VALID)])
def test_a_valid_value_round_trips(api, sample, field, value, delivered):
    response = api.post("/api/content/sample", json={field: value})

    assert response.status_code == 201, response.json
    assert response.json["data"][field] == delivered
    stored = working_copy(api, response.json["data"]["id"])
    assert stored[field] == delivered
    put_back = api.put(f"/api/content/sample/{stored['id']}", json=stored)
    assert put_back.status_code == 200, put_back.json
    assert (put_back.json["data"][field], put_back.json["data"]["version"]) == (delivered, 1)


INVALID = [
    ("name", 5), ("name", True), ("name", []), ("name", {}), ("name", "x" * 256),
    ("name", "\U0001F600" * 10_000), ("name", "bell\x07"), ("name", "two\nlines"), ("name", "del\x7f"),
    ("code", "AB"), ("code", "ABCDEF"), ("code", "abc"),
    ("notes", 5), ("notes", "\U0001F600" * 10_001), ("notes", "escape\x1b"),
    ("contact", "not-an-email"), ("contact", "a@"), ("contact", 5),
    ("website", "javascript:alert(1)"), ("website", "ftp://example.com/f"), ("website", "/relative"),
    ("website", "not a url"), ("website", ["https://example.com"]),
    ("handle", "Has-Upper"), ("handle", "has space"), ("handle", "-lead"), ("handle", "a" * 201),
    ("level", "medium"), ("level", 1),
    ("body", 5), ("body", ["x"]), ("body", {"html": "<p>x</p>"}),
    ("count", "5"), ("count", 1.5), ("count", True), ("count", 11), ("count", -1),
    ("big", 2**70), ("big", -(2**70)), ("big", 5.0),
    ("price", "1.5"), ("price", "NaN"), ("price", True), ("price", 100.5), ("price", -1), ("price", 1.234),
    ("active", "true"), ("active", 1), ("active", 0),
    ("day", "2024-13-01"), ("day", "yesterday"), ("day", "2023-02-29"), ("day", 20240101),
    ("day", "2024-01-01T00:00:00Z"), ("day", "1999-12-31"),
    ("moment", "2024-05-01"), ("moment", "garbage"), ("moment", 1714555800), ("moment", "2024-05-01T25:00:00Z"),
    ("extra", nested(33)),
    ("cover", 5), ("cover", {"type": "media"}), ("cover", {"id": "m1", "uid": "x"}), ("cover", ["m1"]),
    ("cover", "not an id"),
    ("gallery", "m1"), ("gallery", [5]), ("gallery", ["m1", "m1"]),
    ("parent", 5), ("parent", {"type": "sample"}),
    ("address", "Paris"), ("address", {"city": "Paris", "planet": "Earth"}), ("address", {"zip": "123456"}),
    ("address", [{"city": "Paris"}]),
    ("links", []), ("links", [{}, {}, {}]), ("links", {"url": "https://a.example"}),
    ("sections", [{"type": "video", "value": {}}]), ("sections", [{"type": "quote"}]),
    ("sections", [{"type": "quote", "value": "q"}]), ("sections", [{"type": "quote", "value": {}, "x": 1}]),
    ("sections", [{"type": "quote", "id": "bad id!", "value": {"text": "q"}}]), ("sections", {"type": "quote"}),
    ("secret", 5),
]


@pytest.mark.parametrize("field,value", INVALID, ids=[f"{v[0]}-{i}" for i, v in enumerate(INVALID)])
def test_a_wrong_value_is_refused_per_field_and_nothing_changes(api, entry, field, value):
    before = working_copy(api, entry["id"])

    response = api.patch(f"/api/content/sample/{entry['id']}", json={field: value})

    assert set(refused_fields(response)) == {field}
    assert working_copy(api, entry["id"]) == before


@pytest.mark.parametrize("field,value", [("name", 5), ("count", "5"), ("extra", nested(33)), ("links", [])])
def test_a_wrong_value_refuses_the_whole_create(api, sample, field, value):
    response = api.post("/api/content/sample", json={"name": "Valid", field: value})

    assert set(refused_fields(response)) == {field}
    assert table_count(Entry) == 0


def test_a_required_value_inside_a_block_is_checked_at_publish(api, sample):
    created = api.post("/api/content/sample", json={"sections": [{"type": "quote", "value": {}}]})
    assert created.status_code == 201, created.json

    response = api.post(f"/api/content/sample/{created.json['data']['id']}/publish")

    assert refused_fields(response) == {"sections": {"0": {"value": {"text": ["Missing data for required field."]}}}}
    assert working_copy(api, created.json["data"]["id"])["status"] == "draft"


@pytest.mark.parametrize("definition,value,message", [
    ({"min": 1, "max": 2}, [], "Must have between 1 and 2 items."),
    ({"min": 2}, [{}], "Must have at least 2 items."),
    ({"max": 1}, [{}, {}], "Must have at most 1 items."),
])
def test_a_repeatable_component_counts_its_items(api, make_type, definition, value, message):
    make_type("menu", [{"name": "items", "type": "component", "repeatable": True,
                        "fields": [{"name": "label", "type": "string"}], **definition}])

    response = api.post("/api/content/menu", json={"items": value})

    assert refused_fields(response) == {"items": [message]}
    assert table_count(Entry) == 0


def test_each_wrong_field_is_reported_at_once(api, entry):
    response = api.patch(f"/api/content/sample/{entry['id']}", json={"name": 1, "count": "x", "active": "no"})

    assert set(refused_fields(response)) == {"name", "count", "active"}


def test_unknown_field_names_are_refused(api, entry):
    response = api.patch(f"/api/content/sample/{entry['id']}", json={"nmae": "typo", "name": "ok"})

    assert refused_fields(response) == {"nmae": ["Unknown field."]}
    assert working_copy(api, entry["id"])["name"] == "Base"


@pytest.mark.parametrize("body", [
    {"name": "nul\x00byte"}, {"extra": {"key\x00": 1}}, {"extra": ["a", "b\x00"]},
    {"address": {"city": "\x00"}}, {"na\x00me": "x"},
])
def test_nul_bytes_in_any_string_or_key_are_refused(api, entry, body):
    before = working_copy(api, entry["id"])

    response = api.patch(f"/api/content/sample/{entry['id']}", json=body)

    fields = refused_fields(response)
    assert fields and all(messages == ["NUL characters are not allowed."] for messages in fields.values())
    assert working_copy(api, entry["id"]) == before


@pytest.mark.parametrize("raw", ['{"price": NaN}', '{"price": Infinity}', '{"price": 1e999}', '{"name": "x"'])
def test_json_that_is_not_strict_is_400(api, entry, raw):
    response = api.patch(f"/api/content/sample/{entry['id']}", data=raw,
                         headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert working_copy(api, entry["id"])["price"] is None


def test_system_keys_sent_back_are_ignored(api, sample):
    response = api.post("/api/content/sample", json={
        "name": "Sys", "id": "my-own-id", "type": "other", "version": 99, "status": "published",
        "locale": "xx", "created_at": "2000-01-01T00:00:00Z", "published_at": "2000-01-01T00:00:00Z",
    })

    assert response.status_code == 201, response.json
    data = response.json["data"]
    assert data["id"] != "my-own-id"
    assert (data["type"], data["version"], data["status"], data["locale"], data["published_at"]) == (
        "sample", 1, "draft", "en", None)
    assert data["created_at"].startswith("20") and not data["created_at"].startswith("2000")


def test_richtext_html_is_sanitized_and_the_markdown_kept(api, sample):
    source = ('<script>alert(1)</script>\n\n<img src="x.png" onerror="alert(2)">\n\n'
              '[click](javascript:alert(3)) <a href="javascript:alert(4)">j</a> <a href="data:text/html,x">d</a> '
              '[ok](https://example.com)')

    response = api.post("/api/content/sample", json={"body": source})

    assert response.status_code == 201, response.json
    body = response.json["data"]["body"]
    assert body["markdown"] == source
    for unsafe in ("<script", "alert(1)", "onerror", 'href="javascript:', "alert(4)", 'href="data:'):
        assert unsafe not in body["html"]
    assert '<a href="https://example.com"' in body["html"]


def test_private_fields_are_absent_for_anonymous_callers(api, sample, make_entry):
    entry = make_entry("sample", publish=True, name="Pub", secret="hush")

    public = api.get(f"/api/content/sample/{entry['id']}", token=None).json["data"]
    listed = api.get("/api/content/sample", token=None).json["data"][0]
    admin_view = api.get(f"/api/content/sample/{entry['id']}").json["data"]

    assert "secret" not in public and "secret" not in listed
    assert public["name"] == "Pub"
    assert admin_view["secret"] == "hush"


def test_block_ids_are_kept_and_new_blocks_get_one(api, entry):
    sections = [{"type": "quote", "id": "first", "value": {"text": "a"}}, {"type": "image", "value": {"picture": "m1"}}]

    data = api.patch(f"/api/content/sample/{entry['id']}", json={"sections": sections}).json["data"]

    assert data["sections"][0] == {"type": "quote", "id": "first", "value": {"text": "a"}}
    second = data["sections"][1]
    assert second["type"] == "image" and second["value"] == {"picture": {"id": "m1", "type": "media"}}
    assert isinstance(second["id"], str) and second["id"]
    again = api.patch(f"/api/content/sample/{entry['id']}", json={"name": "Renamed"}).json["data"]
    assert again["sections"] == data["sections"]


def test_null_removes_a_component_and_a_value_inside_one(api, entry):
    api.patch(f"/api/content/sample/{entry['id']}", json={"address": {"zip": "75001"}})

    inner = api.patch(f"/api/content/sample/{entry['id']}", json={"address": {"city": None}}).json["data"]
    whole = api.patch(f"/api/content/sample/{entry['id']}", json={"address": None}).json["data"]

    assert inner["address"] == {"city": None, "zip": "75001"}
    assert whole["address"] is None
