"""Content types: create, change (with data migration and a report), delete, export."""

import copy

import sqlalchemy as sa
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from cms.audit.services import record
from cms.events.services import emit
from cms.content.compiled import CompiledType, without_reference
from cms.content.definitions import DefinitionCleaner, with_known_ids
from cms.content.models import ContentType, Entry, EntryRelation, EntryUnique
from cms.content.services import changes, sync
from cms.content.services.indexes import sync_indexes
from cms.content.services.integrity import claim_uniques, derive_slugs, sync_relations
from cms.content.services.search import sync_search
from cms.core.db import utcnow
from cms.core.errors import Conflict, NotFound, ValidationFailed
from cms.core.policy import authorize
from cms.extensions import db

INVALID_LIST_LIMIT = 100


def field_registry():
    return current_app.extensions["folio.field_types"]


def compiled_type(content_type):
    """Return the compiled form of a ContentType row (cached by name and version)."""
    cache = current_app.extensions["folio.schema_cache"]
    depth = current_app.config["JSON_MAX_DEPTH"]
    return cache.get(content_type, lambda row: CompiledType(row, field_registry(), depth))


def find_type(name):
    """Return the ContentType row called ``name`` or raise NotFound."""
    row = db.session.scalar(sa.select(ContentType).where(ContentType.name == name))
    if row is None:
        raise NotFound(f"No content type named {name!r}.")
    return row


def get_type(name, actor):
    authorize(actor, "content_types.read")
    return find_type(name)


def list_types(actor):
    authorize(actor, "content_types.read")
    return db.session.scalars(sa.select(ContentType).order_by(ContentType.name)).all()


def export_type(row):
    """Return the portable definition of a type (what `folio types export` writes)."""
    return {
        "name": row.name, "label": row.label, "description": row.description, "kind": row.kind,
        "options": dict(row.options), "fields": copy.deepcopy(row.fields),
    }


def count_entries(row):
    return db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.type_id == row.id))


def _type_exists(extra=()):
    def exists(name):
        return name in extra or db.session.scalar(
            sa.select(sa.literal(1)).where(ContentType.name == name)
        ) is not None

    return exists


def clean_definition(payload, also_known=()):
    cleaner = DefinitionCleaner(field_registry(), _type_exists(set(also_known)), current_app.config["JSON_MAX_DEPTH"])
    return cleaner.clean(payload)


def create_type(payload, actor, also_known=()):
    """Create a content type from a definition; raise 409 if the name is taken."""
    authorize(actor, "content_types.manage")
    name = payload.get("name") if isinstance(payload, dict) else None
    definition = clean_definition(payload, also_known=set(also_known) | ({name} if isinstance(name, str) else set()))
    taken = Conflict(f"A content type named {definition['name']!r} already exists.",
                     {"fields": {"name": ["Already taken."]}})
    if db.session.scalar(sa.select(ContentType.id).where(ContentType.name == definition["name"])):
        raise taken
    row = ContentType(**definition, version=1)
    try:
        with db.session.begin_nested():  # a concurrent creator may win between check and insert
            db.session.add(row)
    except IntegrityError:
        raise taken from None
    sync_indexes(None, compiled_type(row))
    sync_search(None, compiled_type(row))
    record(actor, "content_type.create", "content_type", row.name, fields=[f["name"] for f in row.fields])
    emit("content_type.created", "content_type", row.name, {"name": row.name, "version": row.version})
    return row


