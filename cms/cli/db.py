"""`folio db upgrade|downgrade|current`: schema migrations."""

import click
from flask.cli import with_appcontext

from cms.core import migrate
from cms.extensions import db


@click.group("db")
def group():
    """Migrate the database schema."""


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
