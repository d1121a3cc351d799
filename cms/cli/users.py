"""`folio users create`: accounts for people."""

import click
from flask.cli import with_appcontext

from cms.auth import services
from cms.cli.init import describe
from cms.core.errors import ApiError
from cms.extensions import db


@click.group("users")
def group():
    """Manage users."""


@group.command("create")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", default="administrator", show_default=True)
@with_appcontext
def create(email, password, role):
    """Create a user."""
    try:
        user = services.create_user(email, password, role=role)
    except ApiError as exc:
        raise click.ClickException(describe(exc)) from None
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}).")
