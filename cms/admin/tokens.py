"""API tokens in the admin: my tokens (everyone's with tokens.manage), create one, revoke.

A new token's secret is shown once, on the answer to the form; the form carries a one-use key
(``once``), so reloading that answer makes no second token and shows no secret.
"""

from datetime import timedelta

from flask import flash, redirect, request, url_for

from cms.admin import once
from cms.admin.core import allowed, bp, caller, done, field_errors, render
from cms.auth.services import roles, tokens
from cms.core.db import utcnow
from cms.core.errors import ApiError, ValidationFailed
from cms.extensions import db

#: the expiry choices: (days, label); 0 never expires
EXPIRIES = ((30, "In 30 days"), (7, "In 7 days"), (90, "In 90 days"), (365, "In a year"), (0, "Never"))
SAME = ""  # the role choice "same as mine"


@bp.get("/tokens")
def tokens_list():
    rows = tokens.list_tokens(caller())
    mine = getattr(caller(), "id", None)
    return render("admin/tokens/list.html", heading="API tokens", rows=rows, mine=mine,
                  all_users=allowed("tokens.manage"), now=utcnow())


@bp.route("/tokens/new", methods=["GET", "POST"])
def token_new():
    values = {"name": "", "kind": "api", "role": SAME, "expires": "30"}
    if request.method == "POST":
        values = {key: request.form.get(key, default).strip() for key, default in values.items()}
        if not once.spend():
            flash("That form was already sent: the token exists and its secret is not shown again.", "error")
            return redirect(url_for("admin.tokens_list"))
        try:
            token, secret = tokens.issue_token(_payload(values), caller())
            db.session.commit()
        except ApiError as error:
            db.session.rollback()
            return _form(values, error)
        return render("admin/tokens/created.html", status=201, heading="Your new token", token=token, secret=secret)
    return _form(values, None)


@bp.post("/tokens/<token_id>/revoke")
def token_revoke(token_id):
    token = tokens.revoke_token(token_id, caller())
    name = token.name
    db.session.commit()
    return done(f"The token {name} is revoked: it no longer works.", "admin.tokens_list")


def _payload(values):
    payload = {"name": values["name"], "kind": values["kind"]}
    if values["role"] != SAME:
        payload["role"] = values["role"]
    try:
        days = int(values["expires"])
    except ValueError:
        raise ValidationFailed({"expires": ["Choose when the token expires."]}) from None
    if days not in dict(EXPIRIES):
        raise ValidationFailed({"expires": ["Choose when the token expires."]})
    if days:
        payload["expires_at"] = (utcnow() + timedelta(days=days)).isoformat()
    return payload


def _role_names():
    """Roles a token may be narrowed to: all but public for readers of roles, else the built-in ones."""
    if allowed("roles.read"):
        return [role.name for role in roles.list_roles(caller()) if role.name != "public"]
    return ["administrator", "editor", "author", "viewer"]


def _form(values, error):
    errors = field_errors(error) if error is not None else {}
    message = error.message if error is not None and (not errors or not isinstance(error, ValidationFailed)) else None
    if error is not None and errors.keys() - {"name", "kind", "role", "expires", "expires_at"}:
        message = " ".join(m for key, ms in errors.items() if key not in ("name", "kind", "role", "expires")
                           for m in ms)
    return render("admin/tokens/form.html", status=200 if error is None else error.status, heading="Create a token",
                  values=values, errors=errors, error=message, role_names=_role_names(), expiries=EXPIRIES,
                  once=once.issue())
