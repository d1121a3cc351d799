"""`folio media gc`: objects the database does not know, rows whose object is gone."""

import click
from flask import current_app
from flask.cli import with_appcontext

from cms.extensions import db
from cms.media.gc import collect


@click.group("media")
def group():
    """Manage the media storage."""


@group.command("gc")
@click.option("--dry-run", is_flag=True, help="Report only; delete nothing.")
@with_appcontext
def gc(dry_run):
    """Delete stored objects no media item uses and expired uploads; report items whose object is missing."""
    report = collect(current_app.extensions["folio.media_storage"], delete=not dry_run)
    db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    for key in report.orphans:
        click.echo(f"orphan object ({verb}): {key}")
    for upload_id in report.expired_uploads:
        click.echo(f"expired upload ({'would abort' if dry_run else 'aborted'}): {upload_id}")
    for media_id, key in report.missing:
        click.echo(f"missing object: media {media_id} expects {key}")
    click.echo(f"{len(report.orphans)} orphan(s), {len(report.expired_uploads)} expired upload(s), "
               f"{len(report.missing)} missing object(s).")
    if report.missing:
        raise SystemExit(1)
