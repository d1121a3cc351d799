"""The OpenAPI description of /api/events (merged into /api/openapi.json)."""

from cms.content.openapi import ERROR, ERROR_STATUSES, json_content, query_param
from cms.events.services import EVENT_TYPES

_STRING = {"type": "string"}
EVENT = {"type": "object", "required": ["id", "type", "timestamp", "data"], "properties": {
    "id": {"type": "string", "description": "The event's own id, to deduplicate by"},
    "type": {"type": "string", "enum": list(EVENT_TYPES)},
    "timestamp": {"type": "string", "format": "date-time"},
    "data": {"type": "object", "description": "entry events: type and entry (cut to the fields you may read)"}}}
STREAM = {"description": "A text/event-stream: per event the lines id (the outbox position, for Last-Event-ID), "
                         "event (the type) and data (the event as JSON, see the Event schema); "
                         "comment lines (: keep-alive) while idle; retry: once at the start",
          "content": {"text/event-stream": {"schema": {"type": "string"}, "x-folio-event": EVENT}},
          "headers": {"Cache-Control": {"schema": {"type": "string", "const": "no-cache"}}}}


def _error(description):
    return {"description": description, "content": json_content(ERROR)}


def events_paths():
    busy = _error("This process has as many open streams as FOLIO_EVENTS_MAX_SUBSCRIBERS allows")
    busy["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}
    return {"/api/events": {"get": {
        "summary": "Stream published changes (Server-Sent Events) that the caller may see",
        "description": "Entries of types the caller may read (published changes; saves of types without "
                       "drafts), content type changes with content_types read, media changes with media read. "
                       "Without Last-Event-ID the stream starts now; it ends after FOLIO_EVENTS_MAX_SECONDS "
                       "and clients reconnect with Last-Event-ID.",
        "parameters": [
            query_param("types", _STRING, f"Comma-separated event types: {', '.join(EVENT_TYPES)}"),
            query_param("content_types", _STRING, "Comma-separated content type names: only their entry and "
                                                  "type events (no media events)"),
            query_param("last_event_id", {"type": "string", "pattern": "^[0-9]+$"},
                        "Resume after this event id, for clients that cannot send the Last-Event-ID header"),
            {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "Resume after this event id (browsers send it when they reconnect); wins over "
                            "last_event_id"}],
        "responses": {"200": STREAM, "400": _error(ERROR_STATUSES["400"]), "401": _error(ERROR_STATUSES["401"]),
                      "403": _error(ERROR_STATUSES["403"]), "503": busy}}}}
