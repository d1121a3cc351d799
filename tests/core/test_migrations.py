"""Migrations build exactly the models' schema, tear it down, and build it again, on every engine.

SQLite always runs (a fresh file). When FOLIO_TEST_DATABASE_URL names PostgreSQL, the same cycle
runs on a freshly created, uniquely named database, which is dropped afterwards.
"""

import os
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from cms.auth.permissions import BUILTIN_ROLES
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cms.core import migrate
from cms.models import metadata

TEST_DATABASE_URL = os.environ.get("FOLIO_TEST_DATABASE_URL", "")
ENGINES = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL.startswith("postgresql") else [])
MODEL_TABLES = set(metadata.tables)


@contextmanager
def sqlite_database(tmp_path):
    """Yield an engine on a new, empty SQLite file."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def postgresql_database():
    """Create a uniquely named PostgreSQL database, yield an engine on it, then drop it."""
    url = sa.make_url(TEST_DATABASE_URL)
    name = f"folio_migrations_{uuid.uuid4().hex[:12]}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine = sa.create_engine(url.set(database=name))
        try:
            yield engine
        finally:
            engine.dispose()
            with server.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        server.dispose()


@pytest.fixture(params=ENGINES)
def empty_engine(request, tmp_path):
    """An engine on a database with no tables at all."""
    manager = sqlite_database(tmp_path) if request.param == "sqlite" else postgresql_database()
    with manager as engine:
        assert sa.inspect(engine).get_table_names() == []
        yield engine


def tables(engine):
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def schema_differences(engine):
    """Return what alembic autogenerate would change to make the database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_the_postgresql_cycle_runs_whenever_the_test_url_is_postgresql():
    assert ("postgresql" in ENGINES) == TEST_DATABASE_URL.startswith("postgresql")


def test_upgrade_creates_every_model_table(empty_engine):
    migrate.upgrade(empty_engine)

    assert tables(empty_engine) == MODEL_TABLES
    assert migrate.current(empty_engine) == migrate.head()


def test_downgrade_to_base_removes_every_table_and_upgrade_rebuilds_them(empty_engine):
    migrate.upgrade(empty_engine)

    migrate.downgrade(empty_engine, "base")
    emptied = tables(empty_engine)
    revision_after_downgrade = migrate.current(empty_engine)
    migrate.upgrade(empty_engine)

    assert emptied == set()
    assert revision_after_downgrade is None
    assert tables(empty_engine) == MODEL_TABLES
    assert migrate.current(empty_engine) == migrate.head()


def test_the_models_match_the_migrations(empty_engine):
    migrate.upgrade(empty_engine)

    assert schema_differences(empty_engine) == []


def test_the_models_still_match_after_a_downgrade_and_upgrade(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "base")
    migrate.upgrade(empty_engine)

    assert schema_differences(empty_engine) == []


def test_every_model_column_can_be_read_from_the_migrated_schema(empty_engine):
    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        rows = {name: connection.execute(sa.select(table)).all() for name, table in metadata.tables.items()}

    assert sorted(rows) == sorted(MODEL_TABLES)
    assert {name: found for name, found in rows.items() if name != "roles"} == {
        name: [] for name in MODEL_TABLES if name != "roles"}
    assert sorted(row.name for row in rows["roles"]) == sorted(BUILTIN_ROLES)  # the migration seeds them


def test_0008_names_the_creator_of_each_changed_entry_that_still_exists(empty_engine):
    from cms.auth.models import User
    from cms.content.models import ContentType, Entry

    migrate.upgrade(empty_engine, "0007_worker")
    with empty_engine.begin() as connection:
        connection.execute(sa.insert(User.__table__).values(id="u1", email="a@example.com", password_hash="x",
                                                            role="author"))
        connection.execute(sa.insert(ContentType.__table__).values(name="post", label="Post", kind="collection",
                                                                   options={}, fields=[]))
        type_id = connection.execute(sa.select(ContentType.id)).scalar()
        connection.execute(sa.insert(Entry.__table__).values(id="e1", type_id=type_id, locale="en",
                                                             translation_group="e1", data={}, created_by_id="u1"))
        connection.execute(sa.text(
            "INSERT INTO content_changes (entry_id, type_name, locale, action, created_at) VALUES "
            "('e1', 'post', 'en', 'publish', CURRENT_TIMESTAMP), ('gone', 'post', 'en', 'delete', CURRENT_TIMESTAMP)"))

    migrate.upgrade(empty_engine)

    with empty_engine.connect() as connection:
        owners = dict(connection.execute(sa.text("SELECT entry_id, owner_id FROM content_changes")).all())
    assert owners == {"e1": "u1", "gone": None}
