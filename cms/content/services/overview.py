"""What an editor's dashboard shows: recent changes, their drafts, what is scheduled.

Each list covers only the types (and, for own-only readers, the entries) the caller may read as
drafts, and costs one query whatever its length.
"""

import sqlalchemy as sa

from cms.content.models import ContentType, Entry, Revision, Schedule
from cms.content.services.types import compiled_type
from cms.core.policy import content_access
from cms.extensions import db


def _readable(actor):
    """``{type id: (compiled, access)}`` of the types whose drafts the caller may read."""
    found = {}
    for row in db.session.scalars(sa.select(ContentType).order_by(ContentType.name)):
        compiled = compiled_type(row)
        access = content_access(actor, "read_draft", compiled)
        if access.allowed:
            found[row.id] = (compiled, access)
    return found


def _visible(found):
    """SQL terms: the entry is of a readable type, and the caller's own where only those are readable."""
    terms = []
    for type_id, (_compiled, access) in found.items():
        term = Entry.type_id == type_id
        if access.owner is not None:
            term = sa.and_(term, Entry.created_by_id == access.owner)
        terms.append(term)
    return sa.or_(*terms) if terms else sa.false()


def _item(found, entry, **extra):
    compiled, _access = found[entry.type_id]
    return {"type": compiled.name, "type_label": compiled.label, "id": entry.id, "locale": entry.locale,
            "status": entry.status, "title": compiled.title_of(entry.data) or entry.id, **extra}


def readable_types(actor):
    """Return ``[(compiled, entry count)]`` of the types whose drafts the caller may read, by name.

    Own-only readers count their own entries; one query for the counts, whatever the number of types.
    """
    found = _readable(actor)
    counts = dict(db.session.execute(sa.select(Entry.type_id, sa.func.count()).where(_visible(found))
                                     .group_by(Entry.type_id)).all()) if found else {}
    return [(compiled, counts.get(type_id, 0)) for type_id, (compiled, _access) in found.items()]


def recent_changes(actor, limit=10):
    found = _readable(actor)
    rows = db.session.execute(sa.select(Revision, Entry).join(Entry, Entry.id == Revision.entry_id)
                              .where(_visible(found), Revision.action != "system")
                              .order_by(Revision.created_at.desc(), Revision.id.desc()).limit(limit)).all()
    return [_item(found, entry, action=revision.action, at=revision.created_at, version=revision.number)
            for revision, entry in rows]


def my_drafts(actor, limit=10):
    user_id = getattr(getattr(actor, "grants", None), "user_id", None)
    if user_id is None:
        return []
    found = _readable(actor)
    rows = db.session.scalars(sa.select(Entry).where(_visible(found), Entry.created_by_id == user_id,
                                                     Entry.status.in_(("draft", "changed")))
                              .order_by(Entry.updated_at.desc(), Entry.id.desc()).limit(limit)).all()
    return [_item(found, entry, at=entry.updated_at) for entry in rows]


def scheduled(actor, limit=10):
    found = _readable(actor)
    when = sa.func.coalesce(Schedule.publish_at, Schedule.unpublish_at)
    rows = db.session.execute(sa.select(Schedule, Entry).join(Entry, Entry.id == Schedule.entry_id)
                              .where(_visible(found)).order_by(when, Entry.id).limit(limit)).all()
    return [_item(found, entry, publish_at=schedule.publish_at, unpublish_at=schedule.unpublish_at,
                  error=schedule.last_error) for schedule, entry in rows]
