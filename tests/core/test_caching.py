"""HTTP caching: Cache-Control, Vary, ETag/304, Surrogate-Key, purges after commit, the response cache."""

import json
import uuid

import pytest

from cms.auth import services as auth_services
from cms.cli import cli
from cms.content.models import Entry
from cms.core.caching import MemoryCache, build_response_cache
from cms.extensions import db as _db
from cms.plugins.hookspecs import hookimpl
from tests.conftest import make_app
from tests.helpers import error_of

PUBLIC = "public, max-age=0, s-maxage=60, stale-while-revalidate=30"
PRIVATE = "private, no-store"
POST = [{"name": "title", "type": "string"},
        {"name": "author", "type": "relation", "target": "author", "on_delete": "set_null"}]


class PurgeRecorder:
    """A plugin that records every purge it is asked for."""

    def __init__(self):
        self.calls = []

    @hookimpl
    def folio_cache_purge(self, keys):
        self.calls.append(keys)


@pytest.fixture
def purges(app):
    recorder = PurgeRecorder()
    manager = app.extensions["folio.plugins"]
    manager.register(recorder)
    yield recorder.calls
    manager.unregister(recorder)


@pytest.fixture
def blog(make_type):
    make_type("author", [{"name": "name", "type": "string"}])
    make_type("post", POST)
    make_type("site", [{"name": "name", "type": "string"}], kind="singleton")


def keys_of(response):
    return response.headers["Surrogate-Key"].split(" ")


