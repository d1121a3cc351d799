"""The admin UI at /admin: server-rendered pages over the same services as the API.

Pages are Jinja templates looked up in the active theme first (``admin/…``), then in this
package's ``templates/``, so a theme can restyle or replace any admin page. Each view parses a
form, calls one service with the signed-in user as actor, commits, and redirects (or re-renders
the form with the service's field errors). Small hand-written scripts in ``static/`` enhance the
pages; every page works without them.
"""

from pathlib import Path

from jinja2 import FileSystemLoader

TEMPLATES = Path(__file__).parent / "templates"


def init_app(app):
    """Give the admin its template environment (theme chain, then ours) and register its views."""
    from cms.admin import (  # noqa: F401 - each module's views register on the blueprint
        auth, dashboard, entries_list, entry_editor, media, revisions, roles, system, tokens, types, users, webhooks,
    )
    from cms.admin.core import bp
    from cms.themes.registry import ActiveTheme

    theme = app.extensions["folio.theme"]
    app.extensions["folio.admin_theme"] = ActiveTheme(theme.chain, fallback_loaders=[FileSystemLoader(str(TEMPLATES))])
    app.register_blueprint(bp)
