"""Validate and normalise content-type definitions (the JSON a client sends or a file holds)."""

import re
import secrets

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, validate
from marshmallow import fields as mf

from cms.content.fields.base import CompileContext, FieldSpec, UnavailableType, no_control_chars, option_bool
from cms.core.errors import ValidationFailed

NAME = r"^[a-z][a-z0-9_]{0,63}\Z"  # \Z: "$" would let a trailing newline through
FIELD_ID = re.compile(r"^[a-z0-9_]{1,32}\Z")
SYSTEM_KEYS = ("id", "type", "locale", "status", "version", "created_at", "updated_at", "published_at")
RESERVED_FIELD_NAMES = frozenset(SYSTEM_KEYS) | {
    "created_by", "updated_by", "published_by", "published_version", "translations", "meta",
}
RESERVED_TYPE_NAMES = frozenset({
    "admin", "api", "auth", "content", "content_type", "content_types", "event", "events", "media",
    "openapi", "plugin", "plugins", "preview", "revision", "revisions", "role", "roles", "sync",
    "token", "tokens", "type", "types", "upload", "uploads", "user", "users", "webhook", "webhooks",
})
MAX_FIELDS = 200


class OptionsIn(Schema):
    class Meta:
        unknown = RAISE

    draft_publish = option_bool(True)
    localized = option_bool(False)
    public = option_bool(True)


class TypeIn(Schema):
    """A content type as clients send it (POST, PUT, or a `folio types import` file)."""

    class Meta:
        unknown = RAISE

    name = mf.String(required=True, validate=validate.Regexp(NAME, error="Use lowercase letters, digits and _ (start with a letter, at most 64)."))
    label = mf.String(validate=[validate.Length(min=1, max=200), no_control_chars(True)])
    description = mf.String(load_default="", validate=[validate.Length(max=1000), no_control_chars(False)])
    kind = mf.String(load_default="collection", validate=validate.OneOf(["collection", "singleton"]))
    options = mf.Nested(OptionsIn, load_default=lambda: OptionsIn().load({}))
    fields = mf.List(mf.Raw(), load_default=list, validate=validate.Length(max=MAX_FIELDS))
    # what a GET returns beside the definition; accepted so a GET body can be PUT back
    version = mf.Raw(load_only=True)
    created_at = mf.Raw(load_only=True)
    updated_at = mf.Raw(load_only=True)
    entries = mf.Raw(load_only=True)


_COMMON_FIELD_KEYS = {
    "id": mf.String(validate=validate.Regexp(FIELD_ID, error="Use 1-32 of a-z, 0-9 and _.")),
    "name": mf.String(required=True, validate=validate.Regexp(NAME, error="Use lowercase letters, digits and _ (start with a letter, at most 64).")),
    "label": mf.String(validate=[validate.Length(min=1, max=200), no_control_chars(True)]),
    "description": mf.String(validate=[validate.Length(max=1000), no_control_chars(False)]),
    "type": mf.String(required=True),
    "required": option_bool(),
    "unique": option_bool(),
    "indexed": option_bool(),
    "private": option_bool(),
    "localized": option_bool(True),
    "default": mf.Raw(allow_none=True),
}


def _definition_schema(field_type, cache={}):  # noqa: B006 - per-process memo of immutable schemas
    key = (type(field_type), field_type.name)
    if key not in cache:
        cls = Schema.from_dict({**_COMMON_FIELD_KEYS, **field_type.options}, name=f"{field_type.name}Definition")
        cache[key] = cls(unknown=RAISE)
    return cache[key]


def new_field_id(taken):
    while True:
        candidate = "f" + secrets.token_hex(4)
        if candidate not in taken:
            return candidate


class _Lookup:
    """What a field definition may ask about its surroundings."""

    def __init__(self, siblings, type_exists):
        self._siblings = {f.get("name"): f for f in siblings if isinstance(f, dict)}
        self.type_exists = type_exists

    def sibling(self, name):
        return self._siblings.get(name)


