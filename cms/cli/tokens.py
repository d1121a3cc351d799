"""`folio tokens create`: API tokens for programs."""

import click
from flask.cli import with_appcontext

from cms.auth import services
from cms.core.errors import ApiError
from cms.extensions import db


@click.group("tokens")
def group():
    """Manage API tokens."""


@group.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. 'website build'.")
@click.option("--role", default=None, help="Reserved: tokens act with their user's role for now.")
@with_appcontext
def create(email, name, role):
    """Create a token and print it alone on stdout (it is shown only once)."""
    try:
        _token, secret = services.create_token_for_email(email, name)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(secret)
