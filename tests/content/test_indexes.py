"""Database indexes of content types: made, kept and dropped as types change, and used by queries."""

import pytest
import sqlalchemy as sa
from flask import current_app

from cms.content.compiled import CompiledType
from cms.content.models import ContentType, Entry
from cms.content.query.expressions import spec_value
from cms.content.services import compiled_type
from cms.content.services.indexes import (
    existing_indexes,
    existing_statistics,
    sync_indexes,
)
from cms.content.services.types import find_type
from tests.helpers import error_of

FIELDS = [
    {"name": "title", "type": "string", "indexed": True},
    {"name": "views", "type": "integer", "indexed": True},
    {"name": "code", "type": "string", "unique": True},
    {"name": "slug", "type": "slug", "source": "title"},
    {"name": "summary", "type": "text"},
]


def type_id(name):
    return find_type(name).id


def field_id(definition, name):
    return next(f["id"] for f in definition["fields"] if f["name"] == name)


def sort_indexes(tid):
    return {f"ix_t_{tid}_created", f"ix_t_{tid}_published"}


def field_indexes(tid, *ids):
    return {f"ix_f_{tid}_{fid}_{suffix}" for fid in ids for suffix in ("p", "d")}


def definition_of(index_name, db):
    """Return the CREATE INDEX statement the database stores for ``index_name`` (None if absent)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    return connection.execute(sa.text(query), {"name": index_name}).scalar()


def ddl_statements(statements):
    return [s for s in statements if s.lstrip().upper().startswith(("CREATE INDEX", "DROP INDEX"))]


def plan_of(query, db):
    """Return the query plan of a select as text; PostgreSQL is told to avoid sequential scans."""
    connection = db.session.connection()
    compiled = query.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    if compiled.positional:
        params = tuple(params[key] for key in compiled.positiontup)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", params)
        return "\n".join(row[0] for row in rows)
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
    return "\n".join(row[-1] for row in rows)


@pytest.fixture
def article(make_type):
    return make_type("article", FIELDS)


def put_fields(api, fields, query=""):
    return api.put(f"/api/content-types/article{query}", json={"name": "article", "fields": fields})


def test_creating_a_type_indexes_indexed_and_unique_fields_and_slugs_in_both_documents(article, db):
    tid = type_id("article")
    ids = [field_id(article, name) for name in ("title", "views", "code", "slug")]

    assert set(existing_indexes(tid)) == sort_indexes(tid) | field_indexes(tid, *ids)
    assert not any(field_id(article, "summary") in name for name in existing_indexes(tid))
    published, draft = definition_of(f"ix_f_{tid}_{ids[0]}_p", db), definition_of(f"ix_f_{tid}_{ids[0]}_d", db)
    assert ids[0] in published and f"type_id = {tid}" in published and "published_data IS NOT NULL" in published
    assert "published_data" not in draft and ids[0] in draft and f"type_id = {tid}" in draft


def test_text_value_indexes_have_statistics_on_postgresql(api, article, db):
    tid, code, views = type_id("article"), field_id(article, "code"), field_id(article, "views")
    postgresql = db.session.connection().dialect.name == "postgresql"
    text_fields = [field_id(article, name) for name in ("title", "code", "slug")]
    expected = {f"st_f_{tid}_{fid}_{suffix}" for fid in text_fields for suffix in ("p", "d")}

    assert set(existing_statistics(tid)) == (expected if postgresql else set())
    assert not any(views in name for name in existing_statistics(tid))

    response = put_fields(api, [f for f in article["fields"] if f["name"] != "code"])

    assert response.status_code == 200, response.json
    assert set(existing_statistics(tid)) == ({n for n in expected if code not in n} if postgresql else set())
    assert api.delete("/api/content-types/article").status_code == 204
    assert existing_statistics(tid) == []


def test_each_type_has_its_own_indexes(article, make_type, db):
    make_type("note", [{"name": "title", "type": "string", "indexed": True}])
    first, second = type_id("article"), type_id("note")

    assert existing_indexes(first) and existing_indexes(second)
    assert not set(existing_indexes(first)) & set(existing_indexes(second))
    assert all(f"type_id = {second}" in definition_of(name, db) for name in existing_indexes(second))


def test_a_singleton_gets_no_indexes(make_type):
    make_type("home", [{"name": "title", "type": "string", "indexed": True}], kind="singleton")

    assert existing_indexes(type_id("home")) == []


def test_marking_a_field_indexed_creates_its_indexes_and_unmarking_drops_them(api, article):
    tid, summary = type_id("article"), field_id(article, "summary")
    fields = [{**f, "indexed": True} if f["name"] == "summary" else f for f in article["fields"]]

    marked = put_fields(api, fields)

    assert marked.status_code == 200, marked.json
    assert field_indexes(tid, summary) <= set(existing_indexes(tid))

    unmarked = put_fields(api, article["fields"])

    assert unmarked.status_code == 200, unmarked.json
    assert not field_indexes(tid, summary) & set(existing_indexes(tid))
    assert field_indexes(tid, field_id(article, "title")) <= set(existing_indexes(tid))


def test_a_renamed_field_keeps_its_indexes_without_any_index_ddl(api, article, count_queries):
    tid, before = type_id("article"), existing_indexes(type_id("article"))
    fields = [{**f, "name": "headline"} if f["name"] == "title" else f for f in article["fields"]]
    fields = [{**f, "source": "headline"} if f["name"] == "slug" else f for f in fields]

    with count_queries() as statements:
        response = put_fields(api, fields)

    assert response.status_code == 200, response.json
    assert {"op": "rename_field", "id": field_id(article, "title"), "from": "title", "to": "headline"} in \
        response.json["meta"]["changes"]
    assert existing_indexes(tid) == before
    assert ddl_statements(statements) == []


def test_a_field_changing_type_within_its_family_keeps_its_indexes(api, article, count_queries):
    tid, before = type_id("article"), existing_indexes(type_id("article"))
    changed = {"title": {"type": "text"}, "views": {"type": "decimal"}}
    fields = [{**f, **changed.get(f["name"], {})} for f in article["fields"]]

    with count_queries() as statements:
        response = put_fields(api, fields)

    assert response.status_code == 200, response.json
    assert [f["type"] for f in response.json["data"]["fields"][:2]] == ["text", "decimal"]
    assert existing_indexes(tid) == before
    assert ddl_statements(statements) == []


def test_removing_an_indexed_field_drops_its_indexes(api, article):
    tid, views = type_id("article"), field_id(article, "views")

    response = put_fields(api, [f for f in article["fields"] if f["name"] != "views"])

    assert response.status_code == 200, response.json
    assert not field_indexes(tid, views) & set(existing_indexes(tid))
    assert field_indexes(tid, field_id(article, "title")) <= set(existing_indexes(tid))


def test_an_index_whose_value_expression_changes_is_rebuilt(article, db, count_queries):
    row, title = find_type("article"), field_id(article, "title")
    before = compiled_type(row)
    as_number = [{**f, "type": "integer"} if f["id"] == title else f for f in row.fields]
    unsaved = ContentType(id=row.id, name=row.name, label=row.label, kind=row.kind, options=row.options,
                          fields=as_number, version=row.version + 1, updated_at=row.updated_at)
    after = CompiledType(unsaved, current_app.extensions["folio.field_types"])
    dialect = db.session.connection().dialect
    values = {str(spec_value(Entry.__table__.c.data, compiled.by_id[title], dialect.name).compile(dialect=dialect))
              for compiled in (before, after)}

    with count_queries() as statements:
        sync_indexes(before, after)

    verbs = sorted(statement.split()[0].upper() for statement in ddl_statements(statements))
    if len(values) == 1:  # SQLite reads every kind with the same json_extract
        assert verbs == []
    else:
        assert verbs == ["CREATE", "CREATE", "DROP", "DROP"]
        assert "numeric" in definition_of(f"ix_f_{row.id}_{title}_d", db).lower()
    assert field_indexes(row.id, title) <= set(existing_indexes(row.id))


def test_deleting_a_type_drops_its_indexes_and_leaves_other_types_alone(api, article, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string", "indexed": True}])
    make_entry("article", title="Hello", code="a1")
    tid, other = type_id("article"), existing_indexes(type_id("note"))

    response = api.delete("/api/content-types/article?force=true")

    assert response.status_code == 204, response.get_data(as_text=True)
    assert existing_indexes(tid) == []
    assert existing_indexes(type_id("note")) == other


def test_a_refused_type_change_leaves_no_index_behind(api, article, make_entry, db):
    make_entry("article", title="One", summary="same")
    make_entry("article", title="Two", summary="same")
    tid, before = type_id("article"), existing_indexes(type_id("article"))
    fields = [{**f, "unique": True} if f["name"] == "summary" else f for f in article["fields"]]

    response = put_fields(api, fields)

    error_of(response, 409, "conflict")
    assert existing_indexes(tid) == before
    assert definition_of(f"ix_f_{tid}_{field_id(article, 'summary')}_p", db) is None
    assert db.session.scalar(sa.select(ContentType.fields).where(ContentType.id == tid)) == article["fields"]


def test_a_field_id_taken_over_by_a_number_field_is_indexed_only_if_stored_values_are_numbers(api, make_type,
                                                                                                make_entry, db):
    post = make_type("post", [{"name": "title", "type": "string"}, {"name": "rank", "type": "string"}])
    make_entry("post", title="One", rank="first")
    rank = field_id(post, "rank")
    removed = api.put("/api/content-types/post", json={"name": "post", "fields": post["fields"][:1]})
    assert removed.status_code == 200, removed.json
    tid, version = type_id("post"), removed.json["data"]["version"]

    response = api.put("/api/content-types/post", json={"name": "post", "fields": post["fields"][:1] + [
        {"id": rank, "name": "rank", "type": "integer", "indexed": True}]})

    if db.session.connection().dialect.name == "postgresql":  # it casts while indexing
        assert error_of(response, 409, "conflict")["details"] == {"index": f"ix_f_{tid}_{rank}_d"}
        assert not field_indexes(tid, rank) & set(existing_indexes(tid))
        assert db.session.scalar(sa.select(ContentType.version).where(ContentType.id == tid)) == version
    else:  # SQLite indexes the JSON value as it is; the report lists the entry as invalid
        assert response.status_code == 200, response.json
        assert response.json["meta"]["invalid_count"] == 1
        assert field_indexes(tid, rank) <= set(existing_indexes(tid))


def test_an_invalid_type_definition_creates_no_index(api, db):
    response = api.post("/api/content-types", json={"name": "broken", "fields": [
        {"name": "title", "type": "string", "indexed": True}, {"name": "title", "type": "text"}]})

    error_of(response, 422, "validation_failed")
    assert existing_indexes() == []


def test_a_dry_run_creates_no_index(api, article, db):
    tid, before = type_id("article"), existing_indexes(type_id("article"))
    fields = [{**f, "indexed": True} if f["name"] == "summary" else f for f in article["fields"]]

    response = put_fields(api, fields, "?dry_run=true")

    assert response.status_code == 200, response.json
    assert response.json["meta"]["dry_run"] is True
    assert existing_indexes(tid) == before
    assert db.session.scalar(sa.select(ContentType.version).where(ContentType.id == tid)) == article["version"]


@pytest.fixture
def filled(article, make_entry):
    """The article type with entries made after its indexes (as in production: indexes first)."""
    for number in range(12):
        make_entry("article", publish=number % 2 == 0, title=f"Title {number}", views=number, code=f"c{number}")
    return compiled_type(find_type("article"))


def test_a_filter_on_an_indexed_field_of_published_entries_uses_its_index(filled, db):
    spec = filled.by_name["title"]
    dialect = db.session.connection().dialect.name
    query = sa.select(Entry.id).where(Entry.type_id == filled.id, Entry.published_data.is_not(None),
                                      spec_value(Entry.__table__.c.published_data, spec, dialect) == "Title 4")

    assert f"ix_f_{filled.id}_{spec.id}_p" in plan_of(query, db)
    assert db.session.scalars(query).all() != []


def test_a_range_filter_on_a_number_field_of_drafts_uses_its_index(filled, db):
    spec = filled.by_name["views"]
    dialect = db.session.connection().dialect.name
    query = sa.select(Entry.id).where(Entry.type_id == filled.id, spec_value(Entry.__table__.c.data, spec, dialect) > 9)

    assert f"ix_f_{filled.id}_{spec.id}_d" in plan_of(query, db)
    assert len(db.session.scalars(query).all()) == 2


def test_a_sort_on_an_indexed_field_uses_its_index(filled, db):
    spec = filled.by_name["views"]
    dialect = db.session.connection().dialect.name
    value = spec_value(Entry.__table__.c.published_data, spec, dialect)
    query = (sa.select(Entry.id).where(Entry.type_id == filled.id, Entry.published_data.is_not(None))
             .order_by(value.desc().nulls_last(), Entry.id.desc()).limit(3))  # NULLs count as smallest

    assert f"ix_f_{filled.id}_{spec.id}_p" in plan_of(query, db)


def test_the_default_list_order_uses_the_type_s_created_index(filled, db):
    query = (sa.select(Entry.id).where(Entry.type_id == filled.id)
             .order_by(Entry.created_at.desc().nulls_last(), Entry.id.desc()).limit(5))

    assert f"ix_t_{filled.id}_created" in plan_of(query, db)


def test_newest_published_first_uses_the_type_s_published_index(filled, db):
    query = (sa.select(Entry.id).where(Entry.type_id == filled.id, Entry.published_data.is_not(None))
             .order_by(Entry.published_at.desc().nulls_last(), Entry.id.desc()).limit(5))

    assert f"ix_t_{filled.id}_published" in plan_of(query, db)


@pytest.fixture
def list_plan(api, db):
    """Return the plan of the entry query that ``GET /api/content/article?<params>`` runs."""

    def plan(params, token=None):
        seen = []

        def record(_conn, _cursor, statement, parameters, _context, _many):
            if "ORDER BY" in statement and "FROM entries" in statement:
                seen.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = api.get("/api/content/article", query_string=params, token=token)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        assert response.status_code == 200, response.json
        (statement, parameters), = seen
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))
        return "\n".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))

    return plan


@pytest.mark.parametrize("params, token, index", [
    ({}, None, "ix_t_{type}_created"),
    ({"status": "draft"}, "admin", "ix_t_{type}_created"),
    ({"sort": "-published_at"}, None, "ix_t_{type}_published"),
    ({"filter[title]": "Title 4", "sort": "title"}, None, "ix_f_{type}_{title}_p"),
    ({"status": "draft", "filter[views][gt]": "9", "sort": "-views"}, "admin", "ix_f_{type}_{views}_d"),
    ({"sort": "-views"}, None, "ix_f_{type}_{views}_p"),
    ({"status": "draft", "sort": "title"}, "admin", "ix_f_{type}_{title}_d"),
])
def test_the_list_api_reads_through_the_type_s_indexes(filled, list_plan, admin, params, token, index):
    name = index.format(type=filled.id, title=filled.by_name["title"].id, views=filled.by_name["views"].id)

    assert name in list_plan(params, token=admin.token if token else None)


@pytest.mark.parametrize("sort", ["-views", "views"])
def test_a_cursor_page_seeks_its_position_in_the_index_instead_of_scanning_to_it(filled, list_plan, api, sort):
    first = api.get("/api/content/article", query_string={"sort": sort, "per_page": "2"}, token=None).json
    spec_id = filled.by_name["views"].id

    plan = list_plan({"sort": sort, "per_page": "2", "cursor": first["meta"]["next_cursor"]})

    assert f"ix_f_{filled.id}_{spec_id}_p" in plan
    if "QUERY PLAN" not in plan and "Index" not in plan:  # SQLite: the search names the range
        assert "<expr><?" in plan or "<expr>>?" in plan, plan
    else:  # PostgreSQL: the range is an index condition, not a filter over every row
        assert "Index Cond" in plan and ("<" in plan.split("Index Cond", 1)[1] or ">" in plan.split("Index Cond", 1)[1])


def test_with_statistics_a_selective_filter_in_the_default_order_uses_the_field_s_index(filled, list_plan, db):
    db.session.execute(sa.text("ANALYZE entries"))

    plan = list_plan({"filter[title]": "Title 4"})

    assert f"ix_f_{filled.id}_{filled.by_name['title'].id}_p" in plan


def reindex(app, *args):
    from cms.cli import cli

    return app.test_cli_runner().invoke(cli, ["db", "reindex", *args])


def test_folio_db_reindex_recreates_dropped_indexes(app, article, db):
    tid, before = type_id("article"), existing_indexes(type_id("article"))
    for name in before[:3]:
        db.session.execute(sa.schema.DropIndex(sa.Index(name)))

    result = reindex(app)

    assert result.exit_code == 0, result.output
    assert result.output == "Indexes: 3 created, 0 dropped; statistics refreshed.\n"
    assert existing_indexes(tid) == before


def test_folio_db_reindex_drops_indexes_of_types_that_no_longer_exist(app, article, db):
    before = existing_indexes()
    stray = Entry.__table__.to_metadata(sa.MetaData())
    sa.Index("ix_f_999999_fgone_p", stray.c.id).create(db.session.connection())

    result = reindex(app)

    assert result.exit_code == 0, result.output
    assert result.output == "Indexes: 0 created, 1 dropped; statistics refreshed.\n"
    assert existing_indexes() == before


def test_folio_db_reindex_rebuild_remakes_every_index(app, article, db):
    before = existing_indexes() + existing_statistics()

    result = reindex(app, "--rebuild")

    assert result.exit_code == 0, result.output
    assert result.output == f"Indexes: {len(before)} created, {len(before)} dropped; statistics refreshed.\n"
    assert existing_indexes() + existing_statistics() == before
