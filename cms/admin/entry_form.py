"""Between a compiled content type and the editor's HTML form.

Form field names mirror the API's input document as dotted paths (``title``, ``seo.description``,
``sections.0.heading``, ``body_blocks.1.value.text``), so the service's field errors (nested dicts
keyed the same way) land beside the inputs that caused them. Repeatable components and blocks
carry their item count (``<path>.__count``) and, for blocks, each item's ``type`` and ``id``; the
add/remove/move buttons submit ``op`` and are applied here, so the editor works without scripts.
"""

import json
from datetime import datetime

TEXT_TYPES = {"string": "text", "email": "email", "url": "url", "slug": "text"}
NUMBER_TYPES = {"integer": "1", "decimal": "any"}


def opener(actor, compiled):
    """``opens(entry)``: whether the editor opens an entry of ``compiled`` for ``actor``, who may read its drafts.

    It opens to change the entry, or read-only for a role that may change no entry of the type
    (a viewer). A role limited to its own entries (an author) does not open others' entries.
    """
    from cms.core.policy import decide

    if not decide(actor, "entry.update", compiled).allowed:  # decided once per type, not per entry
        return lambda entry: True
    return lambda entry: decide(actor, "entry.update", compiled, entry).allowed


class FieldAccess:
    """Which of a type's top-level fields the editor shows, and which of those it lets the caller change.

    Built from the same field allow-lists as the API: a field the caller may not read is not
    shown; one it may read but not write is shown disabled, and the form reader ignores it, so a
    forged input cannot write it. A new entry shows what the caller may create; an existing one
    what it may read, and lets it change the fields it may both read and update.
    """

    def __init__(self, actor, compiled, entry, creating):
        from cms.core.policy import decide

        read = decide(actor, "entry.read_draft", compiled, entry)
        write = decide(actor, "entry.create" if creating else "entry.update", compiled, entry)
        readable = {spec.name for spec in compiled.specs if read.allowed and read.shows(spec)}
        may_write = {spec.name for spec in compiled.specs if write.allowed and write.writable(spec.name)}
        if creating:  # nothing is stored yet: what may be written may be shown
            readable |= may_write
        self.specs = [spec for spec in compiled.specs if spec.name in readable]
        self.writable = may_write & readable  # never let a form overwrite a value its editor could not see
        self.written = [spec for spec in compiled.specs if spec.name in self.writable]
        self.hidden_writable = may_write - readable

    @property
    def read_only(self):
        return not self.writable


def flat_errors(messages, prefix=""):
    """Turn marshmallow's nested messages into ``{"a.0.b": [messages]}``."""
    found = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "_form"
            found.update(flat_errors(value, name))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        found.setdefault(prefix or "_form", []).extend(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            found.update(flat_errors(value, f"{prefix}.{index}"))
    elif messages:
        found.setdefault(prefix or "_form", []).append(str(messages))
    return found


def dom_id(path):
    """An element id for a form path (dots are awkward in CSS selectors)."""
    return "f-" + path.replace(".", "-").replace("_", "--")


# ----- stored/input values → what the widgets show -----

def shown(spec, value):
    """The text an input shows for one scalar value of ``spec``."""
    kind = spec.type.name
    if value is None:
        return ""
    if kind == "richtext":
        return value.get("markdown", "") if isinstance(value, dict) else str(value)
    if kind == "datetime" and isinstance(value, str) and len(value) >= 16:
        return value[:16]  # datetime-local takes minutes, in UTC here
    if kind in ("relation", "media"):
        items = value if isinstance(value, list) else [value]
        return ", ".join(item["id"] if isinstance(item, dict) else str(item) for item in items)
    if kind == "boolean":
        return value
    if kind in ("json",) or kind not in KNOWN:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value) if not isinstance(value, str) else value


KNOWN = {"string", "text", "email", "url", "slug", "enum", "richtext", "integer", "decimal", "boolean",
         "date", "datetime", "json", "relation", "media", "component", "blocks"}


