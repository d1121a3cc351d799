"""The content-type builder's form model: posted rows <-> a type definition, and errors per input.

The builder posts the whole definition on every button press (add, remove, move, review), so the
server can re-render it without losing anything. A field row's inputs are ``<list>-<i>-<key>``
(``fields-0-name``; nested lists in type_steps) and the rows of a list come back in the order of
their ``<list>-row`` inputs, so moving a row in the page (or on the server) reorders the fields. Option inputs are derived from each field type's marshmallow
options, so plugin field types get inputs too; an option of a kind we do not know is a JSON box.
"""

import json

from marshmallow import fields as mf
from marshmallow import validate

from cms.content.definitions import OptionsIn

#: keys every field has besides its type's options (checkboxes among them)
FLAGS = ("required", "unique", "indexed", "private", "localized")
TEXTS = ("name", "label", "description")
FLAG_DEFAULTS = {"localized": True}
NESTED = ("fields", "blocks")  # component and blocks children: edited as nested rows
MAX_ROWS, MAX_DEPTH = 200, 8  # what one posted form may hold (the services refuse more anyway)
HINTS = {
    "target": "The name of the content type this field points at.",
    "values": "One choice per line.",
    "palette": "One colour per line.",
    "sources": "One field name per line.",
    "default": 'Stored in entries that leave the field out. Write it as JSON: "text", 5, true; plain words count as text.',
}
COUNT_HINTS = {"min": "With many (or repeatable): the fewest items.", "max": "With many (or repeatable): the most items."}


class Widget:
    """How one option is edited: ``kind`` is checkbox, integer, select, text, lines, value or json."""

    def __init__(self, key, kind, choices=(), default=None):
        self.key, self.kind, self.choices, self.default = key, kind, tuple(choices), default
        self.label = key.replace("_", " ").capitalize()
        self.hint = HINTS.get(key, "")


def _choices(mfield):
    for validator in mfield.validators:
        if isinstance(validator, validate.OneOf):
            return validator.choices
    return None


def widget_for(key, mfield):
    """Pick an input for a marshmallow option field (anything unrecognised: JSON)."""
    default = mfield.load_default if isinstance(mfield.load_default, (str, bool, int)) else None
    if key == "target":
        return Widget(key, "target")
    if isinstance(mfield, mf.Boolean):
        return Widget(key, "checkbox", default=bool(default))
    if isinstance(mfield, mf.Integer):
        return Widget(key, "integer")
    if isinstance(mfield, mf.String):
        choices = _choices(mfield)
        return Widget(key, "select", choices, default) if choices else Widget(key, "text")
    if isinstance(mfield, mf.List) and isinstance(mfield.inner, mf.String):
        return Widget(key, "lines")
    if type(mfield) is mf.Raw or isinstance(mfield, (mf.List, mf.Dict, mf.Nested)):
        return Widget(key, "json")
    return Widget(key, "value")  # a number, a date bound, …: JSON when it parses, else text


def widgets(field_type):
    """The option inputs of a field type, nested options last."""
    options = getattr(field_type, "options", {}) or {}
    found = [widget_for(key, mfield) for key, mfield in options.items()]
    if any(key in options for key in ("many", "repeatable", *NESTED)):  # min/max count items
        for widget in found:
            widget.hint = COUNT_HINTS.get(widget.key, widget.hint)
    return sorted(found, key=lambda w: w.key in NESTED)


def type_choices(registry):
    return [(name, getattr(registry.get(name), "label", "") or name) for name in registry.names()]


# -- from a definition to form values -----------------------------------------------------------

def _text_of(widget, value):
    if value is None:
        return ""
    if widget.kind == "checkbox":
        return bool(value)
    if widget.kind == "lines" and isinstance(value, list):
        return "\n".join(str(item) for item in value)
    if widget.kind == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    if widget.kind == "value":
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return str(value)


def nested_of(field_type):
    """"fields" (a component), "blocks" (blocks) or None: what a field type nests."""
    return getattr(field_type, "nested_option", None) if field_type is not None else None


def row_from_field(definition, registry):
    """The form values of one field definition (nested fields become nested rows)."""
    row = {key: definition.get(key, "") or "" for key in TEXTS}
    row.update(id=definition.get("id", ""), type=definition.get("type", "string"))
    for flag in FLAGS:
        row[flag] = bool(definition.get(flag, FLAG_DEFAULTS.get(flag, False)))
    default = definition.get("default")
    row["default"] = "" if "default" not in definition else _text_of(Widget("default", "value"), default)
    field_type = registry.get(row["type"])
    nested = nested_of(field_type)
    known = set(TEXTS) | set(FLAGS) | {"id", "type", "default"}
    for widget in widgets(field_type) if field_type else ():
        known.add(widget.key)
        if widget.key != nested:
            row[widget.key] = _text_of(widget, definition.get(widget.key, widget.default))
    if nested == "fields":
        children = definition.get("fields") if isinstance(definition.get("fields"), list) else []
        row["children"] = [row_from_field(child, registry) for child in children if isinstance(child, dict)]
    elif nested == "blocks":
        blocks = definition.get("blocks") if isinstance(definition.get("blocks"), dict) else {}
        row["kinds"] = [{"name": name, "rows": [row_from_field(child, registry) for child in children
                                                if isinstance(child, dict)]}
                        for name, children in blocks.items() if isinstance(children, list)]
    extra = {key: value for key, value in definition.items() if key not in known}
    row["extra"] = json.dumps(extra, indent=2, ensure_ascii=False) if extra else ""
    return row


