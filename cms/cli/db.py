"""`folio db upgrade|downgrade|current|reindex`: schema migrations and content-type indexes."""

import click
from flask.cli import with_appcontext

from cms.content.services.indexes import sync_all_indexes
from cms.content.services.types import compiled_type, list_types
from cms.core import migrate
from cms.core.errors import ApiError
from cms.core.policy import SYSTEM
from cms.extensions import db


@click.group("db")
def group():
    """Migrate the database schema; rebuild content-type indexes."""


@group.command()
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision):
    """Upgrade the schema to REVISION (default: head)."""
    migrate.upgrade(db.engine, revision)
    click.echo(f"Database at {migrate.current(db.engine)}.")


@group.command()
@click.argument("revision", default="-1")
@with_appcontext
def downgrade(revision):
    """Downgrade the schema to REVISION (default: one step; `base` removes every table)."""
    migrate.downgrade(db.engine, revision)
    click.echo(f"Database at {migrate.current(db.engine) or 'base'}.")


@group.command()
@with_appcontext
def current():
    """Print the schema revision of the database."""
    revision = migrate.current(db.engine)
    head = migrate.head()
    state = "up to date" if revision == head else f"head is {head}"
    click.echo(f"{revision or 'base (empty)'} ({state})")


@group.command()
@click.option("--rebuild", is_flag=True, help="Drop and remake every index, not only the missing ones.")
@with_appcontext
def reindex(rebuild):
    """Create the missing indexes of every content type, drop stray ones and refresh statistics."""
    compiled = [compiled_type(row) for row in list_types(SYSTEM)]
    try:
        created, dropped = sync_all_indexes(compiled, rebuild=rebuild)
    except ApiError as exc:
        raise click.ClickException(f"{exc.message} ({exc.details['index']})") from None
    db.session.commit()
    click.echo(f"Indexes: {len(created)} created, {len(dropped)} dropped; statistics refreshed.")
