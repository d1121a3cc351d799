"""The builder's buttons (add, remove, move a field; add, remove a kind of block) and its error placement.

Every input of a field row is named by the row's path: ``fields-2-`` for the third top-level
field, ``fields-2-fields-0-`` for the first field of that component, ``fields-3-blocks-1-fields-0-``
for the first field of the second kind of block of a blocks field. A button names its target the
same way (``op=up@fields-2-fields-1-``), and service errors are put back under the same names.
"""

import re

from cms.admin.type_forms import FLAGS, TEXTS, nested_of, row_from_field, widgets

_ROW_KEY = re.compile(r"^(?P<base>(?:[a-z]+-\d+-)*[a-z]+-)(?P<index>\d+)-(?P<key>[a-z_]+)\Z")


def locate(values, path):
    """Return ``(list, index)`` named by ``path``: a row (or a kind of block), or a list (index None)."""
    parts = path.split("-")
    if len(parts) < 2 or parts[-1] != "" or parts[0] != "fields":
        return None
    container, index = values["rows"], None
    try:
        for token in parts[1:-1]:
            if index is None:
                index = int(token)
                container[index]  # raises IndexError for a row that is not there
                continue
            item = container[index]
            key = {"fields": "children" if "children" in item else "rows", "blocks": "kinds"}.get(token)
            if key is None or key not in item:
                return None
            container, index = item[key], None
    except (ValueError, IndexError, TypeError):
        return None
    return container, index


def _base(row_path):
    return row_path[: row_path[:-1].rfind("-") + 1]


def apply_op(values, op, registry, form):
    """Carry out one builder button on the form values; return ``(path to focus, action)``."""
    action, _, path = op.partition("@")
    found = locate(values, path)
    if found is None:
        return None, None
    container, index = found
    if action == "add" and index is None:
        name, kind = form.get(path + "new-name", "").strip(), form.get(path + "new-type", "")
        container.append(row_from_field({"name": name, "type": kind if registry.get(kind) else "string"}, registry))
        return f"{path}{len(container) - 1}-", action
    if index is None:
        return None, None
    if action == "remove":
        container.pop(index)
        return (f"{_base(path)}{min(index, len(container) - 1)}-", action) if container else (None, None)
    if action in ("up", "down"):
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(container):
            container[index], container[other] = container[other], container[index]
            return f"{_base(path)}{other}-", action
        return path, action
    if action == "addkind" and "kinds" in container[index]:
        kinds = container[index]["kinds"]
        kinds.append({"name": form.get(path + "blocks-new", "").strip(), "rows": []})
        return f"{path}blocks-{len(kinds) - 1}-", action
    if action == "removekind":
        container.pop(index)
        return None, None
    return path, action  # "refresh": show the options of a newly chosen type


# -- service errors beside their inputs -------------------------------------------------------

def messages_of(value, path=""):
    """Flatten nested marshmallow messages into readable lines ("hero › 0 › name: Missing …")."""
    if isinstance(value, dict):
        out = []
        for key, inner in value.items():
            label = "" if key == "_schema" else str(key)
            out.extend(messages_of(inner, f"{path} › {label}" if path and label else (label or path)))
        return out
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [f"{path}: {item}" if path else item for item in value]
    if isinstance(value, (list, tuple)):
        return [line for item in value for line in messages_of(item, path)]
    return [f"{path}: {value}" if path else str(value)]


def _nested(details_fields):
    """Turn path keys (``fields/0/type``, ``fields.0.name``) into the nested form the services use."""
    out = {}
    for key, value in details_fields.items():
        parts = str(key).replace("/", ".").split(".")
        node = out
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        if isinstance(node.get(parts[-1]), dict) and isinstance(value, dict):
            node[parts[-1]].update(value)
        else:
            node[parts[-1]] = value
    return out


def input_errors(details_fields, values):
    """Map a service's ``details.fields`` onto input names (``name``, ``opt-public``, ``fields-0-type``…)."""
    errors = {}

    def add(where, messages):
        errors.setdefault(where, []).extend(messages)

    for key, value in _nested(details_fields or {}).items():
        if key == "options" and isinstance(value, dict):
            for option, messages in value.items():
                add(f"opt-{option}", messages_of(messages))
        elif key == "fields" and isinstance(value, dict):
            _row_errors(value, values["rows"], "fields-", add)
        elif key in ("name", "label", "description", "kind", "fields"):
            add(key, messages_of(value))
        else:
            add("_form", messages_of(value, str(key)))
    return errors


def _row_errors(by_row, rows, base, add):
    by_name = {row["name"]: index for index, row in enumerate(rows)}
    for row_key, problems in by_row.items():
        index = int(row_key) if str(row_key).isdigit() else by_name.get(row_key)
        if index is None or index >= len(rows):
            add(base[:-1], messages_of(problems, str(row_key)))
            continue
        row, prefix = rows[index], f"{base}{index}-"
        if not isinstance(problems, dict):  # a kept field's change refused: beside the input it is about
            for message in messages_of(problems):
                about = "target" if "target" in message else "type" if "become" in message else "name"
                add(prefix + about, [message])
            continue
        for option, messages in problems.items():
            if option == "fields" and isinstance(messages, dict) and "children" in row:
                _row_errors(messages, row["children"], prefix + "fields-", add)
            elif option == "blocks" and isinstance(messages, dict) and "kinds" in row:
                _kind_errors(messages, row["kinds"], prefix, add)
            else:
                add(prefix + ("name" if option in ("_schema", "id") else option), messages_of(messages))


def _kind_errors(by_kind, kinds, prefix, add):
    names = {kind["name"]: index for index, kind in enumerate(kinds)}
    for block, inner in by_kind.items():
        index = names.get(block)
        at = f"{prefix}blocks-{index}-"
        if index is None:
            add(prefix + "blocks", messages_of(inner, str(block)))
        elif isinstance(inner, dict) and ("key" in inner or "value" in inner):
            add(at + "name", messages_of(inner.get("key", [])))
            add(at + "fields", messages_of(inner.get("value", [])))
        elif isinstance(inner, dict):
            _row_errors(inner, kinds[index]["rows"], at + "fields-", add)
        else:
            add(at + "fields", messages_of(inner))


def placed_errors(errors, values, registry):
    """Move errors about keys that have no input of their own to the row's "other options" box."""
    placed = {}
    for where, messages in errors.items():
        match = _ROW_KEY.match(where)
        found = locate(values, f"{match['base']}{match['index']}-") if match else None
        if found is not None and found[1] is not None:
            row = found[0][found[1]]
            field_type = registry.get(row.get("type"))
            own = set(TEXTS) | set(FLAGS) | {"type", "default", "extra", "fields", "blocks"}
            own |= {w.key for w in widgets(field_type)} if field_type else set()
            if match["key"] not in own and nested_of(field_type) != match["key"]:
                where = f"{match['base']}{match['index']}-extra"
                messages = [f"{match['key']}: {m}" for m in messages]
        placed.setdefault(where, []).extend(messages)
    return placed
