"""Localized types: one entry per locale linked as translations, read along fallback chains.

The suite's app is configured with en (default), fr (falls back to en), fr-CA (fr, then en) and
de (no fallback): see tests/conftest.py.
"""

import json

import pytest

from cms.config import load_settings
from cms.content.locales import locales_from_settings
from cms.content.models import Entry, Revision
from tests.conftest import table_count
from tests.helpers import error_details, error_of, publish

LOCALIZED = {"localized": True}


@pytest.fixture
def model(make_type):
    """person <- article (localized), with a shared (localized: false) views field and a slug."""
    make_type("person", [{"name": "name", "type": "string"}, {"name": "bio", "type": "text"}], options=LOCALIZED)
    make_type("article", [
        {"name": "title", "type": "string", "required": True},
        {"name": "slug", "type": "slug", "source": "title"},
        {"name": "views", "type": "integer", "localized": False, "indexed": True},
        {"name": "author", "type": "relation", "target": "person", "localized": False},
    ], options=LOCALIZED)


def created(response):
    assert response.status_code == 201, response.json
    return response.json["data"]


@pytest.fixture
def library(api, model):
    """Three articles: "one" in en+fr, "two" in en only, "three" in en+fr+de (fr unpublished)."""
    ann = publish(api, created(api.post("/api/content/person", json={"name": "Ann", "bio": "Writer"})))
    ann_fr = publish(api, created(api.post(f"/api/content/person/{ann['id']}/translations/fr",
                                             json={"name": "Anne", "bio": "Écrivaine"})))
    entries = {"ann": ann, "ann_fr": ann_fr}
    for views, title in enumerate(("one", "two", "three"), start=1):
        entries[title] = publish(api, created(api.post("/api/content/article", json={
            "title": title.capitalize(), "views": views, "author": ann["id"]})))
    for title in ("one", "three"):
        entries[f"{title}_fr"] = created(api.post(f"/api/content/article/{entries[title]['id']}/translations/fr",
                                                  json={"title": f"{title.capitalize()} (fr)"}))
    publish(api, entries["one_fr"])
    entries["three_de"] = publish(api, created(api.post(
        f"/api/content/article/{entries['three']['id']}/translations/de", json={"title": "Drei"})))
    return entries


def listed(api, query="", token=None):
    response = api.get(f"/api/content/article?sort=views{'&' if query else ''}{query}", token=token)
    assert response.status_code == 200, response.json
    return [(item["title"], item["locale"]) for item in response.json["data"]], response.json["meta"]


# -- reading ---------------------------------------------------------------------------------

def test_a_list_in_a_locale_falls_back_per_entry_and_says_which_locale_it_delivered(api, library):
    items, meta = listed(api, "locale=fr")

    assert items == [("One (fr)", "fr"), ("Two", "en"), ("Three", "en")]  # three's fr is unpublished
    assert meta["total"] == 3


def test_drafts_fall_back_only_where_no_working_copy_exists(api, library):
    items, _meta = listed(api, "locale=fr&status=draft", token="default")

    assert items == [("One (fr)", "fr"), ("Two", "en"), ("Three (fr)", "fr")]


def test_a_chain_of_two_fallbacks_and_a_locale_without_one(api, library):
    assert listed(api, "locale=fr-CA")[0] == [("One (fr)", "fr"), ("Two", "en"), ("Three", "en")]
    assert listed(api, "locale=de")[0] == [("Drei", "de")]


def test_without_a_locale_a_localized_type_is_read_in_the_default_locale_and_star_reads_all(api, library):
    assert listed(api)[0] == [("One", "en"), ("Two", "en"), ("Three", "en")]
    everything, meta = listed(api, "locale=*")
    assert sorted(everything) == sorted([("One", "en"), ("Two", "en"), ("Three", "en"), ("One (fr)", "fr"),
                                         ("Drei", "de")])
    assert meta["total"] == 5


def test_filters_sorts_and_search_apply_to_what_is_delivered(api, library):
    assert listed(api, "locale=fr&filter[locale]=en")[0] == [("Two", "en"), ("Three", "en")]
    assert listed(api, "locale=fr&filter[title][startswith]=One")[0] == [("One (fr)", "fr")]
    assert listed(api, "locale=fr&filter[views][gte]=2")[0] == [("Two", "en"), ("Three", "en")]
    response = api.get("/api/content/article?locale=fr&q=one", token=None)
    assert [item["title"] for item in response.json["data"]] == ["One (fr)"]


