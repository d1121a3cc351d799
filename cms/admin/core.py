"""The admin blueprint's frame: sign-in required, CSRF on every change, strict headers, rendering."""

import secrets
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, get_flashed_messages, redirect, request, session, url_for
from flask_login import current_user

from cms.auth.loaders import CSRF_KEY, new_csrf_token
from cms.core.errors import NotAuthenticated, PermissionDenied
from cms.core.policy import decide
from cms.extensions import db
from cms.media.schemas import storage_origins

bp = Blueprint("admin", __name__, url_prefix="/admin", static_folder="static", static_url_path="/static")
#: views anyone may open (signing in and recovering a password)
PUBLIC = frozenset({"admin.login", "admin.reset_request", "admin.reset_confirm", "admin.static"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {media}; "
       "media-src 'self' blob: {media}; connect-src 'self' {media}; frame-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")

#: the navigation: (endpoint, label, permission that shows it (None: every signed-in user), the
#: endpoint prefixes of the pages that belong to the section)
SECTIONS = (
    ("admin.dashboard", "Dashboard", None, ("admin.dashboard",)),
    ("admin.entries_home", "Content", None, ("admin.entries_", "admin.entry_", "admin.markdown_")),
    ("admin.media_library", "Media", "media.read", ("admin.media_",)),
    ("admin.types_list", "Content types", "content_types.read", ("admin.type",)),
    ("admin.users_list", "Users", "users.read", ("admin.user",)),
    ("admin.roles_list", "Roles", "roles.read", ("admin.role",)),
    ("admin.tokens_list", "API tokens", None, ("admin.token",)),
    ("admin.webhooks_list", "Webhooks", "webhooks.read", ("admin.webhook",)),
    ("admin.plugins_list", "Plugins", "plugins.read", ("admin.plugins_",)),
    ("admin.settings_page", "Settings", "settings.read", ("admin.settings_",)),
)


def caller():
    return current_user._get_current_object()


def allowed(action, target=None):
    """Whether the signed-in user may take ``action`` (templates hide what this denies)."""
    return decide(caller(), action, target).allowed


def require(action, target=None):
    """Refuse (403 page) a page whose form the signed-in user could not submit anyway."""
    from cms.core.policy import authorize

    return authorize(caller(), action, target)


def csrf_token():
    return session.get(CSRF_KEY) or new_csrf_token()


@bp.before_request
def require_sign_in():
    if request.endpoint in PUBLIC:
        return None
    user = caller()
    if not user.is_authenticated or getattr(user, "via", None) != "session":
        return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
    db.session.commit()  # the session loader refreshed last_seen_at
    return None


@bp.before_request
def check_csrf():
    """Every change carries the session's token, as a form field or the X-CSRF-Token header."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = session.get(CSRF_KEY)
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    if not expected or not secrets.compare_digest(str(expected), str(sent)):
        abort(400, "This form has expired (its security token is missing or stale). Reload the page and try again.")


@bp.after_request
def admin_headers(response):
    media = " ".join(sorted(storage_origins()))  # a bucket or CDN serving the library's files
    response.headers["Content-Security-Policy"] = CSP.format(media=media).replace("  ", " ")
    if request.endpoint != "admin.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def render(template, status=200, **context):
    """Render an admin page through the theme chain with the frame's context."""
    theme = current_app.extensions["folio.admin_theme"]
    user = caller()
    here = request.endpoint or ""
    nav = [(endpoint, label, here.startswith(prefixes)) for endpoint, label, permission, prefixes in SECTIONS
           if user.is_authenticated and (permission is None or allowed(permission))
           and endpoint in current_app.view_functions]
    panels = [panel for panel in current_app.extensions["folio.admin_panels"].all()
              if user.is_authenticated and (panel.permission is None or allowed(panel.permission))]
    body = theme.render(template, theme=theme, user=user, nav=nav, panels=panels, csrf_token=csrf_token(),
                        messages=get_flashed_messages(with_categories=True), request=request, allowed=allowed,
                        has_view=current_app.view_functions.__contains__, **context)
    return body, status, {"Content-Type": "text/html; charset=utf-8"}


def safe_next(target, default="admin.dashboard"):
    """Where to go after signing in: only a path on this site (never another host)."""
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/admin") and "\\" not in target:
        return target
    return url_for(default)


def done(message, endpoint, **values):
    """Flash ``message`` and redirect (after a successful change: POST, then redirect, then GET)."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values))


def field_errors(error):
    """The ``{field: [messages]}`` of a service's error, for showing next to the form's fields."""
    details = getattr(error, "details", {}) or {}
    fields = details.get("fields") or {}
    return {str(name): [str(m) for m in (messages if isinstance(messages, list) else [messages])]
            for name, messages in fields.items()} if isinstance(fields, dict) else {}


@bp.errorhandler(Exception)
def admin_error(error):
    """Errors on admin pages: a sign-in redirect, or the error page with the API's status and message."""
    db.session.rollback()  # a failed change leaves nothing behind
    if isinstance(error, NotAuthenticated):
        return redirect(url_for("admin.login"))
    status = getattr(error, "status", None) or getattr(error, "code", 500)
    status = status if isinstance(status, int) else 500
    message = getattr(error, "message", None) or getattr(error, "description", None) or "Something went wrong."
    if status >= 500:
        current_app.logger.exception("admin page failed", exc_info=error)
        message = "Something went wrong on our side. The error was logged."
    if isinstance(error, PermissionDenied):
        status = 403
    return render("admin/error.html", status=status, status_code=status, message=message)
