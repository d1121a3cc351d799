"""User accounts: create, read, change, deactivate, delete; the last administrator stays."""

import re

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError

from cms.audit.services import record
from cms.auth.models import PasswordReset, Role, User, UserSession
from cms.auth.permissions import ADMINISTRATOR, PUBLIC
from cms.auth.services.passwords import check_new_password, hash_password
from cms.auth.services.roles import find_role, refuse_ungrantable, role_permissions
from cms.core.db import new_id, utcnow
from cms.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from cms.core.policy import authorize
from cms.extensions import db

MAX_PER_PAGE = 100
_UUID = re.compile(r"^[0-9a-f-]{36}\Z")


class UserSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(validate=validate.Length(max=200))
    password = fields.String(required=True)
    role = fields.String(required=True, validate=validate.Length(max=64))
    active = fields.Boolean(truthy={True}, falsy={False})


def normalise_email(email):
    return email.strip().lower()


def find_user(email):
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def administrator_exists():
    return db.session.scalar(sa.select(User.id).where(User.role == ADMINISTRATOR).limit(1)) is not None


def create_user(email, password, role=ADMINISTRATOR, active=True, name=""):
    """Create a user (trusted callers: the CLI, ``add_user``); 422 for bad values, 409 for a taken email."""
    check_new_password(password, email)
    if role == PUBLIC or db.session.get(Role, role) is None:
        raise ValidationFailed({"role": [f"No role named {role!r} can be given to a user."]})
    if find_user(email) is not None:
        raise Conflict("A user with this email already exists.", {"fields": {"email": ["Already taken."]}})
    now = utcnow()
    user = User(id=new_id(), email=normalise_email(email), name=name, password_hash=hash_password(password),
                role=role, active=active, created_at=now, updated_at=now, password_changed_at=now)
    db.session.add(user)
    db.session.flush()
    return user


def _load(payload, partial):
    try:
        return UserSchema(partial=partial).load(payload)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None


def _assignable(actor, role_name):
    """Return the Role ``actor`` may give to a user (403 when it holds more than the actor)."""
    if role_name == PUBLIC:
        raise ValidationFailed({"role": ["The Public role is the anonymous caller's; give users another role."]})
    try:
        role = find_role(role_name)
    except NotFound:
        raise ValidationFailed({"role": [f"No role named {role_name!r}."]}) from None
    refuse_ungrantable(actor, role_permissions(role), f"the role {role.name!r}")
    return role


def _manageable(actor, user):
    """403 unless ``actor`` holds everything ``user`` holds: nobody manages someone above them."""
    try:
        refuse_ungrantable(actor, role_permissions(user.role_row), f"changes to {user.email}")
    except PermissionDenied:
        raise PermissionDenied(f"{user.email} holds permissions you do not have; you cannot change this account.") \
            from None


def get_user(user_id, actor):
    authorize(actor, "users.read")
    user = db.session.get(User, user_id) if isinstance(user_id, str) and _UUID.match(user_id) else None
    if user is None:
        raise NotFound(f"No user with the id {user_id}.")
    return user


def display_names(user_ids):
    """Return ``{user id: name, else email}`` for ``user_ids`` (who wrote what, in content lists)."""
    wanted = {user_id for user_id in user_ids if user_id}
    if not wanted:
        return {}
    rows = db.session.execute(sa.select(User.id, User.name, User.email).where(User.id.in_(wanted))).all()
    return {user_id: name or email for user_id, name, email in rows}


def list_users(actor, role=None, active=None, email=None, page=1, per_page=25):
    """Return ``(users, total)`` ordered by email; ``email`` matches a part of the address."""
    authorize(actor, "users.read")
    statement = sa.select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    if active is not None:
        statement = statement.where(User.active.is_(active))
    if email:
        statement = statement.where(User.email.contains(normalise_email(email), autoescape=True))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(statement.order_by(User.email).offset((page - 1) * per_page).limit(per_page)).all()
    return rows, total


def add_user(payload, actor):
    authorize(actor, "users.manage")
    data = _load(payload, partial=False)
    role = _assignable(actor, data["role"])
    user = create_user(data["email"], data["password"], role.name, data.get("active", True), data.get("name", ""))
    record(actor, "user.create", "user", user.id, email=user.email, role=user.role, active=user.active)
    return user


def _other_active_administrators(user):
    """Count the other active administrators, locking their rows (PostgreSQL) so that two
    administrators demoting each other at once cannot both succeed; SQLite writers queue anyway."""
    ids = db.session.scalars(sa.select(User.id).where(
        User.role == ADMINISTRATOR, User.active.is_(True), User.id != user.id).with_for_update()).all()
    return len(ids)


def _keep_an_administrator(user, role, active):
    if user.role == ADMINISTRATOR and user.active and (role != ADMINISTRATOR or not active) \
            and _other_active_administrators(user) == 0:
        raise Conflict("This is the last active administrator: make another user administrator first.")


def end_sessions(user_id, keep_key_hash=None):
    statement = sa.delete(UserSession).where(UserSession.user_id == user_id)
    if keep_key_hash is not None:
        statement = statement.where(UserSession.key_hash != keep_key_hash)
    db.session.execute(statement)


def void_resets(user_id):
    """Mark every outstanding reset link of a user used (after any password or email change)."""
    db.session.execute(sa.update(PasswordReset).where(
        PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None)).values(used_at=utcnow()))


def update_user(user_id, payload, actor, partial=True):
    authorize(actor, "users.manage")
    user = get_user(user_id, actor)
    _manageable(actor, user)
    data = _load({"email": user.email, "role": user.role, "password": "", **payload}, partial=partial)
    changes = {}
    role = _assignable(actor, data["role"]).name if data["role"] != user.role else user.role
    active = data.get("active", user.active)
    _keep_an_administrator(user, role, active)
    email = normalise_email(data["email"])
    if email != user.email:
        if find_user(email) is not None:
            raise Conflict("A user with this email already exists.", {"fields": {"email": ["Already taken."]}})
        changes["email"] = {"before": user.email, "after": email}
        user.email = email
    for key, value in (("role", role), ("active", active), ("name", data.get("name", user.name))):
        if value != getattr(user, key):
            changes[key] = {"before": getattr(user, key), "after": value}
            setattr(user, key, value)
    if payload.get("password"):
        check_new_password(data["password"], user.email)
        user.password_hash = hash_password(data["password"])
        user.password_changed_at = utcnow()
        changes["password"] = "changed"
    if "password" in changes or "active" in changes or "role" in changes:
        end_sessions(user.id)  # new credentials or standing: sign in again
    if "password" in changes or "email" in changes:
        void_resets(user.id)  # a link sent to the old mailbox or for the old password must not work
    if changes:
        user.updated_at = utcnow()
        record(actor, "user.update", "user", user.id, changes=changes)
    try:
        with db.session.begin_nested():  # a concurrent change may have taken the email first
            db.session.flush()
    except IntegrityError:
        raise Conflict("A user with this email already exists.", {"fields": {"email": ["Already taken."]}}) from None
    db.session.expire(user, ["role_row"])
    return user


def delete_user(user_id, actor):
    authorize(actor, "users.manage")
    user = get_user(user_id, actor)
    _manageable(actor, user)
    _keep_an_administrator(user, None, False)
    record(actor, "user.delete", "user", user.id, email=user.email, role=user.role)
    db.session.delete(user)
    db.session.flush()
