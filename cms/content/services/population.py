"""Populating relations: replace delivered stubs ``{"id", "type"}`` with the entries they name.

Each level of the populate tree is one query for the target ids of that level across the whole
page, so the number of queries depends on the populate depth, never on the page size. Published
reads deliver the targets' published snapshots and leave unpublished targets out (a single
relation becomes null, a many relation omits them); draft reads deliver working copies. Read with
a locale chain, a target of a localized type is delivered in the first of its translations along
the chain (the same query finds them).
"""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from cms.content.locales import ALL, pick
from cms.content.models import Entry
from cms.content.query.populate import parse_populate
from cms.content.schemas import entry_out
from cms.content.services.listing import readable
from cms.content.services.types import compiled_type, find_type
from cms.core.policy import authorize
from cms.extensions import db
from cms.media.schemas import media_out
from cms.media.services import items_by_id


def plan_population(args, compiled, actor, draft, fields=None):
    """Return the checked populate tree of a request's arguments for reading ``compiled``'s entries.

    Looks up each distinct target type once; reads no entries.
    """
    if "populate" not in args and not any(key.startswith("populate[") for key in args):
        return ()
    authorize(actor, "entry.read_draft" if draft else "entry.read", compiled)
    types = {compiled.name: compiled}

    def load_type(name):
        if name not in types:
            types[name] = compiled_type(find_type(name))
        return types[name]

    return parse_populate(args, compiled, readable(actor, draft), load_type,
                          current_app.config["QUERY_MAX_DEPTH"], fields)


def populate(tree, delivered, draft, chain=None):
    """Fill the relation stubs of ``delivered`` (entry dicts of one type) as ``tree`` asks, in place.

    ``chain``: the locale chain to deliver localized targets in (None or ALL: the stored targets).
    """
    chain = None if chain == ALL else chain
    slots = [(item, node) for item in delivered for node in tree]
    while slots:
        slots = _fill_level(slots, draft, chain)
    return delivered


def _find_targets(ids, draft, chain):
    """Return ``{stub id: [entries]}``: each stored target and, read along ``chain``, its translations there."""
    if chain is None:
        statement = sa.select(Entry.id, Entry).where(Entry.id.in_(ids))
    else:
        stub = aliased(Entry)
        statement = (
            sa.select(stub.id, Entry)
            .join(Entry, Entry.translation_group == stub.translation_group)
            .where(stub.id.in_(ids), sa.or_(Entry.id == stub.id, Entry.locale.in_(chain)))
        )
    if not draft:
        statement = statement.where(Entry.published_data.is_not(None))
    found = {}
    for stub_id, entry in db.session.execute(statement):
        found.setdefault(stub_id, []).append(entry)
    return found


def _fill_media(slots):
    """Replace media stubs with media objects: one query for the whole level."""
    wanted = {stub["id"] for container, node in slots for stub in _stubs(container.get(node.name))}
    found = {item_id: media_out(item) for item_id, item in items_by_id(wanted).items()}
    for container, node in slots:
        value = container.get(node.name)
        if isinstance(value, list):
            container[node.name] = [found[stub["id"]] for stub in value if stub["id"] in found]
        elif value is not None:
            container[node.name] = found.get(value["id"])


def _fill_level(slots, draft, chain):
    """Fill one level of ``(container dict, node)`` slots with one query each for entries and media;
    return the next level's."""
    media = [(container, node) for container, node in slots if node.target is None]
    if media:
        _fill_media(media)
        slots = [(container, node) for container, node in slots if node.target is not None]
    wanted = {stub["id"] for container, node in slots for stub in _stubs(container.get(node.name))}
    if not wanted:
        return []
    found = _find_targets(sorted(wanted), draft, chain)
    made, next_slots = {}, []

    def target_of(node, stub):
        """Return the delivered target of ``stub`` for ``node`` (one dict per node and entry), or None."""
        candidates = found.get(stub["id"], ())
        if chain is not None and node.target.localized:
            entry = pick(candidates, chain)
        else:
            entry = next((candidate for candidate in candidates if candidate.id == stub["id"]), None)
        if entry is None or entry.type_id != node.target.id:
            return None
        if node.access.owner is not None and entry.created_by_id != node.access.owner:
            return None  # "own entries only": others' entries are not delivered
        key = (node.path, entry.id)
        if key not in made:
            made[key] = entry_out(node.target, entry, draft, node.access.private,
                                  node.access.only(node.target, node.fields))
            next_slots.extend((made[key], child) for child in node.children)
        return made[key]

    for container, node in slots:
        value = container.get(node.name)
        if isinstance(value, list):
            container[node.name] = [t for t in (target_of(node, stub) for stub in _stubs(value)) if t is not None]
        elif value is not None:
            container[node.name] = target_of(node, value)
    return next_slots


def _stubs(value):
    if value is None:
        return ()
    return value if isinstance(value, list) else (value,)
