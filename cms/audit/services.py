"""Recording and reading the audit log.

Services call ``record`` in the transaction of the change itself, so an event exists exactly
when its change was committed. Summaries name what changed (field names, old and new roles,
versions), never secrets or whole documents.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from cms.audit.models import AuditEvent
from cms.core.errors import parameter_error
from cms.core.policy import authorize
from cms.extensions import db

MAX_PER_PAGE = 200


def actor_label(actor):
    label = getattr(actor, "label", None) or getattr(actor, "email", None)
    return str(label or "anonymous")[:300]


def record(actor, action, target_type, target_id, **summary):
    """Add one event for ``action`` (``entry.publish``, ``user.update`` …) on a target."""
    user_id = getattr(getattr(actor, "grants", None), "user_id", None)
    event = AuditEvent(actor_id=user_id, actor_label=actor_label(actor), action=action,
                       target_type=target_type, target_id=str(target_id)[:100], summary=summary)
    db.session.add(event)
    return event


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None  # user id
    action: str | None = None  # exact (entry.publish) or a prefix ending with "." (entry.)
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None  # keyset: events older than this id
    per_page: int = 50


def list_events(actor, query):
    """Return ``(events, next_before)``: newest first, one keyset page."""
    authorize(actor, "audit.read")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        raise parameter_error("per_page", f"Use a whole number from 1 to {MAX_PER_PAGE}.")
    statement = sa.select(AuditEvent)
    if query.actor is not None:
        statement = statement.where(AuditEvent.actor_id == query.actor)
    if query.action is not None:
        if query.action.endswith("."):
            statement = statement.where(AuditEvent.action.startswith(query.action, autoescape=True))
        else:
            statement = statement.where(AuditEvent.action == query.action)
    if query.target_type is not None:
        statement = statement.where(AuditEvent.target_type == query.target_type)
    if query.target_id is not None:
        statement = statement.where(AuditEvent.target_id == query.target_id)
    if query.since is not None:
        statement = statement.where(AuditEvent.at >= query.since)
    if query.until is not None:
        statement = statement.where(AuditEvent.at < query.until)
    if query.before is not None:
        statement = statement.where(AuditEvent.id < query.before)
    rows = db.session.scalars(statement.order_by(AuditEvent.id.desc()).limit(query.per_page + 1)).all()
    more = len(rows) > query.per_page
    rows = rows[: query.per_page]
    return rows, (rows[-1].id if more else None)
