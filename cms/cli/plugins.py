"""`folio plugins`: what is installed, enabled and healthy."""

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("plugins")
def group():
    """Inspect plugins."""


@group.command("list")
@with_appcontext
def list_plugins():
    """List the plugins found, their state and any error (exit status 1 when one failed)."""
    statuses = current_app.extensions["folio.plugins"].status
    failed = False
    for name in sorted(statuses):
        status = statuses[name]
        click.echo(f"{name:24} {status.state:12} {status.version or '-':10} {status.origin}")
        if status.error:
            click.echo(f"    {status.error}")
        failed = failed or status.state == "failed"
    if not statuses:
        click.echo("No plugins found.")
    raise SystemExit(1 if failed else 0)
