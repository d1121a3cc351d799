"""`folio content export|import`: entries as JSON Lines, one entry per line."""

import json
import os
import time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from cms.content.services import bulk
from cms.core.errors import ApiError
from cms.core.policy import SYSTEM
from cms.extensions import db


@click.group("content")
def group():
    """Export and import entries (JSON Lines)."""


class Progress:
    """Report ``N entries, X/s`` on stderr at most once a second, and a summary at the end."""

    def __init__(self, verb, total_bytes=None, every=1.0):
        self.verb, self.total_bytes, self.every = verb, total_bytes, every
        self.started = self.last = time.perf_counter()
        self.count, self.bytes_read = 0, 0

    def rate(self):
        return self.count / max(time.perf_counter() - self.started, 1e-9)

    def update(self, count):
        self.count = count
        now = time.perf_counter()
        if now - self.last >= self.every:
            self.last = now
            share = f" ({100 * self.bytes_read // self.total_bytes}% of the file)" if self.total_bytes else ""
            click.echo(f"{self.verb} {count:,} entries{share}, {self.rate():,.0f}/s", err=True)

    def counted(self, stream):
        """Yield the lines of ``stream``, counting the bytes read for the percentage."""
        for line in stream:
            self.bytes_read += len(line)
            yield line

    def summary(self):
        seconds = time.perf_counter() - self.started
        return f"{self.count:,} entries in {seconds:.1f}s ({self.rate():,.0f}/s)"


@group.command("export")
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              type=click.Path(dir_okay=False, writable=True, allow_dash=True),
              help="Where to write the JSON Lines; - is stdout.")
@click.option("--type", "type_names", multiple=True, metavar="NAME",
              help="Export only entries of this type (repeat for several).")
@with_appcontext
def export(output, type_names):
    """Write every entry, or those of the --type types, one JSON object per line."""
    progress = Progress("exported")
    try:
        lines = bulk.export_entries(list(type_names) or None, actor=SYSTEM)
        with click.open_file(output, "w", encoding="utf-8", atomic=output != "-") as out:
            for line in lines:
                out.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                out.write("\n")
                progress.update(progress.count + 1)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Exported {progress.summary()}.", err=True)


@group.command("import")
@click.argument("source", metavar="FILE", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 100_000),
              help="Entries validated and written per round trip.")
@with_appcontext
def import_(source, batch_size):
    """Import entries from a JSON Lines FILE (- reads stdin); an entry whose id exists is replaced.

    Every line is checked first: one bad line fails the whole import and nothing is written.
    """
    size = os.path.getsize(source) if source != "-" and os.path.isfile(source) else None
    progress = Progress("imported", size)
    try:
        with click.open_file(source, "rb") as stream:
            report = bulk.import_entries(progress.counted(stream), SYSTEM, batch_size=batch_size,
                                         progress=progress.update)
        db.session.commit()
    except ApiError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise click.ClickException(f"the database refused the import: {reason}") from None
    per_type = ", ".join(f"{name} {count:,}" for name, count in sorted(report["types"].items()))
    click.echo(f"Imported {progress.summary()}; {report['replaced']:,} replaced existing entries"
               + (f" ({per_type})." if per_type else "."), err=True)
