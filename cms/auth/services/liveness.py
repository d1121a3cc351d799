"""Whether credentials accepted earlier still work, asked for many callers at once.

A request checks its caller once. A connection that stays open for minutes (the change stream)
asks again from time to time, so that a revoked token, an ended session or a deactivated user
stops it; one query per kind of credential answers for every open connection together.
"""

import sqlalchemy as sa

from cms.auth.models import ApiToken, User, UserSession
from cms.auth.services.sessions import _hash as session_hash
from cms.core.db import utcnow
from cms.extensions import db


def live_credentials(token_ids=(), session_keys=(), user_ids=()):
    """Return the sets of ``token_ids``, ``session_keys`` and ``user_ids`` that still authenticate.

    A token is live while unrevoked, unexpired and its user active; a session while its row
    exists, is unexpired and its user active; a user (a preview token's issuer) while active.
    """
    now = utcnow()
    tokens, sessions, users = set(), set(), set()
    if token_ids:
        tokens = set(db.session.scalars(
            sa.select(ApiToken.id).join(User, User.id == ApiToken.user_id)
            .where(ApiToken.id.in_(set(token_ids)), ApiToken.revoked_at.is_(None), User.active.is_(True),
                   sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))))
    if session_keys:
        by_hash = {session_hash(key): key for key in session_keys}
        found = db.session.scalars(
            sa.select(UserSession.key_hash).join(User, User.id == UserSession.user_id)
            .where(UserSession.key_hash.in_(set(by_hash)), UserSession.expires_at > now, User.active.is_(True)))
        sessions = {by_hash[key_hash] for key_hash in found}
    if user_ids:
        users = set(db.session.scalars(sa.select(User.id).where(User.id.in_(set(user_ids)), User.active.is_(True))))
    return tokens, sessions, users
