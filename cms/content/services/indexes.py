"""Database indexes of content types, created and dropped as the types change.

Every index lives on ``entries``, is partial (``WHERE type_id = N``: it holds only its own
type's entries) and is named after the type and field it serves:

- ``ix_f_<type id>_<field id>_p`` and ``_d``: the value over the published snapshot (public reads,
  published entries only) and over the working copy (draft reads), for top-level fields marked
  ``indexed`` or ``unique`` and for every slug. The value expression comes from
  ``cms.content.query.expressions``, which the query builder filters and sorts with: a database
  only uses an expression index for the identical expression.
- ``ix_t_<type id>_created`` and ``ix_t_<type id>_published``: ``created_at`` (the default order
  of lists) and ``published_at`` (published entries only).

Each index is ``(column, id)`` with NULLs first (the order the query builder sorts in) on
PostgreSQL, and ``(type_id, column, id)`` on SQLite, whose planner, without ``ANALYZE``
statistics, guesses that ``type_id = ?`` matches ten rows and would otherwise prefer the shared
``(type_id, status)`` index for ranges and sorts. PostgreSQL needs no leading ``type_id`` (it
drops the condition the index predicate implies, leaving nothing to search on), but it ignores
partial indexes when it estimates how many rows a condition matches; each text value index
therefore has a statistics object ``st_f_…`` on the same expression, so that a selective filter
combined with another order still picks the value index. (Statistics objects cannot be partial:
ANALYZE evaluates them on every type's rows, where a cast to number could fail on a value of
another type stored under the same field id.) Singletons get nothing: they hold at most one
entry per locale. docs/architecture.md has the measurements.

The DDL runs on the session's connection, inside the caller's transaction (both engines have
transactional DDL): a refused change or a dry run rolls its indexes back with everything else.
"""

import sqlalchemy as sa

from cms.content.models import Entry
from cms.content.query import expressions
from cms.core.errors import Conflict
from cms.extensions import db

INDEX_PREFIXES = ("ix_f_", "ix_t_")
STATISTICS_PREFIX = "st_f_"
EXPRESSION_STATISTICS_SINCE = (14,)  # PostgreSQL version that keeps statistics on expressions


class Statistics:
    """A PostgreSQL statistics object on one expression of ``entries``."""

    def __init__(self, name, expression):
        self.name, self.expression = name, expression

    def create_sql(self, dialect):
        compiled = self.expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True,
                                                                            "include_table": False})
        return f"CREATE STATISTICS IF NOT EXISTS {self.name} ON ({compiled}) FROM entries"


def indexed_specs(compiled):
    """Return the top-level specs that get value indexes: indexed, unique and slug fields."""
    return [spec for spec in compiled.specs if spec["indexed"] or spec["unique"] or spec.type.name == "slug"]


def planned_indexes(compiled, dialect, server_version=None):
    """Return ``{name: sa.Index or Statistics}`` for everything ``compiled`` should have."""
    if compiled is None or compiled.kind == "singleton":
        return {}
    # a private copy of the table: sa.Index attaches itself to the table its columns belong to
    table = Entry.__table__.to_metadata(sa.MetaData())
    of_type = table.c.type_id == compiled.id
    published = sa.and_(of_type, table.c.published_data.is_not(None))
    statistics = dialect == "postgresql" and (server_version or ()) >= EXPRESSION_STATISTICS_SINCE
    planned = {}

    def plan(name, column, where=of_type):
        if dialect == "postgresql":
            columns = (column.asc().nulls_first(), table.c.id)
        else:
            columns = (table.c.type_id, column, table.c.id)
        planned[name] = sa.Index(name, *columns, sqlite_where=where, postgresql_where=where)

    plan(f"ix_t_{compiled.id}_created", table.c.created_at)
    plan(f"ix_t_{compiled.id}_published", table.c.published_at, where=published)
    for spec in indexed_specs(compiled):
        for suffix, document, where in (("p", table.c.published_data, published), ("d", table.c.data, of_type)):
            value = expressions.spec_value(document, spec, dialect)
            plan(f"ix_f_{compiled.id}_{spec.id}_{suffix}", value, where)
            if statistics and expressions.value_kind(spec) == "text":  # a cast could fail on other types' rows
                name = f"st_f_{compiled.id}_{spec.id}_{suffix}"
                planned[name] = Statistics(name, value)
    return planned


