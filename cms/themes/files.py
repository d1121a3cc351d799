"""Serve the active theme's static files and its colours as CSS.

``/themes/<name>/static/<path>`` answers files of the themes the active theme is built from
(itself, what it extends, ``default``); anything else — another theme, a path with ``..``, a
hidden or absolute part, a folder — is a 404. Answers are cacheable and revalidated by ETag.
"""

import hashlib

from flask import Blueprint, current_app, request, send_file
from werkzeug.exceptions import NotFound

from cms.themes.manifest import safe_relative
from cms.themes.registry import current_theme

bp = Blueprint("themes_static", __name__, url_prefix="/themes")
#: a theme's files run no script on the CMS origin, whatever they hold (an SVG opened directly)
SANDBOX = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; sandbox"


def _cache_control():
    return "public, max-age=3600" if current_app.config["ENV"] == "production" else "no-cache"


@bp.get("/<name>/static/<path:filename>")
def static_file(name, filename):
    theme = current_theme().serves(name)
    if theme is None or not safe_relative(filename):
        raise NotFound()
    root = theme.static.resolve()
    path = (root / filename).resolve()
    if not path.is_relative_to(root) or not path.is_file():  # a symbolic link must not lead out either
        raise NotFound()
    response = send_file(path, conditional=True, etag=True, max_age=None)
    response.headers["Cache-Control"] = _cache_control()
    response.headers["Content-Security-Policy"] = SANDBOX
    return response


@bp.get("/<name>/colors.css")
def colors(name):
    theme = current_theme()
    if name != theme.name:
        raise NotFound()
    body = theme.stylesheet()
    response = current_app.response_class(body, mimetype="text/css")
    response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:20])
    response.headers["Cache-Control"] = _cache_control()
    return response.make_conditional(request)
