"""Sorting, pages, keyset cursors, field selection and counts of entry lists, and bad paging input."""

import base64
import json
from datetime import UTC, datetime
from functools import cmp_to_key

import pytest
import sqlalchemy as sa

from cms.content.models import Entry
from tests.helpers import error_of

ROWS = [  # name, views, score, flag, day, at
    ("n0", 5, 1.5, True, "2024-01-01", "2024-01-01T10:00:00Z"),
    ("n1", None, 2.5, False, None, None),
    ("n2", 5, None, None, "2024-01-01", "2024-01-01T12:00:00+02:00"),
    ("n3", 0, 1.5, True, None, "2024-01-01T10:00:00Z"),
    ("n4", None, None, None, None, None),
    ("n5", 10, -1, False, "2023-12-31", "2024-02-01T00:00:00Z"),
    ("n6", 5, 2.5, True, "2024-01-02", "2024-01-01T10:00:00Z"),
    ("n7", 0, 0, False, "2024-01-01", None),
    ("n8", -3, 1.5, None, "2024-01-02", "2024-01-01T10:00:00.000Z"),
    ("n9", None, 10, True, "2023-12-31", "2024-02-01T00:00:00Z"),
]
SORTS = ["views", "-views", "-flag,views", "flag,-day", "day,-views", "-at", "score,-name", "name",
         "-published_at", "created_at", "-id", "updated_at,views", "-score,-flag,-day,at,views"]


def listing(api, params, token=None, type_name="item"):
    response = api.get(f"/api/content/{type_name}", query_string=params, token=token)
    assert response.status_code == 200, response.json
    return response.json


def names(api, params, token=None):
    return [entry["name"] for entry in listing(api, params, token)["data"]]


def refused(api, params, parameter, token=None, type_name="item"):
    error = error_of(api.get(f"/api/content/{type_name}", query_string=params, token=token), 400, "bad_request")
    assert parameter in error["details"]["parameters"], error
    return error


