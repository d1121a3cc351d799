"""Rate limits of the sign-in routes and the per-account lockout, counted by Flask-Limiter.

Each app builds its own Limiter; its storage is memory by default (per process) and Redis when
``FOLIO_RATE_LIMIT_STORAGE`` or ``FOLIO_REDIS_URL`` names one, so every app process shares it.

- **Per address:** ``LOGIN_RATE_LIMIT`` attempts at the sign-in, reset and password routes per
  peer address. Behind a proxy, ``FOLIO_PROXY_HOPS`` trusts that many ``X-Forwarded-For`` hops
  (werkzeug's ProxyFix); a header the client sets alone is never the key.
- **Per account:** ``LOGIN_LOCKOUT`` failed sign-ins lock the account out for the rest of the
  window (each attempt is counted before the password is checked, and a success clears the count). The key is a hash of the normalized email, counted whether or not the account exists,
  so a lockout reveals nothing about which emails are registered.
"""

import hashlib
import math
import time

from flask import current_app, request
from flask_limiter import Limiter
from limits import parse

from cms.core.errors import ApiError


class TooManyAttempts(ApiError):
    status, code = 429, "too_many_requests"
    message = "Too many attempts from this address; try again later."


class LockedOut(ApiError):
    status, code = 429, "locked_out"
    message = "Too many failed sign-ins for this account; try again later."


def _strategy():
    return current_app.extensions["folio.limiter"].limiter


def _refuse(error, item, *keys):
    stats = _strategy().get_window_stats(item, *keys)
    retry = max(1, math.ceil(stats.reset_time - time.time()))
    raise error(headers={"Retry-After": str(retry)}, details={"retry_after": retry})


def check_address(scope):
    """Count one attempt from the caller's address at ``scope``; 429 beyond ``LOGIN_RATE_LIMIT``."""
    item, address = parse(current_app.config["LOGIN_RATE_LIMIT"]), request.remote_addr or "unknown"
    if not _strategy().hit(item, "address", scope, address):
        _refuse(TooManyAttempts, item, "address", scope, address)


def _account(email):
    return hashlib.sha256(str(email).strip().lower().encode()).hexdigest()


def count_attempt(email):
    """Count a sign-in attempt for ``email`` (cleared by a success); 429 with Retry-After once
    ``LOGIN_LOCKOUT`` attempts failed within the window. Counting before the password is checked
    keeps parallel guesses within the limit too."""
    item = parse(current_app.config["LOGIN_LOCKOUT"])
    if not _strategy().hit(item, "lockout", _account(email)):
        _refuse(LockedOut, item, "lockout", _account(email))


def clear_failures(email):
    _strategy().clear(parse(current_app.config["LOGIN_LOCKOUT"]), "lockout", _account(email))


def init_app(app):
    storage = app.config["RATE_LIMIT_STORAGE"] or app.config["REDIS_URL"] or "memory://"
    limiter = Limiter(key_func=lambda: request.remote_addr or "unknown", storage_uri=storage,
                      strategy="moving-window", key_prefix="folio", default_limits=[])
    limiter.init_app(app)
    app.extensions["folio.limiter"] = limiter
    if app.config["PROXY_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"], x_proto=app.config["PROXY_HOPS"])
