"""The change stream's hub: one thread per process reads the outbox and feeds every open stream.

Open streams must not starve the API, so a stream holds no database connection while it waits:
the hub polls the outbox in one short transaction every ``EVENTS_POLL_SECONDS`` (only while
someone listens) and puts each new event, rendered for the subscriber, into that subscriber's
bounded queue; the response's generator waits on its queue. A subscriber that does not keep up
(its queue overflows) is disconnected and resumes with Last-Event-ID.

Outbox ``seq`` values are taken when a transaction writes and become visible when it commits,
so on PostgreSQL seq 11 can appear before seq 10. The hub delivers in seq order and holds back
after a missing seq until that gap is ``EVENTS_GAP_GRACE_SECONDS`` old (``advance``); then it
moves on, since a rolled-back transaction leaves a gap for ever. So a delivered id promises that
every lower seq was delivered or given up, which is what makes Last-Event-ID resumption exact.
"""

import logging
import math
import queue
import threading
import time
from datetime import timedelta

import sqlalchemy as sa

from cms.auth.services.liveness import live_credentials
from cms.core.db import utcnow
from cms.core.errors import ApiError
from cms.events.audience import prepare
from cms.events.models import OutboxEvent
from cms.events.services import events_after
from cms.extensions import db

log = logging.getLogger(__name__)

BATCH = 500  # outbox rows per read
MAX_BATCHES = 20  # per poll: a burst is delivered over several polls, the lock never held long
START_WINDOW = 1000  # newest rows a starting hub looks at to find where to begin
KEEP_ALIVE = b": keep-alive\n\n"


class StreamsBusy(ApiError):
    status, code = 503, "service_unavailable"
    message = "This server has as many open event streams as it allows; try again shortly."


def advance(position, seqs, first_seen, now, grace):
    """Return ``(how many of seqs to deliver, new position)``, holding back after young gaps.

    ``seqs`` are the committed seqs after ``position``, ascending; ``first_seen`` maps a seq to
    when the hub first saw it (updated here). A seq right after the position goes at once; one
    after a gap waits until it has been seen for ``grace`` seconds: every seq missing below it
    was missing all that time, so its transaction had that long to commit.
    """
    for seq in seqs:
        first_seen.setdefault(seq, now)
    count = 0
    for seq in seqs:
        if seq != position + 1 and now - first_seen[seq] < grace:
            break
        position, count = seq, count + 1
    for seq in [seq for seq in first_seen if seq <= position]:
        del first_seen[seq]
    return count, position


def start_position(grace):
    """Where a starting hub begins: the newest event older than the grace period.

    Newer events may sit above gaps of transactions still committing, so the hub reads them with
    its gap rule; streams opened without Last-Event-ID skip those already committed (``committed_after``).
    """
    cutoff = utcnow() - timedelta(seconds=grace)
    rows = db.session.execute(sa.select(OutboxEvent.seq, OutboxEvent.occurred_at)
                              .order_by(OutboxEvent.seq.desc()).limit(START_WINDOW)).all()
    for seq, occurred_at in rows:
        if occurred_at <= cutoff:
            return seq
    return rows[-1].seq - 1 if rows else 0


def committed_after(seq, limit=10 * BATCH):
    """Return the seqs already committed after ``seq``."""
    return frozenset(db.session.scalars(sa.select(OutboxEvent.seq).where(OutboxEvent.seq > seq)
                                        .order_by(OutboxEvent.seq).limit(limit)))


def newest_seq():
    return db.session.scalar(sa.select(sa.func.max(OutboxEvent.seq))) or 0


class Subscriber:
    """One open stream: the hub fills its bounded queue with ``(seq, bytes)``, its response drains it."""

    def __init__(self, viewer, size, handover, deadline):
        self.viewer, self.deadline = viewer, deadline  # time.monotonic() when the stream ends
        self.handover = handover  # the hub's position at subscription: it sends what comes after
        self.queue = queue.Queue(size)
        self.after = None  # Last-Event-ID: what the client has, replayed from the outbox up to ``handover``
        self.skip = frozenset()  # without Last-Event-ID: events committed before the stream opened
        self.ended = None  # why the hub ended it: "overflow", "credentials" or "error"

    def wants(self, seq):
        return seq > self.handover and (self.after is None or seq > self.after) and seq not in self.skip

    def offer(self, seq, text):
        try:
            self.queue.put_nowait((seq, text))
        except queue.Full:
            self.end("overflow")

    def end(self, reason):
        self.ended = self.ended or reason
        try:
            self.queue.put_nowait(None)  # wakes the response if it is waiting
        except queue.Full:
            pass  # a full queue is not being waited on


