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
@click.option("--role", default=None, help="Act with this role (never more than the user holds); default: the user's.")
@click.option("--delivery", is_flag=True, help="A read-only delivery token for a frontend: published content only.")
@with_appcontext
def create(email, name, role, delivery):
    """Create a token and print it alone on stdout (it is shown only once)."""
    if role and delivery:
        raise click.UsageError("A delivery token reads as the public does; give it no role.")
    try:
        _token, secret = services.create_token_for_email(email, name, role=role, delivery=delivery)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(secret)
