"""Run alembic migrations against an engine or URL (used by `folio db`, `folio init` and tests)."""

from contextlib import nullcontext
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import migrations


def alembic_config(connection=None, url=None):
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    config.attributes["connection"] = connection
    return config


def _connection(bind):
    """Yield a connection in a transaction from an Engine, or use a Connection as it is."""
    if isinstance(bind, sa.Connection):
        return nullcontext(bind)
    return bind.begin()


def _run(bind, action, *args):
    with _connection(bind) as connection:
        action(alembic_config(connection), *args)


def upgrade(engine, revision="head"):
    _run(engine, command.upgrade, revision)


def downgrade(engine, revision="base"):
    _run(engine, command.downgrade, revision)


def current(engine):
    """Return the revision the database is at (None for an empty database)."""
    with _connection(engine) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head():
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def revision(engine, message, autogenerate=True):
    with _connection(engine) as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=autogenerate)
