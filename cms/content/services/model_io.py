"""Move a content model between environments: export it to a document, plan and apply an import.

A model document is ``{"folio": {"format": 1}, "types": [<export_type(row)>, ...]}``, written as
JSON or YAML. Field ids travel with the definitions, so a field that keeps its id but changes its
name is a rename and its stored values follow it. A field written without an id takes the id of
the existing field of the same name (so hand-written files re-import without changes).
"""

import datetime
import json

import yaml

from cms.content.definitions import with_known_ids
from cms.content.services import changes
from cms.content.services import types as type_services
from cms.core.errors import ApiError, BadRequest, ValidationFailed
from cms.extensions import db

FORMAT = 1
FORMATS = ("json", "yaml")


def export_model(names=None, *, actor):
    """Return the model document of the named types (every type when ``names`` is empty)."""
    if names:
        rows = [type_services.get_type(name, actor) for name in dict.fromkeys(names)]
    else:
        rows = type_services.list_types(actor)
    return {"folio": {"format": FORMAT}, "types": [type_services.export_type(row) for row in rows]}


def dump_model(document, fmt):
    """Return ``document`` as JSON or YAML text."""
    if fmt == "yaml":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def read_model(text, fmt):
    """Parse a model document and check its shape; raise BadRequest or ValidationFailed."""
    document = _parse(text, fmt)
    if not isinstance(document, dict):
        raise BadRequest("A model file holds an object with a \"types\" list.")
    unknown = sorted(set(document) - {"folio", "types"})
    if unknown:
        raise ValidationFailed({key: ["Unknown key."] for key in unknown},
                               f"Unknown top-level key {unknown[0]!r}; a model file has \"folio\" and \"types\".")
    header = document.get("folio", {"format": FORMAT})
    if header != {"format": FORMAT}:
        raise ValidationFailed({"folio": [f"Expected {{\"format\": {FORMAT}}}."]},
                               f"Unsupported model file header {header!r}; expected {{\"format\": {FORMAT}}}.")
    if "types" not in document:
        raise ValidationFailed({"types": ["Missing."]}, "The model file has no \"types\" list.")
    if not isinstance(document["types"], list):
        raise ValidationFailed({"types": ["Must be a list."]}, "\"types\" must be a list of type definitions.")
    errors, seen = {}, set()
    for index, definition in enumerate(document["types"]):
        if not isinstance(definition, dict):
            errors[index] = {"_schema": ["Each type is an object."]}
        elif not isinstance(definition.get("name"), str) or not definition["name"]:
            errors[index] = {"name": ["Each type needs a name."]}
        elif definition["name"] in seen:
            errors[index] = {"name": [f"The type {definition['name']!r} appears twice."]}
        else:
            seen.add(definition["name"])
    if errors:
        raise ValidationFailed({"types": errors}, "Some type definitions in the model file are not valid.")
    return {"folio": {"format": FORMAT}, "types": document["types"]}


def _parse(text, fmt):
    if fmt not in FORMATS:
        raise BadRequest(f"Unknown format {fmt!r}; use json or yaml.")
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"Invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}.") from None
    try:
        return _plain(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadRequest(f"Invalid YAML{where}: {problem}.") from None


def _plain(value):
    """Turn what YAML adds beyond JSON (dates, non-string keys) into JSON values."""
    if isinstance(value, dict):
        return {key if isinstance(key, str) else json.dumps(key, default=str): _plain(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


def plan_import(document, actor):
    """Return what importing ``document`` would do, type by type, without writing anything."""
    return [{key: item[key] for key in ("type", "action", "changes")} for item in _prepare(document, actor)]


def import_model(document, actor, dry_run=False):
    """Create and update the types of ``document``; return the report (rolled back when ``dry_run``)."""
    names = _names(document)
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        report = [_apply(item, actor, also_known=names) for item in _prepare(document, actor)]
    finally:
        if savepoint is not None:
            savepoint.rollback()
    return report


def _names(document):
    return {definition["name"] for definition in document["types"]}


def _prepare(document, actor):
    """Clean every definition (all errors at once) and pair it with the stored one."""
    existing = {row.name: row for row in type_services.list_types(actor)}
    names = _names(document)
    items, errors = [], {}
    for raw in document["types"]:
        name = raw["name"]
        old = type_services.export_type(existing[name]) if name in existing else None
        try:
            new = type_services.clean_definition(with_known_ids(raw, old), also_known=names)
        except ValidationFailed as exc:
            errors[name] = exc.details["fields"]
            continue
        plan = changes.plan_changes(old, new)
        action = "create" if old is None else ("update" if plan else "unchanged")
        items.append({"type": name, "action": action, "changes": plan, "definition": new})
    if errors:
        raise ValidationFailed(errors, "Some type definitions in the model file are not valid.")
    for name in sorted(set(existing) - names):
        items.append({"type": name, "action": "not_in_file", "changes": [], "definition": None})
    return items


def _apply(item, actor, also_known):
    name, action = item["type"], item["action"]
    result = {key: item[key] for key in ("type", "action", "changes")}
    try:
        if action == "create":
            type_services.create_type(item["definition"], actor, also_known=also_known)
        elif action == "update":
            _row, report = type_services.update_type(name, item["definition"], actor, also_known=also_known)
            result.update(changes=report["changes"], invalid_count=report["invalid_count"],
                          invalid_entries=report["invalid_entries"])
    except ValidationFailed as exc:
        raise ValidationFailed({name: exc.details["fields"]}, f"{name}: {exc.message}") from None
    except ApiError as exc:
        raise type(exc)(f"{name}: {exc.message}", exc.details) from None
    return result
