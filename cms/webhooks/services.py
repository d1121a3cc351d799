"""Webhook subscriptions (CRUD, secret rotation) and the worker's delivery of one event to one webhook."""

import ipaddress
import json
import time
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate, validates

from cms.audit.services import record
from cms.core.db import isoformat, new_id, utcnow
from cms.core.errors import Conflict, NotFound, ValidationFailed
from cms.core.policy import authorize
from cms.events.models import OutboxEvent
from cms.events.services import EVENT_TYPES, event_out
from cms.extensions import db
from cms.jobs import services as jobs
from cms.jobs.models import Job
from cms.webhooks import signing, transport
from cms.webhooks.models import DeliveryAttempt, Webhook

MAX_WEBHOOKS = 100
ROTATION_SECONDS = 24 * 3600
_ID = 36
_TYPE_NAME = r"^[a-z][a-z0-9_]{0,63}\Z"
PATTERNS = frozenset(EVENT_TYPES) | {"*"} | {f"{kind.split('.')[0]}.*" for kind in EVENT_TYPES}


class WebhookSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    url = fields.String(required=True)
    events = fields.List(fields.String(validate=validate.OneOf(sorted(PATTERNS))), load_default=lambda: ["*"],
                         validate=validate.Length(min=1, max=len(PATTERNS)))
    content_types = fields.List(fields.String(validate=validate.Regexp(_TYPE_NAME)), load_default=list,
                                validate=validate.Length(max=200))
    enabled = fields.Boolean(load_default=True)
    secret = fields.String(load_default=None)

    @validates("url")
    def check_url(self, value, **_kwargs):
        try:
            transport.check_url(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        host = urlsplit(value).hostname or ""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return  # names are resolved and checked at every delivery
        reason = transport.refused_reason(address, current_app.config["WEBHOOK_ALLOW"])
        if reason:
            raise ValidationError(f"Webhooks may not call {reason}; allow it with FOLIO_WEBHOOK_ALLOW if it is yours.")

    @validates("secret")
    def check_secret(self, value, **_kwargs):
        if value is not None:
            try:
                signing.check_secret(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


def webhook_out(webhook, reveal=False):
    current = webhook.secrets[0]["secret"] if webhook.secrets else ""
    out = {"id": webhook.id, "type": "webhook", "name": webhook.name, "url": webhook.url, "events": webhook.events,
           "content_types": webhook.content_types, "enabled": webhook.enabled,
           "disabled_reason": webhook.disabled_reason, "secret_hint": current[-4:],
           "secrets_valid": len(_active_secrets(webhook)),
           "created_at": isoformat(webhook.created_at), "updated_at": isoformat(webhook.updated_at)}
    if reveal:
        out["secret"] = current
    return out


def _load(payload, partial=False):
    try:
        return WebhookSchema(partial=partial).load(payload)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None


def _known_types(names):
    from cms.content.models import ContentType

    found = set(db.session.scalars(sa.select(ContentType.name).where(ContentType.name.in_(names))))
    unknown = sorted(set(names) - found)
    if unknown:
        raise ValidationFailed({"content_types": [f"No content type named {name!r}." for name in unknown]})


def list_webhooks(actor):
    authorize(actor, "webhooks.read")
    return db.session.scalars(sa.select(Webhook).order_by(Webhook.created_at, Webhook.id)).all()


def get_webhook(webhook_id, actor, action="webhooks.read"):
    authorize(actor, action)
    webhook = db.session.get(Webhook, webhook_id) if isinstance(webhook_id, str) and len(webhook_id) <= _ID else None
    if webhook is None:
        raise NotFound(f"No webhook with the id {webhook_id}.")
    return webhook


def create_webhook(payload, actor):
    authorize(actor, "webhooks.manage")
    data = _load(payload)
    _known_types(data["content_types"])
    if db.session.scalar(sa.select(sa.func.count()).select_from(Webhook)) >= MAX_WEBHOOKS:
        raise Conflict(f"There are already {MAX_WEBHOOKS} webhooks; delete one first.")
    now = utcnow()
    webhook = Webhook(id=new_id(), name=data["name"], url=transport.check_url(data["url"]), events=sorted(set(data["events"])),
                      content_types=sorted(set(data["content_types"])), enabled=data["enabled"],
                      secrets=[{"secret": data["secret"] or signing.new_secret(), "expires_at": None}],
                      created_at=now, updated_at=now, created_by_id=getattr(getattr(actor, "grants", None), "user_id", None))
    db.session.add(webhook)
    record(actor, "webhook.create", "webhook", webhook.id, name=webhook.name, url=webhook.url)
    db.session.flush()
    return webhook


def update_webhook(webhook_id, payload, actor):
    webhook = get_webhook(webhook_id, actor, "webhooks.manage")
    if "secret" in payload:
        raise ValidationFailed({"secret": ["Change the secret with POST /api/webhooks/<id>/rotate-secret."]})
    data = _load(payload, partial=True)
    if "content_types" in data:
        _known_types(data["content_types"])
    changes = {}
    for key in ("name", "url", "events", "content_types", "enabled"):
        if key in data:
            value = transport.check_url(data[key]) if key == "url" else \
                sorted(set(data[key])) if key in ("events", "content_types") else data[key]
            if getattr(webhook, key) != value:
                changes[key] = value
                setattr(webhook, key, value)
    if changes.get("enabled") is True or "url" in changes:
        webhook.disabled_reason = None
    if changes:
        webhook.updated_at = utcnow()
        record(actor, "webhook.update", "webhook", webhook.id, changes=changes)
    db.session.flush()
    return webhook


def delete_webhook(webhook_id, actor):
    webhook = get_webhook(webhook_id, actor, "webhooks.manage")
    record(actor, "webhook.delete", "webhook", webhook.id, name=webhook.name)
    db.session.execute(sa.delete(Job).where(Job.subject == f"webhook:{webhook.id}"))
    db.session.delete(webhook)
    db.session.flush()


def rotate_secret(webhook_id, actor, secret=None, keep_previous_seconds=ROTATION_SECONDS):
    """Make a new current secret; the previous one stays valid for ``keep_previous_seconds``."""
    webhook = get_webhook(webhook_id, actor, "webhooks.manage")
    if secret is not None:
        try:
            signing.check_secret(secret)
        except ValueError as exc:
            raise ValidationFailed({"secret": [str(exc)]}) from None
    now = utcnow()
    previous = {**webhook.secrets[0], "expires_at": isoformat(now + timedelta(seconds=keep_previous_seconds))}
    webhook.secrets = [{"secret": secret or signing.new_secret(), "expires_at": None}] + \
        ([previous] if keep_previous_seconds > 0 else [])
    webhook.updated_at = now
    record(actor, "webhook.rotate_secret", "webhook", webhook.id, keep_previous_seconds=keep_previous_seconds)
    db.session.flush()
    return webhook


def _active_secrets(webhook):
    now = isoformat(utcnow())
    return [item["secret"] for item in webhook.secrets if item["expires_at"] is None or item["expires_at"] > now]


# -- deliveries ------------------------------------------------------------------------------------

def matches(webhook, event):
    """Whether ``webhook`` subscribes to ``event`` (by event type, then by content type)."""
    family = event.type.split(".")[0] + ".*"
    if event.occurred_at < webhook.created_at:  # a new webhook receives what happens from now on
        return False
    if not ({"*", event.type, family} & set(webhook.events)):
        return False
    if not webhook.content_types or event.subject_type == "media":
        return True
    type_name = event.data.get("type") if event.subject_type == "entry" else event.data.get("name")
    return type_name in webhook.content_types


def subscribed():
    """Return ``receivers(event) -> [webhook]`` over the enabled webhooks, read once."""
    hooks = db.session.scalars(sa.select(Webhook).where(Webhook.enabled.is_(True))).all()
    return lambda event: [webhook for webhook in hooks if matches(webhook, event)]


def deliver(job):
    """Job handler: POST one event to one webhook, signed, and log the attempt."""
    config = current_app.config
    webhook = db.session.get(Webhook, job.payload["webhook"])
    if webhook is None or not webhook.enabled:
        return jobs.failed("the webhook was deleted or disabled")
    event = db.session.get(OutboxEvent, job.event_seq)
    if event is None:
        return jobs.failed("the event is no longer in the outbox")
    body = json.dumps(event_out(event), separators=(",", ":"), ensure_ascii=False).encode()
    headers = signing.signed_headers(_active_secrets(webhook), event.id, int(time.time()), body)
    url, job_id = webhook.url, job.id
    db.session.commit()  # hold no transaction (and no row lock) while the receiver thinks
    result = transport.send(url, body, headers, timeout=config["WEBHOOK_TIMEOUT_SECONDS"],
                            allow=config["WEBHOOK_ALLOW"], max_redirects=config["WEBHOOK_MAX_REDIRECTS"])
    db.session.add(DeliveryAttempt(job_id=job_id, at=utcnow(), url=result.url or url, status_code=result.status,
                                   duration_ms=result.duration_ms, response_excerpt=result.excerpt or "",
                                   error=(result.error or None) and result.error[:500]))
    if result.ok:
        return jobs.DONE
    if result.status == 410:
        webhook = db.session.get(Webhook, job.payload["webhook"])
        if webhook is not None:
            webhook.enabled, webhook.disabled_reason = False, "The receiver answered 410 Gone."
            record(None, "webhook.disable", "webhook", webhook.id, reason=webhook.disabled_reason)
        return jobs.failed("410 Gone: the webhook is now disabled")
    if result.refused:
        return jobs.failed(result.error)
    return jobs.retry(result.error or f"the receiver answered {result.status}")


def list_deliveries(webhook_id, actor, before=None, limit=25):
    """The webhook's deliveries (one per event, and one per manual redelivery), newest first, with attempts."""
    webhook = get_webhook(webhook_id, actor)
    statement = sa.select(Job).where(Job.subject == f"webhook:{webhook.id}")
    if before is not None:
        statement = statement.where(Job.id < before)
    rows = db.session.scalars(statement.order_by(Job.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    attempts = {}
    if rows:
        for attempt in db.session.scalars(sa.select(DeliveryAttempt).where(DeliveryAttempt.job_id.in_([r.id for r in rows]))
                                          .order_by(DeliveryAttempt.job_id, DeliveryAttempt.id)):
            attempts.setdefault(attempt.job_id, []).append(attempt)
    events = {}
    seqs = {row.event_seq for row in rows if row.event_seq is not None}
    if seqs:
        events = {seq: (event_id, kind) for seq, event_id, kind in db.session.execute(
            sa.select(OutboxEvent.seq, OutboxEvent.id, OutboxEvent.type).where(OutboxEvent.seq.in_(seqs)))}
    return [(row, events.get(row.event_seq), attempts.get(row.id, [])) for row in rows], more


def delivery_out(job, event, attempts):
    event_id, event_type = event or (None, None)
    return {"id": job.id, "type": "webhook_delivery", "event": {"id": event_id, "type": event_type},
            "status": job.status, "attempts": job.attempts, "max_attempts": job.max_attempts,
            "next_attempt_at": isoformat(job.run_at) if job.status == "pending" else None,
            "last_error": job.last_error, "created_at": isoformat(job.created_at),
            "finished_at": isoformat(job.finished_at),
            "log": [{"at": isoformat(a.at), "url": a.url, "status_code": a.status_code, "duration_ms": a.duration_ms,
                     "response_excerpt": a.response_excerpt, "error": a.error} for a in attempts]}


def redeliver(webhook_id, delivery_id, actor):
    """Queue the delivery's event again for this webhook (a new delivery, retried like any other)."""
    webhook = get_webhook(webhook_id, actor, "webhooks.manage")
    job = db.session.get(Job, delivery_id) if isinstance(delivery_id, int) and 0 < delivery_id < 2**62 else None
    if job is None or job.subject != f"webhook:{webhook.id}":
        raise NotFound(f"No delivery {delivery_id} of this webhook.")
    if job.status in ("pending", "running"):
        raise Conflict("This delivery is still being attempted.")
    if db.session.get(OutboxEvent, job.event_seq) is None:
        raise Conflict("The event is no longer in the outbox.")
    if not webhook.enabled:
        raise Conflict("The webhook is disabled: enable it first.")
    again = jobs.again(job, current_app.config["WEBHOOK_MAX_ATTEMPTS"])
    record(actor, "webhook.redeliver", "webhook", webhook.id, delivery=job.id)
    db.session.flush()
    return again


def failed_deliveries(actor, limit=10):
    """The latest failed deliveries of every webhook: ``[(webhook, job)]``, newest first."""
    authorize(actor, "webhooks.read")
    rows = db.session.execute(
        sa.select(Webhook, Job).join(Job, Job.subject == sa.literal("webhook:") + Webhook.id)
        .where(Job.status == "failed").order_by(Job.id.desc()).limit(limit)).all()
    return [(webhook, job) for webhook, job in rows]
