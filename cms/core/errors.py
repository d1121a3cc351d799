"""The one JSON error shape for every ``/api`` path, and the exceptions services raise.

``{"error": {"code": "...", "message": "...", "details": {...}}}``
"""

import logging
import re

from flask import current_app, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from cms.extensions import db

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answered with ``status`` and a stable snake_case ``code``."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, message=None, details=None, headers=None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details or {}
        self.headers = headers or {}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class NotAuthenticated(ApiError):
    status, code, message = 401, "not_authenticated", "Authentication is required."

    def __init__(self, message=None, details=None, headers=None):
        super().__init__(message, details, {"WWW-Authenticate": "Bearer", **(headers or {})})


class PermissionDenied(ApiError):
    status, code, message = 403, "permission_denied", "You are not allowed to do this."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "Not found."


class Conflict(ApiError):
    status, code, message = 409, "conflict", "The request conflicts with the stored data."


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"
    message = "The entry was changed since the version you sent; reload it and try again."


class ValidationFailed(ApiError):
    status, code, message = 422, "validation_failed", "Some values are not valid."

    def __init__(self, fields, message=None):
        super().__init__(message, details={"fields": fields})


def parameter_error(name, message):
    """A 400 naming the query parameter at fault: ``details.parameters.<name>``."""
    return BadRequest(f"{name}: {message}", {"parameters": {name: [message]}})


def error_response(status, code, message, details=None, headers=None):
    _discard_writes()
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _discard_writes():
    """Roll back what a refused request flushed, even when its app context outlives it (tests, CLI)."""
    try:
        db.session.rollback()
    except Exception:  # the error being answered may be a lost connection
        log.exception("Rolling back after an error failed")


def _snake(name):
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def register_error_handlers(app):
    """Answer every error on /api (and every unexpected one) with the JSON shape."""

    @app.errorhandler(ApiError)
    def handle_api_error(exc):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(ValidationError)
    def handle_validation_error(exc):
        return error_response(422, "validation_failed", ValidationFailed.message, {"fields": exc.messages})

    @app.errorhandler(StaleDataError)
    def handle_stale(exc):
        return error_response(412, PreconditionFailed.code, PreconditionFailed.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc):
        if not _is_api_request():
            return exc
        headers = {k: v for k, v in exc.get_headers() if k.lower() in {"allow", "retry-after"}}
        return error_response(exc.code, _snake(exc.name), exc.description or exc.name, headers=headers)

    @app.errorhandler(Exception)
    def handle_unexpected(exc):
        log.exception("Unhandled error on %s %s", request.method, request.path)
        if current_app.testing and current_app.config.get("PROPAGATE_UNEXPECTED", False):
            raise exc
        return error_response(500, "internal_error", "Something went wrong on our side.")


def _is_api_request():
    path = request.path
    return path.startswith("/api") or path in {"/healthz", "/readyz"}
