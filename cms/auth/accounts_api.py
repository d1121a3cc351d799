"""HTTP API of accounts: /api/users, /api/roles, /api/tokens.

Each view parses the request, calls one service, commits, and serializes.
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user

from cms.auth.models import User
from cms.auth.schemas import role_out, token_out, user_out
from cms.auth.services import roles, tokens, users
from cms.core.db import isoformat, utcnow
from cms.core.errors import ValidationFailed
from cms.core.http import bool_arg, int_arg, json_body, query_args
from cms.extensions import db

bp = Blueprint("accounts_api", __name__, url_prefix="/api")


def _caller():
    return current_user._get_current_object()


# -- users -----------------------------------------------------------------------------------------

@bp.get("/users")
def list_users():
    args = query_args(("role", "active", "email", "page", "per_page"))
    page, per_page = int_arg(args, "page", 1, 1, 10**6), int_arg(args, "per_page", 25, 1, users.MAX_PER_PAGE)
    rows, total = users.list_users(_caller(), args.get("role"), bool_arg(args, "active"), args.get("email"),
                                   page, per_page)
    return jsonify({"data": [user_out(row) for row in rows],
                    "meta": {"page": page, "per_page": per_page, "total": total}})


@bp.post("/users")
def create_user():
    query_args(())
    user = users.add_user(json_body(), _caller())
    db.session.commit()
    return jsonify({"data": user_out(user)}), 201


@bp.get("/users/<user_id>")
def get_user(user_id):
    query_args(())
    return jsonify({"data": user_out(users.get_user(user_id, _caller()))})


@bp.patch("/users/<user_id>")
def update_user(user_id):
    query_args(())
    user = users.update_user(user_id, json_body(), _caller())
    db.session.commit()
    return jsonify({"data": user_out(user)})


@bp.delete("/users/<user_id>")
def delete_user(user_id):
    query_args(())
    users.delete_user(user_id, _caller())
    db.session.commit()
    return "", 204


# -- roles -----------------------------------------------------------------------------------------

def _holders():
    return dict(db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all())


@bp.get("/roles")
def list_roles():
    query_args(())
    rows, holders = roles.list_roles(_caller()), _holders()
    return jsonify({"data": [role_out(row, holders.get(row.name, 0)) for row in rows]})


@bp.post("/roles")
def create_role():
    query_args(())
    role = roles.create_role(json_body(), _caller())
    db.session.commit()
    return jsonify({"data": role_out(role, 0)}), 201


@bp.get("/roles/<name>")
def get_role(name):
    query_args(())
    role = roles.get_role(name, _caller())
    return jsonify({"data": role_out(role, _holders().get(role.name, 0))})


@bp.route("/roles/<name>", methods=["PUT", "PATCH"])
def update_role(name):
    query_args(())
    role = roles.update_role(name, json_body(), _caller(), partial=request.method == "PATCH")
    db.session.commit()
    return jsonify({"data": role_out(role, _holders().get(role.name, 0))})


@bp.delete("/roles/<name>")
def delete_role(name):
    query_args(())
    roles.delete_role(name, _caller())
    db.session.commit()
    return "", 204


# -- tokens ----------------------------------------------------------------------------------------

@bp.get("/tokens")
def list_tokens():
    args = query_args(("user", "revoked"))
    rows = tokens.list_tokens(_caller(), args.get("user"), bool_arg(args, "revoked", False))
    return jsonify({"data": [token_out(row) for row in rows]})


@bp.post("/tokens")
def create_token():
    query_args(())
    token, secret = tokens.issue_token(json_body(), _caller())
    db.session.commit()
    return jsonify({"data": token_out(token), "meta": {"token": secret,
                                                        "note": "Store the token now: it is not shown again."}}), 201


@bp.get("/tokens/<token_id>")
def get_token(token_id):
    query_args(())
    return jsonify({"data": token_out(tokens.get_token(token_id, _caller()))})


@bp.delete("/tokens/<token_id>")
def revoke_token(token_id):
    query_args(())
    tokens.revoke_token(token_id, _caller())
    db.session.commit()
    return "", 204


@bp.post("/tokens/preview")
def create_preview_token():
    """A signed token that lets a frontend read one type's drafts until it expires."""
    from cms.content.services.types import compiled_type, find_type

    query_args(())
    tokens.check_preview_issuer(_caller())  # before the type is looked up: no oracle for type names
    body = json_body()
    unknown = sorted(set(body) - {"type", "expires_in"})
    if unknown or not isinstance(body.get("type"), str):
        raise ValidationFailed({**{key: ["Unknown field."] for key in unknown},
                                **({} if isinstance(body.get("type"), str) else {"type": ["Name a content type."]})})
    config = current_app.config
    seconds = body.get("expires_in", config["PREVIEW_TOKEN_SECONDS"])
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise ValidationFailed({"expires_in": ["Give a number of seconds."]})
    tokens.check_preview_seconds(seconds, config["PREVIEW_TOKEN_MAX_SECONDS"])
    compiled = compiled_type(find_type(body["type"]))
    secret = tokens.issue_preview_token(compiled, _caller(), seconds, config["SECRET_KEY"])
    db.session.commit()
    return jsonify({"data": {"token": secret, "type": compiled.name,
                             "expires_at": isoformat(utcnow() + timedelta(seconds=seconds))}}), 201
