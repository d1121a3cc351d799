"""The role form's permission matrix: a role's permission JSON as table rows, and back.

A content row is one (type, own entries only, field allow-list) with a checkbox per action; a
role whose type holds rules with different "own" or fields shows one row for each, so every
permission set the API accepts round-trips through the form. System subjects are a choice of
nothing, read or manage.
"""

from dataclasses import dataclass, field

from cms.core.policy import (
    ANY,
    CONTENT_ACTIONS,
    FIELD_ACTIONS,
    OWN_ACTIONS,
    SYSTEM_SUBJECTS,
)

SYSTEM_ROWS = (*SYSTEM_SUBJECTS, ANY)
EXTRA_ROWS = 1  # empty rows with a type choice, for a second rule on a type


@dataclass
class Row:
    type: str
    own: bool = False
    fields: tuple | None = None
    actions: set = field(default_factory=set)
    choose_type: bool = False  # an extra row: its type is picked from a list

    @property
    def fields_text(self):
        return ", ".join(self.fields) if self.fields is not None else ""


def rows_of(permissions, type_names):
    """Matrix rows for ``permissions`` (stored JSON), with an empty row for each type it does not name."""
    groups = {}
    for item in permissions or ():
        if "type" not in item:
            continue
        fields = tuple(sorted(item["fields"])) if item.get("fields") is not None else None
        key = (item["type"], bool(item.get("own")), fields)
        row = groups.setdefault(key, Row(item["type"], key[1], fields))
        row.actions |= set(CONTENT_ACTIONS) if item["action"] == ANY else {item["action"]}
    named = {row.type for row in groups.values()}
    for name in (ANY, *type_names):
        if name not in named:
            groups[(name, False, None)] = Row(name)
    order = {name: index for index, name in enumerate((ANY, *type_names))}
    rows = sorted(groups.values(), key=lambda row: (order.get(row.type, len(order)), row.type, row.own,
                                                    row.fields or ()))
    return rows + [Row("", choose_type=True) for _ in range(EXTRA_ROWS)]


def system_of(permissions):
    """``{subject: "read" | "manage"}`` of the permissions' system part."""
    found = {}
    for item in permissions or ():
        if "system" in item and found.get(item["system"]) != "manage":
            found[item["system"]] = item["action"]
    return found


def rows_from_form(form):
    """The rows as posted (to show them again when the service refuses them)."""
    rows = []
    for index in range(min(_int(form.get("rows")), 1000)):
        prefix = f"row-{index}-"
        raw_fields = form.get(prefix + "fields", "").strip()
        rows.append(Row(form.get(prefix + "type", "").strip(), form.get(prefix + "own") == "on",
                        tuple(name.strip() for name in raw_fields.split(",") if name.strip()) if raw_fields else None,
                        {action for action in CONTENT_ACTIONS if form.get(prefix + action) == "on"},
                        choose_type=form.get(prefix + "choose") == "1"))
    return rows


def system_from_form(form):
    return {subject: form.get(f"system-{subject}") for subject in SYSTEM_ROWS
            if form.get(f"system-{subject}") in ("read", "manage")}


def permissions_of(rows, system):
    """Return ``(permissions JSON, origin)``: ``origin[i]`` is the row index permission ``i`` came from."""
    permissions, origin = [], []
    for index, row in enumerate(rows):
        if not row.type:
            continue
        for action in CONTENT_ACTIONS:
            if action not in row.actions:
                continue
            item = {"type": row.type, "action": action}
            if row.fields is not None and action in FIELD_ACTIONS:
                item["fields"] = list(row.fields)
            if row.own and action in OWN_ACTIONS:
                item["own"] = True
            permissions.append(item)
            origin.append(index)
    for subject in SYSTEM_ROWS:
        if subject in system:
            permissions.append({"system": subject, "action": system[subject]})
            origin.append(None)
    return permissions, origin


def errors_by_row(messages, origin):
    """Split a refused permission set's messages into ``{"row-<i>": [...], "_form": [...]}``."""
    errors = {}
    for path, message in _walk(messages, ()):
        index = path[1] if len(path) > 1 and path[0] == "permissions" else None
        try:
            row = origin[int(index)] if index is not None else None
        except (ValueError, IndexError):
            row = None
        key = f"row-{row}" if row is not None else "_form"
        if message not in errors.setdefault(key, []):  # one row's rule repeats per action
            errors[key].append(message)
    return errors


def _walk(messages, path):
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _walk(value, (*path, key))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            yield from _walk(value, path)
    else:
        yield path, str(messages)


def _int(value):
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
