"""Entries: create, read, update (merge or replace), delete, publish and unpublish."""

import copy

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from cms.audit.services import record
from cms.events.services import ENTRY_EVENTS, emit
from cms.content.compiled import without_reference
from cms.content.definitions import SYSTEM_KEYS
from cms.content.locales import ALL, current_locales, pick
from cms.content.models import Entry, Revision
from cms.content.schemas import entry_out
from cms.content.services import integrity
from cms.content.services.sync import record_change
from cms.content.services.types import compiled_type, find_type
from cms.core.db import new_id, utcnow
from cms.core.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
    parameter_error,
)
from cms.core.policy import authorize, check_writable, content_access
from cms.extensions import db
from cms.plugins.lifecycle import entry_change

REFERENCE_LIST_LIMIT = 50


def _actor_id(actor):
    return getattr(actor, "id", None) if getattr(actor, "is_authenticated", False) else None


def resolve(type_name, entry_id, actor, action, locale=None):
    """Return ``(compiled type, entry or None)`` after checking ``action`` on the type.

    ``entry_id`` None addresses a singleton (of a localized singleton, the translation in
    ``locale``, by default the default locale's); an id addresses a collection entry. An entry
    that does not exist, or belongs to another type, is a 404.
    """
    compiled = compiled_type(find_type(type_name))
    access = authorize(actor, action, compiled)
    if entry_id is None:
        if compiled.kind != "singleton":
            raise NotFound(f"{type_name!r} is a collection: address its entries by id.")
        statement = sa.select(Entry).where(Entry.type_id == compiled.id)
        if locale is not None:
            _entry_locale(compiled, locale)
        if compiled.localized:
            statement = statement.where(Entry.locale == (locale or current_locales().default))
        return compiled, _owned(db.session.scalar(statement.limit(1)), access, action, type_name)
    if compiled.kind == "singleton":
        raise NotFound(f"{type_name!r} is a singleton: use /api/content/{type_name}.")
    entry = db.session.get(Entry, entry_id) if isinstance(entry_id, str) and len(entry_id) <= 36 else None
    if entry is None or entry.type_id != compiled.id:
        raise NotFound(f"No {type_name} with the id {entry_id}.")
    return compiled, _owned(entry, access, action, type_name)


def _owned(entry, access, action, type_name):
    """Apply "own entries only": others' entries are not found by readers and refused to writers."""
    if entry is None or access.owner is None or entry.created_by_id == access.owner:
        return entry
    if action in ("entry.read", "entry.read_draft"):
        raise NotFound(f"No {type_name} with the id {entry.id}.")
    raise PermissionDenied(f"You may {action.removeprefix('entry.')} only the {type_name} entries you created.")


def owned_by(access):
    """The SQL terms of an "own entries only" access (none otherwise)."""
    return [] if access.owner is None else [Entry.created_by_id == access.owner]


def reading(actor, compiled, draft):
    """Return the caller's Access for reading ``compiled``'s entries (working copies with ``draft``)."""
    return content_access(actor, "read_draft" if draft else "read", compiled)


def shown(access, compiled, requested=None):
    """Return the field names to deliver to ``access`` (None: all), within a ``requested`` selection.

    A caller who may write but not read (e.g. a public form) gets the system keys only.
    """
    return access.only(compiled, requested) if access.allowed else ()


def get_entry(type_name, entry_id, actor, draft=False, chain=None):
    """Return ``(compiled, entry)``; without ``draft`` only a published entry is found.

    With a locale ``chain``, the entry's translation that comes first along it is returned
    (for a singleton: the type's); types that are not localized ignore the chain.
    """
    action = "entry.read_draft" if draft else "entry.read"
    compiled, entry = resolve(type_name, entry_id, actor, action)
    if chain and chain != ALL and compiled.localized:
        statement = sa.select(Entry).where(Entry.type_id == compiled.id, Entry.locale.in_(chain),
                                           *owned_by(reading(actor, compiled, draft)))
        if entry_id is not None:
            statement = statement.where(Entry.translation_group == entry.translation_group)
        if not draft:
            statement = statement.where(Entry.published_data.is_not(None))
        entry = pick(db.session.scalars(statement).all(), chain)
        if entry is None:
            raise NotFound(f"No {type_name} here in {' or '.join(chain)}.")
    if entry is None or (not draft and entry.published_data is None):
        raise NotFound(f"No published {type_name} here." if entry else f"{type_name!r} has no content yet.")
    return compiled, entry


def _load(compiled, payload, mode):
    try:
        return compiled.load(payload, mode)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None


