"""The OpenAPI description of the auth and audit routes (merged into /api/openapi.json)."""

from cms.content.openapi import operation, path_param, query_param

_STRING = {"type": "string"}
_MOMENT = {"type": ["string", "null"], "format": "date-time"}
PERMISSION = {"type": "object", "required": ["action"], "properties": {
    "type": {"type": "string", "description": "A content type name or *"},
    "system": {"type": "string", "enum": ["content_types", "users", "roles", "tokens", "media", "webhooks",
                                          "plugins", "settings", "audit", "*"]},
    "action": {"type": "string", "description": "read/create/update/delete/publish (content) or read/manage"},
    "fields": {"type": ["array", "null"], "items": _STRING}, "own": {"type": "boolean"}}}
PERMISSIONS = {"type": "array", "items": PERMISSION}
USER = {"type": "object", "required": ["id", "email", "role", "active"], "properties": {
    "id": _STRING, "email": _STRING, "name": _STRING, "role": _STRING, "active": {"type": "boolean"},
    "created_at": _MOMENT, "updated_at": _MOMENT, "last_login_at": _MOMENT}}
USER_INPUT = {"type": "object", "properties": {
    "email": {"type": "string", "format": "email"}, "name": _STRING, "password": {"type": "string", "minLength": 10},
    "role": _STRING, "active": {"type": "boolean"}}}
ROLE = {"type": "object", "required": ["name", "permissions"], "properties": {
    "name": _STRING, "label": _STRING, "description": _STRING, "builtin": {"type": "boolean"},
    "permissions": PERMISSIONS, "version": {"type": "integer"}, "users": {"type": "integer"},
    "created_at": _MOMENT, "updated_at": _MOMENT}}
ROLE_INPUT = {"type": "object", "properties": {
    "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"}, "label": _STRING, "description": _STRING,
    "permissions": PERMISSIONS}}
TOKEN = {"type": "object", "required": ["id", "name", "kind"], "properties": {
    "id": _STRING, "name": _STRING, "kind": {"type": "string", "enum": ["api", "delivery"]},
    "role": {"type": ["string", "null"]}, "permissions": {"anyOf": [PERMISSIONS, {"type": "null"}]},
    "prefix": _STRING, "user": {"type": "object"}, "created_at": _MOMENT, "expires_at": _MOMENT,
    "last_used_at": _MOMENT, "revoked_at": _MOMENT}}
TOKEN_INPUT = {"type": "object", "required": ["name"], "properties": {
    "name": _STRING, "kind": {"type": "string", "enum": ["api", "delivery"]}, "role": {"type": ["string", "null"]},
    "permissions": {"anyOf": [PERMISSIONS, {"type": "null"}]}, "expires_at": _MOMENT}}
CALLER = {"type": "object", "required": ["authenticated", "via", "permissions"], "properties": {
    "authenticated": {"type": "boolean"}, "via": _STRING, "user": {"anyOf": [USER, {"type": "null"}]},
    "permissions": PERMISSIONS, "token": {"type": "object"}}}
EVENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "at": _MOMENT, "actor": {"type": "object"}, "action": _STRING,
    "target": {"type": "object"}, "summary": {"type": "object"}}}
EXPLANATION = {"type": "object", "properties": {
    "allowed": {"type": "boolean"}, "reason": _STRING, "action": _STRING, "type": {"type": ["string", "null"]},
    "id": {"type": ["string", "null"]}, "caller": _STRING, "fields": {"type": ["array", "null"]},
    "own": {"type": "boolean"}}}


def _data(schema, meta=None):
    properties = {"data": schema}
    if meta is not None:
        properties["meta"] = meta
    return {"type": "object", "required": ["data"], "properties": properties}


def _many(schema):
    return _data({"type": "array", "items": schema}, {"type": "object"})


def _body(*required, **properties):
    return {"type": "object", "required": list(required), "properties": properties}


WRITES = ("400", "401", "403", "404", "409", "413", "415", "422")
READS = ("400", "401", "403", "404")


