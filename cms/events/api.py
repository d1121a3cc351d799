"""HTTP API of the change stream: GET /api/events, published changes as Server-Sent Events.

The view checks the caller and the parameters, registers the stream with the process's hub and
releases its database session; the body is then fed by the hub (``cms/events/stream.py``).
"""

from flask import Blueprint, current_app, request
from flask_login import current_user

from cms.content.services import list_types
from cms.core.errors import BadRequest, parameter_error
from cms.core.http import query_args
from cms.core.policy import SYSTEM, deny
from cms.events.audience import Viewer
from cms.events.services import EVENT_TYPES
from cms.events.stream import Hub, StreamBody, committed_after, newest_seq
from cms.extensions import db

bp = Blueprint("events_api", __name__, url_prefix="/api")
HUB = "folio.events_hub"
MAX_NAMES = 100


@bp.record_once
def add_hub(state):
    """Give each app its hub when the blueprint is registered (its thread starts with the first stream)."""
    state.app.extensions.setdefault(HUB, Hub(state.app))


@bp.get("/events")
def stream_events():
    args = query_args(("types", "content_types", "last_event_id"))
    actor = current_user._get_current_object()
    viewer = Viewer(actor, credential_of(actor))
    if not viewer.sees_anything:
        deny(actor, "Your permissions show you no content, content types or media, so no events either.")
    viewer.types = parse_event_types(args)
    viewer.content_types = parse_content_types(args)
    after = parse_last_event_id(args)
    if request.method == "HEAD":
        return _stream_response(b"")
    app, hub = current_app._get_current_object(), current_app.extensions[HUB]
    subscriber = hub.subscribe(viewer)
    try:
        if after is None:  # "now": what is committed already is not news
            subscriber.skip = committed_after(subscriber.handover)
        else:
            subscriber.after = after
    except Exception:
        hub.unsubscribe(subscriber)
        raise
    db.session.remove()  # an open stream holds no connection: the hub reads for it
    return _stream_response(StreamBody(app, hub, subscriber))


def _stream_response(body):
    response = current_app.response_class(body, mimetype="text/event-stream")
    response.direct_passthrough = True  # to the server as it is: nothing may buffer it (make_conditional would)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events on at once
    return response


def credential_of(actor):
    """Return what the hub re-checks while the stream is open: ``(kind, value)``, or None for anonymous callers."""
    via = getattr(actor, "via", None)
    if via == "token":
        return "token", actor.token.id
    if via == "session":
        return "session", actor.session_key
    if via == "preview":  # signed, no row: it works while its issuer is active
        return "user", actor.grants.user_id
    return None


def _names(args, name):
    value = args.get(name)
    if value is None:
        return None
    names = [part.strip() for part in value.split(",")]
    if not all(names) or len(names) > MAX_NAMES:
        raise parameter_error(name, f"Give a comma-separated list of at most {MAX_NAMES} names, none empty.")
    return frozenset(names)


def parse_event_types(args):
    """Return the event types of ``types=a,b`` (None: all); unknown ones are 400."""
    names = _names(args, "types")
    unknown = sorted(names - set(EVENT_TYPES)) if names is not None else []
    if unknown:
        raise parameter_error("types", f"Unknown event types: {', '.join(unknown)}. Use {', '.join(EVENT_TYPES)}.")
    return names


def parse_content_types(args):
    """Return the content type names of ``content_types=a,b`` (None: all); names of no type are 400."""
    names = _names(args, "content_types")
    if names is None:
        return None
    unknown = sorted(names - {row.name for row in list_types(SYSTEM)})
    if unknown:
        raise parameter_error("content_types", f"No content types named {', '.join(unknown)}.")
    return names


def parse_last_event_id(args):
    """Return the seq named by the Last-Event-ID header (or ``last_event_id``), or None.

    The header wins: a browser reconnecting sends it with the URL it first opened, whose
    ``last_event_id`` is older. An id older than the outbox holds is fine (replay what exists);
    one beyond its end belongs to another (or a restored) database.
    """
    value = request.headers.get("Last-Event-ID")
    where = {"headers": {"Last-Event-ID": ["Send the id of the last event received."]}}
    if value is None:
        value = args.get("last_event_id")
        where = {"parameters": {"last_event_id": ["Send the id of the last event received."]}}
    if value is None:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise BadRequest("Last-Event-ID must be the id of an event this stream sent (a whole number).", where)
    if int(value) > newest_seq():
        raise BadRequest("Last-Event-ID is ahead of this server's events (was the database restored?); "
                         "reconnect without it.", where)
    return int(value)