def update_type(name, payload, actor, partial=False, also_known=()):
    """Change a type, migrating stored data; return ``(row, report)``.

    The report lists the planned operations and every entry that no longer validates
    (nothing is changed or dropped to make it validate).
    """
    authorize(actor, "content_types.manage")
    row = find_type(name)
    old = export_type(row)
    if partial:
        options = payload.get("options") or {}
        if isinstance(options, dict):  # anything else is left for the cleaner to refuse
            options = {**old["options"], **options}
        payload = {**old, **payload, "options": options}
    payload = with_known_ids({**payload}, old)
    payload.setdefault("name", name)
    new = clean_definition(payload, also_known=set(also_known) | {name})
    if new["name"] != name:
        raise ValidationFailed({"name": ["A content type cannot be renamed."]})
    _check_field_changes(old, new)
    plan = changes.plan_changes(old, new)
    report = {"changes": plan, "invalid_entries": [], "invalid_count": 0}
    if not plan:
        return row, report
    if new["kind"] == "singleton" and old["kind"] != "singleton" and count_entries(row) > 1:
        raise Conflict("This type has several entries, so it cannot become a singleton.")
    before = compiled_type(row)
    for key in ("label", "description", "kind", "options", "fields"):
        setattr(row, key, new[key])
    row.version += 1
    row.updated_at = utcnow()
    db.session.flush()
    after = compiled_type(row)
    sync_indexes(before, after)  # before writing entries: takes the table lock first
    sync_search(before, after)  # also before: SQLite's triggers carry the migration's writes
    _migrate_entries(row, before, after, old, new)
    sync.record_definition_change(row, plan)
    record(actor, "content_type.update", "content_type", row.name, version=row.version, changes=plan)
    emit("content_type.updated", "content_type", row.name, {"name": row.name, "version": row.version, "changes": plan})
    report["invalid_count"], report["invalid_entries"] = _invalid_entries(row, after)
    return row, report


def plan_type_update(name, payload, actor, partial=False):
    """Return the report ``update_type`` would give, keeping nothing (its writes roll back to a savepoint)."""
    savepoint = db.session.begin_nested()
    try:
        _row, report = update_type(name, payload, actor, partial=partial)
    finally:
        savepoint.rollback()
    return report


def _check_field_changes(old, new):
    errors = {}
    registry = field_registry()
    moved = changes.moved_field_ids(old, new)
    for before, after in changes.field_pairs(old, new):
        if after["id"] in moved:
            errors[after["name"]] = ["A field cannot move to another component or block; add a new field instead."]
            continue
        family_before = getattr(registry.get(before["type"]), "family", None)
        family_after = getattr(registry.get(after["type"]), "family", None)
        if before["type"] != after["type"] and (family_before is None or family_before != family_after):
            errors[after["name"]] = [
                f"A {before['type']} field cannot become a {after['type']} field; add a new field instead."
            ]
        elif before["type"] == "relation" and before.get("target") != after.get("target"):
            errors[after["name"]] = ["A relation cannot change its target type; add a new field instead."]
    if errors:
        raise ValidationFailed({"fields": errors})


def _migrate_entries(row, before, after, old, new):
    """Carry stored data across a definition change (renames need nothing: values are keyed by id)."""
    removed = changes.removed_field_ids(old, new)
    if removed:  # values stay in the documents and revisions; references and claims go
        db.session.execute(sa.delete(EntryUnique).where(EntryUnique.type_id == row.id,
                                                        EntryUnique.field_id.in_(removed)))
        db.session.execute(
            sa.delete(EntryRelation).where(
                EntryRelation.field_id.in_(removed),
                EntryRelation.source_id.in_(sa.select(Entry.id).where(Entry.type_id == row.id)),
            )
        )
    added = [spec for spec in after.specs if spec.id not in before.by_id]
    if any(spec.type.name == "relation" for key, spec in after.all_by_id.items() if key not in before.all_by_id):
        _restore_relations(row, after)  # a re-added relation field has stored references again
    _backfill_defaults(row, [spec for spec in added if spec.has_default and spec.default_value() is not None])
    newly_unique = [
        spec for spec in after.unique_specs
        if spec.id not in {s.id for s in before.unique_specs}
    ]
    if newly_unique:
        _claim_for_all(row, after, newly_unique)
    dropped_unique = {s.id for s in before.unique_specs} - {s.id for s in after.unique_specs}
    if dropped_unique:
        db.session.execute(sa.delete(EntryUnique).where(EntryUnique.type_id == row.id,
                                                        EntryUnique.field_id.in_(dropped_unique)))


def _entries_of(row):
    return db.session.scalars(sa.select(Entry).where(Entry.type_id == row.id).order_by(Entry.id)).yield_per(500)


