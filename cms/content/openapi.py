"""The OpenAPI 3.1 description of the API, generated from the content model.

Each field type describes its values as JSON Schema (``FieldType.json_schema``), for the
delivered form ("out") and the writable form ("in"); this module assembles those into one
document with apispec. Components are named ``<type>.Entry``, ``<type>.Input`` and ``<type>.List``.
"""

from apispec import APISpec

from cms import __version__

SYSTEM_PROPERTIES = {
    "id": {"type": "string"},
    "locale": {"type": "string"},
    "status": {"type": "string", "enum": ["draft", "published", "changed"]},
    "version": {"type": "integer"},
    "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": "string", "format": "date-time"},
    "published_at": {"type": ["string", "null"], "format": "date-time"},
}
ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "details"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}}}},
}
ERROR_STATUSES = {"400": "Malformed request or query parameters", "401": "Not authenticated",
                  "403": "Not allowed", "404": "Not found", "405": "Method not allowed", "409": "Conflict",
                  "412": "Stale If-Match version", "413": "Body too large", "415": "Body is not JSON",
                  "422": "Invalid values", "429": "Too many attempts (Retry-After says when to try again)"}
SYNC_PAGE = {"type": "object", "required": ["data", "meta"], "properties": {
    "data": {"type": "object", "properties": {
        "entries": {"type": "array", "items": {"type": "object"}},
        "deleted": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "type": {"type": "string"}, "locale": {"type": "string"}}}}}},
    "meta": {"type": "object", "properties": {"next_token": {"type": "string"}, "has_more": {"type": "boolean"}}}}}
TYPE_DEFINITION = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"}, "label": {"type": "string"},
    "description": {"type": "string"}, "kind": {"type": "string", "enum": ["collection", "singleton"]},
    "options": {"type": "object"}, "fields": {"type": "array", "items": {"type": "object"}}}}


def nullable(schema):
    """Allow null besides ``schema``."""
    if isinstance(schema.get("type"), str) and set(schema) <= {"type", "format", "maxLength", "minLength",
                                                               "pattern", "minimum", "maximum", "enum"}:
        out = {**schema, "type": [schema["type"], "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


class SchemaContext:
    """What field types may ask while describing their values."""

    def __init__(self, known_types, include_private):
        self.known_types, self.include_private = known_types, include_private

    def fields(self, specs, mode):
        return {spec.name: nullable(spec.type.json_schema(spec, mode, self)) for spec in specs
                if self.include_private or not spec["private"]}

    def nested(self, specs, mode):
        schema = {"type": "object", "properties": self.fields(specs, mode)}
        if mode == "in":
            schema["additionalProperties"] = False
        return schema

    def entry_ref(self, type_name):
        return ref(f"{type_name}.Entry") if type_name in self.known_types else {"type": "object"}


def entry_schemas(compiled, ctx):
    """Return the ``Entry``, ``Input`` and ``List`` schemas of one type."""
    entry = {"type": "object", "required": ["type", *SYSTEM_PROPERTIES],
             "properties": {**SYSTEM_PROPERTIES, "type": {"const": compiled.name}, **ctx.fields(compiled.specs, "out")}}
    writable = {"type": "object", "properties": ctx.fields(compiled.specs, "in")}
    listing = {"type": "object", "required": ["data", "meta"], "properties": {
        "data": {"type": "array", "items": ref(f"{compiled.name}.Entry")},
        "meta": {"type": "object", "properties": {
            "total": {"type": ["integer", "null"]}, "total_exact": {"type": ["boolean", "null"]},
            "page": {"type": ["integer", "null"]},
            "per_page": {"type": "integer"}, "next_cursor": {"type": ["string", "null"]}}}}}
    return entry, writable, listing


def json_content(schema):
    return {"application/json": {"schema": schema}}


def operation(summary, ok_status="200", ok=None, body=None, parameters=(), errors=("400", "401", "404")):
    responses = {ok_status: {"description": "Success", **({"content": json_content(ok)} if ok else {})}}
    responses.update({status: {"description": ERROR_STATUSES[status], "content": json_content(ref("Error"))}
                      for status in errors})
    operation = {"summary": summary, "parameters": list(parameters), "responses": responses}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": json_content(body)}
    return operation


def query_param(name, schema, description, **extra):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description, **extra}


def path_param(name, schema=None, description=""):
    return {"name": name, "in": "path", "required": True, "schema": schema or {"type": "string"},
            "description": description}


STATUS_PARAMETER = query_param("status", {"type": "string", "enum": ["published", "draft"]},
                          "published (default) or draft (the working copies; needs permission)")
FIELDS_PARAMETER = query_param("fields", {"type": "string"}, "Comma-separated field names to deliver")
POPULATE_PARAMETER = query_param("populate", {"type": "string"}, "Comma-separated relation paths to deliver in full")
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "The version the write is based on, e.g. \"3\"; a stale one gets 412"}


