"""Permission sets as they travel (role bodies, token bodies), their checks, and the built-in roles.

A permission set is a JSON list of objects:

- ``{"type": "article", "action": "update", "fields": ["title", "body"], "own": true}``
- ``{"system": "users", "action": "manage"}``
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from cms.core.policy import (
    ANY,
    CONTENT_ACTIONS,
    FIELD_ACTIONS,
    OWN_ACTIONS,
    SYSTEM_ACTIONS,
    SYSTEM_SUBJECTS,
    Grants,
    Permission,
)

_NAME = r"^([a-z][a-z0-9_]{0,63}|\*)\Z"
_FIELD = r"^[a-z][a-z0-9_]{0,63}\Z"
MAX_PERMISSIONS = 500

ADMINISTRATOR, PUBLIC = "administrator", "public"

#: the built-in roles and their initial permissions (migration 0004 stores the same rows)
BUILTIN_ROLES = {
    "administrator": ("Administrator", "Everything, including users, roles and settings.",
                      [{"type": "*", "action": "*"}, {"system": "*", "action": "manage"}]),
    "editor": ("Editor", "Writes, reviews and publishes every entry; manages media.",
               [{"type": "*", "action": action} for action in CONTENT_ACTIONS]
               + [{"system": "content_types", "action": "read"}, {"system": "media", "action": "manage"},
                  {"system": "users", "action": "read"}]),
    "author": ("Author", "Reads every entry; creates entries and edits and deletes their own; no publishing.",
               [{"type": "*", "action": "read"}, {"type": "*", "action": "create"},
                {"type": "*", "action": "update", "own": True}, {"type": "*", "action": "delete", "own": True},
                {"system": "content_types", "action": "read"}, {"system": "media", "action": "manage"}]),
    "viewer": ("Viewer", "Reads every entry, drafts included; changes nothing.",
               [{"type": "*", "action": "read"}, {"system": "content_types", "action": "read"}]),
    "public": ("Public", "The anonymous caller: published entries of public types, private fields never.",
               [{"type": "*", "action": "read"}]),
}


class PermissionSchema(Schema):
    type = fields.String(validate=validate.Regexp(_NAME, error="Use a content type name or *."))
    system = fields.String(validate=validate.OneOf((*SYSTEM_SUBJECTS, ANY)))
    action = fields.String(required=True)
    field_names = fields.List(fields.String(validate=validate.Regexp(_FIELD, error="Use field names.")),
                              data_key="fields", allow_none=True, validate=validate.Length(max=200))
    own = fields.Boolean(truthy={True}, falsy={False})

    @validates_schema
    def check_shape(self, data, **_kwargs):
        if ("type" in data) == ("system" in data):
            raise ValidationError("Give either type (a content permission) or system (a system permission).")
        action = data["action"]
        if "system" in data:
            if action not in SYSTEM_ACTIONS:
                raise ValidationError(f"Use one of: {', '.join(SYSTEM_ACTIONS)}.", "action")
            if data.get("field_names") is not None or data.get("own"):
                raise ValidationError("System permissions take no fields and no own.")
            return
        if action not in (*CONTENT_ACTIONS, ANY):
            raise ValidationError(f"Use one of: {', '.join(CONTENT_ACTIONS)}.", "action")
        if data.get("field_names") is not None and action not in FIELD_ACTIONS:
            raise ValidationError(f"fields apply to {', '.join(sorted(FIELD_ACTIONS))} only.", "fields")
        if data.get("own") and action not in OWN_ACTIONS:
            raise ValidationError(f"own applies to {', '.join(sorted(OWN_ACTIONS))} only.", "own")


_schema = PermissionSchema(many=True)


def parse_permissions(items, key="permissions"):
    """Validate a permission set (API input); return the tuple of Permissions, or raise ValidationError."""
    if not isinstance(items, list):
        raise ValidationError({key: ["Send a list of permissions."]})
    if len(items) > MAX_PERMISSIONS:
        raise ValidationError({key: [f"At most {MAX_PERMISSIONS} permissions."]})
    try:
        loaded = _schema.load(items)
    except ValidationError as exc:
        raise ValidationError({key: exc.messages}) from None
    for item in loaded:
        if "field_names" in item:
            item["fields"] = item.pop("field_names")
    return tuple(dict.fromkeys(Permission.from_json(item) for item in loaded))


def stored_permissions(items):
    """Return the Permissions of a stored (trusted) permission set."""
    return tuple(Permission.from_json(item) for item in items or ())


def grants_for(permissions, staff, user_id=None, label=""):
    return Grants(tuple(permissions), staff=staff, user_id=user_id, label=label)


def ungrantable(grants, permissions):
    """Return the permissions in ``permissions`` that ``grants`` does not cover (what may not be handed out)."""
    return [permission for permission in permissions if not grants.covers(permission)]
