"""``folio worker``: fan committed events out to jobs, publish what is scheduled, run due jobs.

Each step is its own short transaction, so any number of workers can run on PostgreSQL: events
and schedules are taken with ``FOR UPDATE SKIP LOCKED`` like jobs are (see cms.jobs.services).
"""

import logging
import os
import signal
import socket
import threading
import time

import sqlalchemy as sa
from flask import current_app

from cms.core.db import utcnow
from cms.events.models import OutboxEvent
from cms.events.services import event_out
from cms.extensions import db
from cms.jobs import services as jobs
from cms.plugins.manager import plugins

log = logging.getLogger(__name__)


def handlers():
    """The job kinds this app can run: ``{kind: handler(job) -> Outcome}``."""
    from cms.media.renditions import prerender
    from cms.webhooks.services import deliver

    return {"webhook": deliver, "hook": run_event_hook, "renditions": prerender}


def dispatch(batch=200):
    """Turn up to ``batch`` undispatched outbox events into jobs (webhook deliveries, event hooks)."""
    from cms.webhooks.services import subscribed

    events = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
                                .order_by(OutboxEvent.seq).limit(batch).with_for_update(skip_locked=True)).all()
    if not events:
        db.session.commit()
        return 0
    config = current_app.config
    hook_plugins = sorted({impl.plugin_name for impl in plugins().hook.folio_handle_event.get_hookimpls()})
    receivers = subscribed()
    now = utcnow()
    for event in events:
        for webhook in receivers(event):
            jobs.enqueue("webhook", f"webhook:{webhook.id}", {"webhook": webhook.id}, event.seq,
                         config["WEBHOOK_MAX_ATTEMPTS"])
        for name in hook_plugins:
            jobs.enqueue("hook", f"plugin:{name}", {"plugin": name}, event.seq, config["WORKER_HOOK_MAX_ATTEMPTS"])
        if event.type == "media.created" and config["MEDIA_PRERENDER_WIDTHS"] \
                and str(event.data.get("mime", "")).startswith("image/"):
            jobs.enqueue("renditions", f"media:{event.subject_id}", {"media": event.subject_id}, event.seq, 3)
        event.dispatched_at = now
    db.session.commit()
    return len(events)


def prune(outbox_days, job_days):
    """Delete dispatched events and finished jobs older than their retention (0 keeps them); commit.

    The change stream and webhook redelivery read the outbox: they reach back as far as it keeps.
    """
    from datetime import timedelta

    from cms.jobs.models import Job

    now, removed = utcnow(), 0
    if outbox_days:
        removed += db.session.execute(sa.delete(OutboxEvent).where(
            OutboxEvent.dispatched_at.is_not(None), OutboxEvent.occurred_at < now - timedelta(days=outbox_days))).rowcount
    if job_days:
        removed += db.session.execute(sa.delete(Job).where(
            Job.status.in_(("done", "failed")), Job.finished_at < now - timedelta(days=job_days))).rowcount
    db.session.commit()
    return removed


def run_event_hook(job):
    """Call one plugin's ``folio_handle_event`` with one event."""
    event = db.session.get(OutboxEvent, job.event_seq)
    if event is None:
        return jobs.failed("the event is no longer in the outbox")
    impls = [impl for impl in plugins().hook.folio_handle_event.get_hookimpls()
             if impl.plugin_name == job.payload["plugin"]]
    if not impls:
        return jobs.failed(f"the plugin {job.payload['plugin']} is not loaded")
    try:
        impls[0].function(event=event_out(event))
    except Exception as exc:  # noqa: BLE001 - reported on the plugin and retried with backoff
        db.session.rollback()
        plugins().hook_failed(job.payload["plugin"], "folio_handle_event", exc)
        return jobs.retry(f"{type(exc).__name__}: {exc}")
    return jobs.DONE


class Worker:
    """One worker process (or thread in tests). ``run()`` loops until ``stop()`` or, with
    ``until_idle``, until a pass finds nothing to do."""

    def __init__(self, app, name=None):
        self.app = app
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self._stop = threading.Event()
        self.counts = {"events": 0, "jobs": 0, "scheduled": 0}
        self._next_prune = 0.0

    def stop(self, *_args):
        self._stop.set()

    def tick(self):
        """Do one pass; return how much was done."""
        from cms.content.services.schedules import run_due

        config = self.app.config
        done = 0
        with self.app.app_context():
            try:
                if time.monotonic() >= self._next_prune:  # hourly is plenty
                    prune(config["OUTBOX_RETENTION_DAYS"], config["JOB_RETENTION_DAYS"])
                    self._next_prune = time.monotonic() + 3600
                dispatched = dispatch(config["WORKER_BATCH"])
                scheduled = run_due(config["WORKER_BATCH"])
                ran = 0
                kinds = handlers()
                while ran < config["WORKER_BATCH"] and not self._stop.is_set():
                    job = jobs.claim(self.name, config["JOB_LEASE_SECONDS"])
                    if job is None:
                        break
                    self._run(job, kinds)
                    ran += 1
            finally:
                db.session.remove()
        for key, value in (("events", dispatched), ("scheduled", scheduled), ("jobs", ran)):
            self.counts[key] += value
            done += value
        return done

    def _run(self, job, kinds):
        handler = kinds.get(job.kind)
        job_id = job.id
        try:
            outcome = handler(job) if handler else jobs.failed(f"no handler for jobs of kind {job.kind!r}")
        except Exception as exc:  # noqa: BLE001 - a handler's bug is the job's failure, not the worker's
            log.exception("job %s (%s) failed", job_id, job.kind)
            db.session.rollback()
            outcome = jobs.retry(f"{type(exc).__name__}: {exc}")
        config = self.app.config
        jobs.finish(job_id, outcome, lambda attempts: jobs.backoff_seconds(
            attempts, config["WEBHOOK_RETRY_BASE_SECONDS"], config["WEBHOOK_RETRY_MAX_SECONDS"]))

    def run(self, until_idle=False):
        poll = self.app.config["WORKER_POLL_SECONDS"]
        while not self._stop.is_set():
            try:
                busy = self.tick()
            except Exception:  # noqa: BLE001 - a lost database connection: wait and try again
                log.exception("worker pass failed; retrying in %s s", poll)
                busy = 0
            if not busy:
                if until_idle:
                    return self.counts
                self._stop.wait(poll)
        return self.counts

    def install_signal_handlers(self):
        """SIGTERM/SIGINT finish the job at hand, then stop."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