def access_paths():
    """Return ``{path: operations}`` of /api/auth, /api/users, /api/roles, /api/tokens and /api/audit."""
    page = [query_param("page", {"type": "integer", "minimum": 1}, "Page number"),
            query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Users per page")]
    return {
        "/api/auth/login": {"post": operation(
            "Sign in (session cookie for the admin UI); meta.csrf_token goes into X-CSRF-Token",
            ok=_data(CALLER, {"type": "object"}), body=_body("email", "password", email=_STRING, password=_STRING),
            errors=("400", "401", "415", "422", "429"))},
        "/api/auth/logout": {"post": operation("Sign out: the session ends on the server", ok_status="204",
                                               errors=("400", "403"))},
        "/api/auth/me": {"get": operation("Who is calling, and with which permissions",
                                          ok=_data(CALLER, {"type": "object"}), errors=("400", "401"))},
        "/api/auth/password": {"post": operation(
            "Change your password (signed-in sessions); your other sessions end", ok_status="204",
            body=_body("current_password", "new_password", current_password=_STRING, new_password=_STRING),
            errors=("400", "401", "403", "415", "422", "429"))},
        "/api/auth/password-reset": {"post": operation(
            "Ask for a reset link (the same answer whether or not the email is known)", ok_status="202",
            ok=_data({"type": "object"}), body=_body("email", email=_STRING), errors=("400", "415", "422", "429"))},
        "/api/auth/password-reset/confirm": {"post": operation(
            "Set a new password with a reset link's token (single use; every session ends)", ok_status="204",
            body=_body("token", "password", token=_STRING, password=_STRING), errors=("400", "415", "422", "429"))},
        "/api/auth/explain": {"get": operation(
            "Whether the caller may take an action, and why", ok=_data(EXPLANATION), errors=READS, parameters=[
                query_param("action", _STRING, "read, read_draft, create, update, delete, publish, or <system>.<read|manage>"),
                query_param("type", _STRING, "The content type (content actions)"),
                query_param("id", _STRING, "An entry of that type (own-entry rules)")])},
        "/api/users": {
            "get": operation("List users", ok=_many(USER), errors=READS, parameters=[
                query_param("role", _STRING, "Only users with this role"),
                query_param("active", {"type": "boolean"}, "Only active (true) or inactive (false) users"),
                query_param("email", _STRING, "Part of the email address"), *page]),
            "post": operation("Create a user", ok_status="201", ok=_data(USER), body=USER_INPUT, errors=WRITES),
        },
        "/api/users/{user_id}": {
            "parameters": [path_param("user_id", description="User id")],
            "get": operation("Read a user", ok=_data(USER), errors=READS),
            "patch": operation("Change a user (email, name, role, active, password)", ok=_data(USER),
                               body=USER_INPUT, errors=WRITES),
            "delete": operation("Delete a user", ok_status="204", errors=WRITES),
        },
        "/api/roles": {
            "get": operation("List roles", ok=_many(ROLE), errors=READS),
            "post": operation("Create a role", ok_status="201", ok=_data(ROLE), body=ROLE_INPUT, errors=WRITES),
        },
        "/api/roles/{name}": {
            "parameters": [path_param("name", description="Role name")],
            "get": operation("Read a role", ok=_data(ROLE), errors=READS),
            "put": operation("Replace a role's label, description and permissions", ok=_data(ROLE), body=ROLE_INPUT,
                             errors=WRITES),
            "patch": operation("Change parts of a role", ok=_data(ROLE), body=ROLE_INPUT, errors=WRITES),
            "delete": operation("Delete a custom role nobody holds", ok_status="204", errors=WRITES),
        },
        "/api/tokens": {
            "get": operation("List your tokens (everybody's with tokens.manage)", ok=_many(TOKEN), errors=READS,
                             parameters=[query_param("user", _STRING, "Only this user's tokens"),
                                         query_param("revoked", {"type": "boolean"}, "Include revoked tokens")]),
            "post": operation("Create a token; meta.token is the secret, shown only now", ok_status="201",
                              ok=_data(TOKEN, {"type": "object"}), body=TOKEN_INPUT, errors=WRITES),
        },
        "/api/tokens/preview": {"post": operation(
            "Create a signed preview token that reads one type's drafts until it expires", ok_status="201",
            ok=_data({"type": "object"}), body=_body("type", type=_STRING, expires_in={"type": "integer"}),
            errors=WRITES)},
        "/api/tokens/{token_id}": {
            "parameters": [path_param("token_id", description="Token id")],
            "get": operation("Read a token (never its secret)", ok=_data(TOKEN), errors=READS),
            "delete": operation("Revoke a token", ok_status="204", errors=WRITES),
        },
        "/api/audit": {"get": operation("The audit log, newest first", ok=_many(EVENT), errors=READS, parameters=[
            query_param("actor", _STRING, "User id of the actor"),
            query_param("action", _STRING, "An action (entry.publish) or a prefix ending with a dot (entry.)"),
            query_param("target_type", _STRING, "entry, content_type, user, role, token …"),
            query_param("target_id", _STRING, "The target's id or name"),
            query_param("since", {"type": "string", "format": "date-time"}, "Events at or after this moment"),
            query_param("until", {"type": "string", "format": "date-time"}, "Events before this moment"),
            query_param("before", {"type": "integer", "minimum": 1}, "meta.next_before of the previous page"),
            query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 200}, "Events per page")])},
    }
