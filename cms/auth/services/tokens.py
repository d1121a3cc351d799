"""API tokens (named, hashed, expiring, revocable) and signed preview tokens.

A token acts as its user, narrowed by its role or its explicit permission set: it never holds
more than its user holds at the moment of the request. A delivery token reads published content
only, like the Public role, whatever its user may do.
"""

import hashlib
import re
import secrets
from datetime import timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cms.audit.services import record
from cms.auth.models import ApiToken, User
from cms.auth.permissions import PUBLIC, parse_permissions, stored_permissions
from cms.auth.principals import Caller, PreviewCaller, public_grants, role_grants
from cms.auth.services.roles import find_role, refuse_ungrantable, role_permissions
from cms.core.db import new_id, utcnow
from cms.core.errors import NotFound, PermissionDenied, ValidationFailed
from cms.core.policy import Grants, authorize, can, deny
from cms.core.sqlite import write_after_read
from cms.extensions import db

TOKEN_PREFIX = "folio_"
PREVIEW_PREFIX = "preview_"
KINDS = ("api", "delivery")
_UUID = re.compile(r"^[0-9a-f-]{36}\Z")


def hash_token(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, name, expires_at=None, kind="api", role=None, permissions=None):
    """Create a token of ``user``; return ``(token, secret)``. The secret is not stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(id=new_id(), user_id=user.id, name=name, kind=kind, role=role,
                     permissions=[p.to_json() for p in permissions] if permissions is not None else None,
                     token_hash=hash_token(secret), prefix=secret[:12], expires_at=expires_at, created_at=utcnow())
    db.session.add(token)
    db.session.flush()
    return token, secret


def token_grants(token):
    """Return what ``token`` may do now: its user's role, narrowed by the token's own scope."""
    user = token.user
    own = role_grants(user.role_row, user.id)
    label = f"token {token.name!r} of {user.email}"
    if token.kind == "delivery":
        wanted = stored_permissions(token.permissions) if token.permissions is not None \
            else tuple(p for p in public_grants().permissions if p.action in ("read", "*"))
        reading = Grants(tuple(p for p in wanted if p.kind == "type" and p.action == "read"), label=label)
        return own.restricted_to(reading)
    if token.role is not None:
        scope = role_grants(token.role_row, user.id)
    elif token.permissions is not None:
        scope = Grants(stored_permissions(token.permissions), staff=True, user_id=user.id)
    else:
        return Grants(own.permissions, staff=True, user_id=user.id, label=label)
    narrowed = own.restricted_to(scope)
    return Grants(narrowed.permissions, staff=True, user_id=user.id, label=label)


def caller_for_token(secret, touch_seconds=60):
    """Return the Caller of a valid, unexpired, unrevoked token of an active user, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(seconds=touch_seconds):
        write_after_read(db.session, sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return Caller(token.user, token_grants(token), "token", token=token)


# -- the /api/tokens rules -------------------------------------------------------------------------

class TokenSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(load_default="api", validate=validate.OneOf(KINDS))
    role = fields.String(allow_none=True, validate=validate.Length(max=64))
    permissions = fields.Raw(allow_none=True)
    expires_at = fields.AwareDateTime(allow_none=True)

    @validates_schema
    def check(self, data, **_kwargs):
        if data.get("role") is not None and data.get("permissions") is not None:
            raise ValidationError("Give a role or a permission set, not both.", "permissions")
        if data.get("kind") == "delivery" and data.get("role") is not None:
            raise ValidationError("Delivery tokens read published content; give them permissions, not a role.",
                                  "role")


def _load(payload):
    try:
        data = TokenSchema().load(payload)
        if data.get("permissions") is not None:
            data["permissions"] = parse_permissions(data["permissions"])
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None
    return data


def _owner(actor):
    user = getattr(actor, "user", None)
    if user is None:
        deny(actor, "Only users hold API tokens.")
    if actor.via == "token" and not can(actor, "tokens.manage"):
        raise PermissionDenied("Sign in to create tokens: a token cannot make other tokens.")
    return user


def issue_token(payload, actor):
    """Create a token for the calling user; return ``(token, secret)``."""
    user = _owner(actor)
    data = _load(payload)
    expires_at = data.get("expires_at")
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed({"expires_at": ["Give a moment in the future."]})
    permissions = data.get("permissions")
    if data["kind"] == "delivery" and permissions is not None and any(
            p.kind != "type" or p.action != "read" or p.own for p in permissions):
        raise ValidationFailed({"permissions": ["Delivery tokens take content read permissions (no own) only."]})
    role = None
    if data.get("role") is not None:
        if data["role"] == PUBLIC:
            raise ValidationFailed({"role": ["Use a delivery token to read as the public does."]})
        try:
            role = find_role(data["role"])
        except NotFound:
            raise ValidationFailed({"role": [f"No role named {data['role']!r}."]}) from None
        refuse_ungrantable(actor, role_permissions(role), f"the role {role.name!r}")
    if permissions is not None:
        refuse_ungrantable(actor, permissions, "these permissions")
    elif role is None and data["kind"] == "api":  # the user's whole role: a token caller must hold all of it
        refuse_ungrantable(actor, role_permissions(user.role_row), "a token with your whole role")
    token, secret = create_token(user, data["name"], expires_at, data["kind"], role.name if role else None,
                                 permissions)
    record(actor, "token.create", "token", token.id, name=token.name, kind=token.kind, role=token.role,
           permissions=token.permissions, expires_at=expires_at.isoformat() if expires_at else None)
    return token, secret


def list_tokens(actor, user_id=None, include_revoked=False):
    """The caller's tokens; with ``tokens.manage``, every user's (or ``user_id``'s)."""
    statement = sa.select(ApiToken).join(ApiToken.user)
    if can(actor, "tokens.manage"):
        if user_id is not None:
            statement = statement.where(ApiToken.user_id == user_id)
    else:
        owner = getattr(actor, "user", None)
        if owner is None:
            authorize(actor, "tokens.manage")
        if user_id is not None and user_id != owner.id:
            return []
        statement = statement.where(ApiToken.user_id == owner.id)
    if not include_revoked:
        statement = statement.where(ApiToken.revoked_at.is_(None))
    return db.session.scalars(statement.order_by(ApiToken.created_at.desc(), ApiToken.id)).all()


def get_token(token_id, actor):
    """A token of the caller (or any, with ``tokens.manage``); others' tokens are 404, not 403."""
    token = db.session.get(ApiToken, token_id) if isinstance(token_id, str) and _UUID.match(token_id) else None
    owner = getattr(actor, "user", None)
    if token is None or not (can(actor, "tokens.manage") or (owner is not None and token.user_id == owner.id)):
        if owner is None and token is not None:
            authorize(actor, "tokens.manage")
        raise NotFound(f"No token with the id {token_id}.")
    return token


def revoke_token(token_id, actor):
    token = get_token(token_id, actor)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(actor, "token.revoke", "token", token.id, name=token.name, user=token.user_id)
    db.session.flush()
    return token


# -- preview tokens --------------------------------------------------------------------------------

def _serializer(secret_key):
    return URLSafeTimedSerializer(secret_key, salt="folio-preview-token")


def check_preview_issuer(actor):
    """Preview tokens are issued by signed-in users, or by API tokens that manage tokens."""
    if getattr(actor, "user", None) is None:
        deny(actor, "Only users issue preview tokens.")
    if actor.via == "token" and not can(actor, "tokens.manage"):
        raise PermissionDenied("Sign in to issue preview tokens: an API token needs tokens.manage.")


def issue_preview_token(compiled, actor, seconds, secret_key):
    """Return a signed token letting a frontend read ``compiled``'s drafts for ``seconds``.

    The token reads what its issuer may read of that type (fields, own entries), re-checked at
    every use; it stops with its issuer's account, and with the API token that issued it.
    """
    check_preview_issuer(actor)
    authorize(actor, "entry.read_draft", compiled)
    token = getattr(actor, "token", None)
    claims = {"t": compiled.name, "u": actor.user.id, "s": seconds, "k": token.id if token is not None else None}
    signed = _serializer(secret_key).dumps(claims)
    record(actor, "token.preview", "content_type", compiled.name, seconds=seconds)
    return PREVIEW_PREFIX + signed


def caller_for_preview(secret, secret_key, max_seconds):
    """Return the PreviewCaller of a valid preview token whose user may still read those drafts, or None."""
    serializer, signed = _serializer(secret_key), secret[len(PREVIEW_PREFIX):]
    try:
        claims = serializer.loads(signed, max_age=max_seconds)
        if not isinstance(claims, dict) or not isinstance(claims.get("s"), int):
            return None
        serializer.loads(signed, max_age=claims["s"])  # expired by its own lifetime
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, claims.get("u")) if isinstance(claims.get("u"), str) else None
    if user is None or not user.active:
        return None
    grants = role_grants(user.role_row, user.id)
    issuer_token = claims.get("k")
    if issuer_token is not None:
        token = db.session.get(ApiToken, issuer_token) if isinstance(issuer_token, str) else None
        if token is None or token.revoked_at is not None or token.user_id != user.id or (
                token.expires_at is not None and token.expires_at <= utcnow()):
            return None
        grants = token_grants(token)
    rule = grants.rule("type", claims.get("t"), "read")
    if rule is None or not grants.staff:
        return None
    return PreviewCaller(claims["t"], public_grants(), rule, user.id)


def check_preview_seconds(seconds, maximum):
    if not 60 <= seconds <= maximum:
        raise ValidationFailed({"expires_in": [f"Use a number of seconds from 60 to {maximum}."]})
    return seconds

