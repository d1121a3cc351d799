"""The sync feed: record every change of published content, and read the changes after a position.

Writers append rows to ``content_changes`` in their own transaction. A reader asks for the rows
after a position (an opaque, signed token) and gets the current published state of each changed
entry, or its id among the deletions. Positions are sequence numbers, so a reader must never see
a higher one committed before a lower one: on PostgreSQL every writer of the feed takes one
transaction-scoped advisory lock before it adds rows, so writers commit in sequence order (SQLite
serializes writers already).

``types`` is imported as a module, not by name: it imports this module in turn.
"""

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from cms.content.models import ContentChange, ContentType, Entry
from cms.content.services import types as type_services
from cms.core.db import utcnow
from cms.core.errors import BadRequest
from cms.core.policy import authorize, can, content_access
from cms.extensions import db

ACTIONS = ("publish", "unpublish", "delete")
TOKEN_SALT = "folio.sync"
FEED_LOCK = 0x466F6C696F53796E  # "FolioSyn": the PostgreSQL advisory lock writers of the feed share
#: plan operations that change what published entries deliver
DELIVERY_OPS = frozenset({"add_field", "rename_field", "remove_field", "change_field"})


# -- recording -----------------------------------------------------------------------------------

def hold_feed_lock():
    """Flush, then wait for other writers of the feed to commit (PostgreSQL); held until commit."""
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(FEED_LOCK)))


def record_change(entry, action, type_name):
    """Record that ``entry``'s published state changed (``action`` publish, unpublish or delete)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown change action {action!r}")
    hold_feed_lock()
    db.session.execute(sa.insert(ContentChange.__table__).values(
        entry_id=entry.id, type_name=type_name, locale=entry.locale, action=action, created_at=utcnow(),
        owner_id=entry.created_by_id))


def _record_published_entries(row, action):
    """Record ``action`` for every published entry of the type ``row``, in one INSERT ... SELECT."""
    hold_feed_lock()
    published = (
        sa.select(Entry.id, sa.literal(row.name, sa.String), Entry.locale, sa.literal(action, sa.String),
                  sa.literal(utcnow(), ContentChange.created_at.type), Entry.created_by_id)
        .where(Entry.type_id == row.id, Entry.published_data.is_not(None))
        .order_by(Entry.id)
    )
    columns = ["entry_id", "type_name", "locale", "action", "created_at", "owner_id"]
    db.session.execute(sa.insert(ContentChange.__table__).from_select(columns, published))


def record_definition_change(row, plan):
    """Record a new delivery of every published entry when ``plan`` changes what they deliver.

    Field changes alter every delivered document; a change of ``options.public`` alters who
    may read them, so readers who could not see the entries before get them now.
    """
    public_changed = any(op["op"] == "change_type" and "options.public" in op["changes"] for op in plan)
    if public_changed or any(op["op"] in DELIVERY_OPS for op in plan):
        _record_published_entries(row, "publish")


def record_type_deletion(row):
    """Record the deletion of every published entry of a type about to be deleted."""
    _record_published_entries(row, "delete")


def record_import(fresh, replaced, type_names):
    """Record the published state of imported entries (rows as dicts; ``type_names``: id -> type).

    Call it before ``replaced`` overwrite their rows: a replaced entry that was published and is
    imported as a draft is recorded as unpublished. Return the ``(entry, "publish"|"unpublish")``
    changes recorded.
    """
    changes = [(entry, "publish") for entry in fresh + replaced if entry["published_data"] is not None]
    withdrawn = [entry["id"] for entry in replaced if entry["published_data"] is None]
    if withdrawn:
        was_published = set(db.session.scalars(
            sa.select(Entry.id).where(Entry.id.in_(withdrawn), Entry.published_data.is_not(None))))
        changes += [(entry, "unpublish") for entry in replaced if entry["id"] in was_published]
    if not changes:
        return changes
    hold_feed_lock()
    now = utcnow()
    db.session.execute(sa.insert(ContentChange.__table__), [
        {"entry_id": entry["id"], "type_name": type_names[entry["id"]], "locale": entry["locale"],
         "action": action, "created_at": now, "owner_id": entry["created_by_id"]}
        for entry, action in changes
    ])
    return changes


# -- tokens --------------------------------------------------------------------------------------

def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def encode_token(position):
    """Return the opaque, signed token of a feed position."""
    return _serializer().dumps(position)


def decode_token(token):
    """Return the feed position of ``token``; raise 400 for anything this app did not sign."""
    invalid = BadRequest("since is not a sync token issued by this server; start again without since.",
                         {"parameters": {"since": ["Not a valid sync token."]}})
    if not isinstance(token, str) or not token:
        raise invalid
    try:
        position = _serializer().loads(token)
    except BadData:
        raise invalid from None
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise invalid
    return position


# -- reading -------------------------------------------------------------------------------------

def _readable_types(actor, type_names):
    """Return ``{name: compiled}`` of the types to report; unknown names are 400, forbidden 401/403."""
    rows = {row.name: row for row in db.session.scalars(sa.select(ContentType))}
    if type_names is None:
        compiled = (type_services.compiled_type(row) for row in rows.values())
        return {c.name: _Readable(c, content_access(actor, "read", c)) for c in compiled
                if content_access(actor, "read", c).allowed}
    unknown = [name for name in type_names if name not in rows]
    if unknown:
        raise BadRequest("Unknown content types: " + ", ".join(unknown) + ".",
                         {"parameters": {"types": [f"No content type named {name!r}." for name in unknown]}})
    readable = {}
    for name in type_names:
        compiled = type_services.compiled_type(rows[name])
        readable[name] = _Readable(compiled, authorize(actor, "entry.read", compiled))
    return readable


class _Readable:
    """A compiled type with the caller's read Access to it."""

    def __init__(self, compiled, access):
        self.compiled, self.access = compiled, access
        self.id, self.name = compiled.id, compiled.name


