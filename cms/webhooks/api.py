"""HTTP API of webhooks: /api/webhooks (subscriptions, secret rotation, delivery log, redelivery)."""

from flask import Blueprint, jsonify
from flask_login import current_user

from cms.core.errors import ValidationFailed
from cms.core.http import int_arg, json_body, query_args
from cms.extensions import db
from cms.webhooks import services

bp = Blueprint("webhooks_api", __name__, url_prefix="/api/webhooks")


def _caller():
    return current_user._get_current_object()


@bp.get("")
def list_webhooks():
    query_args(())
    return jsonify({"data": [services.webhook_out(row) for row in services.list_webhooks(_caller())]})


@bp.post("")
def create_webhook():
    """The answer shows the signing secret (later reads show only its last characters)."""
    query_args(())
    webhook = services.create_webhook(json_body(), _caller())
    db.session.commit()
    return jsonify({"data": services.webhook_out(webhook, reveal=True)}), 201


@bp.get("/<webhook_id>")
def get_webhook(webhook_id):
    query_args(())
    return jsonify({"data": services.webhook_out(services.get_webhook(webhook_id, _caller()))})


@bp.patch("/<webhook_id>")
def update_webhook(webhook_id):
    query_args(())
    webhook = services.update_webhook(webhook_id, json_body(), _caller())
    db.session.commit()
    return jsonify({"data": services.webhook_out(webhook)})


@bp.delete("/<webhook_id>")
def delete_webhook(webhook_id):
    query_args(())
    services.delete_webhook(webhook_id, _caller())
    db.session.commit()
    return "", 204


@bp.post("/<webhook_id>/rotate-secret")
def rotate_secret(webhook_id):
    """``{"keep_previous_seconds": 86400, "secret": optional}``: both secrets sign until the old one expires."""
    query_args(())
    body = json_body()
    unknown = sorted(set(body) - {"keep_previous_seconds", "secret"})
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in unknown})
    keep = body.get("keep_previous_seconds", services.ROTATION_SECONDS)
    if not isinstance(keep, int) or isinstance(keep, bool) or not 0 <= keep <= 30 * 24 * 3600:
        raise ValidationFailed({"keep_previous_seconds": ["Send whole seconds from 0 to 2592000 (30 days)."]})
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise ValidationFailed({"secret": ["Send a whsec_ secret as a string."]})
    webhook = services.rotate_secret(webhook_id, _caller(), secret, keep)
    db.session.commit()
    return jsonify({"data": services.webhook_out(webhook, reveal=True)})


@bp.get("/<webhook_id>/deliveries")
def list_deliveries(webhook_id):
    """Newest first; ``before=<delivery id>`` pages on."""
    args = query_args(("before", "limit"))
    before = int_arg(args, "before", None, 1, 2**62)
    limit = int_arg(args, "limit", 25, 1, 100)
    rows, more = services.list_deliveries(webhook_id, _caller(), before, limit)
    data = [services.delivery_out(job, event, attempts) for job, event, attempts in rows]
    return jsonify({"data": data, "meta": {"next_before": data[-1]["id"] if more else None}})


@bp.post("/<webhook_id>/deliveries/<int:delivery_id>/redeliver")
def redeliver(webhook_id, delivery_id):
    query_args(())
    job = services.redeliver(webhook_id, delivery_id, _caller())
    db.session.commit()
    return jsonify({"data": services.delivery_out(job, None, [])}), 202
