"""How the caller is found: ``Authorization`` first (API or preview token), then the session cookie.

Explicit credentials win over a cookie the browser may have sent along. A malformed, unknown,
expired or revoked token is a 401 before the view runs, never a silent anonymous read.
"""

import secrets

from flask import current_app, g, request, session
from flask_login import current_user

from cms.auth.services import sessions, tokens
from cms.core.errors import ApiError, NotAuthenticated
from cms.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: routes that start from credentials in the body, not from the session (signing in replaces it)
CSRF_EXEMPT = frozenset({"auth_api.login", "auth_api.request_password_reset", "auth_api.confirm_password_reset"})
CSRF_KEY, CSRF_HEADER = "_csrf", "X-CSRF-Token"


class CsrfFailed(ApiError):
    status, code = 403, "csrf_failed"
    message = "Send the X-CSRF-Token header (from /api/auth/me or the login answer) with changes made by a session."


def load_session_user(key):
    return sessions.caller_for_session(key, current_app.config["TOKEN_TOUCH_SECONDS"])


def load_token_user(request):
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise NotAuthenticated("Send the token as: Authorization: Bearer <token>.",
                               headers={"WWW-Authenticate": "Bearer"})
    config = current_app.config
    if secret.startswith(tokens.PREVIEW_PREFIX):
        caller = tokens.caller_for_preview(secret, config["SECRET_KEY"], config["PREVIEW_TOKEN_MAX_SECONDS"])
    else:
        caller = tokens.caller_for_token(secret, config["TOKEN_TOUCH_SECONDS"])
        db.session.commit()  # keeps last_used_at even on read-only requests
    if caller is None:
        raise NotAuthenticated("The token is invalid, expired or revoked.",
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return caller


def authenticate():
    """Resolve the caller afresh per request (before the view), then check CSRF for session writes."""
    g.pop("_login_user", None)  # an outer app context (tests, CLI) may hold an earlier caller
    if not request.path.startswith("/api"):
        return
    if "Authorization" in request.headers:
        g._login_user = load_token_user(request)
    caller = current_user._get_current_object()
    if getattr(caller, "via", None) == "session":
        db.session.commit()  # keeps last_seen_at
        if request.method not in SAFE_METHODS and request.endpoint not in CSRF_EXEMPT:
            expected, sent = session.get(CSRF_KEY), request.headers.get(CSRF_HEADER, "")
            if not expected or not secrets.compare_digest(str(expected), sent):
                raise CsrfFailed()


def new_csrf_token():
    session[CSRF_KEY] = token = secrets.token_urlsafe(32)
    return token
