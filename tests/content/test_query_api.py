"""The query language as a Python API: ListQuery for services.list_entries, predicates for PredicateCompiler."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from cms.auth.principals import AnonymousCaller
from werkzeug.datastructures import MultiDict

from cms.content import services
from cms.content.models import Entry
from cms.content.query.params import ListQuery
from cms.content.query.predicates import All, AnyOf, Condition, parse_filters
from cms.content.query.sql import PredicateCompiler
from cms.content.services.listing import readable
from cms.core.errors import BadRequest, NotAuthenticated
from cms.core.policy import SYSTEM

ANONYMOUS = AnonymousCaller()


@pytest.fixture
def posts(db, make_type, make_entry):
    """Published posts p0..p11 (views 0, 3, 6 ...) by Ann or Bob; p11 is edited after publishing."""
    make_type("person", [{"name": "name", "type": "string"}, {"name": "note", "type": "string", "private": True}])
    make_type("post", [{"name": "title", "type": "string"}, {"name": "views", "type": "integer"},
                       {"name": "price", "type": "decimal"}, {"name": "hot", "type": "boolean"},
                       {"name": "day", "type": "date"}, {"name": "at", "type": "datetime"},
                       {"name": "author", "type": "relation", "target": "person"}])
    ann = make_entry("person", publish=True, name="Ann", note="n")
    bob = make_entry("person", publish=True, name="Bob")
    for n in range(12):
        make_entry("post", publish=True, title=f"p{n}", views=n * 3, price=n / 4, hot=n % 2 == 0,
                   day=f"2024-01-{n + 1:02d}", at=f"2024-01-01T{n:02d}:30:00Z",
                   author=(ann if n % 3 == 0 else bob)["id"])
    post = services.list_entries("post", SYSTEM, ListQuery(filters=All((Condition(("title",), "eq", "p11"),))))
    services.update_entry("post", post.entries[0].id, {"views": 1}, SYSTEM, merge=True)
    db.session.commit()
    return {"ann": ann["id"], "bob": bob["id"]}


def titles(page, draft=False):
    title = page.compiled.by_name["title"].id  # documents are stored keyed by field id
    return [(entry.data if draft else entry.published_data)[title] for entry in page.entries]


def listed(query, actor=ANONYMOUS, type_name="post"):
    return titles(services.list_entries(type_name, actor, query), query.draft)


def test_list_entries_takes_native_values(posts):
    page = services.list_entries("post", ANONYMOUS, ListQuery(
        filters=All((Condition(("views",), "gt", 10),)), sort="-views", per_page=5))

    assert titles(page) == ["p11", "p10", "p9", "p8", "p7"]
    assert page.total == 8 and page.next_cursor is not None and page.compiled.name == "post"
    rest = services.list_entries("post", ANONYMOUS, ListQuery(
        filters=All((Condition(("views",), "gt", 10),)), sort="-views", per_page=5, cursor=page.next_cursor))
    assert titles(rest) == ["p6", "p5", "p4"] and rest.next_cursor is None


@pytest.mark.parametrize("condition,expected", [
    (Condition(("hot",), "eq", False), ["p1", "p11", "p3", "p5", "p7", "p9"]),
    (Condition(("price",), "gte", Decimal("2.5")), ["p10", "p11"]),
    (Condition(("price",), "lt", 0.5), ["p0", "p1"]),
    (Condition(("day",), "lte", date(2024, 1, 2)), ["p0", "p1"]),
    (Condition(("at",), "lt", datetime(2024, 1, 1, 1, 30)), ["p0"]),
    (Condition(("at",), "eq", datetime(2024, 1, 1, 3, 30, tzinfo=UTC)), ["p3"]),
    (Condition(("views",), "in", [0, 3, 300]), ["p0", "p1"]),
    (Condition(("views",), "nin", (3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33)), ["p0"]),
    (Condition(("day",), "null", True), []),
    (Condition(("author", "name"), "eq", "Ann"), ["p0", "p3", "p6", "p9"]),
    (Condition(("created_at",), "gt", datetime(2000, 1, 1, tzinfo=UTC)), [f"p{n}" for n in (0, 1, 10, 11)]
     + [f"p{n}" for n in range(2, 10)]),
])
def test_conditions_accept_native_values_of_their_kind(posts, condition, expected):
    assert listed(ListQuery(filters=All((condition,)), sort="title", per_page=100)) == expected


def test_groups_nest_and_reference_ids_are_plain_strings(posts):
    either = AnyOf((All((Condition(("views",), "lt", 4),)),
                    All((Condition(("author",), "eq", posts["ann"]), Condition(("hot",), "eq", False)))))
    assert listed(ListQuery(filters=All((either,)), sort="title")) == ["p0", "p1", "p3", "p9"]
    assert listed(ListQuery(filters=either, sort="title")) == ["p0", "p1", "p3", "p9"]
    assert listed(ListQuery(filters=All((Condition(("author",), "in", (posts["bob"],)),
                                         Condition(("views",), "gte", 30))), sort="-title")) == ["p11", "p10"]


def test_drafts_and_private_fields_need_an_actor_who_may_read_them(posts):
    edited = ListQuery(draft=True, filters=All((Condition(("views",), "eq", 1),)))
    assert listed(edited, SYSTEM) == ["p11"]
    assert listed(ListQuery(filters=All((Condition(("views",), "eq", 1),)))) == []
    with pytest.raises(NotAuthenticated):
        services.list_entries("post", ANONYMOUS, edited)
    private = ListQuery(filters=All((Condition(("author", "note"), "eq", "n"),)), sort="title")
    assert listed(private, SYSTEM) == ["p0", "p3", "p6", "p9"]
    with pytest.raises(BadRequest) as refused:
        services.list_entries("post", ANONYMOUS, private)
    assert refused.value.details == {"parameters": {"filter[author.note][eq]": [
        "'person' has no field 'note' you can filter on."]}}


@pytest.mark.parametrize("condition,message", [
    (Condition(("views",), "gt", "abc"), "'abc' is not a number."),
    (Condition(("views",), "gt", True), "True is not a number."),
    (Condition(("views",), "gt", float("nan")), "nan is out of range."),
    (Condition(("views",), "gt", 2**63), f"{2**63} is out of range."),
    (Condition(("title",), "eq", 5), "5 is not text."),
    (Condition(("title",), "eq", "a\x00b"), "NUL characters are not allowed."),
    (Condition(("title",), "eq", "x" * 10_000), "Values are at most 1,000 characters."),
    (Condition(("day",), "eq", datetime(2024, 1, 1, tzinfo=UTC)), "Not a valid date (YYYY-MM-DD)."),
    (Condition(("hot",), "eq", "maybe"), "Use true or false."),
    (Condition(("author", "name"), "nin", ("Ann", 5)), "5 is not text."),
    (Condition(("author", "name"), "null", "perhaps"), "Use true or false."),
])
def test_bad_native_values_are_refused_like_query_parameters(posts, condition, message):
    with pytest.raises(BadRequest) as refused:
        services.list_entries("post", ANONYMOUS, ListQuery(filters=All((condition,))))

    key = f"filter[{'.'.join(condition.path)}][{condition.op}]"
    assert refused.value.details == {"parameters": {key: [message]}}


def test_page_and_per_page_below_one_are_refused(posts):
    for query, name in ((ListQuery(page=0), "page"), (ListQuery(per_page=0), "per_page")):
        with pytest.raises(BadRequest) as refused:
            services.list_entries("post", ANONYMOUS, query)
        assert list(refused.value.details["parameters"]) == [name]


def test_parsed_filters_are_the_same_structure_as_built_ones():
    args = MultiDict([("filter[views][gt]", "10"), ("filter[or][0][author.name]", "Ann"),
                      ("filter[or][1][title][in]", "a,b"), ("filter[title]", "x")])

    parsed = parse_filters(args)

    assert parsed == All((Condition(("views",), "gt", "10"), Condition(("title",), "eq", "x"),
                          AnyOf((All((Condition(("author", "name"), "eq", "Ann"),)),
                                 All((Condition(("title",), "in", ("a", "b")),))))))
    assert parsed.parts[0].param == "filter[views][gt]"
    assert parsed.parts[2].groups[1].parts[0].param == "filter[or][1][title][in]"


def test_the_predicate_compiler_builds_a_where_clause_for_any_select(db, posts):
    compiled = services.compiled_type(services.types.find_type("post"))
    compiler = PredicateCompiler(compiled, "published", db.session.get_bind().dialect.name,
                                 readable(ANONYMOUS, False),
                                 lambda name: services.compiled_type(services.types.find_type(name)))
    predicate = All((Condition(("views",), "gt", 10),
                     AnyOf((All((Condition(("author", "name"), "eq", "Ann"),)),
                            All((Condition(("hot",), "eq", False), Condition(("views",), "lt", 20))))),))

    ids = db.session.scalars(sa.select(Entry.id).where(Entry.type_id == compiled.id, compiler.where(predicate)))
    rows = db.session.scalars(sa.select(Entry).where(Entry.id.in_(list(ids))))

    assert sorted(row.published_data[compiled.by_name["title"].id] for row in rows) == ["p5", "p6", "p9"]
    with pytest.raises(BadRequest):
        compiler.where(All((Condition(("author", "note"), "eq", "n"),)))
