"""The one permission decision. Every service asks ``authorize`` before it acts.

Minimal model until the identity issue lands: administrators may do everything; anonymous
callers may read published entries of public types; everybody else is refused.
"""

from cms.core.errors import NotAuthenticated, PermissionDenied

ADMINISTRATOR = "administrator"

#: actions anonymous callers may take, given a target that allows it
PUBLIC_ACTIONS = frozenset({"entry.read"})


def is_authenticated(actor):
    return actor is not None and getattr(actor, "is_authenticated", False)


def can(actor, action, target=None):
    """Return whether ``actor`` may take ``action`` on ``target`` (a content type, entry ...)."""
    if is_authenticated(actor):
        return actor.is_active and actor.role == ADMINISTRATOR
    if action in PUBLIC_ACTIONS:
        options = getattr(target, "options", None) or {}
        return bool(options.get("public", True))
    return False


def authorize(actor, action, target=None):
    """Raise NotAuthenticated (anonymous) or PermissionDenied unless ``can`` allows it."""
    if not can(actor, action, target):
        if not is_authenticated(actor):
            raise NotAuthenticated()
        raise PermissionDenied()


class SystemActor:
    """The actor of CLI commands and background jobs: trusted like an administrator, no user row."""

    id = None
    is_authenticated = True
    is_active = True
    is_anonymous = False
    role = ADMINISTRATOR
    email = "system"

    def __repr__(self):
        return "<SystemActor>"


SYSTEM = SystemActor()
