"""Who is calling: a user (through a session or an API token), a preview token, or nobody.

Every caller carries ``grants`` (cms.core.policy.Grants), which the permission engine reads.
Flask-Login's ``current_user`` is one of these objects.
"""

from flask import current_app, g

from cms.auth.permissions import PUBLIC, grants_for, stored_permissions
from cms.core.caching import content_version
from cms.core.policy import Grants, Permission


def role_grants(role, user_id=None, staff=True):
    """Return the grants of a Role row for ``user_id``."""
    return grants_for(stored_permissions(role.permissions), staff, user_id, f"role {role.name}")


class Caller:
    """A signed-in user (``via`` "session") or a user's API token (``via`` "token")."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user, grants, via, token=None, session_key=None):
        self.user, self.grants, self.via = user, grants, via
        self.token, self.session_key = token, session_key

    @property
    def id(self):
        return self.user.id

    @property
    def email(self):
        return self.user.email

    @property
    def role(self):
        return self.user.role

    @property
    def is_active(self):
        return self.user.active

    @property
    def label(self):
        if self.token is not None:
            return f"{self.user.email} (token {self.token.name!r})"
        return self.user.email

    def get_id(self):  # what Flask-Login keeps in the session cookie: the session's random key
        return self.session_key

    def __repr__(self):
        return f"<Caller {self.label} via {self.via}>"


class PreviewCaller:
    """A frontend holding a signed preview token: published content as the Public role, and the
    drafts of one type. Authenticated (its answers are never publicly cacheable), but not a user."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    id = None
    via = "preview"

    def __init__(self, type_name, public, rule, issuer_id):
        """``rule``: what the issuer may read of the type now (fields, own entries), applied to its drafts."""
        self.type_name = type_name
        preview = Permission("type", type_name, "read", rule.fields, rule.own)
        self.grants = Grants(public.permissions, staff=False, user_id=issuer_id, preview=(preview,),
                             label=f"preview token for {type_name!r}")

    @property
    def label(self):
        return self.grants.label

    def get_id(self):
        return None


class AnonymousCaller:
    """The anonymous caller: the Public role's grants, read once per request when first needed."""

    is_authenticated = False
    is_anonymous = True
    is_active = True
    id = None
    via = "anonymous"
    label = "anonymous"

    @property
    def grants(self):
        return public_grants()

    def get_id(self):
        return None


def public_grants():
    """Return the Public role's grants: memoized per request, and per process by content version.

    The content version includes a digest of the roles, so a change to the Public role in any
    process is seen at the next request; reads that know the version already (the response and
    count caches read it) pay no query for the role.
    """
    cached = g.get("folio_public_grants")
    if cached is None:
        version = (current_app.config["SQLALCHEMY_DATABASE_URI"], content_version())
        cached = _public_by_version.get(version)
        if cached is None:
            cached = _read_public_grants()
            _public_by_version.clear()  # only the newest version matters
            _public_by_version[version] = cached
        g.folio_public_grants = cached
    return cached


_public_by_version = {}


def _read_public_grants():
    from cms.auth.models import Role
    from cms.extensions import db

    role = db.session.get(Role, PUBLIC)
    permissions = stored_permissions(role.permissions) if role is not None else ()
    content = tuple(p for p in permissions if p.kind == "type" and not p.own)  # role checks keep it so
    return Grants(content, staff=False, label="role public")