def assert_public(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == PUBLIC
    assert {"Authorization", "Cookie"} <= set(response.vary)
    assert response.headers["ETag"]


def assert_private(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == PRIVATE
    assert {"Authorization", "Cookie"} <= set(response.vary)
    assert "Surrogate-Key" not in response.headers


# -- Cache-Control, Vary, Surrogate-Key ------------------------------------------------------------

def test_an_anonymous_list_is_public_and_names_its_type_and_entries(api, blog, make_entry):
    first = make_entry("post", publish=True, title="One")
    second = make_entry("post", publish=True, title="Two")
    make_entry("post", title="Draft only")

    response = api.get("/api/content/post", token=None)

    assert_public(response)
    assert sorted(keys_of(response)) == sorted(["type:post", f"entry:{first['id']}", f"entry:{second['id']}"])


def test_an_anonymous_single_entry_is_public_and_names_itself(api, blog, make_entry):
    post = make_entry("post", publish=True, title="One")

    response = api.get(f"/api/content/post/{post['id']}", token=None)

    assert_public(response)
    assert keys_of(response) == ["type:post", f"entry:{post['id']}"]


def test_an_anonymous_singleton_is_public_and_names_itself(api, blog):
    site = api.put("/api/content/site", json={"name": "Folio"}).json["data"]
    api.post("/api/content/site/publish")

    response = api.get("/api/content/site", token=None)

    assert_public(response)
    assert keys_of(response) == ["type:site", f"entry:{site['id']}"]


def test_populated_entries_are_named_in_the_surrogate_key(api, blog, make_entry):
    ann = make_entry("author", publish=True, name="Ann")
    post = make_entry("post", publish=True, title="One", author=ann["id"])

    listing = api.get("/api/content/post?populate=author", token=None)
    single = api.get(f"/api/content/post/{post['id']}?populate=author", token=None)

    assert listing.json["data"][0]["author"]["name"] == "Ann"
    expected = ["type:post", "type:author", f"entry:{post['id']}", f"entry:{ann['id']}"]
    assert sorted(keys_of(listing)) == sorted(expected)
    assert sorted(keys_of(single)) == sorted(expected)


def test_an_unpublished_populate_target_still_names_its_type(api, blog, make_entry):
    ann = make_entry("author", name="Ann, not yet published")
    post = make_entry("post", publish=True, title="One", author=ann["id"])

    response = api.get("/api/content/post?populate=author", token=None)

    assert response.json["data"][0]["author"] is None
    assert sorted(keys_of(response)) == sorted(["type:post", "type:author", f"entry:{post['id']}"])


def test_too_many_keys_leave_only_the_type_keys(app, api, blog, make_entry, monkeypatch):
    for n in range(3):
        make_entry("post", publish=True, title=f"Post {n}")
    monkeypatch.setitem(app.config, "CDN_SURROGATE_KEYS_MAX", 3)

    response = api.get("/api/content/post", token=None)

    assert len(response.json["data"]) == 3
    assert keys_of(response) == ["type:post"]


def test_the_anonymous_sync_feed_names_every_type_and_the_type_set(api, blog, make_entry):
    post = make_entry("post", publish=True, title="One")

    everything = api.get("/api/sync", token=None)
    posts = api.get("/api/sync?types=post", token=None)

    assert_public(everything)
    assert sorted(keys_of(everything)) == sorted(["types", "type:author", "type:post", "type:site",
                                                  f"entry:{post['id']}"])
    assert sorted(keys_of(posts)) == sorted(["type:post", f"entry:{post['id']}"])


@pytest.mark.parametrize("path", ["/api/openapi.json", "/api/types.ts"])
def test_the_contract_is_public_and_depends_on_the_type_set(api, blog, path):
    response = api.get(path, token=None)

    assert_public(response)
    assert keys_of(response) == ["types"]


@pytest.mark.parametrize("path", ["/api/content/post", "/api/content/post?status=draft", "/api/sync",
                                  "/api/openapi.json", "/api/types.ts"])
def test_an_authenticated_read_is_private(api, blog, make_entry, path):
    make_entry("post", publish=True, title="One")

    response = api.get(path)

    assert_private(response)
    assert response.headers["ETag"]


def test_anonymous_drafts_and_errors_are_private(api, blog, make_entry):
    post = make_entry("post", publish=True, title="One")

    assert_private(api.get("/api/content/post?status=draft", token=None), 401)
    assert_private(api.get("/api/content/post/missing", token=None), 404)
    assert_private(api.get("/api/content/post?bogus=1", token=None), 400)
    assert_private(api.get("/api/content/site", token=None), 404)
    assert_private(api.get(f"/api/content/post/{post['id']}/revisions", token=None), 401)


def test_a_write_is_private(api, blog):
    response = api.post("/api/content/post", json={"title": "New"})

    assert_private(response, 201)


def test_cdn_lifetimes_are_settings(app, api, blog, make_entry, monkeypatch):
    make_entry("post", publish=True, title="One")
    monkeypatch.setitem(app.config, "CDN_MAX_AGE", 600)
    monkeypatch.setitem(app.config, "CDN_STALE_WHILE_REVALIDATE", 5)

    response = api.get("/api/content/post", token=None)

    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=600, stale-while-revalidate=5"


# -- ETag and 304 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "default"])
def test_every_read_answers_304_to_its_own_etag(api, blog, make_entry, token):
    post = make_entry("post", publish=True, title="One")
    api.put("/api/content/site", json={"name": "Folio"})
    api.post("/api/content/site/publish")

    for path in ("/api/content/post", f"/api/content/post/{post['id']}", "/api/content/site", "/api/sync",
                 "/api/openapi.json", "/api/types.ts"):
        first = api.get(path, token=token)
        again = api.get(path, token=token, headers={"If-None-Match": first.headers["ETag"]})

        assert first.status_code == 200, path
        assert again.status_code == 304, path
        assert again.get_data() == b""
        assert again.headers["ETag"] == first.headers["ETag"]
        assert again.headers["Cache-Control"] == first.headers["Cache-Control"]


def test_a_publish_changes_the_etag(api, blog, make_entry):
    post = make_entry("post", publish=True, title="One")
    before = api.get("/api/content/post", token=None)
    api.patch(f"/api/content/post/{post['id']}", json={"title": "Two"})
    api.post(f"/api/content/post/{post['id']}/publish")

    after = api.get("/api/content/post", token=None, headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert after.json["data"][0]["title"] == "Two"


# -- purges ----------------------------------------------------------------------------------------

def test_a_publish_purges_its_entry_and_type_after_commit(api, blog, make_entry, purges):
    post = make_entry("post", title="One")
    assert purges == []

    response = api.post(f"/api/content/post/{post['id']}/publish")

    assert response.status_code == 200
    assert purges == [[f"entry:{post['id']}", "type:post"]]


def test_unpublish_and_delete_of_published_entries_purge(api, blog, make_entry, purges):
    first = make_entry("post", publish=True, title="One")
    second = make_entry("post", publish=True, title="Two")
    purges.clear()

    api.post(f"/api/content/post/{first['id']}/unpublish")
    api.delete(f"/api/content/post/{second['id']}")

    assert purges == [[f"entry:{first['id']}", "type:post"], [f"entry:{second['id']}", "type:post"]]


def test_drafts_purge_nothing(api, blog, make_entry, purges):
    post = make_entry("post", title="One")
    api.patch(f"/api/content/post/{post['id']}", json={"title": "Two"})
    api.delete(f"/api/content/post/{post['id']}")

    assert purges == []


def test_a_set_null_cleanup_purges_the_published_entries_it_changed(api, blog, make_entry, purges):
    ann = make_entry("author", publish=True, name="Ann")
    post = make_entry("post", publish=True, title="One", author=ann["id"])
    purges.clear()

    assert api.delete(f"/api/content/author/{ann['id']}").status_code == 204

    assert purges == [sorted([f"entry:{ann['id']}", f"entry:{post['id']}"]) + ["type:author", "type:post"]]
    assert api.get(f"/api/content/post/{post['id']}", token=None).json["data"]["author"] is None


def test_type_changes_purge_the_type_and_the_type_set(api, blog, make_entry, purges):
    post = make_entry("post", publish=True, title="One")
    purges.clear()

    api.patch("/api/content-types/post", json={"label": "Articles"})
    api.patch("/api/content-types/post", json={"fields": [*POST, {"name": "summary", "type": "text"}]})

    assert purges == [["type:post", "types"], [f"entry:{post['id']}", "type:post", "types"]]


def test_creating_a_type_purges_the_type_set(make_type, purges):
    make_type("page", [{"name": "title", "type": "string"}])

    assert purges == [["type:page", "types"]]


def test_an_import_purges_the_imported_published_entries(app, api, blog, purges, tmp_path):
    path = tmp_path / "entries.jsonl"
    lines = [{"id": "imported-live", "type": "post", "data": {"title": "Live"}, "published": {"title": "Live"}},
             {"id": "imported-draft", "type": "post", "data": {"title": "Draft"}}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))

    result = app.test_cli_runner().invoke(cli, ["content", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert purges == [["entry:imported-live", "type:post"]]


def test_a_refused_write_purges_nothing(api, blog, make_entry, purges, db):
    post = make_entry("post", publish=True, title="One")
    purges.clear()

    stale = api.post(f"/api/content/post/{post['id']}/publish", headers={"If-Match": '"99"'})
    dry_run = api.patch("/api/content-types/post?dry_run=true", json={"label": "Articles"})

    error_of(stale, 412)
    assert dry_run.status_code == 200 and dry_run.json["data"]["label"] == "Articles"
    assert purges == []
    assert db.session.get(Entry, post["id"]).published_version == post["version"]
    assert api.get("/api/content-types/post").json["data"]["label"] != "Articles"


def test_a_rolled_back_change_purges_nothing_and_a_failing_purge_is_only_logged(app, api, blog, make_entry,
                                                                                 purges, db, caplog):
    post = make_entry("post", title="One")

    class Broken:
        @hookimpl
        def folio_cache_purge(self, keys):
            raise RuntimeError("CDN down")

    app.extensions["folio.plugins"].register(Broken())
    try:
        with app.test_request_context():
            from cms.content import services
            from cms.core.policy import SYSTEM

            with _db.session.begin_nested():  # a savepoint's commit is not the commit
                services.publish_entry("post", post["id"], SYSTEM)
            assert purges == []
            _db.session.rollback()
            assert purges == []
            services.publish_entry("post", post["id"], SYSTEM)
            _db.session.commit()
    finally:
        for plugin in [p for p in app.extensions["folio.plugins"].get_plugins() if isinstance(p, Broken)]:
            app.extensions["folio.plugins"].unregister(plugin)

    assert purges == [[f"entry:{post['id']}", "type:post"]]
    assert "folio_cache_purge failed" in caplog.text and "CDN down" in caplog.text
    assert db.session.get(Entry, post["id"]).published_version == 2


# -- the response cache ----------------------------------------------------------------------------

def test_a_second_anonymous_read_is_served_from_the_cache_with_one_query(api, blog, make_entry, count_queries):
    ann = make_entry("author", publish=True, name="Ann")
    make_entry("post", publish=True, title="One", author=ann["id"])
    first = api.get("/api/content/post?populate=author&sort=title", token=None)

    with count_queries() as statements:
        again = api.get("/api/content/post?sort=title&populate=author", token=None)
    statements = [sql for sql in statements if "SAVEPOINT" not in sql]  # the test's own transaction

    assert first.headers["X-Folio-Cache"] == "miss" and again.headers["X-Folio-Cache"] == "hit"
    assert len(statements) == 1
    assert again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Surrogate-Key"] == first.headers["Surrogate-Key"]
    assert again.headers["Cache-Control"] == PUBLIC


def test_a_publish_is_visible_on_the_next_read(api, blog, make_entry):
    post = make_entry("post", publish=True, title="One")
    for path in ("/api/content/post", f"/api/content/post/{post['id']}", "/api/sync"):
        api.get(path, token=None)
    api.patch(f"/api/content/post/{post['id']}", json={"title": "Two"})
    draft_only = api.get(f"/api/content/post/{post['id']}", token=None)
    api.post(f"/api/content/post/{post['id']}/publish")

    listing = api.get("/api/content/post", token=None)
    single = api.get(f"/api/content/post/{post['id']}", token=None)

    assert draft_only.headers["X-Folio-Cache"] == "hit" and draft_only.json["data"]["title"] == "One"
    assert listing.headers["X-Folio-Cache"] == "miss" and listing.json["data"][0]["title"] == "Two"
    assert single.json["data"]["title"] == "Two"


def test_a_type_change_is_visible_on_the_next_read(api, blog):
    before = api.get("/api/openapi.json", token=None)
    api.patch("/api/content-types/post", json={"fields": [*POST, {"name": "summary", "type": "text"}]})

    after = api.get("/api/openapi.json", token=None)

    assert after.headers["X-Folio-Cache"] == "miss"
    assert after.get_data() != before.get_data()


def test_authenticated_reads_and_errors_are_never_cached(api, blog, make_entry):
    make_entry("post", publish=True, title="One")

    for _ in range(2):
        private = api.get("/api/content/post")
        missing = api.get("/api/content/post/missing", token=None)

    assert "X-Folio-Cache" not in private.headers and "X-Folio-Cache" not in missing.headers
    assert missing.status_code == 404


def test_the_memory_cache_evicts_the_least_recently_used_by_count_and_bytes():
    cache = MemoryCache(max_entries=2, max_bytes=10)
    cache.set("a", b"1234")
    cache.set("b", b"1234")
    cache.get("a")
    cache.set("c", b"12")

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1234", None, b"12")
    cache.set("d", b"123456789")
    assert len(cache) == 1 and cache.get("d") == b"123456789"
    cache.set("huge", b"x" * 11)
    assert cache.get("huge") is None and cache.get("d") == b"123456789"


def test_the_response_cache_setting_chooses_the_backend():
    base = {"RESPONSE_CACHE_SIZE": 10, "RESPONSE_CACHE_MAX_BYTES": 100, "REDIS_URL": "",
            "RESPONSE_CACHE_PREFIX": "p", "RESPONSE_CACHE_TTL": 5}

    assert build_response_cache({**base, "RESPONSE_CACHE": "off"}) is None
    assert isinstance(build_response_cache({**base, "RESPONSE_CACHE": "memory"}), MemoryCache)
    with pytest.raises(RuntimeError, match="FOLIO_REDIS_URL"):
        build_response_cache({**base, "RESPONSE_CACHE": "redis"})
    with pytest.raises(RuntimeError, match="memory, redis or off"):
        build_response_cache({**base, "RESPONSE_CACHE": "disk"})


# -- several processes -----------------------------------------------------------------------------

def _admin_token(app):
    with app.app_context():
        user = auth_services.create_user(f"{uuid.uuid4().hex}@example.com", "correct-horse-battery",
                                         role="administrator")
        _token, secret = auth_services.create_token(user, "tests")
        _db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _title(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.json
    return response.json["data"][0]["title"], response.headers["X-Folio-Cache"]


@pytest.fixture
def second_app(live_app, tmp_path):
    other = make_app(live_app.config["DATABASE_URL"], tmp_path / "second")
    yield other
    with other.app_context():
        _db.engine.dispose()


def _two_processes(first, second):
    """Publish in ``first``, cache a read there, publish a change in ``second``; return the titles seen."""
    headers = _admin_token(first)
    one, two = first.test_client(), second.test_client()
    made = one.post("/api/content-types", json={"name": "post", "fields": POST[:1]}, headers=headers)
    assert made.status_code == 201, made.json
    post = one.post("/api/content/post", json={"title": "One"}, headers=headers).json["data"]
    one.post(f"/api/content/post/{post['id']}/publish", headers=headers)
    seen = [_title(one, "/api/content/post"), _title(one, "/api/content/post"), _title(two, "/api/content/post")]
    two.patch(f"/api/content/post/{post['id']}", json={"title": "Two"}, headers=headers)
    two.post(f"/api/content/post/{post['id']}/publish", headers=headers)
    return seen + [_title(one, "/api/content/post"), _title(one, "/api/content/post")]


def test_a_publish_in_another_process_is_visible_on_the_next_read(live_app, second_app):
    seen = _two_processes(live_app, second_app)

    assert seen == [("One", "miss"), ("One", "hit"), ("One", "miss"), ("Two", "miss"), ("Two", "hit")]


@pytest.fixture
def redis_apps(fresh_database_url, tmp_path):
    config = {"RESPONSE_CACHE": "redis", "REDIS_URL": "redis://127.0.0.1:6379/0",
              "RESPONSE_CACHE_PREFIX": f"folio-test:{uuid.uuid4().hex}"}
    apps = [make_app(fresh_database_url, tmp_path / name, **config) for name in ("one", "two")]
    from cms.core import migrate

    with apps[0].app_context():
        migrate.upgrade(_db.engine)
    yield apps
    cache = apps[0].extensions["folio.response_cache"]
    for key in cache.client.scan_iter(f"{config['RESPONSE_CACHE_PREFIX']}:*"):
        cache.client.delete(key)
    cache.client.close()
    for app in apps:
        with app.app_context():
            _db.engine.dispose()


def test_the_redis_cache_is_shared_and_never_stale_across_processes(redis_apps):
    seen = _two_processes(*redis_apps)

    assert seen == [("One", "miss"), ("One", "hit"), ("One", "hit"), ("Two", "miss"), ("Two", "hit")]
    cache = redis_apps[0].extensions["folio.response_cache"]
    keys = list(cache.client.scan_iter(f"{cache.prefix}:*"))
    assert len(keys) == 2
    assert 0 < cache.client.ttl(keys[0]) <= 300


def test_an_unreachable_redis_is_a_miss_not_an_error(fresh_database_url, tmp_path):
    app = make_app(fresh_database_url, tmp_path / "instance", RESPONSE_CACHE="redis",
                   REDIS_URL="redis://127.0.0.1:1/0")
    from cms.core import migrate

    with app.app_context():
        migrate.upgrade(_db.engine)
    try:
        first = app.test_client().get("/api/openapi.json")
        again = app.test_client().get("/api/openapi.json")
    finally:
        with app.app_context():
            _db.engine.dispose()

    assert first.status_code == again.status_code == 200
    assert again.headers["X-Folio-Cache"] == "miss"


# -- the count cache -------------------------------------------------------------------------------

def _counts(statements):
    """The statements that count a list's entries (not the content version's count of types)."""
    return [sql for sql in statements if "count(" in sql.lower() and "content_types" not in sql]


@pytest.fixture
def no_response_cache(app, monkeypatch):
    """Read through the query path, so that only the count cache can save work."""
    monkeypatch.setitem(app.extensions, "folio.response_cache", None)


def test_a_published_total_is_counted_once_per_content_version(api, blog, make_entry, count_queries,
                                                                no_response_cache):
    for title in ("a", "b", "c"):
        make_entry("post", publish=True, title=title)
    path = "/api/content/post?filter[title][ne]=b&per_page=1"

    with count_queries() as first:
        assert api.get(path, token=None).json["meta"]["total"] == 2
    with count_queries() as second:  # another page of the same list shares its total
        assert api.get(f"{path}&page=2", token=None).json["meta"]["total"] == 2
    make_entry("post", publish=True, title="d")
    with count_queries() as after_publish:
        assert api.get(path, token=None).json["meta"]["total"] == 3

    assert (len(_counts(first)), len(_counts(second)), len(_counts(after_publish))) == (1, 0, 1)


def test_draft_totals_are_always_counted(api, blog, make_entry, count_queries, no_response_cache):
    make_entry("post", title="a")
    assert api.get("/api/content/post?status=draft").json["meta"]["total"] == 1
    make_entry("post", title="b")  # drafts do not change the content version

    with count_queries() as statements:
        assert api.get("/api/content/post?status=draft").json["meta"]["total"] == 2
    assert len(_counts(statements)) == 1


def test_the_count_cache_can_be_turned_off(api, blog, make_entry, count_queries, no_response_cache, app,
                                           monkeypatch):
    monkeypatch.setitem(app.extensions, "folio.count_cache", None)
    make_entry("post", publish=True, title="a")
    api.get("/api/content/post", token=None)

    with count_queries() as statements:
        assert api.get("/api/content/post", token=None).json["meta"]["total"] == 1
    assert len(_counts(statements)) == 1


def test_a_total_is_never_stale_after_a_publish_in_another_process(live_app, second_app):
    headers = _admin_token(live_app)
    one, two = live_app.test_client(), second_app.test_client()
    for app_ in (live_app, second_app):
        app_.extensions["folio.response_cache"] = None
    assert one.post("/api/content-types", json={"name": "post", "fields": POST[:1]}, headers=headers).status_code == 201
    first = one.post("/api/content/post", json={"title": "One"}, headers=headers).json["data"]
    one.post(f"/api/content/post/{first['id']}/publish", headers=headers)
    totals = [one.get("/api/content/post").json["meta"]["total"]]
    second = two.post("/api/content/post", json={"title": "Two"}, headers=headers).json["data"]
    two.post(f"/api/content/post/{second['id']}/publish", headers=headers)
    totals.append(one.get("/api/content/post").json["meta"]["total"])
    two.delete(f"/api/content/post/{first['id']}", headers=headers)
    totals.append(one.get("/api/content/post").json["meta"]["total"])

    assert totals == [1, 2, 1]
