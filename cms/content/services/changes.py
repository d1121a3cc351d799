"""Compare two content-type definitions: the plan a change (or an import) would carry out."""

_IGNORED = {"id", "name", "fields", "blocks"}


def _flatten(fields, prefix=""):
    """Map field id -> (dotted path of names, definition) for every field, nested ones too."""
    out = {}
    for definition in fields:
        path = prefix + definition["name"]
        out[definition["id"]] = (path, definition)
        for child in definition.get("fields") or ():
            out.update(_flatten([child], path + "."))
        for block, children in (definition.get("blocks") or {}).items():
            out.update(_flatten(children, f"{path}[{block}]."))
    return out


def _changed(old, new, keys):
    return {key: {"from": old.get(key), "to": new.get(key)} for key in sorted(keys) if old.get(key) != new.get(key)}


def plan_changes(old, new):
    """Return the list of operations that turn definition ``old`` into ``new`` (None: create)."""
    if old is None:
        return [{"op": "create_type", "type": new["name"]}]
    plan = []
    type_changes = _changed(old, new, {"label", "description", "kind"})
    for key in sorted(set(old.get("options", {})) | set(new.get("options", {}))):
        before, after = old.get("options", {}).get(key), new.get("options", {}).get(key)
        if before != after:
            type_changes[f"options.{key}"] = {"from": before, "to": after}
    if type_changes:
        plan.append({"op": "change_type", "type": new["name"], "changes": type_changes})
    before, after = _flatten(old["fields"]), _flatten(new["fields"])
    for field_id, (path, definition) in after.items():
        if field_id not in before:
            plan.append({"op": "add_field", "field": path, "id": field_id, "field_type": definition["type"]})
            continue
        old_path, old_definition = before[field_id]
        if old_path.rsplit(".", 1)[-1] != path.rsplit(".", 1)[-1]:
            plan.append({"op": "rename_field", "id": field_id, "from": old_path, "to": path})
        keys = (set(definition) | set(old_definition)) - _IGNORED
        changes = _changed(old_definition, definition, keys)
        old_blocks, new_blocks = set(old_definition.get("blocks") or ()), set(definition.get("blocks") or ())
        if old_blocks != new_blocks:
            changes["blocks"] = {"from": sorted(old_blocks), "to": sorted(new_blocks)}
        if changes:
            plan.append({"op": "change_field", "field": path, "id": field_id, "changes": changes})
    for field_id, (path, _definition) in before.items():
        if field_id not in after:
            plan.append({"op": "remove_field", "field": path, "id": field_id})
    kept_old = [f["id"] for f in old["fields"] if f["id"] in after]
    kept_new = [f["id"] for f in new["fields"] if f["id"] in before]
    if kept_old != kept_new:
        plan.append({"op": "reorder_fields", "order": [f["name"] for f in new["fields"]]})
    return plan


def removed_field_ids(old, new):
    return set(_flatten(old["fields"])) - set(_flatten(new["fields"]))


def _parents(fields, parent=None):
    """Map field id -> the (component id) or (blocks id, block) holding it, None at the top level."""
    out = {}
    for definition in fields:
        out[definition["id"]] = parent
        out.update(_parents(definition.get("fields") or (), (definition["id"],)))
        for block, children in (definition.get("blocks") or {}).items():
            out.update(_parents(children, (definition["id"], block)))
    return out


def moved_field_ids(old, new):
    """Return the ids of kept fields that now sit in another component or block (values do not follow)."""
    before, after = _parents(old["fields"]), _parents(new["fields"])
    return {field_id for field_id, parent in after.items() if field_id in before and before[field_id] != parent}


def field_pairs(old, new):
    """Yield ``(old definition, new definition)`` for every field kept by id."""
    before, after = _flatten(old["fields"]), _flatten(new["fields"])
    for field_id, (_path, definition) in after.items():
        if field_id in before:
            yield before[field_id][1], definition