def locale_parameter(codes, reading):
    """``locale``: reads follow the locale's fallback chain (``*``: every locale); writes name one."""
    if reading:
        return query_param("locale", {"type": "string", "enum": [*codes, "*"]},
                      "Deliver each entry in this locale, or the first of its fallbacks that exists; * for all")
    return query_param("locale", {"type": "string", "enum": list(codes)}, "The locale (translation) to write")


LIST_PARAMETERS = [
    STATUS_PARAMETER, FIELDS_PARAMETER, POPULATE_PARAMETER,
    query_param("page", {"type": "integer", "minimum": 1}, "Page number (offset pagination)"),
    query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Entries per page"),
    query_param("cursor", {"type": "string"}, "meta.next_cursor of the previous page (keyset pagination)"),
    query_param("sort", {"type": "string"}, "Comma-separated keys, - for descending, e.g. -published_at,title"),
    query_param("count", {"type": "boolean"}, "false skips meta.total"),
    query_param("q", {"type": "string", "minLength": 1, "maxLength": 200},
           "Full-text search: every word must occur in the text fields; ranked unless sorted"),
    query_param("filter", {"type": "object"}, "filter[field][operator]=value; see docs/content-api.md",
           style="deepObject", explode=True),
]


TRANSLATIONS = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": {
    "type": "object", "required": ["id", "type", "locale", "status", "version"], "properties": {
        "id": {"type": "string"}, "type": {"type": "string"}, "locale": {"type": "string"}, "status": {"type": "string"},
        "version": {"type": "integer"}, "updated_at": {"type": "string", "format": "date-time"}}}},
    "meta": {"type": "object"}}}


_MOMENT = {"type": ["string", "null"], "format": "date-time"}
SCHEDULE_INPUT = {"type": "object", "additionalProperties": False,
                  "properties": {"publish_at": _MOMENT, "unpublish_at": _MOMENT}}
SCHEDULE = {"type": "object", "required": ["data"], "properties": {"data": {"type": "object", "properties": {
    "publish_at": _MOMENT, "unpublish_at": _MOMENT, "last_error": {"type": ["string", "null"]}}}}}


def _entry_paths(compiled, locales):
    name, base = compiled.name, f"/api/content/{compiled.name}"
    entry, writable = ref(f"{name}.Entry"), ref(f"{name}.Input")
    wrapped = {"type": "object", "required": ["data"], "properties": {"data": entry}}
    singleton = compiled.kind == "singleton"
    single = "" if singleton else "/{id}"
    id_parameter = [] if singleton else [path_param("id", description="Entry id")]
    # a singleton's URL names its translation by locale; a collection entry's id names one already
    which = [locale_parameter(locales, reading=False)] if singleton else []
    writes = ("400", "401", "403", "404", "409", "412", "413", "415", "422")
    paths = {
        f"{base}{single}": {
            "parameters": id_parameter,
            "get": operation(f"Read one {name}", ok=wrapped, parameters=[
                STATUS_PARAMETER, FIELDS_PARAMETER, POPULATE_PARAMETER, locale_parameter(locales, reading=True)]),
            "put": operation(f"Replace the working copy of a {name}", ok=wrapped, body=writable,
                              parameters=[IF_MATCH, *which], errors=writes),
            "patch": operation(f"Merge into the working copy of a {name} (JSON Merge Patch)", ok=wrapped,
                                body=writable, parameters=[IF_MATCH, *which], errors=writes),
            "delete": operation(f"Delete a {name}", ok_status="204", parameters=[IF_MATCH, *which], errors=writes),
        },
        f"{base}{single}/publish": {"parameters": id_parameter, "post": operation(
            f"Publish a {name}", ok=wrapped, parameters=[IF_MATCH, *which], errors=writes)},
        f"{base}{single}/unpublish": {"parameters": id_parameter, "post": operation(
            f"Unpublish a {name}", ok=wrapped, parameters=[IF_MATCH, *which], errors=writes)},
        f"{base}{single}/schedule": {
            "parameters": id_parameter,
            "get": operation(f"Read when a {name} will be published or unpublished", ok=SCHEDULE, parameters=which),
            "post": operation(f"Schedule a {name}'s publish and/or unpublish (run by folio worker)", ok=SCHEDULE,
                               body=SCHEDULE_INPUT, parameters=which, errors=writes),
            "delete": operation("Cancel the schedule", ok_status="204", parameters=which, errors=writes)},
        f"{base}{single}/revisions": {"parameters": id_parameter, "get": operation(
            f"List the revisions of a {name}", ok={"type": "object"}, parameters=which)},
        f"{base}{single}/revisions/{{number}}": {
            "parameters": [*id_parameter, path_param("number", {"type": "integer"})],
            "get": operation("Read one revision", ok={"type": "object"}, parameters=which)},
        f"{base}{single}/revisions/{{number}}/diff": {
            "parameters": [*id_parameter, path_param("number", {"type": "integer"})],
            "get": operation("Compare a revision with another or the working copy", ok={"type": "object"},
                              parameters=[query_param("against", {"type": "integer", "minimum": 1}, "Other revision"),
                                          *which])},
        f"{base}{single}/revisions/{{number}}/restore": {
            "parameters": [*id_parameter, path_param("number", {"type": "integer"})],
            "post": operation("Restore a revision as the working copy", ok=wrapped, parameters=[IF_MATCH, *which],
                               errors=writes)},
        f"{base}{single}/translations": {"parameters": id_parameter, "get": operation(
            f"List the translations of a {name} (localized types)", ok=TRANSLATIONS, parameters=[STATUS_PARAMETER])},
        f"{base}{single}/translations/{{locale}}": {
            "parameters": [*id_parameter, path_param("locale", {"type": "string", "enum": list(locales)})],
            "post": operation(f"Create the translation of a {name} in a locale (localized types)", ok_status="201",
                               ok=wrapped, body=writable, errors=writes)},
    }
    if not singleton:
        paths[base] = {
            "get": operation(f"List {name} entries", ok=ref(f"{name}.List"),
                              parameters=[*LIST_PARAMETERS, locale_parameter(locales, reading=True)]),
            "post": operation(f"Create a {name}", ok_status="201", ok=wrapped, body=writable, errors=writes,
                               parameters=[locale_parameter(locales, reading=False)]),
        }
    else:
        paths[base]["post"] = operation(f"Create the {name}", ok_status="201", ok=wrapped, body=writable,
                                         errors=writes, parameters=[locale_parameter(locales, reading=False)])
    return paths


