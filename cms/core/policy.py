"""The one permission engine. Every service asks it before it acts.

A caller (an "actor") carries ``grants``: the permissions of its role, of its API token, or of
the Public role for anonymous callers. A permission is either

- a **content permission** ``(type, action, fields, own)``: ``type`` is a content type name or
  ``*``; ``action`` is one of ``CONTENT_ACTIONS`` (or ``*``); ``fields`` an optional allow-list of
  top-level field names (reading and writing); ``own`` limits it to entries the caller created;
- a **system permission** ``(system, action)``: ``system`` is one of ``SYSTEM_SUBJECTS`` (or ``*``),
  ``action`` is ``read`` or ``manage`` (``manage`` includes ``read``).

Action names used by services: ``entry.<read|read_draft|create|update|delete|publish>`` with a
compiled content type as target (and optionally the entry), and ``<subject>.<read|manage>``.
``read_draft`` is ``read`` for *staff* callers (users and their API tokens) and for preview
tokens of that type; the Public role, delivery tokens and preview tokens read published content
only and never see fields marked private.

For several content permissions matching one (type, action), those without ``own`` win; their
field lists are united (no list: every field). Only when all are ``own`` does the caller get
their own entries, with the union of those lists. Merging never widens an ``own`` permission to
everybody's entries.
"""

from dataclasses import dataclass

from cms.core.errors import NotAuthenticated, PermissionDenied

ADMINISTRATOR = "administrator"
CONTENT_ACTIONS = ("read", "create", "update", "delete", "publish")
SYSTEM_SUBJECTS = ("content_types", "users", "roles", "tokens", "media", "webhooks", "plugins", "settings",
                   "audit")
SYSTEM_ACTIONS = ("read", "manage")
FIELD_ACTIONS = frozenset({"read", "create", "update"})  # actions an allow-list of fields applies to
OWN_ACTIONS = frozenset({"read", "update", "delete", "publish"})  # "own entries only" makes no sense for create
ANY = "*"
NOBODY = ""  # the owner id of a caller without a user: matches no entry


@dataclass(frozen=True)
class Permission:
    """One permission: ``kind`` is "type" or "system"; ``name`` the type, subject or ``*``."""

    kind: str
    name: str
    action: str
    fields: frozenset | None = None
    own: bool = False

    @classmethod
    def from_json(cls, item):
        """Build from the stored/API form (already validated by ``cms.auth.permissions``)."""
        if "system" in item:
            return cls("system", item["system"], item["action"])
        fields = item.get("fields")
        return cls("type", item["type"], item["action"], frozenset(fields) if fields is not None else None,
                   bool(item.get("own", False)))

    def to_json(self):
        if self.kind == "system":
            return {"system": self.name, "action": self.action}
        out = {"type": self.name, "action": self.action}
        if self.fields is not None:
            out["fields"] = sorted(self.fields)
        if self.own:
            out["own"] = True
        return out

    def matches(self, kind, name, action):
        if self.kind != kind or self.name not in (name, ANY):
            return False
        if kind == "system" and self.action == "manage" and action == "read":
            return True
        return self.action in (action, ANY)

    def covers(self, other):
        """Whether holding ``self`` is enough to hand out ``other`` (same or narrower)."""
        if self.kind != other.kind or self.name not in (other.name, ANY):
            return False
        if self.action != ANY and not (self.action == other.action or (
                self.kind == "system" and self.action == "manage" and other.action == "read")):
            return False
        if self.fields is not None and (other.fields is None or not other.fields <= self.fields):
            return False
        return other.own or not self.own


@dataclass(frozen=True)
class Rule:
    """What a caller may do for one (type, action): which fields, whose entries."""

    fields: frozenset | None = None  # top-level field names (None: all)
    own: bool = False


@dataclass(frozen=True)
class Grants:
    """A caller's permissions and what kind of caller holds them."""

    permissions: tuple = ()
    staff: bool = False  # users and their tokens: drafts and private fields per permission
    user_id: str | None = None  # for "own entries only"
    preview: tuple = ()  # a preview token's read permissions, which also cover drafts
    label: str = ""  # who holds them, for explanations: "role editor", "token 'site build'"

    def rule(self, kind, name, action):
        """Return the merged Rule for one (type, action), or None when nothing allows it."""
        found = [p for p in self.permissions if p.matches(kind, name, action)]
        if not found:
            return None
        if kind == "system":
            return Rule()
        everyone = [p for p in found if not p.own]
        chosen = everyone or found
        if any(p.fields is None for p in chosen):
            return Rule(None, not everyone)
        return Rule(frozenset().union(*(p.fields for p in chosen)), not everyone)

    @property
    def preview_types(self):
        return frozenset(p.name for p in self.preview)

    def preview_rule(self, name):
        return Grants(self.preview).rule("type", name, "read")

    def covers(self, permission):
        return any(p.covers(permission) for p in self.permissions)

    def restricted_to(self, other):
        """Return grants holding what both allow (a token never exceeds its user)."""
        kept = tuple(p for p in other.permissions if self.covers(p))
        return Grants(kept, self.staff and other.staff, self.user_id, label=other.label)


