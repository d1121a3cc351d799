"""Declarative base, naming convention, column types and id helpers."""

from datetime import UTC, datetime

import sqlalchemy as sa
import uuid_utils
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON documents: JSONB on PostgreSQL (indexable), JSON text elsewhere. Python None is SQL NULL
#: (not the JSON ``null``), so ``IS NULL`` finds an unpublished entry's missing snapshot.
JSONDocument = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow():
    return datetime.now(UTC)


def new_id():
    """Return a new opaque public id: a UUIDv7 string (sorts by creation time)."""
    return str(uuid_utils.uuid7())


def isoformat(moment):
    """Render a datetime as the API does: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def insert_many(connection, table, rows):
    """Insert ``rows`` (dicts with the same keys) into ``table`` with one executemany.

    What ``session.execute(insert(table), rows)`` does, for bulk work: each column's bind
    processing is looked up once, not per row, and a value that several columns or rows share (an
    imported entry's working copy, snapshot and revision; one timestamp) is converted once.
    """
    if not rows:
        return
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = sa.insert(table).compile(dialect=dialect, column_keys=keys)
    missing = sorted({bind.key for bind in compiled.binds.values()} - set(keys))
    if missing:  # a column default SQLAlchemy would fill in: give every value instead
        raise ValueError(f"insert_many into {table.name} needs values for {', '.join(missing)}")
    converted = {}  # id(value) -> bind value; the rows hold every value, so no id is reused meanwhile

    def once(process):
        def convert(value):
            if value is None:
                return process(value)
            bound = converted.get(id(value))
            if bound is None:
                bound = converted[id(value)] = process(value)
            return bound
        return convert

    def converter(key):
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        return None if process is None else once(process)

    if compiled.positional:
        order = [compiled.binds[name].key for name in compiled.positiontup]
        pairs = [(key, converter(key)) for key in order]
        params = [tuple([row[key] if convert is None else convert(row[key]) for key, convert in pairs]) for row in rows]
    else:
        pairs = [(key, name, converter(key)) for name, key in ((name, compiled.binds[name].key) for name in compiled.binds)]
        params = [{name: row[key] if convert is None else convert(row[key]) for key, name, convert in pairs}
                  for row in rows]
    connection.exec_driver_sql(compiled.string, params)
