"""Full-text search over a content type's text fields: the ``q`` parameter of lists.

Searchable are the top-level string, text, richtext (its Markdown), email, slug and enum fields
that are not private. The first of them (usually the title) counts more than the others. Like the
value indexes of ``services/indexes.py``, the search structures are per type and made at runtime,
inside the transaction that creates, changes or deletes the type:

- PostgreSQL: two partial GIN expression indexes on ``entries``, ``ix_s_<type id>_p`` over the
  published snapshot and ``ix_s_<type id>_d`` over the working copy, of the ``tsvector`` built by
  ``document_vector`` (configuration ``simple``: words are lowercased, never stemmed). A search
  uses the identical expression with ``@@ websearch_to_tsquery`` and ranks with ``ts_rank``; an
  expression index is always in sync with the rows.
- SQLite: an FTS5 table ``fts_<type id>`` with a draft row and, when published, a published row
  per entry, kept in sync by three triggers on ``entries`` (``trg_fts_<type id>_insert``,
  ``_update``, ``_delete``), so that every write path (saves, publishing, imports, type
  migrations, cleared references) is covered without being told. FTS5 cannot index an UNINDEXED
  column, so each row also holds the token ``k<hex of the entry id>`` in the column ``ref``,
  through which a trigger finds an entry's rows without scanning the table. A search matches
  with FTS5's ``MATCH`` and ranks with ``bm25``.

On both engines ``q`` is plain words, all required: each whitespace-separated word is quoted
before either parser sees it, so quotes, ``*``, ``:``, parentheses, ``-``, ``OR`` or ``NEAR`` are
text (a word made only of punctuation matches nothing and is ignored), never syntax or an error.
"""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR

from cms.content.models import Entry
from cms.content.query.expressions import SAFE_ID
from cms.content.query.params import check_q
from cms.core.errors import parameter_error
from cms.extensions import db

SEARCHABLE_TYPES = frozenset({"string", "text", "richtext", "email", "slug", "enum"})
TITLE_WEIGHT = 3.0  # bm25 saturates repeated words: a larger weight would drown the other fields
CONFIGURATION = sa.literal_column("'simple'::regconfig")
FTS_COLUMNS = "title, body, ref, entry_id UNINDEXED, state UNINDEXED"
FTS_OPTIONS = "tokenize = 'unicode61 remove_diacritics 0'"


def searchable_specs(compiled):
    """Return the specs whose values are searched, the title (weighted higher) first."""
    if compiled is None:
        return []
    specs = [spec for spec in compiled.specs if spec.type.name in SEARCHABLE_TYPES and not spec["private"]]
    for spec in specs:
        if not SAFE_ID.match(spec.id):  # ids are validated on definition; this keeps SQL literal-safe
            raise ValueError(f"unsafe field id {spec.id!r}")
    return specs


# -- PostgreSQL ------------------------------------------------------------------------------

def _text(document, spec):
    value = document.op("->>", return_type=sa.Text)(sa.literal_column(f"'{spec.id}'"))
    return sa.func.coalesce(value, sa.literal_column("''"))


def document_vector(document, specs):
    """Return the ``tsvector`` of a JSON document column: title weighted A, the others D."""
    title = sa.func.setweight(sa.func.to_tsvector(CONFIGURATION, _text(document, specs[0]), type_=TSVECTOR),
                              sa.literal_column("'A'"), type_=TSVECTOR)
    if len(specs) == 1:
        return title
    body = _text(document, specs[1])
    for spec in specs[2:]:
        body = body.op("||", return_type=sa.Text)(sa.literal_column("' '")).op("||", return_type=sa.Text)(
            _text(document, spec))
    return title.op("||", return_type=TSVECTOR)(sa.func.to_tsvector(CONFIGURATION, body, type_=TSVECTOR))


def planned_indexes(compiled):
    """Return ``{name: sa.Index}``: the GIN indexes ``compiled`` should have on PostgreSQL."""
    specs = searchable_specs(compiled)
    if not specs:
        return {}
    table = Entry.__table__.to_metadata(sa.MetaData())  # sa.Index attaches itself to its columns' table
    of_type = table.c.type_id == compiled.id
    planned = {}
    for suffix, document, where in (("p", table.c.published_data, sa.and_(of_type, table.c.published_data.is_not(None))),
                                    ("d", table.c.data, of_type)):
        name = f"ix_s_{compiled.id}_{suffix}"
        planned[name] = sa.Index(name, document_vector(document, specs), postgresql_using="gin",
                                 postgresql_where=where)
        table.append_constraint(planned[name])  # a function of columns does not tell the index its table
    return planned


