"""Scheduled publishing: when an entry is published and/or unpublished by ``folio worker``.

A schedule runs as the user who set it, with the permissions that user holds when it runs (a
user who lost the right, or was deleted, makes it fail with a recorded reason).
"""

from datetime import timedelta

import sqlalchemy as sa

from cms.audit.services import record
from cms.content.models import Entry, Schedule
from cms.content.services import entries
from cms.content.services.types import compiled_type
from cms.core.db import isoformat, utcnow
from cms.core.errors import ApiError, BadRequest, Conflict
from cms.core.policy import SYSTEM
from cms.extensions import db

MAX_AHEAD = timedelta(days=3660)


def schedule_out(schedule):
    if schedule is None:
        return {"publish_at": None, "unpublish_at": None, "last_error": None}
    return {"publish_at": isoformat(schedule.publish_at), "unpublish_at": isoformat(schedule.unpublish_at),
            "last_error": schedule.last_error}


def get_schedule(type_name, entry_id, actor, locale=None):
    compiled, entry = _entry(type_name, entry_id, actor, "entry.read_draft", locale)
    return compiled, entry, db.session.get(Schedule, entry.id)


def _entry(type_name, entry_id, actor, action, locale):
    compiled, entry = entries.resolve(type_name, entry_id, actor, action, locale)
    if entry is None:
        raise Conflict(f"{type_name!r} has no content yet.")
    return compiled, entry


def set_schedule(type_name, entry_id, actor, publish_at=None, unpublish_at=None, locale=None):
    """Replace the entry's schedule. Times must be in the future, unpublish after publish."""
    compiled, entry = _entry(type_name, entry_id, actor, "entry.publish", locale)
    if not compiled.draft_publish:
        raise Conflict(f"{type_name!r} publishes on save and has no drafts to schedule.")
    now = utcnow()
    problems = {}
    for name, moment in (("publish_at", publish_at), ("unpublish_at", unpublish_at)):
        if moment is not None and moment <= now:
            problems[name] = ["Choose a time in the future."]
        elif moment is not None and moment > now + MAX_AHEAD:
            problems[name] = ["Choose a time within ten years."]
    if publish_at is not None and unpublish_at is not None and unpublish_at <= publish_at:
        problems.setdefault("unpublish_at", []).append("Unpublish after the entry is published (after publish_at).")
    if problems:
        raise BadRequest("The schedule is not valid.", {"fields": problems})
    if unpublish_at is not None and publish_at is None and entry.published_data is None:
        raise Conflict("The entry is not published: schedule a publish_at too, or publish it first.")
    schedule = db.session.get(Schedule, entry.id) or Schedule(entry_id=entry.id)
    schedule.publish_at, schedule.unpublish_at, schedule.last_error = publish_at, unpublish_at, None
    schedule.created_by_id = entries._actor_id(actor)
    schedule.by_system = actor is SYSTEM
    schedule.created_at = now
    db.session.add(schedule)
    record(actor, "entry.schedule", "entry", entry.id, type=compiled.name, publish_at=isoformat(publish_at),
           unpublish_at=isoformat(unpublish_at))
    db.session.flush()
    return compiled, entry, schedule


def clear_schedule(type_name, entry_id, actor, locale=None):
    compiled, entry = _entry(type_name, entry_id, actor, "entry.publish", locale)
    schedule = db.session.get(Schedule, entry.id)
    if schedule is None:
        raise Conflict("The entry has no schedule.")
    record(actor, "entry.unschedule", "entry", entry.id, type=compiled.name)
    db.session.delete(schedule)
    db.session.flush()


def _runner(schedule):
    """The actor a schedule runs as, or None when its user is gone or inactive."""
    if schedule.by_system:
        return SYSTEM
    if schedule.created_by_id is None:
        return None
    from cms.auth.models import User
    from cms.auth.principals import Caller

    user = db.session.get(User, schedule.created_by_id)
    return Caller(user, user.grants, "schedule") if user is not None and user.active else None


def run_due(limit=100):
    """Publish and unpublish what is due (locked, so two workers never run one); return how many ran."""
    now = utcnow()
    due = db.session.scalars(sa.select(Schedule).where(sa.or_(Schedule.publish_at <= now, Schedule.unpublish_at <= now))
                             .order_by(sa.func.coalesce(Schedule.publish_at, Schedule.unpublish_at))
                             .limit(limit).with_for_update(skip_locked=True)).all()
    for schedule in due:
        action = "publish" if schedule.publish_at is not None and schedule.publish_at <= now else "unpublish"
        _run_one(schedule, action)
        if action == "publish":
            schedule.publish_at = None
        else:
            schedule.unpublish_at = None
        if schedule.publish_at is None and schedule.unpublish_at is None and schedule.last_error is None:
            db.session.delete(schedule)
    db.session.commit()
    return len(due)


def _run_one(schedule, action):
    entry = db.session.get(Entry, schedule.entry_id)
    compiled = compiled_type(entry.content_type)
    actor = _runner(schedule)
    address = None if compiled.kind == "singleton" else entry.id
    try:
        if actor is None:
            raise Conflict("The user who scheduled this can no longer publish (deleted or deactivated).")
        with db.session.begin_nested():
            if action == "publish":
                entries.publish_entry(compiled.name, address, actor, locale=entry.locale)
            else:
                entries.unpublish_entry(compiled.name, address, actor, locale=entry.locale)
    except ApiError as exc:
        schedule.last_error = f"{action} at {isoformat(utcnow())} failed: {exc.message}"
        if action == "publish":
            schedule.unpublish_at = None  # nothing to unpublish when the publish did not happen
        record(actor or SYSTEM, f"entry.scheduled_{action}_failed", "entry", entry.id, type=compiled.name,
               error=exc.message, details=exc.details)