NO_GRANTS = Grants(label="no permissions")
ALL_GRANTS = Grants((Permission("type", ANY, ANY), Permission("system", ANY, ANY)), staff=True, label="system")


@dataclass(frozen=True)
class Access:
    """The answer for one content type and action: allowed, with which fields, whose entries."""

    allowed: bool
    private: bool = False  # may see fields marked private
    fields: frozenset | None = None  # top-level field names allowed (None: all)
    owner: str | None = None  # set: only entries created by this user id
    reason: str = ""

    def shows(self, spec):
        """Whether a top-level field spec may be read (named in queries, delivered)."""
        return (self.fields is None or spec.name in self.fields) and (self.private or not spec["private"])

    def only(self, compiled, requested=None):
        """Return the field names to deliver of ``compiled`` (None: all), within a ``requested`` selection."""
        if self.fields is None and self.private and requested is None:
            return None
        names = [spec.name for spec in compiled.specs if self.shows(spec)]
        return tuple(name for name in names if requested is None or name in requested)

    def writable(self, name):
        return self.fields is None or name in self.fields


DENIED = Access(False)


def grants_of(actor):
    if actor is None:
        return NO_GRANTS
    return getattr(actor, "grants", None) or NO_GRANTS


def is_authenticated(actor):
    return actor is not None and getattr(actor, "is_authenticated", False)


def content_access(actor, action, compiled):
    """Return the Access of ``actor`` for ``action`` (read, read_draft, create …) on a compiled type."""
    grants = grants_of(actor)
    if actor is not None and getattr(actor, "is_active", True) is False:
        return Access(False, reason="the account is inactive")
    draft = action == "read_draft"
    base = "read" if draft else action
    options = getattr(compiled, "options", None) or {}
    if not grants.staff and not options.get("public", True) and compiled.name not in grants.preview_types:
        return Access(False, reason=f"{compiled.name!r} is not public: only users and their tokens read it")
    if draft and not grants.staff and compiled.name not in grants.preview_types:
        return Access(False, reason="drafts are read by users, their tokens and preview tokens only")
    if compiled.name in grants.preview_types and base == "read":  # what the issuer may read of it
        rule = grants.preview_rule(compiled.name)
    else:
        rule = grants.rule("type", compiled.name, base)
    if rule is None:
        return Access(False, reason=f"{grants.label or 'the caller'} has no {base} permission on {compiled.name!r}")
    owner = (grants.user_id or NOBODY) if rule.own else None
    how = f"{grants.label or 'the caller'} may {base} {compiled.name!r}"
    if rule.fields is not None:
        how += f" (fields: {', '.join(sorted(rule.fields)) or 'none'})"
    if rule.own:
        how += " (own entries only)"
    return Access(True, grants.staff, rule.fields, owner, how)


def can(actor, action, target=None, entry=None):
    """Return whether ``actor`` may take ``action`` on ``target`` (a content type) and ``entry``."""
    return decide(actor, action, target, entry).allowed


def decide(actor, action, target=None, entry=None):
    """Return the Access deciding ``action`` (with a reason saying why)."""
    area, _, verb = action.partition(".")
    if area == "entry":
        access = content_access(actor, verb, target)
        if access.allowed and access.owner is not None and entry is not None \
                and getattr(entry, "created_by_id", None) != access.owner:
            return Access(False, reason=f"{access.reason}, and this entry was created by someone else")
        return access
    if actor is not None and getattr(actor, "is_active", True) is False:
        return Access(False, reason="the account is inactive")
    grants = grants_of(actor)
    if area not in SYSTEM_SUBJECTS or verb not in SYSTEM_ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if grants.rule("system", area, verb) is None:
        return Access(False, reason=f"{grants.label or 'the caller'} has no {verb} permission on {area}")
    return Access(True, True, reason=f"{grants.label or 'the caller'} may {verb} {area}")


def deny(actor, message=None):
    """Raise NotAuthenticated for anonymous callers, PermissionDenied for the others."""
    if not is_authenticated(actor):
        raise NotAuthenticated(message)
    raise PermissionDenied(message)


def authorize(actor, action, target=None, entry=None):
    """Return the Access of ``action``, or raise 401 (anonymous) / 403 when it is not allowed."""
    access = decide(actor, action, target, entry)
    if not access.allowed:
        deny(actor)
    return access


def check_writable(access, names):
    """Refuse (403) writing fields outside the caller's allow-list, naming them."""
    refused = sorted(name for name in names if not access.writable(name))
    if refused:
        raise PermissionDenied(f"You may not write the field(s) {', '.join(refused)}.",
                               {"fields": {name: ["You may not write this field."] for name in refused}})


class SystemActor:
    """The actor of CLI commands and background jobs: trusted like an administrator, no user row."""

    id = None
    is_authenticated = True
    is_active = True
    is_anonymous = False
    role = ADMINISTRATOR
    email = "system"
    grants = ALL_GRANTS

    def __repr__(self):
        return "<SystemActor>"


SYSTEM = SystemActor()
