"""Benchmark the delivery API served by gunicorn against a bare Flask ceiling on the same machine.

Loads a blog model (articles with an author, tags and a rich-text body) with the bulk importer
into a fresh database, runs ``folio db reindex``, serves Folio with gunicorn (2 workers; sync and
gthread) on a loopback port and drives it from a second process (bench/_load.py: 16 keep-alive
connections, a warm-up, then a fixed duration) through each scenario. As the baseline, in the
same run, a bare Flask app on gunicorn (2 sync workers) returns a pre-computed body of each
scenario's size: the ceiling the Python stack allows here. Writes bench/results/delivery.json and
the Markdown table to bench/RESULTS.md. Exits 1 if a request failed or a server did not start.
"""

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from _load import Gunicorn
from import_entries import ARTICLE, AUTHOR, AUTHORS_EVERY, article_values, author_values

from cms import create_app
from cms.config import DEFAULTS
from cms.content import services
from cms.content.services import bulk
from cms.content.services.indexes import sync_all_indexes
from cms.content.services.types import compiled_type, list_types
from cms.core import migrate
from cms.core.db import new_id
from cms.core.policy import SYSTEM
from cms.extensions import db

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "delivery.json"
TABLE = HERE / "RESULTS.md"
SECRET = "bench-delivery-secret"
TAGS = 40
INDEXED = {"views", "featured", "published_on"}
TAG = {"name": "tag", "fields": [
    {"name": "name", "type": "string", "required": True, "max_length": 50},
    {"name": "slug", "type": "slug", "source": "name"},
]}
ARTICLE_MODEL = {"name": "article", "fields": [
    *({**field, "indexed": True} if field["name"] in INDEXED else field for field in ARTICLE["fields"]),
    {"name": "tags", "type": "relation", "target": "tag", "many": True},
]}
LIST = "/api/content/article?filter[featured]={featured}&filter[views][gte]={views}&sort=-published_on&per_page=20" \
       "&populate=author"
CACHE_SETTING = "RESPONSE_CACHE"  # the in-process response cache, where this build has one
NO_CACHE = {CACHE_SETTING: "off"}
PAGE = "/api/content/article?sort=-published_on&per_page=20&count=false"


# -- the data --------------------------------------------------------------------------------

def is_published(number):
    """Say whether the generated article ``number`` is published."""
    return number % 3 != 0


def write_entries(path, count):
    """Write tags, authors and then articles (two thirds published) as JSON Lines; return the article count."""
    tags = [new_id() for _ in range(TAGS)]
    authors = [new_id() for _ in range(max(1, count // AUTHORS_EVERY))]
    articles = count - len(tags) - len(authors)
    moment = "2024-01-01T00:00:00Z"
    with open(path, "w", encoding="utf-8") as out:
        def line(**values):
            out.write(json.dumps(values, separators=(",", ":")) + "\n")

        for number, tag_id in enumerate(tags):
            data = {"name": f"Tag {number}"}
            line(id=tag_id, type="tag", status="published", data=data, published=data)
        for number, author_id in enumerate(authors):
            data = author_values(number)
            line(id=author_id, type="author", status="published", data=data, published=data)
        for number in range(articles):
            data = article_values(number, authors[number % len(authors)])
            data["tags"] = [tags[(number + step * 7) % TAGS] for step in range(3)]
            published = is_published(number)
            line(id=new_id(), type="article", status="published" if published else "draft",
                 version=2 if published else 1, created_at=moment, updated_at=moment,
                 data=data, published=data if published else None)
    return articles


def make_database(url, folder, keep=False, size=None):
    """Return ``(url, reused)``: a new SQLite file, or a new PostgreSQL database named by ``url``.

    With ``keep``, the PostgreSQL database is named ``<name>_<size>`` and kept after the run; a later
    run with ``--keep-database`` and the same size measures it again without loading (``reused``).
    """
    if url is None:
        return f"sqlite:///{Path(folder) / 'folio.db'}", False
    parsed = sa.make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        raise SystemExit("--database must be postgresql+psycopg://user@host:port/<new database name>")
    if keep:
        parsed = parsed.set(database=f"{parsed.database}_{size}")
    with server_engine(parsed).connect() as connection:
        if connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}):
            if keep:
                return parsed.render_as_string(hide_password=False), True
            raise SystemExit(f"Database {parsed.database!r} exists: the benchmark creates and drops its own; "
                             "name one that does not exist.")
        connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    return parsed.render_as_string(hide_password=False), False


def drop_database(url):
    """Drop the PostgreSQL database ``url`` names (SQLite files go with the temporary folder)."""
    parsed = sa.make_url(url)
    if parsed.drivername.startswith("postgresql"):
        with server_engine(parsed).connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def server_engine(parsed):
    """Return an autocommit engine on the server's ``postgres`` database."""
    return sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)