class Hub:
    """The app's fan-out of outbox events (``app.extensions["folio.events_hub"]``).

    The thread starts with the first subscriber and stops after the last one leaves, so a process
    nobody streams from never polls. ``threaded=False`` (tests) leaves ``poll`` to the caller.
    """

    def __init__(self, app, clock=time.monotonic, threaded=True):
        self.app, self.clock, self.threaded = app, clock, threaded
        self._lock = threading.Lock()
        self._subscribers = set()
        self._thread = None
        self._position = None  # every seq up to here was delivered or given up
        self._first_seen = {}
        self._checked_at = None

    @property
    def position(self):
        return self._position

    def __len__(self):
        return len(self._subscribers)

    def subscribe(self, viewer):
        """Register a stream (inside a request); raise StreamsBusy beyond ``EVENTS_MAX_SUBSCRIBERS``."""
        config = self.app.config
        deadline = time.monotonic() + float(config["EVENTS_MAX_SECONDS"])
        with self._lock:
            self._drop_expired()
            if len(self._subscribers) >= config["EVENTS_MAX_SUBSCRIBERS"]:
                raise StreamsBusy(headers={"Retry-After": str(math.ceil(float(config["EVENTS_RETRY_SECONDS"])))})
            if self._position is None:
                self._position = start_position(float(config["EVENTS_GAP_GRACE_SECONDS"]))
                self._first_seen.clear()
            subscriber = Subscriber(viewer, config["EVENTS_QUEUE_SIZE"], self._position, deadline)
            self._subscribers.add(subscriber)
            if self.threaded and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="folio-events-hub", daemon=True)
                self._thread.start()
        return subscriber

    def unsubscribe(self, subscriber):
        with self._lock:
            self._subscribers.discard(subscriber)

    def _drop_expired(self):
        """Forget streams well past their deadline whose bodies were never closed (a safety net; holds the lock)."""
        late = time.monotonic() - 2 * float(self.app.config["EVENTS_HEARTBEAT_SECONDS"])
        self._subscribers = {subscriber for subscriber in self._subscribers if subscriber.deadline > late}

    def _run(self):
        while True:
            with self._lock:
                self._drop_expired()
                if not self._subscribers:  # the next subscriber starts afresh from "now"
                    self._thread, self._position, self._checked_at = None, None, None
                    return
            try:
                self.poll()
            except Exception:  # a lost connection: keep the streams, try again at the next poll
                log.exception("The change stream could not read the outbox")
            time.sleep(float(self.app.config["EVENTS_POLL_SECONDS"]))

    def poll(self):
        """Read what the outbox gained, hand it to the streams, and end streams whose credentials stopped."""
        with self._lock:
            position, subscribers = self._position, list(self._subscribers)
        if position is None:
            return
        with self.app.app_context():
            try:
                rows, position = self._read(position, float(self.app.config["EVENTS_GAP_GRACE_SECONDS"]))
                with self._lock:  # a stream subscribing from now on gets events after this position
                    self._position, subscribers = position, list(self._subscribers)
                try:
                    changes = prepare(rows, [subscriber.viewer for subscriber in subscribers])
                    stopped = self._stopped(subscribers)
                except Exception:  # these events are past the position: the streams resume with Last-Event-ID
                    for subscriber in subscribers:
                        subscriber.end("error")
                    raise
            finally:
                db.session.remove()
        for subscriber in stopped:
            subscriber.end("credentials")
        for change in changes:
            for subscriber in subscribers:
                if subscriber.ended is None:
                    text = subscriber.viewer.render(change)
                    if text is not None:
                        subscriber.offer(change.seq, text)

    def _read(self, position, grace):
        ready = []
        for _batch in range(MAX_BATCHES):
            rows = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.seq > position)
                                      .order_by(OutboxEvent.seq).limit(BATCH)).all()
            count, position = advance(position, [row.seq for row in rows], self._first_seen, self.clock(), grace)
            ready.extend(rows[:count])
            if count < len(rows) or len(rows) < BATCH:
                break
        return ready, position

    def _stopped(self, subscribers):
        """Return the subscribers whose token, session or user no longer works (checked once per heartbeat)."""
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < float(self.app.config["EVENTS_HEARTBEAT_SECONDS"]):
            return []
        self._checked_at = now
        held = {"token": set(), "session": set(), "user": set()}
        for subscriber in subscribers:
            if subscriber.viewer.credential is not None:
                kind, value = subscriber.viewer.credential
                held[kind].add(value)
        if not any(held.values()):
            return []
        live = dict(zip(("token", "session", "user"), live_credentials(held["token"], held["session"], held["user"]), strict=True))
        return [subscriber for subscriber in subscribers if subscriber.viewer.credential is not None
                and subscriber.viewer.credential[1] not in live[subscriber.viewer.credential[0]]]


def replay(app, viewer, after, until, deadline):
    """Yield the events after ``after`` up to ``until`` for ``viewer``, reading the outbox in batches.

    Each batch is read in its own short transaction; no connection is held while the client reads.
    """
    position = after
    while position < until and time.monotonic() < deadline:
        with app.app_context():
            try:
                rows = [row for row in events_after(position, limit=BATCH, types=viewer.types) if row.seq <= until]
                changes = prepare(rows, [viewer])
            finally:
                db.session.remove()
        if not rows:
            return
        position = rows[-1].seq
        for change in changes:
            text = viewer.render(change)
            if text is not None:
                yield text


class StreamBody:
    """The response body of one stream: closing it (servers do) takes the stream off the hub, read or not."""

    def __init__(self, app, hub, subscriber):
        self.hub, self.subscriber = hub, subscriber
        self._events = _serve(app, subscriber)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._events)
        except BaseException:
            self.close()
            raise

    def close(self):
        self._events.close()
        self.hub.unsubscribe(self.subscriber)


def _serve(app, subscriber):
    """Yield ``retry:``, the replay, then live events and keep-alive comments until the deadline.

    Ends at the deadline or when the hub ends the subscriber (overflow, credentials); a client
    that goes away is noticed at the next write, at most one heartbeat later.
    """
    config = app.config
    heartbeat = float(config["EVENTS_HEARTBEAT_SECONDS"])
    deadline = subscriber.deadline
    yield f"retry: {int(float(config['EVENTS_RETRY_SECONDS']) * 1000)}\n\n".encode()  # also sends the headers
    if subscriber.after is not None:
        yield from replay(app, subscriber.viewer, subscriber.after, subscriber.handover, deadline)
    while subscriber.ended is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        try:
            item = subscriber.queue.get(timeout=min(heartbeat, remaining))
        except queue.Empty:
            if time.monotonic() < deadline:
                yield KEEP_ALIVE
            continue
        if item is not None and subscriber.ended is None and subscriber.wants(item[0]):
            yield item[1]
