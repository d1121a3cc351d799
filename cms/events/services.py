"""Recording domain events in the outbox, and reading them in order.

Services call ``emit`` next to the change itself (never after the commit), so the outbox holds an
event if and only if its change was committed: a rolled-back transaction takes its events with it.
Consumers (the worker's webhook deliveries, the change stream) read them by ``seq``.
"""

import sqlalchemy as sa

from cms.core.db import insert_many, new_id, utcnow
from cms.events.models import OutboxEvent
from cms.extensions import db

#: the event types services emit, for webhook subscriptions and the docs
EVENT_TYPES = (
    "entry.created", "entry.updated", "entry.published", "entry.unpublished", "entry.deleted",
    "content_type.created", "content_type.updated", "content_type.deleted",
    "media.created", "media.updated", "media.deleted",
)
#: what an entry's revision action means as an event
ENTRY_EVENTS = {"create": "entry.created", "update": "entry.updated", "restore": "entry.updated",
                "publish": "entry.published", "unpublish": "entry.unpublished", "delete": "entry.deleted"}


def emit(event_type, subject_type, subject_id, data):
    """Add one event to the outbox in the current transaction; return it."""
    event = OutboxEvent(**_row(event_type, subject_type, subject_id, data, utcnow()))
    db.session.add(event)
    return event


def emit_many(events):
    """Add ``(event_type, subject_type, subject_id, data)`` events in one statement (bulk work); return the count."""
    now = utcnow()
    rows = [_row(*event, now) for event in events]
    if rows:
        insert_many(db.session.connection(), OutboxEvent.__table__, rows)
    return len(rows)


def _row(event_type, subject_type, subject_id, data, now):
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return {"id": new_id(), "type": event_type, "occurred_at": now, "subject_type": subject_type,
            "subject_id": str(subject_id)[:100], "data": data}


def events_after(seq=0, limit=100, types=None):
    """Return up to ``limit`` events after ``seq``, oldest first (optionally of ``types`` only)."""
    statement = sa.select(OutboxEvent).where(OutboxEvent.seq > seq)
    if types:
        statement = statement.where(OutboxEvent.type.in_(list(types)))
    return db.session.scalars(statement.order_by(OutboxEvent.seq).limit(limit)).all()


def event_out(event):
    """The event as consumers receive it (webhook bodies, the change stream)."""
    from cms.core.db import isoformat

    return {"id": event.id, "type": event.type, "timestamp": isoformat(event.occurred_at), "data": event.data}
