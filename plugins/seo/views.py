"""``GET /sitemap.xml`` (and ``/sitemap-<n>.xml`` parts): what crawlers may index, as anonymous readers see it."""

from flask import Blueprint, Response, abort, current_app, stream_with_context, url_for

from . import sitemap

bp = Blueprint("plugin_seo", __name__)
XML = "application/xml"  # werkzeug adds charset=utf-8


def _sources():
    """The Sources of this request; each setting problem is logged and shown on the plugin's status."""
    patterns, problems = sitemap.settings_problems(current_app.config)
    sources = sitemap.plan(patterns, problems.append)
    for problem in problems:
        report(problem)
    return sources, sitemap.or_default(sitemap.max_urls, current_app.config, sitemap.PROTOCOL_MAX_URLS)


def report(problem):
    from . import FOLIO_PLUGIN

    host = current_app.extensions["folio.plugins"]
    host.hook_failed(FOLIO_PLUGIN["name"], "sitemap", sitemap.SitemapProblem(problem))


def _part_location(number):
    base = sitemap.or_default(sitemap.base_url, current_app.config, "")
    if base:
        return f"{base}/sitemap-{number}.xml"
    return url_for("plugin_seo.sitemap_part", number=number, _external=True)


@bp.get("/sitemap.xml")
def sitemap_xml():
    """The sitemap, or a sitemap index of its parts when it has more URLs than one file may hold."""
    sources, per_file = _sources()
    count = sitemap.parts(sources, per_file)
    if count > 1:
        return Response(sitemap.index([_part_location(n) for n in range(1, count + 1)]), mimetype=XML)
    return Response(stream_with_context(sitemap.urlset(sources, 0, per_file)), mimetype=XML)


@bp.get("/sitemap-<int:number>.xml")
def sitemap_part(number):
    """Part ``number`` (from 1) of the sitemap: URLs ``(number - 1) * max`` to ``number * max``."""
    sources, per_file = _sources()
    if not 1 <= number <= sitemap.parts(sources, per_file):
        abort(404)
    start = (number - 1) * per_file
    return Response(stream_with_context(sitemap.urlset(sources, start, start + per_file)), mimetype=XML)