def _system_paths():
    types = {"type": "object", "properties": {"data": {"type": "array", "items": ref("ContentType")}}}
    one_type = {"type": "object", "properties": {"data": ref("ContentType"), "meta": {"type": "object"}}}
    writes = ("400", "401", "403", "404", "409", "413", "415", "422")
    name = [path_param("name", description="Content type name")]
    return {
        "/healthz": {"get": operation("The process is up", ok={"type": "object"}, errors=())},
        "/readyz": {"get": operation("The database answers", ok={"type": "object"}, errors=())},
        "/api/openapi.json": {"get": operation("This document", ok={"type": "object"}, errors=())},
        "/api/types.ts": {"get": {"summary": "TypeScript interfaces of the content model",
                                  "responses": {"200": {"description": "TypeScript source",
                                                        "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/api/sync": {"get": operation(
            "Published changes and deletions since a token", ok=SYNC_PAGE, errors=("400", "401"), parameters=[
                query_param("since", {"type": "string"}, "meta.next_token of the previous sync; absent: from the start"),
                query_param("types", {"type": "string"}, "Comma-separated type names"),
                query_param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Changes per page")])},
        "/api/content-types": {
            "get": operation("List content types", ok=types, errors=("401", "403")),
            "post": operation("Create a content type", ok_status="201", ok=one_type, body=ref("ContentType"),
                               errors=writes),
        },
        "/api/content-types/{name}": {
            "parameters": name,
            "get": operation("Read a content type", ok=one_type),
            "put": operation("Replace a content type", ok=one_type, body=ref("ContentType"), errors=writes,
                              parameters=[query_param("dry_run", {"type": "boolean"}, "Report without saving")]),
            "patch": operation("Change parts of a content type", ok=one_type, body=ref("ContentType"),
                                errors=writes,
                                parameters=[query_param("dry_run", {"type": "boolean"}, "Report without saving")]),
            "delete": operation("Delete a content type", ok_status="204", errors=writes,
                                 parameters=[query_param("force", {"type": "boolean"}, "Delete its entries too")]),
        },
    }


def build_openapi(types, include_private, extra_paths=None, locales=("en",)):
    """Return the OpenAPI document (a dict) for ``types`` (compiled content types) and the configured locales."""
    spec = APISpec(title="Folio content API", version=__version__, openapi_version="3.1.0",
                   info={"description": "Content types and entries of this Folio instance."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    spec.components.schema("ContentType", TYPE_DEFINITION)
    ctx = SchemaContext({compiled.name for compiled in types}, include_private)
    for compiled in sorted(types, key=lambda c: c.name):
        entry, writable, listing = entry_schemas(compiled, ctx)
        spec.components.schema(f"{compiled.name}.Entry", entry)
        spec.components.schema(f"{compiled.name}.Input", writable)
        spec.components.schema(f"{compiled.name}.List", listing)
    paths = {**_system_paths(), **(extra_paths or {})}
    for compiled in types:
        paths.update(_entry_paths(compiled, locales))
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations={k: v for k, v in operations.items() if k != "parameters"},
                  parameters=operations.get("parameters"))
    document = spec.to_dict()
    document["security"] = [{"bearer": []}, {}]
    return document