def read_changes(actor, position=0, type_names=None, limit=100):
    """Return the changes after ``position`` the actor may see, collapsed to each entry's latest state.

    Returns ``{"entries": [(compiled, entry, access)], "deleted": [{"id", "type", "locale"}], "position",
    "has_more"}``: entries still published, in the order of their latest change, and those
    unpublished or deleted. Changes of types that no longer exist reach only type managers.
    """
    readable = _readable_types(actor, type_names)
    query = sa.select(ContentChange).where(ContentChange.seq > position)
    if type_names is not None or not can(actor, "content_types.manage"):
        query = query.where(ContentChange.type_name.in_(sorted(readable)))
    rows = db.session.scalars(query.order_by(ContentChange.seq).limit(limit + 1)).all()
    has_more, rows = len(rows) > limit, rows[:limit]
    if not rows:
        _check_position(position)
        return {"entries": [], "deleted": [], "position": position, "has_more": False}
    latest = {}
    for row in rows:  # in seq order: the last change of an entry wins, and places it
        latest.pop(row.entry_id, None)
        latest[row.entry_id] = row
    published = _published_entries(readable, [row for row in latest.values() if row.action == "publish"])
    entries, deleted = [], []
    for entry_id, row in latest.items():
        if row.action != "publish":
            mine = readable[row.type_name].access.owner if row.type_name in readable else None
            if mine is None or row.owner_id == mine:  # "own entries only": others' ids are not told either
                deleted.append({"id": entry_id, "type": row.type_name, "locale": row.locale})
        elif entry_id in published:  # otherwise a later change (next page) withdrew it
            entries.append((readable[row.type_name].compiled, published[entry_id], readable[row.type_name].access))
    return {"entries": entries, "deleted": deleted, "position": rows[-1].seq, "has_more": has_more}


def _published_entries(readable, rows):
    """Return ``{id: entry}`` of the entries named by ``rows`` that are published now: one query per type."""
    ids_by_type = {}
    for row in rows:
        if row.type_name in readable:
            ids_by_type.setdefault(row.type_name, []).append(row.entry_id)
    found = {}
    for name, ids in ids_by_type.items():
        mine = readable[name].access.owner  # "own entries only": others' entries are not delivered
        statement = sa.select(Entry).where(Entry.type_id == readable[name].id, Entry.id.in_(ids),
                                           Entry.published_data.is_not(None))
        if mine is not None:
            statement = statement.where(Entry.created_by_id == mine)
        found.update((entry.id, entry) for entry in db.session.scalars(statement))
    return found


def _check_position(position):
    """Refuse a position beyond the feed's end: the token belongs to another (or a restored) database."""
    if position and position > (db.session.scalar(sa.select(sa.func.max(ContentChange.seq))) or 0):
        raise BadRequest("since is ahead of this server's changes (was the database restored?); "
                         "start again without since.", {"parameters": {"since": ["Ahead of the feed."]}})
