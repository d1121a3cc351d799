"""Users in the admin: list, add, edit (role, active, password), delete.

The reference shape of an admin area: GET renders, POST calls one service, commits and redirects
with a message; a refused change re-renders the form with the service's field errors, keeping
what was typed.
"""

from flask import request

from cms.admin.core import allowed, bp, caller, done, field_errors, render, require
from cms.auth.services import roles, users
from cms.core.errors import ApiError, ValidationFailed
from cms.core.http import int_arg
from cms.extensions import db

PER_PAGE = 25


def _assignable_roles():
    return [role for role in roles.list_roles(caller()) if role.name != "public"] if allowed("roles.read") else []


def _role_names():
    """Roles to offer: all of them for readers of roles, else the built-in ones users may hold."""
    names = [role.name for role in _assignable_roles()]
    return names or ["administrator", "editor", "author", "viewer"]


@bp.get("/users")
def users_list():
    page = int_arg(request.args, "page", 1, 1, 10**6)
    query = request.args.get("q", "").strip()[:254]
    rows, total = users.list_users(caller(), email=query or None, page=page, per_page=PER_PAGE)
    return render("admin/users/list.html", heading="Users", rows=rows, total=total, page=page,
                  pages=max(1, -(-total // PER_PAGE)), q=query)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    require("users.manage")
    values = {"email": "", "name": "", "role": "editor", "active": True}
    if request.method == "POST":
        values = _form_values()
        try:
            user = users.add_user({**values, "password": request.form.get("password", "")}, caller())
            db.session.commit()
            return done(f"{user.email} can now sign in.", "admin.users_list")
        except ApiError as error:
            db.session.rollback()
            return _form(values, error, new=True)
    return _form(values, None, new=True)


@bp.route("/users/<user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    require("users.manage")
    user = users.get_user(user_id, caller())
    values = {"email": user.email, "name": user.name, "role": user.role, "active": user.active}
    if request.method == "POST":
        values = _form_values()
        payload = dict(values)
        if request.form.get("password"):
            payload["password"] = request.form["password"]
        try:
            users.update_user(user.id, payload, caller())
            db.session.commit()
            return done(f"{values['email']} is saved.", "admin.users_list")
        except ApiError as error:
            db.session.rollback()
            return _form(values, error, edited=users.get_user(user_id, caller()))
    return _form(values, None, edited=user)


@bp.post("/users/<user_id>/delete")
def user_delete(user_id):
    user = users.get_user(user_id, caller())
    email = user.email
    users.delete_user(user.id, caller())
    db.session.commit()
    return done(f"{email} is deleted.", "admin.users_list")


def _form_values():
    form = request.form
    return {"email": form.get("email", "").strip(), "name": form.get("name", "").strip(),
            "role": form.get("role", ""), "active": form.get("active") == "on"}


def _form(values, error, edited=None, new=False):
    errors = field_errors(error) if error is not None else {}
    if error is not None and not errors and not isinstance(error, ValidationFailed):
        errors = {"_form": [error.message]}
    status = 200 if error is None else error.status
    return render("admin/users/form.html", status=status, heading="Add a user" if new else f"Edit {edited.email}",
                  values=values, errors=errors, error=error.message if error is not None else None, edited=edited,
                  new=new, role_names=_role_names(), can_manage=allowed("users.manage"))