def _writable(payload):
    """Drop the read-only system keys a client may send back from a GET."""
    return {key: value for key, value in payload.items() if key not in SYSTEM_KEYS}


def _check_version(entry, expected_version):
    if expected_version is not None and expected_version != entry.version:
        raise PreconditionFailed(details={"current_version": entry.version, "sent_version": expected_version})


def create_entry(type_name, payload, actor, entry_id=None, locale=None, translation_of=None):
    """Create an entry (a draft, or published at once for types without draft/publish).

    ``locale`` must be configured (types that are not localized take the default only);
    ``translation_of`` (an Entry of the same type) makes the new entry one of its translations.
    """
    compiled = compiled_type(find_type(type_name))
    check_writable(authorize(actor, "entry.create", compiled), _writable(payload))
    locale = _entry_locale(compiled, locale)
    if compiled.kind == "singleton" and translation_of is None:
        existing = db.session.scalar(sa.select(Entry).where(Entry.type_id == compiled.id).limit(1))
        if existing is not None and not compiled.localized:
            raise Conflict(f"{type_name!r} is a singleton and already has its entry; update it instead.")
        translation_of = existing
    taken = _translation(translation_of, locale) if translation_of is not None else None
    if taken is not None:
        raise Conflict(f"This {type_name} already has a translation in {locale}.", {"entry": taken.id, "locale": locale})
    now = utcnow()
    entry_id = entry_id or new_id()
    entry = Entry(
        id=entry_id, type_id=compiled.id, locale=locale, status="draft", version=1, data={},
        translation_group=translation_of.translation_group if translation_of is not None else entry_id,
        created_at=now, updated_at=now, created_by_id=_actor_id(actor), updated_by_id=_actor_id(actor),
    )
    if translation_of is not None and compiled.shared_specs:  # shared values come from the group
        shared = {spec.id: translation_of.data[spec.id] for spec in compiled.shared_specs if spec.id in translation_of.data}
        payload = {**compiled.to_input(shared), **_writable(payload)}
    payload = entry_change("before", "create", compiled, None, actor, _writable(payload))
    stored, derived = _prepare(compiled, payload)
    entry.data = stored
    if translation_of is None:
        db.session.add(entry)
        db.session.flush()
    else:  # a concurrent writer may add the same translation first
        try:
            with db.session.begin_nested():
                db.session.add(entry)
        except IntegrityError:
            raise Conflict(f"This {type_name} already has a translation in {locale}.", {"locale": locale}) from None
    _store(entry, compiled, derived, actor, "create")
    entry_change("after", "create", compiled, entry, actor)
    return compiled, entry


def _entry_locale(compiled, locale):
    locales = current_locales()
    if locale is None:
        return locales.default
    locales.check(locale)
    if locale != locales.default and not compiled.localized:
        raise parameter_error("locale", f"{compiled.name!r} is not localized: its entries are in {locales.default} "
                              "only (set options.localized to translate them).")
    return locale


def _translation(entry, locale):
    return db.session.scalar(sa.select(Entry).where(Entry.translation_group == entry.translation_group,
                                                    Entry.locale == locale))


def create_translation(type_name, entry_id, locale, payload, actor):
    """Create the translation in ``locale`` of an entry (or of a localized singleton)."""
    compiled, source = resolve(type_name, entry_id, actor, "entry.update")  # a new translation joins its group
    authorize(actor, "entry.create", compiled)
    if not compiled.localized:
        raise BadRequest(f"{type_name!r} is not localized: set options.localized to translate its entries.")
    if source is None:
        raise NotFound(f"{type_name!r} has no content yet.")
    current_locales().check(locale)
    return create_entry(type_name, payload, actor, locale=locale, translation_of=source)


def list_translations(type_name, entry_id, actor, draft=False):
    """Return ``(compiled, entries)``: every translation of an entry, default locale first."""
    compiled, entry = get_entry(type_name, entry_id, actor, draft=draft)
    statement = sa.select(Entry).where(Entry.translation_group == entry.translation_group,
                                       *owned_by(reading(actor, compiled, draft)))
    if not draft:
        statement = statement.where(Entry.published_data.is_not(None))
    order = {code: rank for rank, code in enumerate(current_locales().codes)}
    rows = sorted(db.session.scalars(statement), key=lambda e: (order.get(e.locale, len(order)), e.locale))
    return compiled, rows


def _prepare(compiled, payload, keep=None):
    """Validate a payload into the stored form; ``keep`` holds slugs the client did not mention.

    A slug, once set, stays (links keep working) until the client sends a new one, or null to
    derive it again from its source.
    """
    mode = "draft" if compiled.draft_publish else "full"
    stored = _load(compiled, _writable(payload), mode)
    for field_id, slug in (keep or {}).items():
        stored.setdefault(field_id, slug)
    derived = integrity.derive_slugs(compiled, stored)
    integrity.check_references(compiled, stored)
    return stored, derived


