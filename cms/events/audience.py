"""Who sees which change on the stream: the permission engine, asked once per caller and type.

A stream's caller is fixed when it opens (``Viewer``): its grants are copied, so the hub thread
can judge events without a request. Entries are delivered as content reads deliver them: only
types the caller may read, only their own entries when so limited, and only the fields the
caller may read (private ones never to the Public role or delivery tokens, at any depth).
"""

import json
from dataclasses import dataclass

from cms.content.definitions import SYSTEM_KEYS
from cms.content.services.entries import shown
from cms.content.services.owners import entry_owners
from cms.content.services.types import compiled_type, find_type
from cms.core.errors import NotFound
from cms.core.policy import Grants, content_access, decide, grants_of, is_authenticated
from cms.events.services import event_out

#: entry events that are changes of published content whatever the type
PUBLISHED_EVENTS = frozenset({"entry.published", "entry.unpublished", "entry.deleted"})
#: saves: published changes only for types without drafts (their saves publish)
SAVE_EVENTS = frozenset({"entry.created", "entry.updated"})
#: events whose entry is not published content: delivered as its identity only
IDENTITY_EVENTS = frozenset({"entry.unpublished", "entry.deleted"})
IDENTITY_KEYS = ("id", "type", "locale")


def format_event(seq, event_type, body):
    """Return one Server-Sent Event: ``id`` (the outbox seq, for Last-Event-ID), ``event`` and ``data``."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":"))  # one line: JSON escapes newlines
    return f"id: {seq}\nevent: {event_type}\ndata: {data}\n\n".encode()


@dataclass(frozen=True)
class Snapshot:
    """A caller's grants as they were when the stream opened: an actor usable outside the request."""

    grants: Grants
    is_authenticated: bool
    is_active: bool = True


class Viewer:
    """What one stream's caller may see, and which events it asked for (``types``, ``content_types``)."""

    def __init__(self, actor, credential=None, types=None, content_types=None):
        self.actor = Snapshot(grants_of(actor), is_authenticated(actor))
        self.credential = credential  # ("token" | "session" | "user", value) re-checked by the hub; None: anonymous
        self.types, self.content_types = types, content_types
        self.sees_types = decide(self.actor, "content_types.read").allowed
        self.sees_media = decide(self.actor, "media.read").allowed
        self._access = {}

    @property
    def sees_anything(self):
        """Whether the caller may read some content, content types or media at all."""
        grants = self.actor.grants
        reads = any(p.kind == "type" and p.action in ("read", "*") for p in grants.permissions)
        return reads or bool(grants.preview) or self.sees_types or self.sees_media

    def access(self, compiled):
        """Return the caller's Access for reading published entries of ``compiled`` (kept per type version)."""
        access = self._access.get(compiled.cache_key)
        if access is None:
            access = self._access[compiled.cache_key] = content_access(self.actor, "read", compiled)
        return access

    def render(self, change):
        """Return the event as this caller receives it (bytes), or None when it is not for them."""
        if self.types is not None and change.type not in self.types:
            return None
        if change.subject_type == "entry":
            compiled = change.compiled
            if self.content_types is not None and compiled.name not in self.content_types:
                return None
            access = self.access(compiled)
            if not access.allowed or (access.owner is not None and change.owner != access.owner):
                return None
            return change.entry_text(shown(access, compiled), access.private)
        if change.subject_type == "content_type":
            wanted = self.content_types is None or change.subject_id in self.content_types
            return change.text() if wanted and self.sees_types else None
        if change.subject_type == "media":
            return change.text() if self.content_types is None and self.sees_media else None
        return None


class Change:
    """One outbox event the stream carries, with its compiled type and (when someone needs it) its owner."""

    def __init__(self, row, compiled=None):
        self.seq, self.type = row.seq, row.type
        self.subject_type, self.subject_id = row.subject_type, row.subject_id
        self.body = event_out(row)
        self.compiled = compiled
        self.owner = None
        self._texts = {}

    def text(self):
        """The event as every permitted caller receives it."""
        if None not in self._texts:
            self._texts[None] = format_event(self.seq, self.type, self.body)
        return self._texts[None]

    def entry_text(self, names, private):
        """The entry event cut to the field ``names`` (None: all) and without private values unless ``private``."""
        key = (names, private)
        if key not in self._texts:
            data = dict(self.body["data"])
            entry = data.get("entry") or {}
            if self.type in IDENTITY_EVENTS:
                entry = {name: entry[name] for name in IDENTITY_KEYS if name in entry}
            elif names is not None or not private:
                entry = cut_entry(entry, self.compiled, names, private)
            data["entry"] = entry
            self._texts[key] = format_event(self.seq, self.type, {**self.body, "data": data})
        return self._texts[key]


def cut_entry(entry, compiled, names, private):
    """Keep an entry's system keys and the values of the fields ``names`` (None: all), by today's definition.

    Keys the type no longer defines (a renamed field) are dropped rather than guessed at.
    """
    specs = compiled.specs if names is None else [spec for spec in compiled.specs if spec.name in names]
    out = {key: entry[key] for key in SYSTEM_KEYS if key in entry}
    out.update(_fields(specs, entry, private))
    return out


def _fields(specs, document, private):
    out = {}
    for spec in specs:
        if spec.name in document and (private or not spec["private"]):
            out[spec.name] = _value(spec, document[spec.name], private)
    return out


def _value(spec, value, private):
    """Walk components and blocks, whose groups may hold private fields too."""
    if spec.children:
        if isinstance(value, dict):
            return _fields(spec.children, value, private)
        if isinstance(value, list):
            return [_fields(spec.children, item, private) for item in value if isinstance(item, dict)]
        return None
    if spec.blocks:
        if not isinstance(value, list):
            return None
        return [{**item, "value": _fields(spec.blocks[item["type"]], item["value"], private)} for item in value
                if isinstance(item, dict) and item.get("type") in spec.blocks and isinstance(item.get("value"), dict)]
    return value


def prepare(rows, viewers):
    """Return the Changes of outbox ``rows`` that the stream carries, in order (needs an app context).

    Entry events of types that no longer exist are left out: nobody's permission can be judged.
    Owners are looked up only for types some viewer reads "own entries only".
    """
    compiled = {}
    for name in {(row.data or {}).get("type") for row in rows if row.subject_type == "entry"}:
        try:
            compiled[name] = compiled_type(find_type(name))
        except NotFound:
            pass
    changes = []
    for row in rows:
        if row.subject_type != "entry":
            changes.append(Change(row))
            continue
        one = compiled.get((row.data or {}).get("type"))
        if one is not None and (row.type in PUBLISHED_EVENTS or (row.type in SAVE_EVENTS and not one.draft_publish)):
            changes.append(Change(row, one))
    owned = {name for name, one in compiled.items() if any(viewer.access(one).owner is not None for viewer in viewers)}
    needing = [change for change in changes if change.compiled is not None and change.compiled.name in owned]
    if needing:
        owners = entry_owners(change.subject_id for change in needing)
        for change in needing:
            change.owner = owners.get(change.subject_id)
    return changes
