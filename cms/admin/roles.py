"""Roles in the admin: list, add, edit through a permission matrix, delete.

The matrix (``role_matrix``) turns the form into the same permission JSON the API takes, and the
roles service judges it: nobody hands out a permission they do not hold themselves.
"""

from flask import flash, redirect, request, url_for

from cms.admin import role_matrix as matrix
from cms.admin.core import allowed, bp, caller, done, render, require
from cms.auth.permissions import ADMINISTRATOR
from cms.auth.services import roles
from cms.core.errors import ApiError, PermissionDenied
from cms.core.policy import CONTENT_ACTIONS, FIELD_ACTIONS, OWN_ACTIONS
from cms.extensions import db


@bp.get("/roles")
def roles_list():
    return render("admin/roles/list.html", heading="Roles", rows=roles.list_roles(caller()))


@bp.route("/roles/new", methods=["GET", "POST"])
def role_new():
    require("roles.manage")
    values = {"name": "", "label": "", "description": ""}
    if request.method == "POST":
        values = _text_values()
        rows, system = matrix.rows_from_form(request.form), matrix.system_from_form(request.form)
        permissions, origin = matrix.permissions_of(rows, system)
        try:
            payload = {key: value for key, value in values.items() if value or key != "label"}  # empty: from the name
            role = roles.create_role({**payload, "permissions": permissions}, caller())
            db.session.commit()
            return done(f"The role {role.name} is created.", "admin.role_edit", name=role.name)
        except ApiError as error:
            db.session.rollback()
            return _form(values, rows, system, error, origin, new=True)
    return _form(values, None, None, None, new=True)


@bp.route("/roles/<name>", methods=["GET", "POST"])
def role_edit(name):
    role = roles.get_role(name, caller())
    values = {"name": role.name, "label": role.label, "description": role.description}
    if request.method == "POST":
        require("roles.manage")
        values = {**_text_values(), "name": role.name}
        rows, system = matrix.rows_from_form(request.form), matrix.system_from_form(request.form)
        permissions, origin = matrix.permissions_of(rows, system)
        payload = {"label": values["label"] or role.label, "description": values["description"],
                   "permissions": permissions}
        try:
            roles.update_role(role.name, payload, caller(), partial=True)
            db.session.commit()
            return done(f"The role {role.name} is saved.", "admin.role_edit", name=role.name)
        except ApiError as error:
            db.session.rollback()
            return _form(values, rows, system, error, origin, role=roles.get_role(name, caller()))
    return _form(values, None, None, None, role=role)


@bp.post("/roles/<name>/delete")
def role_delete(name):
    role = roles.get_role(name, caller())
    try:
        roles.delete_role(role.name, caller())
        db.session.commit()
    except ApiError as error:
        if isinstance(error, PermissionDenied) and not allowed("roles.manage"):
            raise
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.role_edit", name=name))
    return done(f"The role {name} is deleted.", "admin.roles_list")


def _text_values():
    form = request.form
    return {"name": form.get("name", "").strip(), "label": form.get("label", "").strip(),
            "description": form.get("description", "").strip()}


def _types():
    """Content types for the matrix rows, with their field names (as hints)."""
    if not allowed("content_types.read"):
        return {}
    from cms.content.services import list_types

    return {row.name: [spec.get("name") for spec in row.fields or () if spec.get("name")]
            for row in list_types(caller())}


def _form(values, rows, system, error, origin=(), role=None, new=False):
    types = _types()
    if rows is None:
        stored = role.permissions if role is not None else []
        rows, system = matrix.rows_of(stored, list(types)), matrix.system_of(stored)
    errors, message, missing = {}, None, []
    if error is not None:
        details = getattr(error, "details", {}) or {}
        fields = details.get("fields") if isinstance(details.get("fields"), dict) else {}
        errors = {key: [str(m) for m in (value if isinstance(value, list) else [value])]
                  for key, value in fields.items() if key in ("name", "label", "description")}
        errors.update(matrix.errors_by_row({k: v for k, v in fields.items() if k == "permissions"}, list(origin)))
        missing = details.get("permissions", []) if isinstance(error, PermissionDenied) else []
        message = error.message if not errors or "_form" in errors else "Check the fields marked below."
    fixed = role is not None and role.name == ADMINISTRATOR
    editable = allowed("roles.manage") and not fixed
    heading = "Add a role" if new else f"Role {role.label}"
    return render("admin/roles/form.html", status=200 if error is None else error.status, heading=heading,
                  values=values, rows=rows, system=system, errors=errors, error=message, missing=missing, role=role,
                  new=new, fixed=fixed, editable=editable, types=types, actions=CONTENT_ACTIONS,
                  field_actions=FIELD_ACTIONS, own_actions=OWN_ACTIONS, system_rows=matrix.SYSTEM_ROWS)