def values_from_definition(definition, registry):
    """The whole form's values from a stored (or planned) definition."""
    options = definition.get("options") or {}
    return {
        "name": definition.get("name", ""), "label": definition.get("label", ""),
        "description": definition.get("description", ""), "kind": definition.get("kind", "collection"),
        "options": {key: bool(options.get(key, field.load_default)) for key, field in OptionsIn._declared_fields.items()},
        "rows": [row_from_field(field, registry) for field in definition.get("fields") or []],
    }


def empty_values():
    return {"name": "", "label": "", "description": "", "kind": "collection",
            "options": {key: bool(field.load_default) for key, field in OptionsIn._declared_fields.items()},
            "rows": []}


# -- from the posted form to form values and a definition ---------------------------------------

def values_from_form(form, registry):
    """Read the posted builder: type keys, type options, and the field rows in their posted order."""
    return {
        "name": form.get("name", "").strip(), "label": form.get("label", "").strip(),
        "description": form.get("description", "").strip(), "kind": form.get("kind", "collection"),
        "options": {key: form.get(f"opt-{key}") == "on" for key in OptionsIn._declared_fields},
        "rows": _rows_from_form(form, "fields-", registry),
    }


def _rows_from_form(form, base, registry, depth=0):
    """The rows of one field list: ``<base>row`` gives their keys in page order."""
    rows = []
    for key in form.getlist(base + "row")[:MAX_ROWS] if depth <= MAX_DEPTH else ():
        prefix = f"{base}{key}-"
        row = {name: form.get(prefix + name, "").strip() for name in (*TEXTS, "id", "type")}
        row["type"] = row["type"] or "string"
        for flag in FLAGS:
            row[flag] = form.get(prefix + flag) == "on"
        row["default"] = form.get(prefix + "default", "")
        row["extra"] = form.get(prefix + "extra", "")
        field_type = registry.get(row["type"])
        nested = nested_of(field_type)
        for widget in widgets(field_type) if field_type else ():
            if widget.key == nested:
                continue
            if widget.kind == "checkbox":
                row[widget.key] = form.get(prefix + widget.key) == "on"
            else:
                row[widget.key] = form.get(prefix + widget.key, "")
        if nested == "fields":
            row["children"] = _rows_from_form(form, prefix + "fields-", registry, depth + 1)
        elif nested == "blocks":
            row["kinds"] = [{"name": form.get(f"{prefix}blocks-{kind}-name", "").strip(),
                             "rows": _rows_from_form(form, f"{prefix}blocks-{kind}-fields-", registry, depth + 1)}
                            for kind in form.getlist(prefix + "blocks-kind")[:MAX_ROWS]]
        rows.append(row)
    return rows


class FormProblems(Exception):
    """Inputs that cannot even be read (JSON that does not parse, a number that is not one)."""

    def __init__(self, errors):
        super().__init__("form problems")
        self.errors = errors


def _parse(widget, text, problems, where):
    if widget.kind == "checkbox":
        return bool(text)
    text = text.strip() if isinstance(text, str) else text
    if text == "":
        return None
    if widget.kind == "integer":
        try:
            return int(text)
        except ValueError:
            problems[where] = ["Enter a whole number."]
            return None
    if widget.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if widget.kind == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            problems[where] = [f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."]
            return None
    if widget.kind == "value":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def definition_from_values(values, registry):
    """Build the definition the services take; raise FormProblems for inputs that do not parse."""
    problems = {}
    fields = _fields_of(values["rows"], "fields-", registry, problems)
    if problems:
        raise FormProblems(problems)
    definition = {"name": values["name"], "kind": values["kind"], "options": dict(values["options"]),
                  "description": values["description"], "fields": fields}
    if values["label"]:
        definition["label"] = values["label"]
    return definition


def _fields_of(rows, base, registry, problems):
    fields = []
    for index, row in enumerate(rows):
        where = f"{base}{index}-"
        definition = {"name": row["name"], "type": row["type"]}
        for key in ("label", "description", "id"):
            if row[key]:
                definition[key] = row[key]
        field_type = registry.get(row["type"])
        nested = nested_of(field_type)
        for flag in FLAGS:
            if flag in ("unique", "indexed") and not (getattr(field_type, "scalar", False) and base == "fields-"):
                continue
            if row[flag] != FLAG_DEFAULTS.get(flag, False):
                definition[flag] = row[flag]
        default = _parse(Widget("default", "value"), row["default"], problems, where + "default")
        if default is not None:
            definition["default"] = default
        for widget in widgets(field_type) if field_type else ():
            if widget.key == nested:
                continue
            value = _parse(widget, row.get(widget.key, ""), problems, where + widget.key)
            if value is not None and not (widget.kind == "checkbox" and value is False):
                definition[widget.key] = value
        if nested == "fields":
            definition["fields"] = _fields_of(row.get("children", []), where + "fields-", registry, problems)
        elif nested == "blocks":
            definition["blocks"] = _blocks_of(row.get("kinds", []), where, registry, problems)
        extra = _parse(Widget("extra", "json"), row["extra"], problems, where + "extra")
        if extra is not None:
            if isinstance(extra, dict):
                definition.update({key: value for key, value in extra.items() if key not in definition})
            else:
                problems[where + "extra"] = ["Write other options as a JSON object."]
        fields.append(definition)
    return fields


def _blocks_of(kinds, where, registry, problems):
    blocks = {}
    for index, kind in enumerate(kinds):
        at = f"{where}blocks-{index}-"
        if not kind["name"]:
            problems[at + "name"] = ["Name this kind of block."]
        elif kind["name"] in blocks:
            problems[at + "name"] = [f"Another kind of block is already named {kind['name']!r}."]
        blocks[kind["name"]] = _fields_of(kind["rows"], at + "fields-", registry, problems)
    return blocks
