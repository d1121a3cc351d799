"""Find what an entry's media and relation values point at, as the caller may see it.

One query for all media, and one per related type (plus one for translations), whatever the
nesting. A related entry shows its working copy when the caller may read that type's drafts, its
published snapshot when it may only read published entries, and nothing (just its id) otherwise;
"own entries only" and field allow-lists apply to its title as they do in the API.
"""

import sqlalchemy as sa

from cms.content.compiled import title_of
from cms.content.locales import pick
from cms.content.models import Entry
from cms.content.services.entries import owned_by, reading
from cms.content.services.types import compiled_type, find_type
from cms.core.errors import NotFound
from cms.extensions import db
from cms.media.schemas import file_url
from cms.media.services import items_by_id
from cms.themes.values import MediaView, RelationView, kind_of, stubs, walk


def collect(specs, values):
    """Return ``(media ids, {type name: relation ids})`` named by delivered ``values``."""
    media, relations = [], {}
    for spec, value in walk(specs, values):
        kind = kind_of(spec)
        if kind == "media":
            media.extend(stub["id"] for stub in stubs(value))
        elif kind == "relation":
            for stub in stubs(value):
                relations.setdefault(str(stub.get("type")), []).append(stub["id"])
    return media, relations


def media_views(ids):
    """Return ``{id: MediaView}`` for the media items that still exist."""
    return {item.id: MediaView(item.id, file_url(item), item.alt or "", item.caption or "", item.filename, item.mime,
                               item.width, item.height)
            for item in items_by_id(ids).values()}


def relation_views(wanted, actor, chain, link):
    """Return ``{(type, id): RelationView}``; ``link(type, id)`` gives a preview URL or None."""
    views = {}
    for type_name, ids in wanted.items():
        try:
            row = find_type(type_name)
        except NotFound:
            continue
        target = compiled_type(row)
        draft, access = True, reading(actor, target, True)
        if not access.allowed:
            draft, access = False, reading(actor, target, False)
            if not access.allowed:
                continue
        specs = [spec for spec in target.specs if access.shows(spec)]
        for stub_id, entry in _targets(target, sorted(set(ids)), draft, chain, owned_by(access)).items():
            values = target.deliver(entry.data if draft else entry.published_data, access.private,
                                    only=[spec.name for spec in specs])
            title = title_of(specs, values) or f"{target.name} {entry.id}"
            views[(type_name, stub_id)] = RelationView(stub_id, type_name, title,
                                                       link(type_name, stub_id) if draft else None, row.label)
    return views


def _targets(target, ids, draft, chain, owned):
    """Return ``{stub id: entry}``: each target, or its translation first along ``chain``."""
    statement = sa.select(Entry).where(Entry.id.in_(ids), Entry.type_id == target.id, *owned)
    if not draft:
        statement = statement.where(Entry.published_data.is_not(None))
    found = {entry.id: entry for entry in db.session.scalars(statement)}
    if not found or not chain or not target.localized:
        return found
    groups = {entry.translation_group: stub_id for stub_id, entry in found.items()}
    translations = sa.select(Entry).where(Entry.translation_group.in_(groups), Entry.locale.in_(chain), *owned)
    if not draft:
        translations = translations.where(Entry.published_data.is_not(None))
    candidates = {}
    for entry in db.session.scalars(translations):
        candidates.setdefault(groups[entry.translation_group], []).append(entry)
    return {stub_id: pick(candidates.get(stub_id, []) + [entry], chain) or entry for stub_id, entry in found.items()}
