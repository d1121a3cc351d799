"""The seo plugin's sitemap: published, public, indexable entries as URLs, in parts beyond the cap."""

from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from tests.plugins.conftest import bundled

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
ARTICLE = [{"name": "title", "type": "string"}, {"name": "slug", "type": "slug", "source": "title"},
           {"name": "seo", "type": "seo"}]


def parse(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    return ElementTree.fromstring(response.get_data())


def locations(response):
    return [loc.text for loc in parse(response).findall("s:url/s:loc", NS)]


@pytest.fixture
def patterns(app, monkeypatch):
    """Set SEO_URL_PATTERNS (and other sitemap settings) on the shared app for one test."""

    def configure(mapping, **settings):
        monkeypatch.setitem(app.config, "SEO_URL_PATTERNS", mapping)
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)

    return configure


@pytest.fixture
def articles(make_type, patterns):
    make_type("article", ARTICLE)
    patterns({"article": "https://example.com/blog/{slug}"})


def test_published_entries_are_listed_with_their_last_publication(api, anonymous, articles, make_entry):
    first = make_entry("article", publish=True, title="First post")
    make_entry("article", title="A draft")
    withdrawn = make_entry("article", publish=True, title="Withdrawn")
    api.post(f"/api/content/article/{withdrawn['id']}/unpublish")
    api.patch(f"/api/content/article/{first['id']}", json={"slug": "renamed-in-draft"})

    root = parse(anonymous.get("/sitemap.xml"))

    urls = root.findall("s:url", NS)
    assert [url.find("s:loc", NS).text for url in urls] == ["https://example.com/blog/first-post"]
    published = datetime.fromisoformat(first["published_at"].replace("Z", "+00:00"))
    assert urls[0].find("s:lastmod", NS).text == published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_noindex_entries_are_left_out(anonymous, articles, make_entry):
    make_entry("article", publish=True, title="Listed", seo={"meta_title": "Listed", "noindex": False})
    make_entry("article", publish=True, title="Hidden", seo={"noindex": True})
    make_entry("article", publish=True, title="Plain")

    assert sorted(locations(anonymous.get("/sitemap.xml"))) == ["https://example.com/blog/listed",
                                                               "https://example.com/blog/plain"]


def test_values_are_percent_encoded_and_the_xml_escaped(anonymous, make_type, make_entry, patterns):
    make_type("page", [{"name": "path", "type": "string"}])
    patterns({"page": "https://example.com/?p={path}&lang={locale}&id={id}"})
    entry = make_entry("page", publish=True, path="a b/c&d<e>")

    response = anonymous.get("/sitemap.xml")

    assert b"&amp;lang=" in response.get_data()
    assert locations(response) == [f"https://example.com/?p=a%20b%2Fc%26d%3Ce%3E&lang=en&id={entry['id']}"]


def test_entries_without_a_value_for_the_pattern_are_left_out(anonymous, make_type, make_entry, patterns):
    make_type("page", [{"name": "path", "type": "string"}, {"name": "order", "type": "integer"}])
    patterns({"page": "https://example.com/{order}/{path}"})
    make_entry("page", publish=True, path="with-both", order=2)
    make_entry("page", publish=True, path="no-order")
    make_entry("page", publish=True, path="", order=3)

    assert locations(anonymous.get("/sitemap.xml")) == ["https://example.com/2/with-both"]


def test_only_what_the_public_role_may_read_is_listed(api, anonymous, make_type, make_entry, patterns):
    make_type("article", ARTICLE)
    make_type("memo", [{"name": "title", "type": "string"}], options={"public": False})
    patterns({"article": "https://example.com/blog/{slug}", "memo": "https://example.com/memo/{id}"})
    make_entry("article", publish=True, title="Public")
    make_entry("memo", publish=True, title="Internal")

    assert locations(anonymous.get("/sitemap.xml")) == ["https://example.com/blog/public"]
    assert locations(api.get("/sitemap.xml")) == ["https://example.com/blog/public"]  # an admin sees the same

    response = api.patch("/api/roles/public", json={"permissions": []})
    assert response.status_code == 200, response.json
    assert locations(anonymous.get("/sitemap.xml")) == []


