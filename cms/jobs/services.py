"""Queueing, claiming and finishing jobs.

A worker claims one due job at a time with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL), so
several workers never take the same job; a claim is a lease of ``JOB_LEASE_SECONDS``. A worker
killed while running a job leaves it ``running`` with an expired lease, and the next claim takes
it again: nothing is lost, and a job may run twice (handlers are idempotent; webhook receivers
dedupe by event id). SQLite has no row locks: run one worker there.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from cms.core.db import utcnow
from cms.extensions import db
from cms.jobs.models import Job


@dataclass(frozen=True)
class Outcome:
    """What a handler reports: ``done``, ``retry`` (with backoff, until max_attempts) or ``failed``."""

    state: str
    error: str | None = None


DONE = Outcome("done")


def retry(error):
    return Outcome("retry", error)


def failed(error):
    return Outcome("failed", error)


def enqueue(kind, subject, payload, event_seq=None, max_attempts=1, run_at=None):
    """Add a job in the current transaction."""
    job = Job(kind=kind, subject=subject[:100], payload=payload, event_seq=event_seq, max_attempts=max_attempts,
              run_at=run_at or utcnow(), status="pending", attempts=0, created_at=utcnow())
    db.session.add(job)
    return job


def claim(worker_id, lease_seconds):
    """Take the next due job for ``lease_seconds`` and commit; return it (or None when nothing is due).

    A job whose lease ran out (its worker died) is due again; one that has used all its attempts
    that way is marked failed instead.
    """
    now = utcnow()
    due = sa.or_(sa.and_(Job.status == "pending", Job.run_at <= now),
                 sa.and_(Job.status == "running", Job.locked_until < now))
    while True:
        job = db.session.scalar(sa.select(Job).where(due).order_by(Job.run_at, Job.id).limit(1)
                                .with_for_update(skip_locked=True))
        if job is None:
            db.session.commit()
            return None
        if job.status == "running" and job.attempts >= job.max_attempts:
            _end(job, "failed", f"gave up after {job.attempts} attempts (the last worker stopped while running it)")
            db.session.commit()
            continue
        job.status, job.attempts, job.locked_by = "running", job.attempts + 1, worker_id[:100]
        job.locked_until = now + timedelta(seconds=lease_seconds)
        db.session.commit()
        return job


def finish(job_id, outcome, backoff):
    """Record ``outcome`` of a claimed job; ``backoff(attempts)`` gives the seconds before a retry."""
    job = db.session.get(Job, job_id)
    if outcome.state == "done":
        _end(job, "done", None)
    elif outcome.state == "retry" and job.attempts < job.max_attempts:
        job.status, job.last_error, job.locked_by, job.locked_until = "pending", outcome.error, None, None
        job.run_at = utcnow() + timedelta(seconds=backoff(job.attempts))
    else:
        _end(job, "failed", outcome.error)
    db.session.commit()
    return job


def _end(job, status, error):
    job.status, job.last_error, job.finished_at = status, error, utcnow()
    job.locked_by = job.locked_until = None


def backoff_seconds(attempts, base, cap):
    """Exponential backoff with jitter: about base·2^(attempts-1), capped, spread over ±25%."""
    if base <= 0:
        return 0.0
    return min(cap, base * 2 ** (attempts - 1)) * random.uniform(0.75, 1.25)  # noqa: S311 - not for secrets


def again(job, max_attempts):
    """Queue a manual re-run of a finished job (a redelivery); return the new job."""
    return enqueue(job.kind, job.subject, dict(job.payload), job.event_seq, max_attempts)
