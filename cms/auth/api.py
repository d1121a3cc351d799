"""HTTP API of signing in and out: /api/auth.

Sessions are for the admin UI in a browser (cookie + X-CSRF-Token); programs use API tokens.
"""

from flask import Blueprint, current_app, jsonify, request, session
from flask_login import current_user, login_user, logout_user
from marshmallow import Schema, ValidationError, fields

from cms.auth import limits
from cms.auth.loaders import CSRF_KEY, new_csrf_token
from cms.auth.schemas import caller_out
from cms.auth.services import sessions
from cms.core.errors import NotFound, PermissionDenied, ValidationFailed, parameter_error
from cms.core.http import json_body, query_args
from cms.core.policy import CONTENT_ACTIONS, decide
from cms.extensions import db

bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")


class LoginSchema(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True)


class PasswordSchema(Schema):
    current_password = fields.String(required=True)
    new_password = fields.String(required=True)


class ResetRequestSchema(Schema):
    email = fields.String(required=True)


class ResetConfirmSchema(Schema):
    token = fields.String(required=True)
    password = fields.String(required=True)


def _body(schema):
    try:
        return schema.load(json_body())
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None


def _caller():
    return current_user._get_current_object()


@bp.post("/login")
def login():
    query_args(())
    limits.check_address("login")
    data = _body(LoginSchema())
    limits.count_attempt(data["email"])
    user = sessions.authenticate(data["email"], data["password"])
    limits.clear_failures(data["email"])
    session.clear()  # nothing from before the sign-in survives it (session fixation)
    caller = sessions.start_session(user, request.remote_addr, request.headers.get("User-Agent", ""))
    login_user(caller)
    csrf = new_csrf_token()
    db.session.commit()
    return jsonify({"data": caller_out(caller), "meta": {"csrf_token": csrf}})


@bp.post("/logout")
def logout():
    query_args(())
    caller = _caller()
    if getattr(caller, "via", None) == "session":
        sessions.end_session(caller.session_key)
        db.session.commit()
    logout_user()
    session.clear()
    return "", 204


@bp.get("/me")
def me():
    query_args(())
    caller = _caller()
    meta = {}
    if getattr(caller, "via", None) == "session":
        meta["csrf_token"] = session.get(CSRF_KEY) or new_csrf_token()
    return jsonify({"data": caller_out(caller), "meta": meta})


@bp.post("/password")
def change_password():
    query_args(())
    caller = _caller()
    if getattr(caller, "via", None) != "session":
        if not caller.is_authenticated:
            from cms.core.errors import NotAuthenticated

            raise NotAuthenticated()
        raise PermissionDenied("Sign in to change your password; tokens cannot.")
    limits.check_address("password")
    data = _body(PasswordSchema())
    sessions.change_password(caller, data["current_password"], data["new_password"])
    db.session.commit()
    return "", 204


@bp.post("/password-reset")
def request_password_reset():
    query_args(())
    limits.check_address("reset")
    data = _body(ResetRequestSchema())
    link = current_app.config["PASSWORD_RESET_URL"] or request.host_url.rstrip("/") + "/admin/reset-password"
    sessions.request_reset(data["email"], link)
    db.session.commit()
    return jsonify({"data": {"message": "If an active account uses this email, a reset link is on its way."}}), 202


@bp.post("/password-reset/confirm")
def confirm_password_reset():
    query_args(())
    limits.check_address("reset")
    data = _body(ResetConfirmSchema())
    sessions.confirm_reset(data["token"], data["password"])
    db.session.commit()
    return "", 204


@bp.get("/explain")
def explain():
    """Say whether the caller may take an action (on a type, on an entry) and why."""
    args = query_args(("action", "type", "id"))
    action = args.get("action")
    if not action:
        raise parameter_error("action", "Name the action, e.g. action=update&type=article or action=users.manage.")
    caller, entry, compiled = _caller(), None, None
    if action in (*CONTENT_ACTIONS, "read_draft"):
        from cms.content.models import Entry
        from cms.content.services.types import compiled_type, find_type

        if not args.get("type"):
            raise parameter_error("type", "Content actions need a type.")
        compiled = compiled_type(find_type(args["type"]))
        if args.get("id"):
            entry = db.session.get(Entry, args["id"]) if len(args["id"]) <= 36 else None
            visible = entry is not None and entry.type_id == compiled.id and (
                decide(caller, "entry.read_draft", compiled, entry).allowed
                or (entry.published_data is not None and decide(caller, "entry.read", compiled, entry).allowed))
            if not visible:  # an entry the caller cannot read does not exist for them
                raise NotFound(f"No {compiled.name} with the id {args['id']}.")
        access = decide(caller, f"entry.{action}", compiled, entry)
    else:
        if args.get("type") or args.get("id"):
            raise parameter_error("type", "System actions (e.g. users.manage) take no type or id.")
        try:
            if action.startswith("entry."):
                raise ValueError(action)
            access = decide(caller, action)
        except ValueError:
            raise parameter_error("action", "Use read, read_draft, create, update, delete, publish, "
                                            "or <system>.read|manage (e.g. users.manage).") from None
    return jsonify({"data": {
        "allowed": access.allowed, "reason": access.reason, "action": action, "type": args.get("type"),
        "id": args.get("id"), "caller": getattr(caller, "label", "anonymous"),
        "fields": sorted(access.fields) if access.allowed and access.fields is not None else None,
        "own": access.allowed and access.owner is not None,
    }})
