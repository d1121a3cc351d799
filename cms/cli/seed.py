"""`folio seed demo`: the demo blog that `make run` serves."""

import click
from flask.cli import with_appcontext

from cms.content import demo
from cms.core.errors import ApiError
from cms.extensions import db


@click.group("seed")
def group():
    """Fill the database with sample content."""


@group.command("demo")
@with_appcontext
def seed_demo():
    """Create the demo blog's content types and entries (does nothing if they are already there)."""
    try:
        counts = demo.seed_demo()
    except ApiError as exc:
        db.session.rollback()
        raise click.ClickException(_one_line(exc)) from None
    if counts is None:
        click.echo(demo.ALREADY_THERE)
        return
    db.session.commit()
    published = counts["articles"] - counts["drafts"]
    click.echo(
        f"Created the demo blog: {counts['types']} content types, {counts['authors']} authors, "
        f"{counts['categories']} categories, {counts['tags']} tags, {counts['articles']} articles "
        f"({published} published, {counts['drafts']} drafts) and the site settings."
    )


def _one_line(exc):
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    reason = f"{exc.message} {fields}" if fields else exc.message
    return " ".join(reason.split())