class DefinitionCleaner:
    """Turn a raw type definition into the canonical stored form, or raise ValidationFailed."""

    def __init__(self, registry, type_exists, json_max_depth=32):
        self.registry = registry
        self.type_exists = type_exists
        self.json_max_depth = json_max_depth

    def clean(self, payload):
        try:
            data = TypeIn().load(payload)
        except ValidationError as exc:
            raise ValidationFailed(exc.messages) from None
        for key in ("version", "created_at", "updated_at", "entries"):
            data.pop(key, None)
        errors = {}
        if data["name"] in RESERVED_TYPE_NAMES:
            errors["name"] = [f"{data['name']!r} is reserved; choose another name."]
        self._ids = set()
        self._wanted_ids = _collect_ids(data["fields"])
        cleaned, field_errors = self._fields(data["fields"], top=True)
        if field_errors:
            errors["fields"] = field_errors
        if errors:
            raise ValidationFailed(errors)
        data["fields"] = cleaned
        data.setdefault("label", _label(data["name"]))
        return data

    def _fields(self, raw_fields, top):
        lookup = _Lookup(raw_fields, self.type_exists)
        cleaned, errors, names = [], {}, set()
        for index, raw in enumerate(raw_fields):
            result, problems = self._field(raw, lookup, top)
            if result is not None:
                if result["name"] in names:
                    problems.setdefault("name", []).append(f"Another field is already named {result['name']!r}.")
                names.add(result["name"])
            if problems:
                errors[index] = problems
            elif result is not None:
                cleaned.append(result)
        return cleaned, errors

    def _field(self, raw, lookup, top):
        if not isinstance(raw, dict):
            return None, {"_schema": ["Each field is an object with at least a name and a type."]}
        field_type = self.registry.get(raw.get("type"))
        if field_type is None:
            known = ", ".join(self.registry.names())
            return None, {"type": [f"Unknown field type {raw.get('type')!r}; use one of: {known}."]}
        try:
            definition = _definition_schema(field_type).load(raw)
        except ValidationError as exc:
            return None, exc.messages
        errors = field_type.check_definition(definition, lookup)
        name = definition["name"]
        if top and name in RESERVED_FIELD_NAMES:
            errors.setdefault("name", []).append(f"{name!r} is reserved for system data.")
        for rule in ("unique", "indexed"):
            if definition[rule] and not (field_type.scalar and top):
                errors.setdefault(rule, []).append(
                    "Only top-level fields of a simple type (text, number, date, ...) can be " + rule + "."
                )
        if field_type.name == "slug" and not top:
            errors.setdefault("type", []).append("Slugs can only be top-level fields.")
        self._assign_id(definition, errors)
        nested = getattr(field_type, "nested_option", None)
        if nested == "fields":
            children, child_errors = self._fields(definition["fields"], top=False)
            definition["fields"] = children
            if child_errors:
                errors["fields"] = child_errors
        elif nested == "blocks":
            for block, block_fields in definition["blocks"].items():
                children, child_errors = self._fields(block_fields, top=False)
                definition["blocks"][block] = children
                if child_errors:
                    errors.setdefault("blocks", {})[block] = child_errors
        if not errors and "default" in definition and definition["default"] is not None:
            errors.update(self._check_default(definition))
        if "label" not in definition:
            definition["label"] = _label(name)
        return _canonical(definition), errors

    def _assign_id(self, definition, errors):
        field_id = definition.get("id")
        if field_id is None:
            field_id = new_field_id(self._ids | self._wanted_ids)
        elif field_id in self._ids:
            errors.setdefault("id", []).append(f"Two fields share the id {field_id!r}.")
        self._ids.add(field_id)
        definition["id"] = field_id

    def _check_default(self, definition):
        ctx = CompileContext(mode="full", json_max_depth=self.json_max_depth)
        ctx.schema_factory = lambda specs: storage_schema(specs, ctx)
        spec = compile_specs([definition], self.registry)[0]
        try:
            spec.type.input_field(spec, ctx).deserialize(definition["default"])
        except ValidationError as exc:
            return {"default": exc.messages}
        return {}


def _collect_ids(raw_fields):
    ids = set()
    stack = list(raw_fields)
    while stack:
        raw = stack.pop()
        if isinstance(raw, dict):
            if isinstance(raw.get("id"), str):
                ids.add(raw["id"])
            if isinstance(raw.get("fields"), list):
                stack.extend(raw["fields"])
            if isinstance(raw.get("blocks"), dict):
                for block in raw["blocks"].values():
                    if isinstance(block, list):
                        stack.extend(block)
    return ids


def with_known_ids(raw, old):
    """Give fields written without an id the id of the stored field with the same name."""
    if old is None or not isinstance(raw.get("fields"), list):
        return raw
    taken = _collect_ids(raw["fields"])
    return {**raw, "fields": _fill_ids(raw["fields"], old["fields"], taken)}


def _fill_ids(raw_fields, old_fields, taken):
    by_name = {field["name"]: field for field in old_fields}
    out = []
    for raw in raw_fields:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            out.append(raw)
            continue
        old = by_name.get(raw["name"])
        raw = dict(raw)
        if old is not None and "id" not in raw and old["id"] not in taken:
            raw["id"] = old["id"]
            taken.add(old["id"])
        if old is not None and isinstance(raw.get("fields"), list):
            raw["fields"] = _fill_ids(raw["fields"], old.get("fields") or [], taken)
        if old is not None and isinstance(raw.get("blocks"), dict):
            old_blocks = old.get("blocks") or {}
            raw["blocks"] = {
                block: _fill_ids(children, old_blocks.get(block) or [], taken) if isinstance(children, list)
                else children
                for block, children in raw["blocks"].items()
            }
        out.append(raw)
    return out


def _label(name):
    return name.replace("_", " ").capitalize()


_DEFAULT_FALSE = ("required", "unique", "indexed", "private", "many", "repeatable")


def _canonical(definition):
    """Drop unset and default-valued keys so that exports are small and stable."""
    out = {}
    for key, value in definition.items():
        if value is None and key != "default":
            continue
        if key in _DEFAULT_FALSE and value is False:
            continue
        if key == "localized" and value is True:
            continue
        out[key] = value
    return out


def compile_specs(definitions, registry):
    """Build FieldSpec trees from canonical field definitions."""
    specs = []
    for definition in definitions:
        field_type = registry.get(definition["type"]) or UnavailableType(definition["type"])
        spec = FieldSpec(id=definition["id"], name=definition["name"], type=field_type, definition=definition)
        if "fields" in definition and getattr(field_type, "nested_option", None) == "fields":
            spec.children = compile_specs(definition["fields"], registry)
        if "blocks" in definition and getattr(field_type, "nested_option", None) == "blocks":
            spec.blocks = {name: compile_specs(items, registry) for name, items in definition["blocks"].items()}
        specs.append(spec)
    return specs


def storage_schema(specs, ctx):
    """Return a marshmallow schema instance that loads API input into stored (id-keyed) form."""
    declared = {spec.id: spec.type.input_field(spec, ctx) for spec in specs}
    return Schema.from_dict(declared, name="EntrySchema")(unknown=RAISE)


__all__ = ["DefinitionCleaner", "compile_specs", "storage_schema", "EXCLUDE"]
