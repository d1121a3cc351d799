"""Webhooks in the admin: subscriptions, secret rotation, the delivery log and redelivery.

A signing secret is shown once: on the answer to the form that made or rotated it. Those forms
carry a one-use key (``once``), so reloading the answer neither rotates again nor shows it again.
"""

from flask import flash, redirect, request, url_for

from cms.admin import once
from cms.admin.core import allowed, bp, caller, done, field_errors, render, require
from cms.core.errors import ApiError, ValidationFailed
from cms.core.http import int_arg
from cms.events.services import EVENT_TYPES
from cms.extensions import db
from cms.webhooks import services

PER_PAGE = 20


def event_choices():
    """``[(value, label)]``: everything, each family, then each event type."""
    families = sorted({kind.split(".")[0] for kind in EVENT_TYPES}, key=[k.split(".")[0] for k in EVENT_TYPES].index)
    return ([("*", "Every event")] + [(f"{family}.*", f"Every {family.replace('_', ' ')} event") for family in families]
            + [(kind, kind) for kind in EVENT_TYPES])


@bp.get("/webhooks")
def webhooks_list():
    rows = services.list_webhooks(caller())
    return render("admin/webhooks/list.html", heading="Webhooks", rows=rows, can_manage=allowed("webhooks.manage"))


@bp.route("/webhooks/new", methods=["GET", "POST"])
def webhook_new():
    require("webhooks.manage")
    values = {"name": "", "url": "", "events": ["*"], "content_types": [], "enabled": True}
    if request.method == "POST":
        values = _form_values()
        if not once.spend():
            flash("That form was already sent: the webhook exists and its secret is not shown again.", "error")
            return redirect(url_for("admin.webhooks_list"))
        try:
            webhook = services.create_webhook(values, caller())
            db.session.commit()
        except ApiError as error:
            db.session.rollback()
            return _form(values, error, new=True)
        return _secret_page(webhook, "created")
    return _form(values, None, new=True)


@bp.route("/webhooks/<webhook_id>", methods=["GET", "POST"])
def webhook_edit(webhook_id):
    webhook = services.get_webhook(webhook_id, caller())
    values = {"name": webhook.name, "url": webhook.url, "events": list(webhook.events),
              "content_types": list(webhook.content_types), "enabled": webhook.enabled}
    if request.method == "POST":
        require("webhooks.manage")
        values = _form_values()
        try:
            services.update_webhook(webhook.id, values, caller())
            db.session.commit()
            return done(f"The webhook {values['name']} is saved.", "admin.webhook_edit", webhook_id=webhook_id)
        except ApiError as error:
            db.session.rollback()
            return _form(values, error, webhook=services.get_webhook(webhook_id, caller()))
    return _form(values, None, webhook=webhook)


@bp.post("/webhooks/<webhook_id>/rotate")
def webhook_rotate(webhook_id):
    webhook = services.get_webhook(webhook_id, caller(), "webhooks.manage")
    if not once.spend():
        flash("That form was already sent: the secret was rotated and is not shown again.", "error")
        return redirect(url_for("admin.webhook_edit", webhook_id=webhook.id))
    webhook = services.rotate_secret(webhook.id, caller())
    db.session.commit()
    return _secret_page(webhook, "rotated")


@bp.post("/webhooks/<webhook_id>/delete")
def webhook_delete(webhook_id):
    webhook = services.get_webhook(webhook_id, caller(), "webhooks.manage")
    name = webhook.name
    services.delete_webhook(webhook.id, caller())
    db.session.commit()
    return done(f"The webhook {name} is deleted.", "admin.webhooks_list")


@bp.get("/webhooks/<webhook_id>/deliveries")
def webhook_deliveries(webhook_id):
    webhook = services.get_webhook(webhook_id, caller())
    before = int_arg(request.args, "before", None, 1, 2**62)
    rows, more = services.list_deliveries(webhook.id, caller(), before, PER_PAGE)
    deliveries = [services.delivery_out(job, event, attempts) for job, event, attempts in rows]
    return render("admin/webhooks/deliveries.html", heading=f"Deliveries of {webhook.name}", webhook=webhook,
                  deliveries=deliveries, next_before=deliveries[-1]["id"] if more else None, before=before,
                  can_manage=allowed("webhooks.manage"))


@bp.post("/webhooks/<webhook_id>/deliveries/<int:delivery_id>/redeliver")
def webhook_redeliver(webhook_id, delivery_id):
    webhook = services.get_webhook(webhook_id, caller(), "webhooks.manage")
    try:
        services.redeliver(webhook.id, delivery_id, caller())
        db.session.commit()
    except ApiError as error:
        if error.status in (401, 403):
            raise
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.webhook_deliveries", webhook_id=webhook.id))
    return done(f"Delivery {delivery_id} is queued again; the worker sends it shortly.", "admin.webhook_deliveries",
                webhook_id=webhook.id)


def _form_values():
    form = request.form
    return {"name": form.get("name", "").strip(), "url": form.get("url", "").strip(),
            "events": form.getlist("events"), "content_types": form.getlist("content_types"),
            "enabled": form.get("enabled") == "on"}


def _types():
    if not allowed("content_types.read"):
        return []
    from cms.content.services import list_types

    return [row.name for row in list_types(caller())]


def _form(values, error, webhook=None, new=False):
    errors = field_errors(error) if error is not None else {}
    message = error.message if error is not None and (not errors or not isinstance(error, ValidationFailed)) else None
    heading = "Add a webhook" if new else f"Webhook {webhook.name}"
    return render("admin/webhooks/form.html", status=200 if error is None else error.status, heading=heading,
                  values=values, errors=errors, error=message, webhook=webhook, new=new,
                  hint=services.webhook_out(webhook)["secret_hint"] if webhook is not None else "",
                  event_choices=event_choices(), types=_types(), editable=allowed("webhooks.manage"),
                  once=once.issue() if allowed("webhooks.manage") else "")


def _secret_page(webhook, what):
    secret = services.webhook_out(webhook, reveal=True)["secret"]
    return render("admin/webhooks/secret.html", status=201 if what == "created" else 200,
                  heading=f"Webhook {webhook.name}", webhook=webhook, secret=secret, what=what)