def walk(api, params, per_page, token=None):
    """Follow next_cursor from the first page to the last; return the names in the order seen."""
    seen, cursor = [], None
    for _ in range(100):
        body = listing(api, [*params, ("per_page", str(per_page)), *([("cursor", cursor)] if cursor else [])], token)
        assert len(body["data"]) <= per_page
        seen += [entry["name"] for entry in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return seen
        assert body["data"], "a page with a next cursor is not empty"
    raise AssertionError("the walk does not end")


@pytest.fixture
def catalog(api, make_type, make_entry):
    """Type ``item`` with ROWS published; returns the stored rows by name (values as delivered)."""
    make_type("item", [{"name": "name", "type": "string"}, {"name": "views", "type": "integer"},
                       {"name": "score", "type": "decimal"}, {"name": "flag", "type": "boolean"},
                       {"name": "day", "type": "date"}, {"name": "at", "type": "datetime"},
                       {"name": "secret", "type": "string", "private": True},
                       {"name": "author", "type": "relation", "target": "item"}, {"name": "extra", "type": "json"}])
    for name, *values in ROWS:
        fields = dict(zip(("views", "score", "flag", "day", "at"), values, strict=True))
        make_entry("item", publish=True, name=name, secret=name[::-1],
                   **{key: value for key, value in fields.items() if value is not None})
    return {entry["name"]: entry for entry in listing(api, [("per_page", "100")])["data"]}


def stored(db):
    """Return the system columns of every entry, by id (microseconds included)."""
    rows = db.session.execute(sa.select(Entry.id, Entry.created_at, Entry.updated_at, Entry.published_at))
    return {row.id: row._asdict() for row in rows}


def oracle(entries, sort, columns):
    """Sort delivered entries as the spec says: keys in order, a missing value smallest, ties by id."""
    keys = [(part.lstrip("-"), part.startswith("-")) for part in sort.split(",")]
    keys.append(("id", keys[-1][1]))

    def value(entry, name):
        return columns[entry["id"]][name] if name in {"created_at", "updated_at", "published_at"} else entry[name]

    def compare(left, right):
        for name, descending in keys:
            a, b = value(left, name), value(right, name)
            if a == b:
                continue
            smaller = a is None or (b is not None and a < b)
            return (1 if smaller else -1) if descending else (-1 if smaller else 1)
        return 0

    return [entry["name"] for entry in sorted(entries, key=cmp_to_key(compare))]


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_orders_like_the_spec_and_the_cursor_walk_visits_each_entry_once(api, db, catalog, sort):
    expected = oracle(catalog.values(), sort, stored(db))

    assert names(api, [("sort", sort), ("per_page", "100")]) == expected
    for per_page in (1, 3, 4):
        assert walk(api, [("sort", sort)], per_page) == expected, per_page


@pytest.mark.parametrize("sort", ["published_at", "-published_at,views", "flag,-published_at"])
def test_drafts_walk_past_entries_never_published(api, db, catalog, make_entry, sort):
    for name, views, flag in (("d1", 4, True), ("d2", None, None), ("d3", 4, False)):
        make_entry("item", name=name, **({"views": views} if views else {}),
                   **({"flag": flag} if flag is not None else {}))
    entries = listing(api, [("status", "draft"), ("per_page", "100")], api.token)["data"]
    expected = oracle(entries, sort, stored(db))
    if sort == "published_at":
        assert expected[:3] == ["d1", "d2", "d3"]

    assert names(api, [("status", "draft"), ("sort", sort), ("per_page", "100")], api.token) == expected
    for per_page in (1, 2, 5):
        assert walk(api, [("status", "draft"), ("sort", sort)], per_page, api.token) == expected


def test_missing_values_sort_first_ascending_and_last_descending(api, catalog):
    by_id = sorted(catalog, key=lambda name: catalog[name]["id"])
    ties = [name for name in by_id if catalog[name]["views"] is None]
    assert ties == ["n1", "n4", "n9"]

    assert names(api, [("sort", "views"), ("per_page", "100")]) == [
        "n1", "n4", "n9", "n8", "n3", "n7", "n0", "n2", "n6", "n5"]
    assert names(api, [("sort", "-views"), ("per_page", "100")]) == [
        "n5", "n6", "n2", "n0", "n7", "n3", "n8", "n9", "n4", "n1"]
    assert names(api, [("sort", "-flag,name"), ("per_page", "100")]) == [
        "n0", "n3", "n6", "n9", "n1", "n5", "n7", "n2", "n4", "n8"]
    assert names(api, [("sort", "day,-score"), ("per_page", "100")]) == [
        "n1", "n3", "n4", "n9", "n5", "n0", "n7", "n2", "n6", "n8"]


def test_the_default_order_is_newest_first_with_ties_broken_by_id(api, db, catalog):
    moments = {"n3": 9, "n7": 9, "n0": 8, "n1": 1}
    for name, entry in catalog.items():
        second = moments.get(name, 5)
        db.session.execute(sa.update(Entry).where(Entry.id == entry["id"])
                           .values(created_at=datetime(2024, 1, 1, 0, 0, second, tzinfo=UTC)))
    db.session.commit()
    api.client.application.extensions["folio.response_cache"].clear()  # rows changed behind the services
    middle = sorted((n for n in catalog if n not in moments), key=lambda n: catalog[n]["id"], reverse=True)
    newest = sorted(["n3", "n7"], key=lambda n: catalog[n]["id"], reverse=True)

    assert names(api, [("per_page", "100")]) == [*newest, "n0", *middle, "n1"]
    assert walk(api, [], 3) == [*newest, "n0", *middle, "n1"]


def test_pages_slice_the_order_and_report_their_place(api, catalog):
    everything = names(api, [("sort", "name"), ("per_page", "100")])

    body = listing(api, [("sort", "name"), ("per_page", "3"), ("page", "2")])
    assert [e["name"] for e in body["data"]] == everything[3:6]
    assert {k: body["meta"][k] for k in ("total", "page", "per_page")} == {"total": 10, "page": 2, "per_page": 3}
    assert names(api, [("sort", "name"), ("per_page", "3"), ("page", "4")]) == everything[9:]
    assert names(api, [("sort", "name"), ("per_page", "3"), ("page", "5")]) == []
    assert len(names(api, [])) == 10
    assert names(api, [("sort", "-id,views"), ("per_page", "3")]) == names(api, [("sort", "-id"), ("per_page", "3")])
    body = listing(api, [("sort", "name"), ("per_page", "4"), ("page", "2")])
    continued = listing(api, [("sort", "name"), ("per_page", "4"), ("cursor", body["meta"]["next_cursor"])])
    assert [e["name"] for e in continued["data"]] == everything[8:]
    assert continued["meta"]["page"] is None and continued["meta"]["next_cursor"] is None


def test_the_last_page_has_no_next_cursor_even_when_it_is_full(api, catalog):
    first = listing(api, [("sort", "name"), ("per_page", "5")])
    second = listing(api, [("sort", "name"), ("per_page", "5"), ("cursor", first["meta"]["next_cursor"])])

    assert [e["name"] for e in second["data"]] == ["n5", "n6", "n7", "n8", "n9"]
    assert second["meta"]["next_cursor"] is None
    assert listing(api, [("per_page", "10")])["meta"]["next_cursor"] is None
    assert listing(api, [("filter[name]", "none")])["meta"] == {
        "total": 0, "total_exact": True, "page": 1, "per_page": 25, "next_cursor": None}


@pytest.mark.parametrize("sort", ["views", "-created_at", "-flag,day"])
def test_a_cursor_walk_survives_inserts_and_deletes_between_pages(api, catalog, make_entry, sort):
    params = [("sort", sort), ("per_page", "3")]
    before = set(catalog)
    first = listing(api, params)
    seen = [e["name"] for e in first["data"]]
    deleted = {seen[-1], next(name for name in names(api, [("sort", sort), ("per_page", "100")])[4:])}
    for name in deleted:
        assert api.delete(f"/api/content/item/{catalog[name]['id']}").status_code == 204
    for name, views, flag in (("x1", None, None), ("x2", 100, True), ("x3", -100, False), ("x4", 5, True)):
        make_entry("item", publish=True, name=name, **({"views": views} if views is not None else {}),
                   **({"flag": flag} if flag is not None else {}))

    cursor = first["meta"]["next_cursor"]
    while cursor:
        body = listing(api, [*params, ("cursor", cursor)])
        seen += [e["name"] for e in body["data"]]
        cursor = body["meta"]["next_cursor"]

    assert len(seen) == len(set(seen))
    assert before - deleted <= set(seen) <= before | {"x1", "x2", "x3", "x4"}
    assert not (deleted - {seen[2]}) & set(seen)


def test_count_false_skips_the_total(app, api, catalog, count_queries, monkeypatch):
    monkeypatch.setitem(app.extensions, "folio.count_cache", None)  # else the total is remembered
    with count_queries() as counted:
        assert listing(api, [("count", "true")])["meta"]["total"] == 10
    with count_queries() as uncounted:
        body = listing(api, [("count", "false"), ("per_page", "2")])
    assert body["meta"]["total"] is None and body["meta"]["total_exact"] is None and len(body["data"]) == 2
    assert len(uncounted) == len(counted) - 1


def test_totals_are_counted_up_to_the_count_limit(app, api, catalog, count_queries, monkeypatch):
    monkeypatch.setitem(app.config, "COUNT_LIMIT", 4)

    capped = listing(api, [("per_page", "2")])
    narrow = listing(api, [("filter[views][lte]", "2")])
    drafts = listing(api, [("status", "draft"), ("per_page", "1")], api.token)
    with count_queries() as statements:
        listing(api, [("per_page", "1"), ("filter[views][gte]", "0")])

    assert (capped["meta"]["total"], capped["meta"]["total_exact"]) == (4, False)
    assert capped["meta"]["next_cursor"] and len(capped["data"]) == 2
    assert narrow["meta"]["total_exact"] is True and narrow["meta"]["total"] == len(narrow["data"]) < 4
    assert (drafts["meta"]["total"], drafts["meta"]["total_exact"]) == (4, False)
    counts = [s for s in statements if "count(*)" in s.lower() and "FROM entries" in s]
    assert counts and all("LIMIT" in s for s in counts)  # the count never reads past the limit


def test_a_count_limit_of_zero_counts_exactly(app, api, catalog, monkeypatch):
    monkeypatch.setitem(app.config, "COUNT_LIMIT", 0)

    body = listing(api, [("per_page", "2")])

    assert (body["meta"]["total"], body["meta"]["total_exact"]) == (10, True)


def test_fields_limit_the_field_keys_but_keep_the_system_keys(api, catalog):
    body = listing(api, [("fields", "name,views"), ("sort", "name"), ("per_page", "1")])
    assert set(body["data"][0]) == {"id", "type", "locale", "status", "version", "created_at", "updated_at",
                                    "published_at", "name", "views"}
    assert body["data"][0]["name"] == "n0" and body["data"][0]["views"] == 5
    body = listing(api, [("fields", "id,name,name"), ("per_page", "1")])
    assert set(body["data"][0]) - {"id", "type", "locale", "status", "version", "created_at", "updated_at",
                                   "published_at"} == {"name"}
    assert "secret" not in listing(api, [("per_page", "1")])["data"][0]
    assert listing(api, [("fields", "secret"), ("sort", "name"), ("per_page", "1")], api.token)["data"][0][
        "secret"] == "0n"


def test_private_fields_sort_and_select_only_for_those_who_may_read_them(api, catalog):
    refused(api, [("sort", "secret")], "sort")
    refused(api, [("fields", "name,secret")], "fields")

    assert names(api, [("sort", "-secret"), ("per_page", "3")], api.token) == ["n9", "n8", "n7"]


def forge(cursor, values):
    payload, signature = cursor.rsplit(".", 1)
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["v"] = values
    fake = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
    return f"{fake}.{signature}"


def test_cursors_only_continue_the_list_they_came_from(api, catalog, make_type, make_entry, monkeypatch,
                                                       count_queries):
    make_type("other", [{"name": "name", "type": "string"}])
    for name in ("o1", "o2"):
        make_entry("other", publish=True, name=name)
    cursor = listing(api, [("sort", "name"), ("per_page", "2")])["meta"]["next_cursor"]
    other = listing(api, [("sort", "name"), ("per_page", "1")], type_name="other")["meta"]["next_cursor"]
    draft = listing(api, [("sort", "name"), ("per_page", "2"), ("status", "draft")], api.token)["meta"]["next_cursor"]
    with monkeypatch.context() as patch:
        patch.setitem(api.client.application.config, "SECRET_KEY", "another-secret")
        foreign = listing(api, [("sort", "name"), ("per_page", "2")])["meta"]["next_cursor"]
    assert listing(api, [("sort", "name"), ("cursor", cursor)])["data"][0]["name"] == "n2"

    for bad in (other, cursor[:-4], cursor[:20], forge(cursor, ["n8", catalog["n8"]["id"]]), foreign,
                "garbage", "", "a" * 5000, cursor + "\x00"):
        refused(api, [("sort", "name"), ("cursor", bad)], "cursor")
    refused(api, [("sort", "-name"), ("cursor", cursor)], "cursor")
    refused(api, [("cursor", cursor)], "cursor")
    refused(api, [("sort", "name"), ("cursor", draft)], "cursor")
    refused(api, [("sort", "name"), ("status", "draft"), ("cursor", cursor)], "cursor", api.token)
    refused(api, [("sort", "name"), ("cursor", cursor), ("page", "2")], "cursor")
    with count_queries() as statements:
        refused(api, [("sort", "name"), ("cursor", forge(cursor, ["n0", catalog["n0"]["id"]]))], "cursor")
    assert not [s for s in statements if "entries" in s.split("FROM", 1)[-1]]


def test_a_cursor_does_not_outlive_its_sort_field(api, make_type, make_entry):
    name = make_type("thing", [{"name": "name", "type": "string"}, {"name": "views", "type": "integer"}])["fields"][0]
    for n in range(3):
        make_entry("thing", publish=True, name=f"t{n}", views=n)
    cursor = listing(api, [("sort", "views"), ("per_page", "1")], type_name="thing")["meta"]["next_cursor"]
    for fields in ([name], [name, {"name": "views", "type": "string"}]):
        assert api.patch("/api/content-types/thing", json={"fields": fields}).status_code == 200

    refused(api, [("sort", "views"), ("cursor", cursor)], "cursor", type_name="thing")


@pytest.mark.parametrize("params,parameter", [
    ([("per_page", str(10**9))], "per_page"),
    ([("per_page", "101")], "per_page"),
    ([("per_page", "0")], "per_page"),
    ([("per_page", "-1")], "per_page"),
    ([("per_page", "abc")], "per_page"),
    ([("per_page", "²")], "per_page"),
    ([("per_page", "9" * 5000)], "per_page"),
    ([("page", "0")], "page"),
    ([("page", "-1")], "page"),
    ([("page", "abc")], "page"),
    ([("page", "1.5")], "page"),
    ([("page", "³")], "page"),
    ([("page", "1"), ("page", "2")], "page"),
    ([("sort", "name"), ("sort", "views")], "sort"),
    ([("sort", "nope")], "sort"),
    ([("sort", "author")], "sort"),
    ([("sort", "extra")], "sort"),
    ([("sort", "status")], "sort"),
    ([("sort", "--views")], "sort"),
    ([("sort", "views,")], "sort"),
    ([("sort", "")], "sort"),
    ([("sort", "views,-views")], "sort"),
    ([("sort", "na\x00me")], "sort"),
    ([("sort", "name,views,score,flag,day,at")], "sort"),
    ([("fields", "nope")], "fields"),
    ([("fields", "name,")], "fields"),
    ([("fields", "")], "fields"),
    ([("count", "maybe")], "count"),
    ([("status", "archived")], "status"),
    ([("limit", "5")], "limit"),
    ([("filter", "x")], "filter"),
])
def test_bad_paging_parameters_are_refused_without_reading_entries(api, catalog, count_queries, params, parameter):
    with count_queries() as statements:
        refused(api, params, parameter)

    assert not [s for s in statements if "entries" in s.split("FROM", 1)[-1]]


def test_an_overlong_query_string_is_refused(api, catalog):
    error = error_of(api.get("/api/content/item", query_string=[("filter[name][in]", "a," * 4100)], token=None),
                     400, "bad_request")
    assert "8192" in error["message"]
    error_of(api.get("/api/content/item", query_string=[("filter[name]", "x" * 10_000)], token=None), 400)

    near_the_cap = [(f"filter[or][{i}][name]", "y" * 900) for i in range(8)] + [("filter[or][8][name]", "n1")]
    assert names(api, near_the_cap) == ["n1"]


def test_the_query_count_does_not_grow_with_the_page(api, make_type, make_entry, count_queries):
    make_type("person", [{"name": "name", "type": "string"}])
    make_type("item", [{"name": "name", "type": "string"}, {"name": "views", "type": "integer"},
                       {"name": "author", "type": "relation", "target": "person"}], options={"draft_publish": False})
    ann = make_entry("person", publish=True, name="Ann")
    for n in range(102):
        make_entry("item", name=f"i{n:03d}", views=n % 7, author=ann["id"])
    params = [("filter[views][gte]", "0"), ("filter[author.name]", "Ann"), ("sort", "-views,name")]
    cursor = listing(api, [*params, ("per_page", "1")])["meta"]["next_cursor"]

    with count_queries() as small:
        assert len(listing(api, [*params, ("per_page", "1"), ("cursor", cursor)])["data"]) == 1
    with count_queries() as large:
        assert len(listing(api, [*params, ("per_page", "100"), ("cursor", cursor)])["data"]) == 100
    assert len(small) == len(large)
