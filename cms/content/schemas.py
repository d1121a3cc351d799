"""What the content API returns, and the query parameters it accepts."""

from marshmallow import Schema, ValidationError, fields

from cms.core.db import isoformat
from cms.core.errors import BadRequest, ValidationFailed


def entry_out(compiled, entry, draft, include_private, fields=None):
    """Deliver an entry flat: system keys beside field values (working copy or published snapshot).

    ``fields`` (names) limits the field values delivered; system keys are always there.
    """
    document = entry.data if draft else entry.published_data
    out = {
        "id": entry.id,
        "type": compiled.name,
        "locale": entry.locale,
        "status": entry.status if draft else "published",
        "version": entry.version if draft else entry.published_version,
        "created_at": isoformat(entry.created_at),
        "updated_at": isoformat(entry.updated_at),
        "published_at": isoformat(entry.published_at),
    }
    out.update(compiled.deliver(document, include_private, only=fields))
    return out


def translation_out(compiled, entry, draft):
    """One translation of an entry, as the translations list names it."""
    return {
        "id": entry.id, "type": compiled.name, "locale": entry.locale, "status": entry.status if draft else "published",
        "version": entry.version if draft else entry.published_version, "updated_at": isoformat(entry.updated_at),
    }


def type_out(row, entries=None):
    out = {
        "name": row.name, "label": row.label, "description": row.description, "kind": row.kind,
        "options": row.options, "fields": row.fields, "version": row.version,
        "created_at": isoformat(row.created_at), "updated_at": isoformat(row.updated_at),
    }
    if entries is not None:
        out["entries"] = entries
    return out


def revision_out(revision, compiled=None, access=None):
    out = {
        "number": revision.number, "action": revision.action, "type_version": revision.type_version,
        "created_at": isoformat(revision.created_at), "created_by": revision.created_by_id,
    }
    if compiled is not None:
        only = access.only(compiled) if access is not None else None
        out["data"] = compiled.deliver(revision.data, access.private if access is not None else True, only=only)
    return out


def parse_bool(args, name, default=False):
    value = args.get(name)
    if value is None:
        return default
    if value in {"true", "1"}:
        return True
    if value in {"false", "0"}:
        return False
    raise BadRequest(f"{name} must be true or false.", {"parameters": {name: ["Use true or false."]}})


class ScheduleSchema(Schema):
    """Times with a UTC offset (``2027-01-01T09:00:00Z``); null or absent: not scheduled."""

    publish_at = fields.AwareDateTime(allow_none=True, load_default=None)
    unpublish_at = fields.AwareDateTime(allow_none=True, load_default=None)


def load_schedule(payload):
    try:
        times = ScheduleSchema().load(payload)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None
    if times["publish_at"] is None and times["unpublish_at"] is None:
        raise BadRequest("Send publish_at and/or unpublish_at (to cancel a schedule, DELETE it).")
    return times