def _sync_postgresql(connection, type_id, before, after):
    planned = planned_indexes(after)
    existing = connection.execute(sa.text(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = 'entries' AND indexname LIKE :pattern"), {"pattern": f"ix\\_s\\_{type_id}\\_%"}).scalars().all()
    if sorted(existing) == sorted(planned) and _ids(before) == _ids(after):
        return
    for name in existing:
        connection.execute(sa.schema.DropIndex(sa.Index(name), if_exists=True))
    for name in sorted(planned):
        connection.execute(sa.schema.CreateIndex(planned[name]))


def _ids(compiled):
    return [spec.id for spec in searchable_specs(compiled)]


# -- SQLite ----------------------------------------------------------------------------------

def _sqlite_select(row, column, specs, state, origin=""):
    """A SELECT of FTS rows from ``row``'s ``column``, parsing each document once.

    SQLite before 3.45 parses a JSON text on every ``json_extract``: one call with every path
    returns an array of the values (one path returns the value itself), which is cheap to read.
    """
    paths = ", ".join(f"'$.{spec.id}'" for spec in specs)
    if len(specs) == 1:
        texts = ["coalesce(s.j, '')"]
    else:
        texts = [f"coalesce(json_extract(s.j, '$[{i}]'), '')" for i in range(len(specs))]
    body = " || ' ' || ".join(texts[1:]) or "''"
    return (f"SELECT {texts[0]}, {body}, 'k' || hex(s.id), s.id, '{state}' "
            f"FROM (SELECT {row}.id AS id, json_extract({row}.{column}, {paths}) AS j {origin}) AS s")


def _sqlite_ddl(type_id, specs):
    """Return the statements that make (and fill) the FTS table and triggers of one type."""
    table = f"fts_{type_id}"
    insert = f"INSERT INTO {table} (title, body, ref, entry_id, state)"
    forget = f"DELETE FROM {table} WHERE ref MATCH 'k' || hex(OLD.id);"
    remember = (f"{insert} {_sqlite_select('NEW', 'data', specs, 'draft')}; "
                f"{insert} {_sqlite_select('NEW', 'published_data', specs, 'published', 'WHERE NEW.published_data IS NOT NULL')};")
    rows = f"FROM entries AS e WHERE e.type_id = {type_id}"
    fill = (f"{insert} {_sqlite_select('e', 'data', specs, 'draft', rows)} "
            f"UNION ALL {_sqlite_select('e', 'published_data', specs, 'published', rows + ' AND e.published_data IS NOT NULL')}")
    triggers = {
        "insert": (f"AFTER INSERT ON entries WHEN NEW.type_id = {type_id}", remember),
        "update": (f"AFTER UPDATE OF data, published_data ON entries WHEN NEW.type_id = {type_id}",
                   f"{forget} {remember}"),
        "delete": (f"AFTER DELETE ON entries WHEN OLD.type_id = {type_id}", forget),
    }
    return [
        f"CREATE VIRTUAL TABLE {table} USING fts5({FTS_COLUMNS}, {FTS_OPTIONS})",
        fill,
        *(f"CREATE TRIGGER trg_{table}_{event} {when} BEGIN {body} END" for event, (when, body) in triggers.items()),
    ]


def _sync_sqlite(connection, type_id, before, after):
    table = f"fts_{type_id}"
    new = searchable_specs(after)
    exists = connection.execute(sa.text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
                                {"name": table}).scalar() is not None
    if exists == bool(new) and _ids(before) == _ids(after):
        return
    for suffix in ("insert", "update", "delete"):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS trg_{table}_{suffix}")
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    if new:
        for statement in _sqlite_ddl(type_id, new):
            connection.exec_driver_sql(statement)


def sync_search(before, after):
    """Bring one type's search structures from what compiled ``before`` needs to what ``after`` needs.

    Either may be None (a created or a deleted type). Runs in the caller's transaction.
    """
    type_id = (after or before).id
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _sync_postgresql(connection, type_id, before, after)
    elif connection.dialect.name == "sqlite":
        _sync_sqlite(connection, type_id, before, after)


# -- queries ---------------------------------------------------------------------------------

def fts5_query(q):
    """Render user words as an FTS5 query: each word one quoted string, all of them required."""
    strings = " ".join('"' + word.replace('"', '""') + '"' for word in q.split())
    return "{title body} : (" + strings + ")"


def websearch_query(q):
    """Render user words for ``websearch_to_tsquery`` the same way: each word quoted, so plain text."""
    return " ".join('"' + word.replace('"', " ") + '"' for word in q.split())


class Search:
    """The ``q`` of one list request: ``narrow(statement)`` filters, ``order`` ranks best first."""

    def __init__(self, compiled, state, dialect, q, access=None):
        self.specs = searchable_specs(compiled)
        self.q = check_q(q)
        hidden = [spec.name for spec in self.specs if access is not None and not access.shows(spec)]
        if hidden:  # a match would reveal words of fields the caller may not read
            raise parameter_error("q", f"Search covers fields you cannot read ({', '.join(hidden)}); "
                                       "filter on the fields you can read instead.")
        self.order = []
        if not self.specs:
            self._join, self._where = None, sa.false()
        elif dialect == "postgresql":
            document = Entry.published_data if state == "published" else Entry.data
            vector = document_vector(document, self.specs)
            words = sa.bindparam("search_q", websearch_query(self.q), sa.Text)
            query = sa.func.websearch_to_tsquery(CONFIGURATION, words)
            self._join, self._where = None, vector.op("@@", return_type=sa.Boolean)(query)
            self.order = [sa.func.ts_rank(vector, query, type_=sa.Float).desc(), Entry.id]
        else:
            name = f"fts_{compiled.id}"
            fts = sa.table(name, sa.column("entry_id"), sa.column("state"))
            rank = sa.func.bm25(sa.literal_column(name), sa.literal_column(str(TITLE_WEIGHT)),
                                *(sa.literal_column("1.0"), *(sa.literal_column("0.0"),) * 3))
            matches = sa.select(fts.c.entry_id.label("entry_id"), rank.label("score")).where(
                sa.literal_column(name).op("MATCH")(sa.bindparam("search_q", fts5_query(self.q), sa.Text)),
                fts.c.state == state,
            ).subquery("search")
            self._join, self._where = (matches, matches.c.entry_id == Entry.id), None
            self.order = [matches.c.score.asc(), Entry.id]

    def narrow(self, statement):
        """Return ``statement`` (a select from entries) restricted to the matching entries."""
        if self._join is not None:
            return statement.join(*self._join)
        return statement.where(self._where)
