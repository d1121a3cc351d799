"""The OpenAPI description of /api/webhooks (merged into /api/openapi.json)."""

from cms.content.openapi import operation, path_param, query_param
from cms.events.services import EVENT_TYPES

_STRING = {"type": "string"}
_NULLABLE = {"type": ["string", "null"]}
WEBHOOK = {"type": "object", "required": ["id", "name", "url", "events", "enabled"], "properties": {
    "id": _STRING, "type": {"const": "webhook"}, "name": _STRING, "url": _STRING,
    "events": {"type": "array", "items": _STRING}, "content_types": {"type": "array", "items": _STRING},
    "enabled": {"type": "boolean"}, "disabled_reason": _NULLABLE, "secret_hint": _STRING,
    "secret": {"type": "string", "description": "Only when created or rotated"}, "secrets_valid": {"type": "integer"},
    "created_at": _STRING, "updated_at": _STRING}}
INPUT = {"type": "object", "properties": {
    "name": _STRING, "url": {"type": "string", "format": "uri"},
    "events": {"type": "array", "items": {"type": "string", "description": f"One of {', '.join(EVENT_TYPES)}, "
                                                                            "a family such as entry.*, or *"}},
    "content_types": {"type": "array", "items": _STRING}, "enabled": {"type": "boolean"},
    "secret": {"type": "string", "description": "whsec_ + base64; generated when absent"}}}
DELIVERY = {"type": "object", "required": ["id", "status"], "properties": {
    "id": {"type": "integer"}, "type": {"const": "webhook_delivery"}, "event": {"type": "object"},
    "status": {"enum": ["pending", "running", "done", "failed"]}, "attempts": {"type": "integer"},
    "max_attempts": {"type": "integer"}, "next_attempt_at": _NULLABLE, "last_error": _NULLABLE,
    "created_at": _STRING, "finished_at": _NULLABLE, "log": {"type": "array", "items": {"type": "object"}}}}
WRITES = ("400", "401", "403", "404", "409", "415", "422")


def _one(schema):
    return {"type": "object", "required": ["data"], "properties": {"data": schema}}


def webhook_paths():
    webhook_id = [path_param("webhook_id", description="Webhook id")]
    return {
        "/api/webhooks": {
            "get": operation("List webhooks", ok={"type": "object", "required": ["data"], "properties": {
                "data": {"type": "array", "items": WEBHOOK}}}, errors=("400", "401", "403")),
            "post": operation("Create a webhook (the answer shows its secret once)", ok_status="201", ok=_one(WEBHOOK),
                               body={**INPUT, "required": ["name", "url"]}, errors=WRITES),
        },
        "/api/webhooks/{webhook_id}": {
            "parameters": webhook_id,
            "get": operation("Read a webhook", ok=_one(WEBHOOK)),
            "patch": operation("Change a webhook", ok=_one(WEBHOOK), body=INPUT, errors=WRITES),
            "delete": operation("Delete a webhook and its delivery log", ok_status="204", errors=WRITES),
        },
        "/api/webhooks/{webhook_id}/rotate-secret": {"parameters": webhook_id, "post": operation(
            "Start signing with a new secret; the previous one stays valid for keep_previous_seconds",
            ok=_one(WEBHOOK), errors=WRITES, body={"type": "object", "properties": {
                "keep_previous_seconds": {"type": "integer", "minimum": 0, "maximum": 2592000}, "secret": _STRING}})},
        "/api/webhooks/{webhook_id}/deliveries": {"parameters": webhook_id, "get": operation(
            "The delivery log, newest first", ok={"type": "object", "required": ["data"], "properties": {
                "data": {"type": "array", "items": DELIVERY}, "meta": {"type": "object"}}},
            parameters=[query_param("before", {"type": "integer", "minimum": 1}, "Deliveries older than this id"),
                        query_param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, "How many")])},
        "/api/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": {
            "parameters": [*webhook_id, path_param("delivery_id", {"type": "integer"}, description="Delivery id")],
            "post": operation("Deliver the event again (a new delivery)", ok_status="202", ok=_one(DELIVERY),
                               errors=WRITES)},
    }