def test_cursor_pages_walk_the_delivered_entries_and_are_bound_to_their_locale(api, library):
    first = api.get("/api/content/article?locale=fr&sort=views&per_page=2", token=None).json
    rest = api.get(f"/api/content/article?locale=fr&sort=views&per_page=2&cursor={first['meta']['next_cursor']}",
                   token=None).json

    assert [e["title"] for e in first["data"] + rest["data"]] == ["One (fr)", "Two", "Three"]
    other = api.get(f"/api/content/article?locale=de&sort=views&per_page=2&cursor={first['meta']['next_cursor']}",
                    token=None)
    assert "cursor" in error_details(other, 400, "bad_request")["parameters"]


def test_a_single_entry_read_in_a_locale_delivers_its_translation_or_fallback(api, library):
    one, two = library["one"]["id"], library["two"]["id"]

    fr = api.get(f"/api/content/article/{one}?locale=fr", token=None).json["data"]
    assert (fr["id"], fr["title"], fr["locale"]) == (library["one_fr"]["id"], "One (fr)", "fr")
    assert api.get(f"/api/content/article/{library['one_fr']['id']}?locale=en", token=None).json["data"]["id"] == one
    assert api.get(f"/api/content/article/{two}?locale=fr-CA", token=None).json["data"]["locale"] == "en"
    error_of(api.get(f"/api/content/article/{two}?locale=de", token=None), 404, "not_found")
    # without a locale, an id names exactly that entry
    assert api.get(f"/api/content/article/{library['one_fr']['id']}", token=None).json["data"]["locale"] == "fr"


def test_populated_relations_are_delivered_in_the_requested_locale(api, library):
    items = api.get("/api/content/article?locale=fr&sort=views&populate=author", token=None).json["data"]
    assert [item["author"]["name"] for item in items] == ["Anne", "Anne", "Anne"]
    assert items[0]["author"]["locale"] == "fr"
    plain = api.get("/api/content/article?sort=views&populate=author", token=None).json["data"]
    assert [item["author"]["name"] for item in plain] == ["Ann", "Ann", "Ann"]
    assert api.get("/api/content/article?locale=de&populate=author", token=None).json["data"][0]["author"] is None


def test_the_translations_of_an_entry_are_listed_published_only_for_the_public(api, library):
    path = f"/api/content/article/{library['three_de']['id']}/translations"

    public = api.get(path, token=None)
    drafts = api.get(f"{path}?status=draft")

    assert public.status_code == 200
    assert [(t["locale"], t["status"]) for t in public.json["data"]] == [("en", "published"), ("de", "published")]
    assert [(t["locale"], t["status"]) for t in drafts.json["data"]] == [
        ("en", "published"), ("fr", "draft"), ("de", "published")]
    assert {t["id"] for t in drafts.json["data"]} == {library["three"]["id"], library["three_fr"]["id"],
                                                       library["three_de"]["id"]}
    error_of(api.get(f"{path}?status=draft", token=None), 401, "not_authenticated")


# -- writing ---------------------------------------------------------------------------------

def test_a_translation_takes_the_shared_fields_and_later_edits_reach_every_translation(api, library):
    one, one_fr = library["one"], library["one_fr"]
    assert (one_fr["views"], one_fr["author"]) == (1, {"id": library["ann"]["id"], "type": "person"})

    response = api.patch(f"/api/content/article/{one_fr['id']}", json={"views": 40, "title": "Un"})

    assert response.status_code == 200, response.json
    en = api.get(f"/api/content/article/{one['id']}?status=draft").json["data"]
    assert (en["views"], en["title"], en["status"], en["version"]) == (40, "One", "changed", one["version"] + 1)
    # like any edit, it reaches readers when that translation is published again
    assert api.get(f"/api/content/article/{one['id']}", token=None).json["data"]["views"] == 1
    revisions = api.get(f"/api/content/article/{one['id']}/revisions").json["data"]
    assert revisions[0]["action"] == "system"


def test_a_localized_slug_is_unique_per_locale(api, model):
    en = created(api.post("/api/content/article", json={"title": "Hello"}))
    fr = created(api.post(f"/api/content/article/{en['id']}/translations/fr", json={"title": "Hello"}))
    other_fr = created(api.post("/api/content/article?locale=fr", json={"title": "Hello"}))

    assert (en["slug"], fr["slug"], other_fr["slug"]) == ("hello", "hello", "hello-2")


def test_an_entry_can_start_in_any_configured_locale(api, model):
    entry = created(api.post("/api/content/article?locale=de", json={"title": "Nur deutsch"}))
    publish(api, entry)

    assert entry["locale"] == "de"
    assert listed(api, "locale=de")[0] == [("Nur deutsch", "de")]
    assert listed(api)[0] == []