def _backfill_defaults(row, specs):
    if not specs:
        return
    for entry in _entries_of(row):
        data = dict(entry.data)
        published = dict(entry.published_data) if entry.published_data is not None else None
        for spec in specs:
            data.setdefault(spec.id, spec.default_value())
            if published is not None:
                published.setdefault(spec.id, spec.default_value())
        db.session.execute(sa.update(Entry).where(Entry.id == entry.id)
                           .values(data=data, published_data=published)
                           .execution_options(synchronize_session=False))
    db.session.expire_all()


def _restore_relations(row, compiled):
    """Rebuild the relation rows of every entry from its stored values, skipping deleted targets."""
    entries = list(_entries_of(row))
    targets = {target for entry in entries for document in (entry.data, entry.published_data)
               for _field, _position, target, _spec in compiled.references(document or {})}
    existing = set(db.session.scalars(sa.select(Entry.id).where(Entry.id.in_(targets)))) if targets else set()
    for entry in entries:
        for state, document in (("draft", entry.data), ("published", entry.published_data)):
            for _field, _position, target, _spec in compiled.references(document or {}):
                if target not in existing:
                    document = without_reference(document, compiled.specs, target)
            sync_relations(entry, compiled, state, document)


def _claim_for_all(row, compiled, specs):
    """Claim the values of fields that became unique; derive new slugs (into published snapshots too)."""
    for entry in list(_entries_of(row)):
        data = dict(entry.data)
        derived = derive_slugs(compiled, data)
        if data != entry.data:
            entry.data = data
        try:
            claim_uniques(entry, compiled, derived=derived, specs=specs)
        except Conflict as exc:
            raise Conflict(
                "Existing entries share values of a field that would become unique; fix them first.",
                {**exc.details, "conflicting_entries": [entry.id, exc.details.get("entry")]},
            ) from None
        if entry.published_data is not None and derived:
            slugs = {field_id: entry.data[field_id] for field_id in derived if field_id in entry.data}
            entry.published_data = {**entry.published_data, **slugs}
    db.session.flush()


def _invalid_entries(row, compiled):
    invalid, count = [], 0
    for entry in _entries_of(row):
        mode = "draft" if entry.status == "draft" and compiled.draft_publish else "full"
        errors = validation_errors(compiled, entry.data, mode)
        if errors:
            count += 1
            if len(invalid) < INVALID_LIST_LIMIT:
                invalid.append({"id": entry.id, "status": entry.status, "errors": errors})
    return count, invalid


def validation_errors(compiled, stored, mode):
    try:
        compiled.load(compiled.to_input(stored), mode)
    except ValidationError as exc:
        return exc.messages
    return None


def delete_type(name, actor, force=False):
    """Delete a type; refuse while other types point at it, or while it has entries unless forced."""
    authorize(actor, "content_types.manage")
    row = find_type(name)
    referencing = sorted(
        other.name for other in db.session.scalars(sa.select(ContentType).where(ContentType.id != row.id))
        if any(spec.type.name == "relation" and spec["target"] == name
               for spec in compiled_type(other).all_by_id.values())
    )
    if referencing:
        raise Conflict(f"Other types have relations to {name!r}; remove those fields first.",
                       {"referenced_by": referencing})
    total = count_entries(row)
    if total and not force:
        raise Conflict(f"{name!r} still has {total} entries; delete them first or pass force=true.",
                       {"entries": total})
    sync.record_type_deletion(row)
    own = sa.select(Entry.id).where(Entry.type_id == row.id)
    db.session.execute(sa.delete(EntryRelation).where(EntryRelation.source_id.in_(own)))
    db.session.execute(sa.delete(Entry).where(Entry.type_id == row.id).execution_options(synchronize_session=False))
    sync_indexes(compiled_type(row), None)
    sync_search(compiled_type(row), None)
    record(actor, "content_type.delete", "content_type", row.name, entries=total)
    emit("content_type.deleted", "content_type", row.name, {"name": row.name, "entries": total})
    db.session.delete(row)
    db.session.flush()
