"""SQL expressions for values inside entry documents.

The query builder and the index DDL both build their expressions here, so that an index on a
field is exactly the expression a filter or sort uses (a database only uses an expression index
for the identical expression).

Kinds: numbers compare as numbers, booleans as booleans, everything else as text in byte order
(``COLLATE "C"`` on PostgreSQL, SQLite's default) so that ISO dates and datetimes, which are
stored in one fixed format, sort chronologically.
"""

import re

import sqlalchemy as sa

SAFE_ID = re.compile(r"^[a-z0-9_]{1,32}\Z")
NUMBER_FAMILIES = {"number"}
BOOLEAN_FAMILIES = {"boolean"}


def value_kind(spec):
    """Return "number", "boolean" or "text": how values of ``spec`` compare in SQL."""
    family = getattr(spec.type, "family", None)
    if family in NUMBER_FAMILIES:
        return "number"
    if family in BOOLEAN_FAMILIES:
        return "boolean"
    return "text"


def field_value(column, field_id, kind, dialect):
    """Return the SQL expression of the value stored under ``field_id`` in JSON ``column``."""
    if not SAFE_ID.match(field_id):  # ids are validated on definition; this keeps SQL literal-safe
        raise ValueError(f"unsafe field id {field_id!r}")
    if dialect == "postgresql":
        raw = column.op("->>", return_type=sa.Text)(sa.literal_column(f"'{field_id}'"))
        if kind == "number":
            return sa.cast(raw, sa.Numeric)
        if kind == "boolean":
            return sa.cast(raw, sa.Boolean)
        return raw.collate("C")
    return sa.func.json_extract(column, sa.literal_column(f"'$.{field_id}'"))


def spec_value(column, spec, dialect):
    return field_value(column, spec.id, value_kind(spec), dialect)
