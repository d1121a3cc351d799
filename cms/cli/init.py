"""`folio init`: instance folder, secret key, schema, first administrator and token."""

import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from cms.auth import services
from cms.core import migrate
from cms.core.errors import ApiError
from cms.extensions import db


@click.command("init")
@click.option("--admin-email", help="Email of the first administrator (asked if missing).")
@click.option("--admin-password", help="Password of the first administrator (asked if missing).")
@with_appcontext
def group(admin_email, admin_password):
    """Set up an instance: config with a secret key, migrate, create the first administrator."""
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    config_file = instance / "config.py"
    if not config_file.exists() and not (instance / "config.toml").exists():
        config_file.write_text(
            "# Folio instance settings; FOLIO_* environment variables override these.\n"
            f"SECRET_KEY = {secrets.token_urlsafe(48)!r}\n"
        )
        config_file.chmod(0o600)
        click.echo(f"Wrote {config_file} with a new secret key.")
    migrate.upgrade(db.engine)
    click.echo(f"Database at {migrate.current(db.engine)}.")
    if services.administrator_exists():
        click.echo("An administrator exists already; nothing else to do.")
        return
    email = admin_email or click.prompt("Administrator email")
    password = admin_password or click.prompt("Administrator password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(email, password, role="administrator")
        _token, secret = services.create_token(user, "initial admin token")
    except ApiError as exc:
        raise click.ClickException(describe(exc)) from None
    db.session.commit()
    click.echo(f"Administrator: {user.email}")
    click.echo(f"API token (shown once, keep it safe): {secret}")


def describe(exc):
    """Return an ApiError as one line: its message, then each field's messages."""
    fields = exc.details.get("fields", {})
    return " ".join([exc.message, *(f"{name}: {' '.join(messages)}" for name, messages in fields.items())])
