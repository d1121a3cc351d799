"""Revisions: every save's working copy, viewable, comparable and restorable."""

import sqlalchemy as sa

from cms.content.models import Revision
from cms.content.services import entries
from cms.core.errors import NotFound
from cms.core.policy import content_access
from cms.extensions import db

MAX_NUMBER = 2**31 - 1


def list_revisions(type_name, entry_id, actor, locale=None):
    """Return ``(compiled, entry, revisions)``, newest first."""
    compiled, entry = _entry(type_name, entry_id, actor, locale)
    rows = db.session.scalars(
        sa.select(Revision).where(Revision.entry_id == entry.id).order_by(Revision.number.desc())
    ).all()
    return compiled, entry, rows


def _entry(type_name, entry_id, actor, locale=None):
    compiled, entry = entries.resolve(type_name, entry_id, actor, "entry.read_draft", locale)
    if entry is None:
        raise NotFound(f"{type_name!r} has no content yet.")
    return compiled, entry


def _find(entry, number):
    if not 1 <= number <= MAX_NUMBER:  # beyond the column's range no revision can exist (and PostgreSQL would refuse)
        raise NotFound(f"No revision {number} of this entry.")
    row = db.session.scalar(sa.select(Revision).where(Revision.entry_id == entry.id, Revision.number == number))
    if row is None:
        raise NotFound(f"No revision {number} of this entry.")
    return row


def get_revision(type_name, entry_id, number, actor, locale=None):
    compiled, entry = _entry(type_name, entry_id, actor, locale)
    return compiled, entry, _find(entry, number)


def diff_revisions(type_name, entry_id, number, actor, against=None, locale=None):
    """Compare revision ``number`` with revision ``against`` (default: the current working copy)."""
    compiled, entry = _entry(type_name, entry_id, actor, locale)
    access = entries.reading(actor, compiled, draft=True)
    only = access.only(compiled)  # what the caller may read, private values nested anywhere included

    def shown(document):
        return compiled.to_input(document, access.private, only=only)

    old = shown(_find(entry, number).data)
    new = shown(_find(entry, against).data if against is not None else entry.data)
    changes = [
        {"field": name, "from": old.get(name), "to": new.get(name)}
        for name in compiled.by_name
        if old.get(name) != new.get(name)
    ]
    return {"from": number, "to": against if against is not None else entry.version, "changes": changes}


def restore_revision(type_name, entry_id, number, actor, expected_version=None, locale=None):
    """Make an old revision the working copy again (a new revision; nothing is lost)."""
    compiled, entry = _entry(type_name, entry_id, actor, locale)
    revision = _find(entry, number)
    writable = content_access(actor, "update", compiled).writable  # the other fields keep their values
    values = {name: value for name, value in compiled.to_input(revision.data).items() if writable(name)}
    return entries.update_entry(type_name, entry_id, values, actor,
                                expected_version=expected_version, action="restore", locale=locale)