def test_a_pattern_that_names_a_missing_or_hidden_field_is_reported_not_a_500(api, anonymous, make_type, make_entry,
                                                                              patterns):
    make_type("article", ARTICLE)
    make_type("page", [{"name": "path", "type": "string"}, {"name": "secret", "type": "string", "private": True}])
    patterns({"article": "https://example.com/blog/{permalink}", "page": "https://example.com/{secret}",
              "ghost": "https://example.com/{id}"})
    make_entry("article", publish=True, title="Post")
    before = api.get("/api/plugins/seo").json["data"]["failures"]

    response = anonymous.get("/sitemap.xml")

    assert locations(response) == []
    status = api.get("/api/plugins/seo").json["data"]
    assert status["failures"] == before + 3  # one per problem: article, ghost, page
    assert status["last_failure"]["hook"] == "sitemap"
    assert "'page' field 'secret' is private or hidden from the Public role" in status["last_failure"]["error"]


def test_problems_are_named_in_the_log(anonymous, make_type, patterns, caplog):
    make_type("article", ARTICLE)
    patterns({"article": "https://example.com/blog/{permalink}", "ghost": "https://example.com/{id}"})

    with caplog.at_level("ERROR", logger="cms.plugins"):
        assert anonymous.get("/sitemap.xml").status_code == 200

    logged = caplog.text
    assert "'article' has no field 'permalink'" in logged
    assert "the content type 'ghost', which does not exist" in logged


def test_no_patterns_give_an_empty_sitemap(anonymous):
    assert locations(anonymous.get("/sitemap.xml")) == []


def test_many_urls_become_a_sitemap_index_of_parts(anonymous, articles, make_entry, patterns):
    patterns({"article": "https://example.com/blog/{slug}"}, SEO_SITEMAP_MAX_URLS=2,
             SEO_SITEMAP_URL="https://cms.example.com/")
    slugs = [make_entry("article", publish=True, title=f"Post {n}")["slug"] for n in range(5)]

    index = parse(anonymous.get("/sitemap.xml"))

    assert index.tag == "{%s}sitemapindex" % NS["s"]
    parts = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    assert parts == [f"https://cms.example.com/sitemap-{n}.xml" for n in (1, 2, 3)]
    listed = [locations(anonymous.get(f"/sitemap-{n}.xml")) for n in (1, 2, 3)]
    assert [len(urls) for urls in listed] == [2, 2, 1]
    assert [url.rsplit("/", 1)[1] for urls in listed for url in urls] == slugs  # in publication order, each once
    assert anonymous.get("/sitemap-4.xml").status_code == 404
    assert anonymous.get("/sitemap-0.xml").status_code == 404


def test_part_locations_default_to_this_host(anonymous, articles, make_entry, patterns):
    patterns({"article": "https://example.com/blog/{slug}"}, SEO_SITEMAP_MAX_URLS=1)
    make_entry("article", publish=True, title="One")
    make_entry("article", publish=True, title="Two")

    parts = [loc.text for loc in parse(anonymous.get("/sitemap.xml")).findall("s:sitemap/s:loc", NS)]

    assert parts == ["http://localhost/sitemap-1.xml", "http://localhost/sitemap-2.xml"]


def test_rows_are_read_in_batches_across_types(app, anonymous, make_type, make_entry, patterns, monkeypatch):
    monkeypatch.setattr(bundled(app, "seo", "sitemap"), "BATCH", 2)
    make_type("article", ARTICLE)
    make_type("page", [{"name": "path", "type": "string"}])
    patterns({"article": "https://example.com/blog/{slug}", "page": "https://example.com/{path}"},
             SEO_SITEMAP_MAX_URLS=4)
    for n in range(5):
        make_entry("article", publish=True, title=f"Post {n}")
    for n in range(3):
        make_entry("page", publish=True, path=f"page-{n}")

    first, second = locations(anonymous.get("/sitemap-1.xml")), locations(anonymous.get("/sitemap-2.xml"))

    assert first == [f"https://example.com/blog/post-{n}" for n in range(4)]
    assert second == ["https://example.com/blog/post-4"] + [f"https://example.com/page-{n}" for n in range(3)]


