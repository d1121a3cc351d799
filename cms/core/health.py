"""Liveness and readiness endpoints for load balancers and orchestrators."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from cms.core.errors import error_response
from cms.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """The process can reach its database."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return error_response(503, "unavailable", "The database is not reachable.")
    return jsonify({"status": "ready"})