def test_a_second_translation_in_one_locale_is_a_conflict(api, library):
    response = api.post(f"/api/content/article/{library['one']['id']}/translations/fr", json={"title": "Encore"})

    details = error_details(response, 409, "conflict")
    assert details == {"entry": library["one_fr"]["id"], "locale": "fr"}


def test_a_localized_singleton_has_one_entry_per_locale(api, make_type):
    make_type("site", [{"name": "tagline", "type": "string"}, {"name": "color", "type": "string", "localized": False}],
              kind="singleton", options=LOCALIZED)
    assert api.put("/api/content/site", json={"tagline": "Hello", "color": "red"}).status_code == 201
    assert api.put("/api/content/site?locale=fr", json={"tagline": "Bonjour"}).status_code == 201
    assert api.patch("/api/content/site?locale=fr", json={"color": "blue"}).status_code == 200
    for locale in ("en", "fr"):
        assert api.post(f"/api/content/site/publish?locale={locale}").status_code == 200

    fr = api.get("/api/content/site?locale=fr-CA", token=None).json["data"]
    en = api.get("/api/content/site", token=None).json["data"]
    assert (fr["tagline"], fr["locale"], fr["color"]) == ("Bonjour", "fr", "blue")
    assert (en["tagline"], en["locale"], en["color"]) == ("Hello", "en", "blue")
    error_of(api.get("/api/content/site?locale=de", token=None), 404, "not_found")
    assert [t["locale"] for t in api.get("/api/content/site/translations").json["data"]] == ["en", "fr"]
    assert api.get("/api/content/site/revisions?locale=fr").json["meta"]["total"] == 3
    assert api.delete("/api/content/site?locale=fr").status_code == 204
    assert api.get("/api/content/site?locale=fr", token=None).json["data"]["locale"] == "en"


def test_types_that_are_not_localized_ignore_read_locales_and_refuse_other_write_locales(api, make_type, make_entry):
    make_type("tag", [{"name": "label", "type": "string"}])
    tag = make_entry("tag", publish=True, label="x")

    assert [t["id"] for t in api.get("/api/content/tag?locale=de", token=None).json["data"]] == [tag["id"]]
    assert api.get(f"/api/content/tag/{tag['id']}?locale=fr", token=None).json["data"]["id"] == tag["id"]
    details = error_details(api.post("/api/content/tag?locale=fr", json={"label": "y"}), 400, "bad_request")
    assert "locale" in details["parameters"]
    error_of(api.post(f"/api/content/tag/{tag['id']}/translations/fr", json={"label": "y"}), 400, "bad_request")


# -- bad input and permissions ---------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "locale=xx", "locale=", "locale=EN", "locale=en&locale=fr", "locale=" + "a" * 5000, "locale=%00",
])
def test_unconfigured_or_malformed_locales_are_refused(api, library, query, count_queries):
    for path in ("/api/content/article", f"/api/content/article/{library['one']['id']}"):
        response = api.get(f"{path}?{query}", token=None)
        assert response.status_code == 400, (path, query, response.json)
        assert error_of(response, 400)["code"] == "bad_request"


def test_bad_translation_requests(api, library, model):
    one = library["one"]["id"]
    before = table_count(Entry), table_count(Revision)

    error_of(api.post(f"/api/content/article/{one}/translations/xx", json={"title": "?"}), 400, "bad_request")
    error_of(api.post(f"/api/content/article/{one}/translations/fr-CA", json={"views": "many"}), 422,
             "validation_failed")
    error_of(api.post("/api/content/article/nope/translations/fr-CA", json={"title": "?"}), 404, "not_found")
    error_of(api.post(f"/api/content/article/{one}/translations/fr-CA?locale=de", json={"title": "?"}), 400)
    error_of(api.post(f"/api/content/article/{one}/translations/fr-CA", json={"title": "?"}, token=None), 401)
    error_of(api.post("/api/content/article?locale=zz", json={"title": "?"}), 400, "bad_request")
    error_of(api.put(f"/api/content/article/{one}?locale=fr", json={"title": "?"}), 400, "bad_request")

    assert (table_count(Entry), table_count(Revision)) == before


def test_anonymous_callers_cannot_read_drafts_through_a_locale(api, library):
    error_of(api.get("/api/content/article?locale=fr&status=draft", token=None), 401)
    hidden = api.get(f"/api/content/article/{library['three_fr']['id']}?locale=fr", token=None).json["data"]
    assert hidden["locale"] == "en"  # the fr translation is a draft: the public gets the fallback