def load(app, source):
    """Create the model, bulk-import ``source`` and reindex; return the seconds each took."""
    with app.app_context():
        migrate.upgrade(db.engine)
        for definition in (AUTHOR, TAG, ARTICLE_MODEL):
            services.create_type(definition, SYSTEM)
        db.session.commit()
        started = time.perf_counter()
        with open(source, "rb") as stream:
            report = bulk.import_entries(stream, SYSTEM)
        db.session.commit()
        imported = time.perf_counter()
        sync_all_indexes([compiled_type(row) for row in list_types(SYSTEM)])
        db.session.commit()
        return report["imported"], imported - started, time.perf_counter() - imported


# -- the scenarios ---------------------------------------------------------------------------

def scenarios(client, articles):
    """Return ``{name: [paths]}`` and notes; checked in-process, so a broken scenario fails before any load."""
    published = [number for number in range(articles) if is_published(number)]
    stride = max(1, len(published) // 200)
    found = {
        "list": [LIST.format(featured=featured, views=views) for views in range(0, 900, 20)
                 for featured in ("true", "false")],
        "slug": [f"/api/content/article?filter[slug]=article-{number}&per_page=1" for number in published[::stride]],
        "first_page": [PAGE],
        "deep_page": [deep_page(client, len(published))],
        "search": [f"/api/content/article?q=number+{number}&per_page=20" for number in published[::stride]],
        "hot": [LIST.format(featured="false", views=500)],
    }
    notes = {}
    answer = client.get(found["search"][0])
    if answer.status_code == 400 and "q" in answer.get_json()["error"].get("details", {}).get("parameters", {}):
        notes["search"] = "skipped: /api/content/article?q= answers 400 (search has not landed)"
        del found["search"]
    for name, paths in found.items():
        answer = client.get(paths[0])
        if answer.status_code != 200 or not answer.get_json()["data"]:
            raise SystemExit(f"scenario {name}: {paths[0]} answered {answer.status_code}: "
                             f"{answer.get_data(as_text=True)[:300]}")
    return found, notes


def deep_page(client, published):
    """Walk cursors (100 entries a page) to about 90% of the published articles; return that page's path."""
    target, seen, cursor = int(published * 0.9), 0, None
    walk = PAGE.replace("per_page=20", "per_page=100")
    while seen < target:
        answer = client.get(walk + (f"&cursor={quote(cursor)}" if cursor else "")).get_json()
        seen += len(answer["data"])
        cursor = answer["meta"]["next_cursor"]
        if cursor is None:
            raise SystemExit(f"deep_page: the cursor walk ended after {seen} of {published} articles")
    return f"{PAGE}&cursor={quote(cursor)}"


def count_queries(app, paths):
    """Return the SQL statements the second request of each scenario runs, measured in-process."""
    counts = {}
    with app.app_context():
        engine = db.engine
    client = app.test_client()
    for name, urls in paths.items():
        client.get(urls[0])
        statements = []

        def record(*_args, statements=statements):
            statements.append(1)

        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            client.get(urls[-1])
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        counts[name] = len(statements)
    return counts


def body_sizes(client, paths):
    """Return the body size in bytes of each scenario's first request."""
    return {name: len(client.get(urls[0]).get_data()) for name, urls in paths.items()}


# -- the load ------------------------------------------------------------------------------

def drive(port, paths, folder, args):
    """Run bench/_load.py against ``port`` in a second process; return its figures."""
    listing = Path(folder) / "paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    command = [sys.executable, str(HERE / "_load.py"), "--port", str(port), "--paths", str(listing),
               "--connections", str(args.connections), "--warmup", str(args.warmup), "--duration", str(args.duration)]
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          timeout=args.warmup + args.duration + 120)
    if done.returncode:
        raise SystemExit(f"load generator failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def measure(server, paths, folder, args):
    """Load ``server`` with every scenario in turn; return the figures per scenario."""
    figures = {}
    for name, urls in paths.items():
        result = drive(server.port, urls, folder, args)
        result["worker_rss_mb"] = server.worker_rss_mb()
        figures[name] = result
        print(f"    {name:<11} {result['requests_per_second']:>8,.0f} req/s  p50 {result['p50_ms']:>7} ms  "
              f"p99 {result['p99_ms']:>7} ms  errors {result['errors']}", flush=True)
    return figures


# -- the report ------------------------------------------------------------------------------

def table(result):
    """Return the Markdown table of ``result``: one row per server and scenario."""
    rows = [
        ("| server | scenario | req/s | p50 ms | p99 ms | errors | ratio to ceiling | SQL/request | body bytes "
         "| worker RSS MB |"),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    ceiling = result["ceiling"]["scenarios"]
    servers = [(f"folio, gunicorn {name}", run_["scenarios"], True) for name, run_ in result["folio"].items()]
    for server, figures, is_folio in [*servers, ("ceiling: bare Flask, gunicorn sync", ceiling, False)]:
        for name, one in figures.items():
            ratio = one["requests_per_second"] / max(ceiling[name]["requests_per_second"], 0.1)
            queries = result["sql_per_request"][name] if is_folio else "–"
            rss = " + ".join(str(size) for size in one["worker_rss_mb"])
            rows.append(f"| {server} | {name} | {one['requests_per_second']:,.0f} | {one['p50_ms']} | "
                        f"{one['p99_ms']} | {one['errors']} | {ratio:.2f} | {queries} | "
                        f"{result['body_bytes'][name]:,} | {rss} |")
    return "\n".join(rows)


def run_notes(result):
    """The Markdown bullets that describe one run: date, machine, data, load, notes."""
    notes = "".join(f"- {name}: {note}\n" for name, note in result["notes"].items())
    if max(result["load_average"]) > result["nproc"] / 2:
        notes += ("- **The machine was busy** (load average above half its CPUs): every rate is depressed; "
                  "compare the ratios, and rerun on a quiet machine before reading much into the rates.\n")
    return (
        f"- **Date:** {result['when'][:16].replace('T', ' ')} UTC\n"
        f"- **Machine:** {result['nproc']} CPUs ({platform.machine()}), load average before the run "
        f"{result['load_average'][0]}, after {result['load_average'][1]}; Python {result['python']}\n"
        f"- **Data:** {result['entries']:,} entries ({result['articles']:,} articles, two thirds published) on "
        f"{result['engine']}; bulk import {result['load_seconds']['import']} s, reindex "
        f"{result['load_seconds']['reindex']} s\n"
        f"- **Load:** {result['connections']} keep-alive connections from one Python process, "
        f"{result['warmup']} s warm-up then {result['duration']} s per scenario\n{notes}")


def _ratio(result, server, name):
    return result["folio"][server]["scenarios"][name]["requests_per_second"] / max(
        result["ceiling"]["scenarios"][name]["requests_per_second"], 0.1)


def _p50(result, server, name):
    return result["folio"][server]["scenarios"][name]["p50_ms"]


def targets(results):
    """Return the Markdown table of the issue's targets, each met or missed by how much (best server)."""
    large, small = results[-1], results[0]
    servers = list(large["folio"])
    checks = []

    def best(name, ratio_of):
        server = max(servers, key=lambda one: ratio_of(one))
        return server, ratio_of(server)

    for name, floor, label in (("hot", 1.0, "hot cached read ≥ 100% of the ceiling"),
                               ("list", 0.35, "uncached list (filter + sort + populate) ≥ 35%"),
                               ("slug", 0.50, "single entry by slug ≥ 50%"),
                               ("search", 0.20, "q= search ≥ 20%")):
        if name in large["ceiling"]["scenarios"]:
            server, value = best(name, lambda one, name=name: _ratio(large, one, name))
            checks.append((label, f"{value:.2f} ({server})", value >= floor, f"{value / floor:.0%} of the target"))
    server, value = best("list", lambda one: -large["folio"][one]["scenarios"]["list"]["p99_ms"]
                         / max(_p50(large, one, "list"), 0.01))
    checks.append(("list p99 ≤ 5 × p50", f"{-value:.1f} × ({server})", -value <= 5, ""))
    server, value = best("deep", lambda one: -_p50(large, one, "deep_page") / max(_p50(large, one, "first_page"), 0.01))
    checks.append(("cursor page at 90% ≤ 1.2 × first page p50", f"{-value:.2f} × ({server})", -value <= 1.2, ""))
    queries = large["sql_per_request"]["list"]
    checks.append(("SQL per list request independent of the page size", f"{queries} (tested in the suite)", True, ""))
    if len(results) > 1:  # the issue: ≤ 1.3 from 10k to 100k, ≤ 1.5 from 10k to 1M (PostgreSQL)
        ceiling = 1.5 if large["entries"] >= 1_000_000 else 1.3
        server, value = best("scale", lambda one: -_p50(large, one, "list") / max(_p50(small, one, "list"), 0.01))
        checks.append((f"scaling p50({large['entries']:,}) / p50({small['entries']:,}) of the list ≤ {ceiling}",
                       f"{-value:.2f} ({server})", -value <= ceiling, ""))
    rows = ["| target | measured | met |", "| --- | --- | --- |"]
    rows += [f"| {label} | {measured} | {'yes' if met else 'no' + (f' ({note})' if note else '')} |"
             for label, measured, met, note in checks]
    return "\n".join(rows)


def scaling(results):
    """Return the Markdown table of p50 at each size over p50 at the smallest, per server and scenario."""
    small = results[0]
    head = " | ".join(f"p50 {r['entries']:,} ms" for r in results)
    rows = [f"| server | scenario | {head} | p50 ratio {results[-1]['entries']:,} / {small['entries']:,} |",
            "| --- | --- | " + "---: | " * len(results) + "---: |"]
    for server in small["folio"]:
        for name in small["folio"][server]["scenarios"]:
            p50s = [_p50(r, server, name) for r in results]
            rows.append(f"| folio, gunicorn {server} | {name} | " + " | ".join(str(p) for p in p50s)
                        + f" | {p50s[-1] / max(p50s[0], 0.01):.2f} |")
    return "\n".join(rows)


def write_markdown(results, command, path=TABLE):
    """Write the results (one table per size, targets, scaling) with the date, machine and command."""
    parts = ["# Benchmark results\n\nThe latest committed run of `bench/delivery.py` (see bench/README.md for "
             f"what it measures and how to read it).\n\n- **Command:** `{command}`\n"]
    for result in results:
        parts.append(f"## {result['entries']:,} entries on {result['engine']}\n\n{run_notes(result)}\n{table(result)}\n")
    parts.append(f"## Targets (at {results[-1]['entries']:,} entries)\n\n{targets(results)}\n")
    if len(results) > 1:
        parts.append(f"## Scaling\n\n{scaling(results)}\n")
    path.write_text("\n".join(parts) + "\n" + SCENARIO_NOTES, encoding="utf-8")


SCENARIO_NOTES = """Scenarios: `list` cycles through 90 lists of 20 (`filter[featured]`, `filter[views][gte]`,
`sort=-published_on`, `populate=author`); `slug` fetches single entries by `filter[slug]=…&per_page=1`;
`first_page` and `deep_page` are the same keyset-paged order at the start and at about 90% of the
published articles (a cursor walked in-process beforehand); `search` uses `q=`; `hot` repeats one list.
The ratio is Folio's req/s over the ceiling's for a body of the same size; SQL/request is counted
in-process with an SQLAlchemy event listener; RSS is each gunicorn worker's VmRSS after the scenario.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", default="10000",
                        help="entries loaded; several sizes comma-separated (e.g. 10000,100000) add a scaling table")
    parser.add_argument("--database", help="postgresql+psycopg://user@host:port/<name>: create, use and drop it")
    parser.add_argument("--duration", type=float, default=8.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--worker-classes", default="sync,gthread", help="comma-separated gunicorn worker classes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--output", default=str(TABLE), help="the Markdown report to write")
    parser.add_argument("--keep-database", action="store_true",
                        help="PostgreSQL: keep <name>_<size> after the run, and measure it again if it exists "
                             "(saves the load of a million entries; migrate it first if the code changed)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.entries.split(",")]
    except ValueError:
        parser.error("--entries takes whole numbers separated by commas")
    command = shlex.join(["python", "bench/delivery.py", *(sys.argv[1:] if argv is None else argv)])
    command = re.sub(r"(://[^:/@]+:)[^@/]+@", r"\1***@", command)  # never a password in RESULTS.md

    results = []
    for size in sizes:
        load_before = os.getloadavg()[0]
        args.entries = size
        with tempfile.TemporaryDirectory(prefix="folio-bench-delivery-") as folder:
            url, reused = make_database(args.database, folder, args.keep_database, size)
            try:
                result = run(args, url, folder, reused)
            finally:
                if not args.keep_database:
                    drop_database(url)
        result.update(when=datetime.now(UTC).isoformat(), nproc=os.cpu_count(), python=platform.python_version(),
                      load_average=[round(load_before, 2), round(os.getloadavg()[0], 2)], command=command)
        results.append(result)
        print(f"\n{table(result)}\n", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results if len(results) > 1 else results[0], indent=2) + "\n", encoding="utf-8")
    write_markdown(results, command, Path(args.output))
    print(f"  written to {RESULTS} and {args.output}")
    errors = sum(one["errors"] for result in results for run_ in [*result["folio"].values(), result["ceiling"]]
                 for one in run_["scenarios"].values())
    if errors:
        print(f"FAIL: {errors} requests failed", file=sys.stderr)
    return 1 if errors else 0


def run(args, url, folder, reused=False):
    """Load the data (unless ``reused``), then measure every Folio server and the ceiling; return the result dict."""
    engine = sa.make_url(url).get_backend_name()
    instance = Path(folder) / "instance"
    instance.mkdir()
    settings = {"INSTANCE_PATH": str(instance), "DATABASE_URL": url, "SECRET_KEY": SECRET, "ENV": "production",
                "PASSWORD_RESET_URL": "https://cms.example.com/admin/reset-password"}
    app = create_app({**settings, **NO_CACHE})
    if reused:
        with app.app_context():
            migrate.upgrade(db.engine)
            imported = db.session.scalar(sa.text("SELECT count(*) FROM entries"))
            articles = db.session.scalar(sa.text(
                "SELECT count(*) FROM entries JOIN content_types t ON t.id = entries.type_id WHERE t.name = 'article'"))
        import_seconds = reindex_seconds = 0.0
    else:
        source = Path(folder) / "entries.jsonl"
        articles = write_entries(source, args.entries)
        imported, import_seconds, reindex_seconds = load(app, source)
    print(f"delivery ({engine}, {imported:,} entries): imported in {import_seconds:.1f}s, "
          f"reindexed in {reindex_seconds:.1f}s", flush=True)
    client = app.test_client()
    paths, notes = scenarios(client, articles)
    cold, hot = {name: urls for name, urls in paths.items() if name != "hot"}, {"hot": paths["hot"]}
    cached = CACHE_SETTING in DEFAULTS
    notes["hot"] = ("with the response cache as shipped; the other scenarios with it off (query path)" if cached
                    else "this build has no response cache: the same list repeated")
    for name, note in notes.items():
        print(f"  {name}: {note}", flush=True)
    queries = {**count_queries(app, cold), **count_queries(create_app(settings) if cached else app, hot)}
    sizes = body_sizes(client, paths)
    env = {f"FOLIO_{key}": value for key, value in settings.items()}
    result = {"benchmark": "delivery", "engine": engine, "entries": imported, "articles": articles,
              "load_seconds": {"import": round(import_seconds, 2), "reindex": round(reindex_seconds, 2)},
              "connections": args.connections, "warmup": args.warmup, "duration": args.duration,
              "response_cache": cached, "notes": notes, "paths": {name: urls[0] for name, urls in paths.items()},
              "sql_per_request": queries, "body_bytes": sizes, "folio": {}}
    with open(Path(folder) / "gunicorn.log", "w") as log:
        for worker_class in args.worker_classes.split(","):
            print(f"  folio, gunicorn 2 {worker_class} workers", flush=True)
            runs = [({**env, **{f"FOLIO_{key}": value for key, value in NO_CACHE.items()}}, cold), (env, hot)]
            figures = {}
            for server_env, group in runs if cached else [(env, paths)]:
                with Gunicorn("cms:create_app()", worker_class, server_env, log, paths["slug"][0],
                              threads=args.threads) as server:
                    figures.update(measure(server, group, folder, args))
            result["folio"][worker_class] = {"scenarios": figures}
        print("  ceiling: bare Flask, gunicorn 2 sync workers", flush=True)
        ceiling_env = {"BENCH_CEILING_SIZES": json.dumps(sizes)}
        with Gunicorn("_load:ceiling_app()", "sync", ceiling_env, log, "/hot") as server:
            result["ceiling"] = {"scenarios": measure(server, {name: [f"/{name}"] for name in paths}, folder, args)}
    return result


if __name__ == "__main__":
    sys.exit(main())
