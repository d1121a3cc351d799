"""The bundled reading_time plugin: a computed field filled by a before-hook on every save."""

import pytest

from tests.helpers import error_details

ARTICLE = [
    {"name": "title", "type": "string"},
    {"name": "summary", "type": "text"},
    {"name": "body", "type": "richtext"},
    {"name": "minutes", "type": "reading_time", "sources": ["summary", "body"]},
]


def words(count):
    return " ".join(["word"] * count)


@pytest.fixture
def article(make_type):
    return make_type("article", ARTICLE)


def test_the_reading_time_is_computed_on_create_and_a_sent_value_is_replaced(api, article):
    response = api.post("/api/content/article", json={"title": "Hi", "summary": words(50), "body": words(400),
                                                       "minutes": 99})

    assert response.status_code == 201, response.json
    assert response.json["data"]["minutes"] == 3  # 450 words at 200 a minute, rounded up


def test_the_reading_time_follows_updates_by_patch_and_put(api, article, make_entry):
    entry = make_entry("article", title="Hi", body=words(100))
    assert entry["minutes"] == 1

    patched = api.patch(f"/api/content/article/{entry['id']}", json={"body": words(1000), "minutes": 0})
    assert patched.status_code == 200, patched.json
    assert patched.json["data"]["minutes"] == 5

    retitled = api.patch(f"/api/content/article/{entry['id']}", json={"title": "Hello"})
    assert retitled.json["data"]["minutes"] == 5  # the stored body still counts

    replaced = api.put(f"/api/content/article/{entry['id']}", json={"title": "Hello", "summary": words(201)})
    assert replaced.status_code == 200, replaced.json
    assert replaced.json["data"]["minutes"] == 2 and replaced.json["data"]["body"] is None


def test_markdown_markup_and_link_targets_are_not_words(make_entry, article):
    body = "# Two words\n\n*one* [link text](https://example.com/a/b/c/d/e/f/g) `code`\n\n![alt](x.png)"

    entry = make_entry("article", body="\n\n".join([body] * 100))  # 6 words, 100 times

    assert entry["minutes"] == 3  # 600 words; counting the markup's 12 more would make it 9
    assert make_entry("article", title="no text")["minutes"] == 0


def test_the_words_per_minute_come_from_the_setting(app, make_entry, article, monkeypatch):
    monkeypatch.setitem(app.config, "READING_TIME_WPM", 100)

    assert make_entry("article", body=words(450))["minutes"] == 5


def test_a_bad_setting_is_reported_on_the_plugin_and_never_keeps_a_sent_value(app, api, article, monkeypatch):
    monkeypatch.setitem(app.config, "READING_TIME_WPM", 0)
    before = api.get("/api/plugins/reading_time").json["data"]["failures"]

    response = api.post("/api/content/article", json={"body": words(10), "minutes": 42})

    assert response.status_code == 201, response.json
    assert response.json["data"]["minutes"] is None
    status = api.get("/api/plugins/reading_time").json["data"]
    assert status["failures"] == before + 1
    assert status["last_failure"]["hook"] == "folio_before_entry_change"
    assert "READING_TIME_WPM" in status["last_failure"]["error"]


def test_published_reading_times_filter_and_sort_as_numbers(make_entry, anonymous, article):
    for count in (100, 900, 450):
        make_entry("article", publish=True, title=str(count), body=words(count))

    response = anonymous.get("/api/content/article?filter[minutes][gte]=3&sort=-minutes")

    assert [entry["minutes"] for entry in response.json["data"]] == [5, 3]


def test_components_and_blocks_get_their_own_reading_times(make_type, make_entry):
    section = [{"name": "text", "type": "text"}, {"name": "minutes", "type": "reading_time", "sources": ["text"]}]
    make_type("guide", [
        {"name": "intro", "type": "component", "fields": section},
        {"name": "steps", "type": "component", "repeatable": True, "fields": section},
        {"name": "blocks", "type": "blocks", "blocks": {"section": section}},
    ])

    entry = make_entry("guide", intro={"text": words(201)}, steps=[{"text": words(10)}, {"text": words(401), "minutes": 9}],
                       blocks=[{"type": "section", "value": {"text": words(600)}}])

    assert entry["intro"]["minutes"] == 2
    assert [step["minutes"] for step in entry["steps"]] == [1, 3]
    assert entry["blocks"][0]["value"]["minutes"] == 3


def test_types_without_a_reading_time_keep_what_clients_send(make_type, make_entry):
    make_type("note", [{"name": "body", "type": "text"}, {"name": "minutes", "type": "integer"}])

    assert make_entry("note", body=words(1000), minutes=42)["minutes"] == 42


@pytest.mark.parametrize("field, key", [
    ({"name": "minutes", "type": "reading_time"}, "sources"),
    ({"name": "minutes", "type": "reading_time", "sources": []}, "sources"),
    ({"name": "minutes", "type": "reading_time", "sources": "body"}, "sources"),
    ({"name": "minutes", "type": "reading_time", "sources": ["nothing"]}, "sources"),
    ({"name": "minutes", "type": "reading_time", "sources": ["views"]}, "sources"),
    ({"name": "minutes", "type": "reading_time", "sources": ["body", "body"]}, "sources"),
    ({"name": "minutes", "type": "reading_time", "sources": ["body"], "default": 3}, "default"),
])
def test_bad_sources_are_refused_when_the_type_is_defined(api, field, key):
    response = api.post("/api/content-types", json={"name": "article", "fields": [
        {"name": "body", "type": "richtext"}, {"name": "views", "type": "integer"}, field]})

    fields = error_details(response, 422, "validation_failed")["fields"]
    assert key in fields["fields"]["2"], fields
    assert api.get("/api/content-types/article").status_code == 404


def test_the_openapi_document_marks_reading_times_read_only(api, article):
    schemas = api.get("/api/openapi.json").json["components"]["schemas"]

    minutes = schemas["article.Entry"]["properties"]["minutes"]["anyOf"][0]
    assert minutes["type"] == "integer" and minutes["readOnly"] is True
