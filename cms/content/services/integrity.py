"""What the database must guarantee for entries: unique values, slugs and relation rows."""

import hashlib
import secrets

import sqlalchemy as sa
from slugify import slugify
from sqlalchemy.exc import IntegrityError

from cms.content.fields.text import SLUG_MAX_LENGTH
from cms.content.models import ContentType, Entry, EntryRelation, EntryUnique
from cms.core.errors import Conflict, ValidationFailed
from cms.extensions import db
from cms.media import services as media_services

SLUG_ATTEMPTS = 20


def unique_hash(spec, value):
    return hashlib.sha256(spec.type.unique_key(value).encode()).hexdigest()


def derive_slugs(compiled, stored):
    """Fill empty slug fields from their source; return the ids of the slugs derived."""
    derived = set()
    for spec in compiled.slug_specs:
        if stored.get(spec.id) or not spec["source"]:
            continue
        source = compiled.by_name.get(spec["source"])
        text = stored.get(source.id) if source else None
        if isinstance(text, str) and text.strip():
            slug = slugify(text, max_length=spec["max_length"] or SLUG_MAX_LENGTH, word_boundary=True)
            if slug:
                stored[spec.id] = slug
                derived.add(spec.id)
    return derived


def _suffixed(slug, attempt, limit):
    suffix = f"-{attempt + 2}" if attempt < SLUG_ATTEMPTS // 2 else f"-{secrets.token_hex(3)}"  # hello, hello-2
    return slug[: limit - len(suffix)].rstrip("-") + suffix


def claim_uniques(entry, compiled, derived=frozenset(), specs=None):
    """Record the entry's unique values; suffix derived slugs on collision, else raise Conflict.

    The primary key of ``entry_uniques`` makes the database the judge, so two concurrent
    writers cannot both win. Each claim runs in a SAVEPOINT so a lost race leaves the
    surrounding transaction usable.
    """
    held = {
        row.field_id: row
        for row in db.session.scalars(sa.select(EntryUnique).where(EntryUnique.entry_id == entry.id))
    }
    data = dict(entry.data)
    for spec in specs if specs is not None else compiled.unique_specs:
        value = data.get(spec.id)
        row = held.pop(spec.id, None)
        if value is None or value == "":
            if row is not None:
                db.session.delete(row)
            continue
        key = unique_hash(spec, value)
        if row is not None and row.value_hash == key:
            continue
        if row is not None:
            db.session.delete(row)
            db.session.flush()
        base, attempt = value, 0
        while not _try_claim(entry, spec, key):
            if spec.id not in derived or attempt >= SLUG_ATTEMPTS:
                holder = db.session.scalar(
                    sa.select(EntryUnique.entry_id).where(
                        EntryUnique.type_id == compiled.id, EntryUnique.locale == entry.locale,
                        EntryUnique.field_id == spec.id, EntryUnique.value_hash == key,
                    )
                )
                raise Conflict(
                    f"Another {compiled.name} already has this {spec.name}.",
                    {"fields": {spec.name: ["Already used by another entry."]}, "entry": holder},
                )
            value = _suffixed(base, attempt, spec["max_length"] or SLUG_MAX_LENGTH)
            key, attempt = unique_hash(spec, value), attempt + 1
        data[spec.id] = value
    if specs is None:
        for row in held.values():  # fields that are no longer unique
            db.session.delete(row)
    if data != entry.data:
        entry.data = data


def _try_claim(entry, spec, key):
    try:
        with db.session.begin_nested():
            db.session.add(EntryUnique(type_id=entry.type_id, locale=entry.locale, field_id=spec.id,
                                       value_hash=key, entry_id=entry.id))
        return True
    except IntegrityError:
        return False


def check_references(compiled, stored):
    """Raise ValidationFailed if a relation names a missing entry or one of the wrong type.

    Errors nest like the other field errors: ``{"review": {"reviewer": [...]}}`` for a component,
    ``{"sections": {"0": {"value": {"person": [...]}}}}`` for a block.
    """
    _check_media(compiled, stored)
    refs = list(_located_references(compiled.specs, stored))
    if not refs:
        return
    ids = {target for _path, target, _spec in refs}
    found = dict(
        db.session.execute(
            sa.select(Entry.id, ContentType.name).join(ContentType, Entry.type_id == ContentType.id)
            .where(Entry.id.in_(ids))
        ).all()
    )
    errors = {}
    for path, target, spec in refs:
        kind = found.get(target)
        if kind == spec["target"]:
            continue
        node = errors
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node.setdefault(path[-1], []).append(
            f"No {spec['target']} with the id {target}." if kind is None
            else f"{target} is a {kind}, not a {spec['target']}."
        )
    if errors:
        raise ValidationFailed(errors)


def _check_media(compiled, stored):
    """Raise ValidationFailed if a media field names an id that is not in the media library."""
    refs = list(_located_references(compiled.specs, stored, kind="media_ids"))
    missing = media_services.check_media_ids(target for _path, target, _spec in refs)
    errors = {}
    for path, target, _spec in refs:
        if target in missing:
            node = errors
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node.setdefault(path[-1], []).append(f"No media with the id {target}.")
    if errors:
        raise ValidationFailed(errors)


def _located_references(specs, stored, prefix=(), kind="references"):
    """Yield ``(error path, target id, spec)`` for every relation (or ``kind="media_ids"``: media) value."""
    for spec in specs:
        value = (stored or {}).get(spec.id)
        if value is None:
            continue
        path = prefix + (spec.name,)
        for target in getattr(spec.type, kind)(value, spec):
            yield path, target, spec
        if spec.children and isinstance(value, dict):
            yield from _located_references(spec.children, value, path, kind)
        elif spec.children and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _located_references(spec.children, item, path + (str(index),), kind)
        elif spec.blocks and isinstance(value, list):
            for index, item in enumerate(value):
                children = spec.blocks.get(item.get("type")) if isinstance(item, dict) else None
                if children is not None:
                    yield from _located_references(children, item.get("value"), path + (str(index), "value"), kind)


def sync_relations(entry, compiled, state, stored):
    """Replace the relation and media reference rows of ``entry`` for ``state`` (draft|published) with ``stored``'s."""
    db.session.execute(
        sa.delete(EntryRelation).where(EntryRelation.source_id == entry.id, EntryRelation.state == state)
    )
    rows = [
        {"source_id": entry.id, "state": state, "field_id": field_id, "position": position, "target_id": target}
        for field_id, position, target, _spec in compiled.references(stored or {})
    ]
    if rows:
        db.session.execute(sa.insert(EntryRelation), rows)
    if not compiled.has_media:
        return
    media = [(field_id, position, target) for field_id, position, target, _spec
             in compiled.references(stored or {}, "media_ids")]
    if media:  # only existing items: an imported or migrated document may name removed ones
        missing = media_services.check_media_ids(target for _f, _p, target in media)
        media = [ref for ref in media if ref[2] not in missing]
    media_services.sync_references(entry.id, state, media)


def incoming_relations(entry_ids):
    """Return distinct ``(source id, field id)`` pairs that reference any of ``entry_ids``."""
    return db.session.execute(
        sa.select(EntryRelation.source_id, EntryRelation.field_id)
        .where(EntryRelation.target_id.in_(entry_ids), EntryRelation.source_id.not_in(entry_ids))
        .distinct()
    ).all()