def existing_indexes(type_id=None):
    """Return the sorted names of the indexes this module made (of one type, or of all types)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":  # SQLAlchemy's reflection skips expression indexes there
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'"
    else:
        query = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'entries'"
    return _of_type(connection.execute(sa.text(query)).scalars(), INDEX_PREFIXES, type_id)


def existing_statistics(type_id=None):
    """Return the sorted names of the statistics objects this module made (PostgreSQL only)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return []
    query = "SELECT stxname FROM pg_statistic_ext WHERE stxrelid = 'entries'::regclass"
    return _of_type(connection.execute(sa.text(query)).scalars(), (STATISTICS_PREFIX,), type_id)


def sync_indexes(before, after):
    """Bring one type's indexes from what compiled type ``before`` needs to what ``after`` needs.

    Either may be None (a created or a deleted type). An index whose expression changes between
    the two (a field whose values now compare differently) is rebuilt; one that exists without
    being wanted (after a restore, say) is dropped.
    """
    type_id = (after or before).id
    connection = db.session.connection()
    old, new = _planned(before, connection), _planned(after, connection)
    existing = set(existing_indexes(type_id)) | set(existing_statistics(type_id))
    changed = {name for name in set(old) & set(new) if _ddl(old[name], connection) != _ddl(new[name], connection)}
    _apply(connection, new, drop=existing - (set(new) - changed), create=(set(new) - existing) | changed)


def sync_all_indexes(compiled_types, rebuild=False):
    """Make every type's indexes exactly the planned ones; return ``(created, dropped)`` names.

    ``compiled_types`` are every type there is: indexes of any other type id are dropped. With
    ``rebuild``, every index is dropped and made again. Statistics are refreshed afterwards.
    """
    connection = db.session.connection()
    wanted = {}
    for compiled in compiled_types:
        wanted.update(_planned(compiled, connection))
    existing = set(existing_indexes()) | set(existing_statistics())
    keep = set() if rebuild else existing & set(wanted)
    drop, create = existing - keep, set(wanted) - keep
    _apply(connection, wanted, drop=drop, create=create)
    connection.exec_driver_sql("ANALYZE entries")
    return sorted(create), sorted(drop)


def _planned(compiled, connection):
    return planned_indexes(compiled, connection.dialect.name, connection.dialect.server_version_info)


def _of_type(names, prefixes, type_id):
    return sorted(
        name for name in names
        if name.startswith(prefixes) and (type_id is None or name.split("_")[2] == str(type_id))
    )


def _ddl(item, connection):
    if isinstance(item, Statistics):
        return item.create_sql(connection.dialect)
    return str(sa.schema.CreateIndex(item).compile(dialect=connection.dialect))


def _apply(connection, planned, drop, create):
    for name in sorted(drop):
        if name.startswith(STATISTICS_PREFIX):
            connection.exec_driver_sql(f"DROP STATISTICS IF EXISTS {name}")
        else:
            connection.execute(sa.schema.DropIndex(sa.Index(name), if_exists=True))
    for name in sorted(create):
        item = planned[name]
        if isinstance(item, Statistics):
            connection.exec_driver_sql(item.create_sql(connection.dialect))
            continue
        try:
            with db.session.begin_nested():
                connection.execute(sa.schema.CreateIndex(item, if_not_exists=True))
        except sa.exc.DataError:
            # PostgreSQL casts number and boolean values while indexing: a stored value of another
            # kind (left under a field id that a later field took over) fails the cast
            raise Conflict(
                "Stored values of an indexed field do not have the field's type, so it cannot be indexed; "
                "fix or clear those values first.", {"index": name},
            ) from None
