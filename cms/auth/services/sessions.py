"""Signing in and out, server-side sessions, password changes and single-use reset links.

The session cookie holds a random key; ``user_sessions`` holds its hash. Signing out deletes the
row, so a copied cookie stops working at once; a password change or reset deletes the user's
other rows; an inactive user's rows are refused at the next request.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from cms.audit.services import record
from cms.auth.models import PasswordReset, User, UserSession
from cms.auth.principals import Caller, role_grants
from cms.auth.services.passwords import (
    check_new_password,
    hash_password,
    needs_rehash,
    spend_verification_time,
    verify_password,
)
from cms.auth.services.users import end_sessions, find_user, void_resets
from cms.core.db import new_id, utcnow
from cms.core.errors import ApiError, BadRequest, ValidationFailed
from cms.core.sqlite import write_after_read
from cms.extensions import db

log = logging.getLogger(__name__)


class LoginFailed(ApiError):
    status, code = 401, "login_failed"
    message = "The email or password is not right."


def _hash(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(email, password):
    """Return the active user with this email and password, or raise LoginFailed.

    An unknown email, a wrong password and an inactive account get the same answer after the
    same password-hashing work.
    """
    if not isinstance(email, str) or not isinstance(password, str) or len(email) > 254 or len(password) > 1024:
        raise LoginFailed()
    user = find_user(email)
    if user is None:
        spend_verification_time(password)
        raise LoginFailed()
    if not verify_password(user, password) or not user.active:
        raise LoginFailed()
    if needs_rehash(user):
        user.password_hash = hash_password(password)
    return user


def start_session(user, address="", user_agent=""):
    """Record a new session of ``user``; return its Caller (whose key goes into the cookie)."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(id=new_id(), user_id=user.id, key_hash=_hash(key), created_at=now, last_seen_at=now,
                      expires_at=now + timedelta(seconds=current_app.config["SESSION_LIFETIME_SECONDS"]),
                      address=(address or "")[:64], user_agent=(user_agent or "")[:255])
    db.session.add(row)
    user.last_login_at = now
    db.session.flush()
    record(Caller(user, role_grants(user.role_row, user.id), "session"), "user.login", "user", user.id,
           address=row.address)
    return Caller(user, role_grants(user.role_row, user.id), "session", session_key=key)


def caller_for_session(key, touch_seconds=60):
    """Return the Caller of a live session key of an active user, or None."""
    if not isinstance(key, str) or not 20 <= len(key) <= 100:
        return None
    row = db.session.scalar(sa.select(UserSession).where(UserSession.key_hash == _hash(key)))
    now = utcnow()
    if row is None or row.expires_at <= now or not row.user.active:
        return None
    if now - row.last_seen_at > timedelta(seconds=touch_seconds):
        write_after_read(db.session, sa.update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
    return Caller(row.user, role_grants(row.user.role_row, row.user.id), "session", session_key=key)


def end_session(key):
    if isinstance(key, str):
        db.session.execute(sa.delete(UserSession).where(UserSession.key_hash == _hash(key)))


def change_password(caller, current, new):
    """Change the caller's password; every other session of theirs ends."""
    user = caller.user
    if not isinstance(current, str) or not verify_password(user, current):
        raise ValidationFailed({"current_password": ["This is not your current password."]})
    check_new_password(new, user.email, key="new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = user.updated_at = utcnow()
    end_sessions(user.id, keep_key_hash=_hash(caller.session_key) if caller.session_key else None)
    void_resets(user.id)
    record(caller, "user.password_change", "user", user.id)
    db.session.flush()


# -- password reset --------------------------------------------------------------------------------

def request_reset(email, link_base):
    """Create a reset link for an active user with this email and hand it to the mailer.

    Returns nothing either way: the caller answers the same for known and unknown emails.
    """
    user = find_user(email) if isinstance(email, str) and len(email) <= 254 else None
    if user is None or not user.active:
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(PasswordReset(id=new_id(), user_id=user.id, token_hash=_hash(token), created_at=now,
                                 expires_at=now + timedelta(seconds=current_app.config["PASSWORD_RESET_SECONDS"])))
    db.session.flush()
    record(None, "user.password_reset_request", "user", user.id)
    send_mail(user.email, "Reset your Folio password",
              f"Someone asked to reset the password of {user.email}.\n\n"
              f"Open this link within {current_app.config['PASSWORD_RESET_SECONDS'] // 60} minutes to choose a "
              f"new one:\n{link_base}?token={token}\n\nIf it was not you, ignore this message.")
    return user


def confirm_reset(token, password):
    """Set a new password with a reset token: single use, expiring; ends every session of the user."""
    invalid = BadRequest("This reset link is invalid, used or expired; ask for a new one.",
                         {"fields": {"token": ["Invalid, used or expired."]}})
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise invalid
    row = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == _hash(token)))
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise invalid
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise invalid
    check_new_password(password, user.email)
    claimed = db.session.execute(sa.update(PasswordReset).where(
        PasswordReset.id == row.id, PasswordReset.used_at.is_(None)).values(used_at=now))
    if claimed.rowcount != 1:  # a concurrent confirm used it first
        raise invalid
    void_resets(user.id)
    user.password_hash = hash_password(password)
    user.password_changed_at = user.updated_at = now
    end_sessions(user.id)
    record(None, "user.password_reset", "user", user.id)
    db.session.flush()
    return user


def send_mail(to, subject, body):
    """Hand a message to the mailer plugin (``folio_send_mail``); without one, log it."""
    host = current_app.extensions["folio.plugins"]
    if not host.implemented("folio_send_mail"):
        log.warning("No mailer plugin: message to %s: %s\n%s", to, subject, body)
        return
    try:
        host.hook.folio_send_mail(to=to, subject=subject, body=body)
    except Exception as exc:  # the answer must not tell known emails from unknown ones
        log.error("The mailer failed to send %r to %s", subject, to)
        for impl in host.hook.folio_send_mail.get_hookimpls():
            host.hook_failed(impl.plugin_name, "folio_send_mail", exc)