def _store(entry, compiled, derived, actor, action, share=True):
    """Claim unique values, sync relations, publish if the type has no drafts, write a revision.

    With ``share``, the entry's shared field values also reach its other translations.
    """
    integrity.claim_uniques(entry, compiled, derived)
    integrity.sync_relations(entry, compiled, "draft", entry.data)
    if not compiled.draft_publish:
        _snapshot(entry, compiled, entry.data, actor)
    db.session.flush()
    _revision(entry, compiled, actor, action)
    if share:
        _share(entry, compiled, actor)


def update_entry(type_name, entry_id, payload, actor, expected_version=None, merge=False, action="update",
                 locale=None):
    """Replace (PUT) or merge into (PATCH, RFC 7386) the working copy; singletons are upserted.

    ``locale`` picks a localized singleton's translation (created by its first write).
    """
    compiled, entry = resolve(type_name, entry_id, actor, "entry.update", locale)
    if entry is None:  # first write of a singleton: there is no version to match
        if expected_version is not None:
            raise PreconditionFailed("There is no entry yet, so it cannot be at the version you sent.")
        return create_entry(type_name, payload, actor, locale=locale)
    _check_version(entry, expected_version)
    access = content_access(actor, "update", compiled)
    check_writable(access, _writable(payload))
    unmentioned = {spec.id: entry.data[spec.id] for spec in compiled.slug_specs
                   if spec.name not in payload and entry.data.get(spec.id)}
    if merge:
        payload = merge_patch(compiled.to_input(entry.data), _writable(payload))
    elif access.fields is not None:  # a replace keeps the fields this caller may not write
        kept = {name: value for name, value in compiled.to_input(entry.data).items() if not access.writable(name)}
        payload = {**kept, **_writable(payload)}
    payload = entry_change("before", "update", compiled, entry, actor, _writable(payload))
    stored, derived = _prepare(compiled, payload, keep=unmentioned)
    if stored == entry.data:
        return compiled, entry
    _edit(entry, compiled, stored, derived, actor, action)
    entry_change("after", "update", compiled, entry, actor)
    return compiled, entry


def _edit(entry, compiled, stored, derived, actor, action, share=True):
    """Make ``stored`` the entry's working copy: a new version, then ``_store``."""
    entry.data = stored
    entry.version += 1
    entry.updated_at = utcnow()
    entry.updated_by_id = _actor_id(actor)
    if entry.status == "published":
        entry.status = "changed"
    db.session.flush()
    _store(entry, compiled, derived, actor, action, share)


def _share(entry, compiled, actor):
    """Give the entry's other translations its values of the shared (``localized: false``) fields.

    Each translation whose working copy changes gets a new version and a ``system`` revision;
    like any edit, it reaches readers when that translation is next published.
    """
    specs = compiled.shared_specs
    if not specs:
        return
    siblings = db.session.scalars(sa.select(Entry).where(Entry.translation_group == entry.translation_group,
                                                         Entry.id != entry.id)).all()
    access = content_access(actor, "update", compiled)
    for sibling in siblings:
        data = dict(sibling.data)
        for spec in specs:
            if spec.id in entry.data:
                data[spec.id] = copy.deepcopy(entry.data[spec.id])
            else:
                data.pop(spec.id, None)
        if data != sibling.data:
            if not access.allowed or (access.owner is not None and sibling.created_by_id != access.owner):
                raise PermissionDenied(f"Shared fields ({', '.join(s.name for s in specs)}) also change the "
                                       f"{sibling.locale} translation, which you may not update.")
            _edit(sibling, compiled, data, frozenset(), actor, "system", share=False)


