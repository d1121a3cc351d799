"""Benchmark `folio content import` against creating entries one by one through the services.

Builds fresh instances (SQLite files) in a temporary folder, writes a blog model's entries as
JSON Lines and times the bulk import; as the baseline, in the same run, times
``services.create_entry`` plus a commit per entry, which is what the API does per request.
Prints entries/s for both, their ratio and PASS/FAIL against the target, and writes
bench/results/import.json. Exits 1 when the target is missed.
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from cms import create_app
from cms.content import services
from cms.content.models import Entry, EntryRelation, EntryUnique, Revision
from cms.content.services import bulk
from cms.core import migrate
from cms.core.db import new_id
from cms.core.policy import SYSTEM
from cms.extensions import db

RESULTS = Path(__file__).resolve().parent / "results" / "import.json"
TARGET = 2_000  # entries per second on SQLite
AUTHORS_EVERY = 50  # one author per this many entries

AUTHOR = {"name": "author", "fields": [
    {"name": "name", "type": "string", "required": True, "max_length": 100},
    {"name": "email", "type": "email", "unique": True},
    {"name": "bio", "type": "text"},
]}
ARTICLE = {"name": "article", "fields": [
    {"name": "title", "type": "string", "required": True, "max_length": 200, "indexed": True},
    {"name": "slug", "type": "slug", "source": "title"},
    {"name": "summary", "type": "text", "max_length": 500},
    {"name": "body", "type": "richtext"},
    {"name": "views", "type": "integer", "min": 0, "default": 0},
    {"name": "featured", "type": "boolean"},
    {"name": "published_on", "type": "date"},
    {"name": "author", "type": "relation", "target": "author", "on_delete": "restrict"},
]}
BODY = ("## A heading\n\nSome *emphasis*, a [link](https://example.com) and a list:\n\n"
        "- one\n- two\n- three\n\nA closing paragraph of ordinary prose.")


def build_app(folder, name):
    """Return an app on a new, migrated SQLite database with the blog model."""
    path = Path(folder) / name
    path.mkdir()
    app = create_app({"INSTANCE_PATH": str(path), "DATABASE_URL": f"sqlite:///{path / 'folio.db'}",
                      "SECRET_KEY": "bench"})
    with app.app_context():
        migrate.upgrade(db.engine)
        services.create_type(AUTHOR, SYSTEM)
        services.create_type(ARTICLE, SYSTEM)
        db.session.commit()
    return app


def author_values(number, prefix=""):
    return {"name": f"Author {number}", "email": f"{prefix}author{number}@example.com", "bio": "Writes things."}


def article_values(number, author_id, prefix=""):
    return {
        "title": f"{prefix}Article number {number}", "slug": f"{prefix}article-{number}".lower().replace(" ", "-"),
        "summary": f"What article {number} is about.", "body": BODY,
        "views": number % 997, "featured": number % 7 == 0,
        "published_on": (datetime(2020, 1, 1) + timedelta(days=number % 1500)).date().isoformat(),
        "author": author_id,
    }


def write_entries(path, count):
    """Write ``count`` entries as JSON Lines: articles first, their authors at the end (forward relations)."""
    authors = [new_id() for _ in range(max(1, count // AUTHORS_EVERY))]
    moment = datetime(2024, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    with open(path, "w", encoding="utf-8") as out:
        for number in range(count - len(authors)):
            data = article_values(number, authors[number % len(authors)])
            published = number % 3 != 0
            line = {"id": new_id(), "type": "article", "status": "published" if published else "draft",
                    "version": 2 if published else 1, "created_at": moment, "updated_at": moment,
                    "data": data, "published": data if published else None}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
        for number, author_id in enumerate(authors):
            data = author_values(number)
            line = {"id": author_id, "type": "author", "data": data, "published": data}
            out.write(json.dumps(line, separators=(",", ":")) + "\n")


def time_bulk(app, path, batch_size):
    with app.app_context():
        started = time.perf_counter()
        with open(path, "rb") as stream:
            report = bulk.import_entries(stream, SYSTEM, batch_size=batch_size)
        db.session.commit()
        seconds = time.perf_counter() - started
        counts = {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                  for model in (Entry, Revision, EntryRelation, EntryUnique)}
    return seconds, report, counts


def time_baseline(app, count):
    with app.app_context():
        authors = []
        for number in range(max(1, count // AUTHORS_EVERY)):
            _compiled, entry = services.create_entry("author", author_values(number, "b"), SYSTEM)
            authors.append(entry.id)
        db.session.commit()
        started = time.perf_counter()
        for number in range(count):
            services.create_entry("article", article_values(number, authors[number % len(authors)], "Baseline "),
                                  SYSTEM)
            db.session.commit()
        return time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="entries in the import file")
    parser.add_argument("--baseline-entries", type=int, default=2_000, help="entries created one by one")
    parser.add_argument("--batch-size", type=int, default=1_000)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="folio-bench-") as folder:
        source = Path(folder) / "entries.jsonl"
        write_entries(source, args.entries)
        size = source.stat().st_size
        bulk_seconds, report, counts = time_bulk(build_app(folder, "bulk"), source, args.batch_size)
        baseline_seconds = time_baseline(build_app(folder, "baseline"), args.baseline_entries)

    if report["imported"] != args.entries or counts["entries"] != args.entries:
        print(f"FAIL: imported {report['imported']} of {args.entries} entries", file=sys.stderr)
        return 1
    bulk_rate = args.entries / bulk_seconds
    baseline_rate = args.baseline_entries / baseline_seconds
    passed = bulk_rate >= TARGET
    result = {
        "benchmark": "import_entries", "engine": "sqlite", "when": datetime.now(UTC).isoformat(),
        "python": platform.python_version(), "machine": platform.machine(),
        "bulk": {"entries": args.entries, "bytes": size, "batch_size": args.batch_size,
                 "seconds": round(bulk_seconds, 3), "entries_per_second": round(bulk_rate), "rows": counts},
        "baseline": {"entries": args.baseline_entries, "path": "services.create_entry + commit per entry",
                     "seconds": round(baseline_seconds, 3), "entries_per_second": round(baseline_rate)},
        "ratio": round(bulk_rate / baseline_rate, 1),
        "target_entries_per_second": TARGET, "pass": passed,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"import_entries (SQLite, {args.entries:,} entries, {size / 1e6:.1f} MB of JSON Lines)")
    print(f"  bulk import   {args.entries:>9,} entries in {bulk_seconds:7.2f}s  {bulk_rate:>9,.0f} entries/s")
    print(f"  baseline      {args.baseline_entries:>9,} entries in {baseline_seconds:7.2f}s  "
          f"{baseline_rate:>9,.0f} entries/s  (create_entry + commit each)")
    print(f"  ratio         {result['ratio']:,}x the baseline")
    print(f"  target        >= {TARGET:,} entries/s: {'PASS' if passed else 'FAIL'}")
    print(f"  written to    {RESULTS}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
