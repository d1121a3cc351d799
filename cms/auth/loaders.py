"""How Flask-Login finds the caller: a session cookie or ``Authorization: Bearer <token>``."""

from flask import current_app

from cms.auth import services
from cms.auth.models import User
from cms.core.errors import NotAuthenticated
from cms.extensions import db


def load_session_user(user_id):
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def load_token_user(request):
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthenticated("Send the token as: Authorization: Bearer <token>.",
                               headers={"WWW-Authenticate": "Bearer"})
    user = services.user_for_token(secret.strip(), current_app.config["TOKEN_TOUCH_SECONDS"])
    if user is None:
        raise NotAuthenticated("The token is invalid, expired or revoked.",
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    db.session.commit()  # keeps last_used_at even on read-only requests
    return user
