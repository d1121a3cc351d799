"""One-use form keys for pages that show a secret once (new tokens, webhook secrets).

A form that reveals a secret carries a random key the session remembers; posting it spends the
key. Reloading the answer re-sends a spent key, which is refused instead of making a second
token (or rotating again), so a secret is never shown twice.
"""

import secrets

from flask import request, session

_KEY = "_admin_once"
_KEEP = 20  # open forms remembered per session


def issue():
    """Return a fresh key for a form (remembered by the session)."""
    key = secrets.token_urlsafe(16)
    session[_KEY] = [*session.get(_KEY, [])[-(_KEEP - 1):], key]
    return key


def spend():
    """Whether the posted ``once`` key was issued and not used yet (it is used now)."""
    sent, keys = request.form.get("once", ""), list(session.get(_KEY, []))
    if not sent or sent not in keys:
        return False
    keys.remove(sent)
    session[_KEY] = keys
    return True
