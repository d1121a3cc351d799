"""Roles: built-in and custom permission sets, and the rule that nobody hands out more than they hold."""

import re

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate

from cms.audit.services import record
from cms.auth.models import ApiToken, Role, User
from cms.auth.permissions import ADMINISTRATOR, PUBLIC, parse_permissions, stored_permissions, ungrantable
from cms.core.db import utcnow
from cms.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cms.core.policy import authorize, grants_of
from cms.extensions import db

ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")


class RoleSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(ROLE_NAME, error="Use a-z, 0-9 and _ (64 at most)."))
    label = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=1000))
    permissions = fields.Raw(required=True)


def _load(payload, partial=False):
    try:
        data = RoleSchema(partial=partial).load(payload)
        if "permissions" in data:
            data["permissions"] = parse_permissions(data["permissions"])
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None
    return data


def refuse_ungrantable(actor, permissions, what):
    """403 unless ``actor`` holds every permission it would hand out."""
    missing = ungrantable(grants_of(actor), permissions)
    if missing:
        raise PermissionDenied(f"You cannot grant {what}: it holds permissions you do not have.",
                               {"permissions": [p.to_json() for p in missing]})


def role_permissions(role):
    return stored_permissions(role.permissions)


def find_role(name):
    role = db.session.get(Role, name) if isinstance(name, str) and ROLE_NAME.match(name) else None
    if role is None:
        raise NotFound(f"No role named {name!r}.")
    return role


def list_roles(actor):
    authorize(actor, "roles.read")
    return db.session.scalars(sa.select(Role).order_by(Role.builtin.desc(), Role.name)).all()


def get_role(name, actor):
    authorize(actor, "roles.read")
    return find_role(name)


def _check_public(name, permissions):
    if name == PUBLIC and any(p.kind == "system" or p.own for p in permissions):
        raise ValidationFailed({"permissions": ["The Public role takes content permissions without own only."]})


def create_role(payload, actor):
    authorize(actor, "roles.manage")
    data = _load(payload)
    if db.session.get(Role, data["name"]) is not None:
        raise Conflict(f"A role named {data['name']!r} exists.", {"fields": {"name": ["Already taken."]}})
    refuse_ungrantable(actor, data["permissions"], f"the role {data['name']!r}")
    now = utcnow()
    role = Role(name=data["name"], label=data.get("label") or data["name"].replace("_", " ").title(),
                description=data.get("description", ""), builtin=False,
                permissions=[p.to_json() for p in data["permissions"]], version=1, created_at=now, updated_at=now)
    db.session.add(role)
    db.session.flush()
    record(actor, "role.create", "role", role.name, permissions=role.permissions)
    return role


def update_role(name, payload, actor, partial=False):
    authorize(actor, "roles.manage")
    role = find_role(name)
    if role.name == ADMINISTRATOR:
        raise Conflict("The administrator role holds every permission and cannot be changed.")
    refuse_ungrantable(actor, role_permissions(role), f"changes to the role {role.name!r}")  # none above you
    data = _load({"name": role.name, **payload}, partial=partial)
    if data["name"] != role.name:
        raise ValidationFailed({"name": ["A role keeps its name; create a new role instead."]})
    changes = {}
    if "permissions" in data:
        _check_public(role.name, data["permissions"])
        before = set(role_permissions(role))
        refuse_ungrantable(actor, [p for p in data["permissions"] if p not in before], f"the role {role.name!r}")
        new = [p.to_json() for p in data["permissions"]]
        if new != role.permissions:
            changes["permissions"] = {"before": role.permissions, "after": new}
            role.permissions = new
    for key in ("label", "description"):
        if key in data and data[key] != getattr(role, key):
            changes[key] = {"before": getattr(role, key), "after": data[key]}
            setattr(role, key, data[key])
    if changes:
        role.version += 1
        role.updated_at = utcnow()
        record(actor, "role.update", "role", role.name, changes=changes)
    db.session.flush()
    return role


def delete_role(name, actor):
    authorize(actor, "roles.manage")
    role = find_role(name)
    if role.builtin:
        raise Conflict(f"{role.name!r} is a built-in role and cannot be deleted.")
    refuse_ungrantable(actor, role_permissions(role), f"the role {role.name!r}")
    users = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.role == role.name))
    tokens = db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken).where(
        ApiToken.role == role.name, ApiToken.revoked_at.is_(None)))
    if users or tokens:
        raise Conflict(f"{role.name!r} is held by {users} user(s) and {tokens} token(s); give them another role first.",
                       {"users": users, "tokens": tokens})
    db.session.execute(sa.update(ApiToken).where(ApiToken.role == role.name).values(role=None))
    db.session.delete(role)
    record(actor, "role.delete", "role", name, permissions=role.permissions)
    db.session.flush()
