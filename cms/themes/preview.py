"""The draft preview page: ``/preview/<type>/<id>`` (``/preview/<type>`` for a singleton).

It renders an entry's working copy through the active theme's ``preview.html`` (or
``preview/<type>.html`` when the theme has one). The caller is a preview token given as
``?token=preview_…`` — so that the link works in a browser tab or a frontend's iframe — or the
usual ``Authorization`` header or session, and sees what the content API would show it of the
draft: same permission checks, field allow-lists, "own entries only" and private fields.

Errors are small themed HTML pages with the API's status (never a JSON body, never a 500 for a
bad link). Pages are never cached, never indexed, run no script and may be framed only by
``FOLIO_PREVIEW_FRAME_ANCESTORS``.
"""

import logging
from dataclasses import dataclass

from flask import Blueprint, current_app, g, request, url_for
from flask_login import current_user
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from cms.auth.loaders import load_token_user
from cms.auth.services import tokens
from cms.content.locales import requested_chain
from cms.content.services.entries import get_entry
from cms.core.errors import ApiError, BadRequest, NotAuthenticated, parameter_error
from cms.extensions import db
from cms.themes.page import build_page
from cms.themes.registry import current_theme

log = logging.getLogger(__name__)
bp = Blueprint("themes_preview", __name__, url_prefix="/preview")
PARAMETERS = ("token", "locale")
TITLES = {400: "Bad request", 401: "Sign-in needed", 403: "Not allowed", 404: "Not found",
          405: "Method not allowed", 429: "Too many requests", 500: "Something went wrong"}


@bp.get("/<type_name>")
def singleton(type_name):
    return _preview(type_name, None)


@bp.get("/<type_name>/<entry_id>")
def entry(type_name, entry_id):
    return _preview(type_name, entry_id)


def _preview(type_name, entry_id):
    for name in request.args:
        if name not in PARAMETERS:
            raise parameter_error(name, f"Unknown parameter {name!r}; this page takes token and locale.")
        if len(request.args.getlist(name)) > 1:
            raise parameter_error(name, "Give this parameter once.")
    actor = preview_caller()
    chain = requested_chain(request.args.get("locale"))
    compiled, found = get_entry(type_name, entry_id, actor, draft=True, chain=chain)
    page = build_page(compiled, found, actor, chain, _linker(actor))
    html = current_theme().render([f"preview/{compiled.name}.html", "preview.html"], entry=page, lang=found.locale)
    return _page(html, 200, page.image_origins)


def preview_caller():
    """Return the caller: a ``?token=`` preview token, the Authorization header, or the session; 401 for nobody."""
    secret = request.args.get("token")
    if secret is not None and "Authorization" in request.headers:
        raise BadRequest("Give the token once: in ?token= or in the Authorization header.")
    if secret is not None:
        if not secret.startswith(tokens.PREVIEW_PREFIX):
            raise NotAuthenticated("?token= takes a preview token (preview_…); send API tokens in the "
                                   "Authorization header, never in a link.")
        config = current_app.config
        caller = tokens.caller_for_preview(secret, config["SECRET_KEY"], config["PREVIEW_TOKEN_MAX_SECONDS"])
        if caller is None:
            raise NotAuthenticated("This preview link is invalid or has expired: ask for a new one.")
    elif "Authorization" in request.headers:
        caller = load_token_user(request)
    else:
        caller = current_user._get_current_object()
        if getattr(caller, "via", None) == "session":
            db.session.commit()  # keeps the session's last_seen_at, as API requests do
    if not getattr(caller, "is_authenticated", False):
        raise NotAuthenticated("Open this page with a preview link (?token=preview_…) or sign in first.")
    g._login_user = caller  # current_user for the rest of the request
    return caller


def _linker(actor):
    """Return ``link(type, id)``: the preview URL of a related entry the caller can open from the page."""
    locale = request.args.get("locale")
    secret = request.args.get("token")

    def link(type_name, entry_id):
        extra = {"locale": locale} if locale else {}
        via = getattr(actor, "via", None)
        if via == "preview" and secret and type_name == actor.type_name:
            extra["token"] = secret  # the token opens its own type only
        elif via != "session":
            return None  # a header cannot follow a link
        return url_for("themes_preview.entry", type_name=type_name, entry_id=entry_id, **extra)

    return link


def content_security_policy(image_origins=()):
    """The page's CSP: the theme's styles and images, media images, no script, framed as configured."""
    images = " ".join(["'self'", *sorted(image_origins)])
    ancestors = " ".join(current_app.config["PREVIEW_FRAME_ANCESTORS"])
    return (f"default-src 'none'; style-src 'self'; img-src {images}; font-src 'self'; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors {ancestors}")


def _page(html, status, image_origins=(), headers=None):
    response = current_app.response_class(html, status=status, mimetype="text/html")
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"  # the page's URL may hold a token
    response.headers["Content-Security-Policy"] = content_security_policy(image_origins)
    return response


@dataclass
class ErrorView:
    status: int
    title: str
    message: str


@bp.errorhandler(Exception)
def error_page(exc):
    """Answer any error of a preview page with the theme's ``error.html`` and the API's status."""
    if isinstance(exc, HTTPException) and (exc.code or 500) < 400:
        return exc
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the error being answered may be a lost connection
        log.exception("Rolling back after an error failed")
    headers = {}
    if isinstance(exc, ApiError):
        status, message = exc.status, exc.message
        headers = {k: v for k, v in exc.headers.items() if k in ("WWW-Authenticate", "Retry-After")}
    elif isinstance(exc, HTTPException):
        status, message = exc.code, exc.description or exc.name
    else:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        status, message = 500, "The preview could not be shown. The error was logged."
    error = ErrorView(status, TITLES.get(status, "Error"), message)
    try:
        html = current_theme().render("error.html", error=error, lang="en")
    except Exception:  # noqa: BLE001 - a broken error template must still answer
        log.exception("The theme's error.html failed")
        html = f"<!doctype html><title>{escape(error.title)}</title><h1>{escape(error.title)}</h1><p>{escape(message)}</p>"
    return _page(html, status, headers=headers)


@bp.after_app_request
def frame_options(response):
    """Let X-Frame-Options agree with the preview's frame-ancestors (old browsers read only it).

    Flask calls app-wide after-request functions in reverse order of registration: this one is
    registered with the blueprints, before the app's security headers (which set DENY), so it runs
    after them.
    """
    if "themes_preview" in request.blueprints:
        ancestors = current_app.config["PREVIEW_FRAME_ANCESTORS"]
        if ancestors == ["'self'"]:
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        elif ancestors != ["'none'"]:
            response.headers.pop("X-Frame-Options", None)
    return response
