"""HTTP API of the contract: /api/openapi.json and /api/types.ts."""

from flask import Blueprint, current_app, jsonify
from flask_login import current_user

from cms.content.services import contract
from cms.core.http import query_args

bp = Blueprint("contract_api", __name__, url_prefix="/api")


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 document of what the caller may read."""
    query_args(())
    return jsonify(contract.openapi_document(current_user._get_current_object()))


@bp.get("/types.ts")
def typescript():
    """TypeScript interfaces of the content model the caller may read."""
    query_args(())
    source = contract.typescript_source(current_user._get_current_object())
    return current_app.response_class(source, mimetype="text/plain")
