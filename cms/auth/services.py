"""Users and API tokens: create, verify. Secrets are hashed; token secrets are shown once."""

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from cms.auth.models import ApiToken, User
from cms.core.db import new_id, utcnow
from cms.core.errors import Conflict, NotFound, ValidationFailed
from cms.extensions import db

TOKEN_PREFIX = "folio_"
_hasher = PasswordHasher()


def hash_password(password):
    return _hasher.hash(password)


def verify_password(user, password):
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email):
    return email.strip().lower()


def find_user(email):
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def administrator_exists():
    """Return whether any administrator account exists."""
    return db.session.scalar(sa.select(User.id).where(User.role == "administrator").limit(1)) is not None


def create_user(email, password, role="administrator", active=True):
    """Create a user; raise ValidationFailed for a short password, Conflict for a taken email."""
    if len(password) < 10:
        raise ValidationFailed({"password": ["Use at least 10 characters."]})
    if find_user(email) is not None:
        raise Conflict("A user with this email already exists.", {"fields": {"email": ["Already taken."]}})
    user = User(id=new_id(), email=normalise_email(email), password_hash=hash_password(password), role=role,
                active=active)
    db.session.add(user)
    db.session.flush()
    return user


def hash_token(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, name, expires_at=None):
    """Create an API token for ``user``; return ``(token, secret)``. The secret is not stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(id=new_id(), user_id=user.id, name=name, token_hash=hash_token(secret),
                     prefix=secret[:12], expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    return token, secret


def create_token_for_email(email, name):
    user = find_user(email)
    if user is None:
        raise NotFound(f"No user with the email {email}.")
    return create_token(user, name)


def user_for_token(secret, touch_seconds=60):
    """Return the active user owning a valid token secret, or None. Records when it was used."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(seconds=touch_seconds):
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
    return token.user
