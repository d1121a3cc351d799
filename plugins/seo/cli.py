"""``folio seo check``: test SEO_URL_PATTERNS against the content model before crawlers do."""

import click
from flask import current_app
from flask.cli import with_appcontext

from . import sitemap


@click.group("seo")
def group():
    """SEO fields and the sitemap."""


@group.command("check")
@with_appcontext
def check():
    """Check the sitemap settings against the content types; print each type's URL count (exit 1 on a problem)."""
    config = current_app.config
    patterns, problems = sitemap.settings_problems(config)
    per_file = sitemap.or_default(sitemap.max_urls, config, sitemap.PROTOCOL_MAX_URLS)
    sources = sitemap.plan(patterns, problems.append)
    for source in sources:
        click.echo(f"{source.compiled.name:24} {source.count:>8} URLs  {source.pattern.template}")
    if not patterns:
        click.echo("SEO_URL_PATTERNS is empty: the sitemap lists nothing.")
    files = sitemap.parts(sources, per_file)
    if files > 1:
        click.echo(f"{sum(s.count for s in sources)} URLs in {files} files (/sitemap.xml is an index).")
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    raise SystemExit(1 if problems else 0)