def test_reading_in_a_locale_runs_the_same_queries_for_one_entry_as_for_many(app, api, model, count_queries,
                                                                             monkeypatch):
    monkeypatch.setitem(app.extensions, "folio.count_cache", None)  # every request counts, as the first one does
    ann = publish(api, created(api.post("/api/content/person", json={"name": "Ann"})))
    publish(api, created(api.post(f"/api/content/person/{ann['id']}/translations/fr", json={"name": "Anne"})))
    for i in range(30):
        entry = publish(api, created(api.post("/api/content/article", json={"title": f"A{i}", "author": ann["id"]})))
        if i % 2:
            publish(api, created(api.post(f"/api/content/article/{entry['id']}/translations/fr",
                                            json={"title": f"F{i}"})))

    def run(per_page):
        with count_queries() as statements:
            response = api.get(f"/api/content/article?locale=fr-CA&populate=author&per_page={per_page}", token=None)
        assert response.status_code == 200
        assert all(item["author"]["name"] == "Anne" for item in response.json["data"])
        return len(response.json["data"]), len(statements)

    run(2)  # the first anonymous read also reads the Public role, which later ones find cached
    assert run(1)[1] == run(30)[1]
    assert run(30)[0] == 30


# -- moving content and settings ---------------------------------------------------------------

def test_export_and_import_keep_translation_groups(run, api, library, db):
    exported = run("content", "export", "--type", "article")
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    fr = next(line for line in lines if line["id"] == library["one_fr"]["id"])
    assert fr["translation_group"] == library["one"]["id"] and fr["locale"] == "fr"
    assert "translation_group" not in next(line for line in lines if line["id"] == library["one"]["id"])

    db.session.execute(Entry.__table__.delete().where(Entry.id == library["one_fr"]["id"]))
    db.session.commit()
    result = run("content", "import", "-", input="\n".join(json.dumps(line) for line in lines))

    assert result.exit_code == 0, result.output
    translations = api.get(f"/api/content/article/{library['one']['id']}/translations?status=draft").json["data"]
    assert [t["locale"] for t in translations] == ["en", "fr"]


@pytest.mark.parametrize("line, message", [
    ({"id": "x1", "type": "article", "locale": "xx", "data": {"title": "X"}}, "'xx' is not a configured locale"),
    ({"id": "x1", "type": "article", "locale": "fr", "translation_group": "a b", "data": {"title": "X"}},
     "translation_group must be an entry id"),
    ({"id": "x1", "type": "person", "locale": "fr", "translation_group": "ANN", "data": {"name": "X"}},
     "already holds the fr translation"),
])
def test_import_refuses_unusable_locales_and_taken_translations(run, api, library, line, message):
    line = json.loads(json.dumps(line).replace('"ANN"', json.dumps(library["ann"]["id"])))
    before = table_count(Entry)

    result = run("content", "import", "-", input=json.dumps(line))

    assert result.exit_code == 1 and message in result.stderr, result.output
    assert table_count(Entry) == before


@pytest.mark.parametrize("settings, message", [
    ({"LOCALES": ["en", "Français"]}, "not a locale code"),
    ({"LOCALES": ["en", "fr"], "LOCALE_FALLBACKS": {"fr": ["de"]}}, "not configured: de"),
    ({"LOCALES": ["en"], "LOCALE_FALLBACKS": {"it": ["en"]}}, "not configured: it"),
    ({"LOCALES": ["en", "fr"], "LOCALE_FALLBACKS": {"fr": "en"}}, "must be a list"),
])
def test_bad_locale_settings_stop_the_app_from_starting(tmp_path, settings, message):
    with pytest.raises(RuntimeError, match=message):
        locales_from_settings(load_settings(tmp_path, settings, environ={}))


def test_locale_settings_come_from_the_environment_too(tmp_path):
    settings = load_settings(tmp_path, environ={"FOLIO_LOCALES": "en,fr,pt-BR",
                                                "FOLIO_LOCALE_FALLBACKS": '{"pt-BR": ["fr"]}'})
    locales = locales_from_settings(settings)

    assert locales.codes == ("en", "fr", "pt-BR")
    assert locales.chains == {"en": ("en",), "fr": ("fr", "en"), "pt-BR": ("pt-BR", "fr")}
    with pytest.raises(RuntimeError, match="FOLIO_LOCALE_FALLBACKS"):
        load_settings(tmp_path, environ={"FOLIO_LOCALE_FALLBACKS": "[1]"})