def merge_patch(target, patch):
    """Apply a JSON Merge Patch (RFC 7386): objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _snapshot(entry, compiled, stored, actor):
    entry.published_data = copy.deepcopy(stored)
    entry.published_version = entry.version
    entry.status = "published"
    entry.published_at = utcnow()
    entry.published_by_id = _actor_id(actor)
    integrity.sync_relations(entry, compiled, "published", stored)
    record_change(entry, "publish", compiled.name)


def publish_entry(type_name, entry_id, actor, expected_version=None, locale=None):
    """Validate the working copy fully and make it the published snapshot."""
    compiled, entry = resolve(type_name, entry_id, actor, "entry.publish", locale)
    if entry is None:
        raise NotFound(f"{type_name!r} has no content yet.")
    _check_version(entry, expected_version)
    entry_change("before", "publish", compiled, entry, actor)
    try:
        stored = compiled.load(compiled.to_input(entry.data), "full")
    except ValidationError as exc:
        raise ValidationFailed(exc.messages, "The entry cannot be published until these values are fixed.") from None
    if entry.status == "published" and stored == entry.published_data:
        return compiled, entry  # already published as it is
    entry.version += 1
    _snapshot(entry, compiled, stored, actor)
    db.session.flush()
    _revision(entry, compiled, actor, "publish")
    entry_change("after", "publish", compiled, entry, actor)
    return compiled, entry


def unpublish_entry(type_name, entry_id, actor, expected_version=None, locale=None):
    """Withdraw the published snapshot; the working copy stays."""
    compiled, entry = resolve(type_name, entry_id, actor, "entry.publish", locale)
    if entry is None or entry.published_data is None:
        raise Conflict("The entry is not published.")
    if not compiled.draft_publish:
        raise Conflict(f"{type_name!r} publishes on save and has no drafts; delete the entry instead.")
    _check_version(entry, expected_version)
    entry_change("before", "unpublish", compiled, entry, actor)
    entry.version += 1
    entry.status, entry.published_data, entry.published_version = "draft", None, None
    entry.published_at = entry.published_by_id = None
    integrity.sync_relations(entry, compiled, "published", None)
    db.session.flush()
    record_change(entry, "unpublish", compiled.name)
    _revision(entry, compiled, actor, "unpublish")
    entry_change("after", "unpublish", compiled, entry, actor)
    return compiled, entry


def delete_entry(type_name, entry_id, actor, expected_version=None, locale=None):
    """Delete an entry, applying each referencing field's ``on_delete`` (restrict or set_null)."""
    compiled, entry = resolve(type_name, entry_id, actor, "entry.delete", locale)
    if entry is None:
        raise NotFound(f"{type_name!r} has no content yet.")
    _check_version(entry, expected_version)
    entry_change("before", "delete", compiled, entry, actor)
    _release_references(entry, actor)
    if entry.published_data is not None:
        record_change(entry, "delete", compiled.name)
    record(actor, "entry.delete", "entry", entry.id, type=compiled.name, version=entry.version, locale=entry.locale)
    emit("entry.deleted", "entry", entry.id, {"type": compiled.name,
                                               "entry": {"id": entry.id, "type": compiled.name, "locale": entry.locale}})
    db.session.delete(entry)
    db.session.flush()
    entry_change("after", "delete", compiled, entry, actor)


def _release_references(entry, actor):
    pairs = integrity.incoming_relations([entry.id])
    if not pairs:
        return
    sources = {e.id: e for e in db.session.scalars(sa.select(Entry).where(Entry.id.in_({s for s, _f in pairs})))}
    restricted, to_clear = [], {}
    for source_id, field_id in pairs:
        source = sources[source_id]
        compiled = compiled_type(source.content_type)
        spec = compiled.all_by_id.get(field_id)
        if spec is not None and spec["on_delete"] == "restrict":
            restricted.append({"id": source.id, "type": compiled.name, "field": spec.name})
        else:
            to_clear[source.id] = (source, compiled)
    if restricted:
        raise Conflict(
            "Other entries reference this entry and their fields refuse its deletion.",
            {"referenced_by": restricted[:REFERENCE_LIST_LIMIT], "count": len(restricted)},
        )
    for source, compiled in to_clear.values():
        snapshot = source.published_data
        source.data = without_reference(source.data, compiled.specs, entry.id)
        if source.published_data is not None:
            source.published_data = without_reference(source.published_data, compiled.specs, entry.id)
            integrity.sync_relations(source, compiled, "published", source.published_data)
        integrity.sync_relations(source, compiled, "draft", source.data)
        source.version += 1
        if source.published_version is not None and source.status == "published":
            source.published_version = source.version
        db.session.flush()
        if snapshot is not None and source.published_data != snapshot:
            record_change(source, "publish", compiled.name)
        _revision(source, compiled, actor, "system")


def _revision(entry, compiled, actor, action):
    db.session.add(Revision(entry_id=entry.id, number=entry.version, action=action, type_version=compiled.version,
                            data=copy.deepcopy(entry.data), created_by_id=_actor_id(actor)))
    if action != "system":
        record(actor, f"entry.{action}", "entry", entry.id, type=compiled.name, version=entry.version,
               locale=entry.locale)
    published = action == "publish"
    emit(ENTRY_EVENTS.get(action, "entry.updated"), "entry", entry.id,
         {"type": compiled.name, "entry": entry_out(compiled, entry, not published, True)})
    db.session.flush()
