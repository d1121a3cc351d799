"""Concurrent writers: the database, not the application, decides who wins."""

import threading

import pytest

WRITERS = 6


def _race(app, path, bodies):
    """POST each body from its own thread, all released at once; return the responses."""
    token = app.config["TEST_TOKEN"]
    barrier = threading.Barrier(len(bodies))
    responses = [None] * len(bodies)

    def write(index, body):
        client = app.test_client()
        barrier.wait()
        responses[index] = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})

    threads = [threading.Thread(target=write, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.fixture
def live_api(live_app):
    client = live_app.test_client()
    headers = {"Authorization": f"Bearer {live_app.config['TEST_TOKEN']}"}

    def call(method, path, json=None):
        return client.open(path, method=method, json=json, headers=headers)

    return call


def test_concurrent_writers_of_one_unique_value_get_one_success_and_conflicts(live_app, live_api):
    created = live_api("POST", "/api/content-types", {"name": "account", "fields": [
        {"name": "handle", "type": "string", "unique": True}]})
    assert created.status_code == 201

    responses = _race(live_app, "/api/content/account", [{"handle": "ann"}] * WRITERS)

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (WRITERS - 1)
    assert all(r.json["error"]["code"] == "conflict" for r in responses if r.status_code == 409)
    listing = live_api("GET", "/api/content/account?status=draft")
    assert listing.json["meta"]["total"] == 1


def test_concurrent_writers_of_one_derived_slug_get_distinct_slugs(live_app, live_api):
    created = live_api("POST", "/api/content-types", {"name": "post", "fields": [
        {"name": "title", "type": "string"}, {"name": "slug", "type": "slug", "source": "title"}]})
    assert created.status_code == 201

    responses = _race(live_app, "/api/content/post", [{"title": "Same Title"}] * WRITERS)

    assert [r.status_code for r in responses] == [201] * WRITERS
    slugs = {r.json["data"]["slug"] for r in responses}
    assert len(slugs) == WRITERS
    assert "same-title" in slugs
    assert all(slug.startswith("same-title") for slug in slugs)


def test_concurrent_edits_of_one_version_let_exactly_one_win(live_app, live_api):
    live_api("POST", "/api/content-types", {"name": "note", "fields": [{"name": "text", "type": "text"}]})
    entry = live_api("POST", "/api/content/note", {"text": "first"}).json["data"]
    token = live_app.config["TEST_TOKEN"]
    barrier = threading.Barrier(WRITERS)
    statuses = []

    def edit(index):
        client = live_app.test_client()
        barrier.wait()
        response = client.patch(f"/api/content/note/{entry['id']}", json={"text": f"edit {index}"},
                                headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [412] * (WRITERS - 1)
    current = live_api("GET", f"/api/content/note/{entry['id']}?status=draft").json["data"]
    assert current["version"] == 2
    revisions = live_api("GET", f"/api/content/note/{entry['id']}/revisions").json["data"]
    assert [r["number"] for r in revisions] == [2, 1]


def test_concurrent_creators_of_one_type_name_get_one_success_and_conflicts(live_app, live_api):
    definition = {"name": "meetup", "fields": [{"name": "title", "type": "string"}]}

    responses = _race(live_app, "/api/content-types", [definition] * WRITERS)

    assert sorted(r.status_code for r in responses) == [201] + [409] * (WRITERS - 1)
    assert [t["name"] for t in live_api("GET", "/api/content-types").json["data"]] == ["meetup"]