def test_the_query_count_does_not_grow_with_the_entries(anonymous, articles, make_entry, count_queries):
    def measured():
        anonymous.get("/sitemap.xml")  # warm: the Public role's grants are read once per content version
        with count_queries() as statements:
            urls = locations(anonymous.get("/sitemap.xml"))
        return len(urls), len(statements)

    make_entry("article", publish=True, title="Post 0")
    one = measured()
    for n in range(1, 30):
        make_entry("article", publish=True, title=f"Post {n}", seo={"meta_title": f"Post {n}"})
    thirty = measured()

    assert one[0] == 1 and thirty[0] == 30
    assert thirty[1] == one[1]


def test_a_role_that_hides_a_field_hides_urls_built_from_it(api, anonymous, make_type, make_entry, patterns):
    make_type("page", [{"name": "path", "type": "string"}, {"name": "title", "type": "string"}])
    patterns({"page": "https://example.com/{path}"})
    make_entry("page", publish=True, path="about", title="About")
    response = api.patch("/api/roles/public", json={"permissions": [
        {"type": "page", "action": "read", "fields": ["title"]}]})
    assert response.status_code == 200, response.json

    assert locations(anonymous.get("/sitemap.xml")) == []
    assert "hidden from the Public role" in api.get("/api/plugins/seo").json["data"]["last_failure"]["error"]


@pytest.mark.parametrize("mapping, message", [
    ({"article": "/blog/{slug}"}, "must be an absolute http(s) URL"),
    ({"article": "https://example.com/{slug!r}"}, "is not a placeholder"),
    ({"article": "https://example.com/{slug:>9}"}, "is not a placeholder"),
    ({"article": "https://example.com/{0}"}, "is not a placeholder"),
    ({"article": "https://example.com/{slug"}, "literal brace"),
    ({"article": 42}, "must be a URL pattern"),
    ({"article": "https://example.com/blog posts/{slug}"}, "no spaces or control characters"),
    (["https://example.com/{slug}"], "must map content type names"),
])
def test_a_malformed_setting_is_reported_at_startup_and_the_sitemap_still_answers(build_app, client_of, mapping,
                                                                                 message):
    built = build_app(SEO_URL_PATTERNS=mapping)

    status = built.extensions["folio.plugins"].status["seo"]
    assert status.state == "active" and status.failures == 1
    assert status.last_failure["hook"] == "folio_register_routes" and message in status.last_failure["error"]
    assert locations(client_of(built).anonymous.get("/sitemap.xml")) == []


@pytest.mark.parametrize("setting, value", [("SEO_SITEMAP_MAX_URLS", 50_001), ("SEO_SITEMAP_MAX_URLS", "10"),
                                            ("SEO_SITEMAP_URL", "example.com"), ("SEO_SITEMAP_URL", "ftp://example.com")])
def test_other_bad_settings_are_reported_at_startup_and_defaults_used(build_app, client_of, make_type, make_entry,
                                                                      setting, value):
    built = build_app(**{setting: value, "SEO_URL_PATTERNS": {"article": "https://example.com/blog/{slug}"}})
    make_type("article", ARTICLE)
    make_entry("article", publish=True, title="Post")

    assert setting in built.extensions["folio.plugins"].status["seo"].last_failure["error"]
    assert locations(client_of(built).anonymous.get("/sitemap.xml")) == ["https://example.com/blog/post"]


def test_strict_mode_refuses_to_start_with_a_malformed_setting(build_app):
    from cms.plugins import PluginFailed

    with pytest.raises(PluginFailed, match="seo"):
        build_app(SEO_URL_PATTERNS={"article": "/relative/{slug}"}, PLUGINS_STRICT=True)


def test_folio_seo_check_counts_urls_and_names_problems(run, make_type, make_entry, patterns):
    make_type("article", ARTICLE)
    make_entry("article", publish=True, title="One")
    make_entry("article", title="Draft")
    patterns({"article": "https://example.com/blog/{slug}"})

    good = run("seo", "check")

    assert good.exit_code == 0, good.output
    assert good.stdout.split() == ["article", "1", "URLs", "https://example.com/blog/{slug}"]

    patterns({"article": "https://example.com/blog/{slug}", "ghost": "https://example.com/{id}"})
    bad = run("seo", "check")
    assert bad.exit_code == 1
    assert "error: SEO_URL_PATTERNS names the content type 'ghost', which does not exist" in bad.stderr
