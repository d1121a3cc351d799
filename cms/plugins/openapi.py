"""The OpenAPI description of /api/plugins (merged into /api/openapi.json)."""

from cms.content.openapi import operation, path_param

_STRING = {"type": "string"}
_NULLABLE = {"type": ["string", "null"]}
PLUGIN = {"type": "object", "required": ["name", "state", "source"], "properties": {
    "type": {"const": "plugin"}, "name": _STRING, "source": {"enum": ["directory", "entry point", "object"]},
    "origin": _STRING, "state": {"enum": ["active", "disabled", "failed", "incompatible"]},
    "version": _NULLABLE, "description": _NULLABLE, "folio": _NULLABLE, "error": _NULLABLE,
    "hooks": {"type": "array", "items": _STRING}, "failures": {"type": "integer"},
    "last_failure": {"type": ["object", "null"]}, "contributes": {"type": "object"}}}


def plugin_paths():
    return {
        "/api/plugins": {"get": operation(
            "List plugins and their status in this process", errors=("400", "401", "403"),
            ok={"type": "object", "required": ["data"], "properties": {
                "data": {"type": "array", "items": PLUGIN}, "meta": {"type": "object"}}})},
        "/api/plugins/{name}": {"parameters": [path_param("name", description="Plugin name")], "get": operation(
            "Read one plugin's status", ok={"type": "object", "required": ["data"], "properties": {"data": PLUGIN}},
            errors=("400", "401", "403", "404"))},
    }
