"""HTTP API of the audit log: GET /api/audit, newest first, filtered, keyset-paginated."""

from datetime import datetime

from flask import Blueprint, jsonify
from flask_login import current_user

from cms.audit.services import MAX_PER_PAGE, AuditQuery, list_events
from cms.core.db import isoformat
from cms.core.errors import parameter_error
from cms.core.http import int_arg, query_args

bp = Blueprint("audit_api", __name__, url_prefix="/api")
FILTERS = ("actor", "action", "target_type", "target_id")


def _moment(args, name):
    value = args.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise parameter_error(name, "Use an ISO 8601 moment with a time zone, e.g. 2026-11-28T10:00:00Z.")
    return moment


def event_out(event):
    return {"id": event.id, "at": isoformat(event.at), "actor": {"id": event.actor_id, "label": event.actor_label},
            "action": event.action, "target": {"type": event.target_type, "id": event.target_id},
            "summary": event.summary}


@bp.get("/audit")
def list_audit():
    args = query_args((*FILTERS, "since", "until", "before", "per_page"))
    for name in FILTERS:
        if name in args and not 0 < len(args[name]) <= 100:
            raise parameter_error(name, "Give 1 to 100 characters.")
    query = AuditQuery(**{name: args.get(name) for name in FILTERS}, since=_moment(args, "since"),
                       until=_moment(args, "until"), before=int_arg(args, "before", None, 1, 2**62),
                       per_page=int_arg(args, "per_page", 50, 1, MAX_PER_PAGE))
    events, next_before = list_events(current_user._get_current_object(), query)
    return jsonify({"data": [event_out(event) for event in events], "meta": {"next_before": next_before}})
