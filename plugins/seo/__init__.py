"""SEO: an ``seo`` field type (meta title and description, canonical URL, social image, noindex)
and ``GET /sitemap.xml`` listing the published entries of the types in SEO_URL_PATTERNS."""

from cms.plugins import hookimpl

from .field import SeoType

FOLIO_PLUGIN = {
    "name": "seo",
    "version": "1.0.0",
    "description": "An seo field type and a sitemap.xml of published entries (SEO_URL_PATTERNS).",
    "folio": ">=0.1,<1",
}


@hookimpl
def folio_register_field_types(registry):
    registry.register(SeoType())


@hookimpl
def folio_register_routes(app):
    """Serve the sitemap; a malformed SEO_URL_PATTERNS is reported here, at startup (the rest still works)."""
    from . import sitemap
    from .views import bp

    app.register_blueprint(bp)
    _patterns, problems = sitemap.settings_problems(app.config)
    if problems:
        raise sitemap.SitemapProblem("; ".join(problems))


@hookimpl
def folio_register_commands(cli):
    from .cli import group

    cli.add_command(group)