def ids_of(value):
    """The ids held by a relation/media value (one id, a stub, or a list of those)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item["id"] if isinstance(item, dict) else str(item) for item in items]


# ----- the submitted form → the API input document -----

class FormReader:
    """Read a submitted form into an input document, collecting problems the service cannot see."""

    def __init__(self, form):
        self.form = form
        self.errors = {}
        self.raw = {}  # path → typed text kept for fields that could not be parsed (JSON)

    def read(self, specs, prefix=""):
        document = {}
        for spec in specs:
            path = f"{prefix}{spec.name}"
            value = self.value(spec, path)
            if value is not None:
                document[spec.name] = value
        return document

    def value(self, spec, path):
        kind, form = spec.type.name, self.form
        if kind == "component":
            if spec["repeatable"]:
                return [self.read(spec.children, f"{path}.{i}.") for i in range(self.count(path))]
            group = self.read(spec.children, f"{path}.")
            return group or None
        if kind == "blocks":
            items = []
            for i in range(self.count(path)):
                block = form.get(f"{path}.{i}.type", "")
                if block not in spec.blocks:
                    continue
                item = {"type": block, "value": self.read(spec.blocks[block], f"{path}.{i}.value.")}
                if form.get(f"{path}.{i}.id"):
                    item["id"] = form[f"{path}.{i}.id"]
                items.append(item)
            return items
        if kind == "boolean":
            return form.get(path) == "on" if f"{path}.__present" in form else None
        text = form.get(path, "")
        if kind not in ("text", "richtext", "json") and kind in KNOWN:
            text = text.strip()
        if text == "" and kind != "json":
            return None
        if kind == "integer":
            try:
                return int(text)
            except ValueError:
                return text  # the service says it is not a valid integer; the typed text stays
        if kind == "decimal":
            try:
                return float(text)
            except ValueError:
                return text
        if kind == "datetime" and len(text) == 16:
            return text + ":00Z"
        if kind in ("relation", "media"):
            ids = [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
            return ids if spec["many"] else (ids[0] if len(ids) == 1 else (ids or None))
        if kind == "json" or kind not in KNOWN:
            if not text.strip():
                return None
            try:
                return json.loads(text)
            except ValueError:
                self.raw[path] = text
                self.errors[path] = ["Not valid JSON."]
                return None
        return text

    def count(self, path):
        try:
            return max(0, min(int(self.form.get(f"{path}.__count", "0")), 500))
        except ValueError:
            return 0


def apply_op(op, specs, document):
    """Apply an add/remove/up/down ``op`` (``"add:path"``, ``"up:path.3"``…) to ``document``; True if done."""
    verb, _, target = (op or "").partition(":")
    if verb not in ("add", "remove", "up", "down") or not target:
        return False
    parts = target.split(".")
    if verb == "add":
        kind = None
        if "=" in parts[-1]:
            parts[-1], kind = parts[-1].split("=", 1)
        holder, spec = _locate(specs, document, parts)
        if spec is None or spec.type.name not in ("component", "blocks"):
            return False
        items = holder.setdefault(spec.name, [])
        if not isinstance(items, list):
            return False
        if spec.type.name == "blocks":
            if kind not in spec.blocks:
                return False
            items.append({"type": kind, "value": {}})
        else:
            items.append({})
        return True
    if not parts[-1].isdigit():
        return False
    index = int(parts[-1])
    holder, spec = _locate(specs, document, parts[:-1])
    items = holder.get(spec.name) if spec is not None else None
    if not isinstance(items, list) or not 0 <= index < len(items):
        return False
    if verb == "remove":
        items.pop(index)
    else:
        other = index - 1 if verb == "up" else index + 1
        if not 0 <= other < len(items):
            return False
        items[index], items[other] = items[other], items[index]
    return True


def _locate(specs, document, parts):
    """Find ``(the dict holding the field, its spec)`` for a path like ``["sections", "0", "links"]``."""
    holder, current = document, specs
    spec = None
    index = 0
    while index < len(parts):
        spec = next((s for s in current if s.name == parts[index]), None)
        if spec is None:
            return None, None
        if index == len(parts) - 1:
            return holder, spec
        value = holder.get(spec.name)
        if spec.type.name == "component" and not spec["repeatable"]:
            holder, current, index = holder.setdefault(spec.name, {}), spec.children, index + 1
            continue
        if not isinstance(value, list) or not parts[index + 1].isdigit() or int(parts[index + 1]) >= len(value):
            return None, None
        item = value[int(parts[index + 1])]
        if spec.type.name == "blocks":
            if index + 2 >= len(parts) or parts[index + 2] != "value":
                return None, None
            holder, current, index = item.setdefault("value", {}), spec.blocks.get(item.get("type"), []), index + 3
        else:
            holder, current, index = item, spec.children, index + 2
    return holder, spec


# ----- the conflict view: which fields differ from the other writer's version -----

def differing(specs, mine, theirs, base=None):
    """Return ``[(spec, their text)]`` for the top-level fields where their value differs from mine.

    With ``base`` (the values both started from), only the fields they changed are listed: a field
    only this editor changed needs no merging.
    """
    found = []
    for spec in specs:
        a, b = _plain(spec, mine.get(spec.name)), _plain(spec, theirs.get(spec.name))
        if a != b and (base is None or _plain(spec, base.get(spec.name)) != b):
            found.append((spec, _text(spec, theirs.get(spec.name))))
    return found


def _plain(spec, value):
    if spec.type.name == "boolean":
        return bool(value)  # unset and unchecked look the same in the form
    if spec.type.name == "richtext" and isinstance(value, dict):
        value = value.get("markdown")
    if spec.type.name in ("relation", "media"):
        return ids_of(value) or None
    if spec.type.name == "blocks" and isinstance(value, list):
        return [{"type": item.get("type"), "value": item.get("value")} for item in value] or None
    if value in ("", [], {}):
        return None
    return value


def _text(spec, value):
    if value is None:
        return "(empty)"
    if spec.type.name in ("component", "blocks", "json") or spec.type.name not in KNOWN:
        return json.dumps(_plain(spec, value), indent=2, ensure_ascii=False)
    if spec.type.name == "boolean":
        return "yes" if value else "no"
    return str(shown(spec, value))


def parse_local_time(text):
    """A ``datetime-local`` value (taken as UTC) → an aware datetime; None when empty; ValueError when bad."""
    from marshmallow import ValidationError

    from cms.content.fields.temporal import parse_datetime

    text = (text or "").strip()
    if not text:
        return None
    try:
        return parse_datetime(text + (":00Z" if len(text) == 16 else ""))
    except ValidationError:
        raise ValueError("Not a valid date and time.") from None


def utc_minutes(moment):
    """An aware datetime → the ``YYYY-MM-DDTHH:MM`` a datetime-local input shows (UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M") if isinstance(moment, datetime) else (moment or "")[:16]
