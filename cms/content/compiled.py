"""A content type compiled for use: validating schemas, delivery and walking stored values.

Compiled types are cached per process by ``(name, version)``; every request reads the type
row (and so its version) from the database, so a change made by any process is used by all
others at their next request.
"""

import threading
from collections import OrderedDict

from cms.content.definitions import compile_specs, storage_schema
from cms.content.fields.base import CompileContext, FieldType


#: field names that name an entry, in order of preference (admin lists, previews, pickers)
TITLE_NAMES = ("title", "name", "headline", "heading", "label")
TITLE_TYPES = ("string", "slug", "enum", "text")


def title_of(specs, values):
    """The text that names an entry (``values`` by field name): its title/name/… field, else its
    first non-empty short text, else None."""
    texts = [spec for spec in specs if spec.type.name in TITLE_TYPES
             and isinstance(values.get(spec.name), str) and values[spec.name].strip()]
    named = sorted((spec for spec in texts if spec.name in TITLE_NAMES), key=lambda s: TITLE_NAMES.index(s.name))
    chosen = (named or texts or [None])[0]
    return values[chosen.name].strip() if chosen is not None else None


class CompiledType:
    def __init__(self, content_type, registry, json_max_depth=32):
        self.id = content_type.id
        self.name = content_type.name
        self.label = content_type.label
        self.version = content_type.version
        self.cache_key = cache_key(content_type)
        self.kind = content_type.kind
        self.options = dict(content_type.options)
        self.definition = list(content_type.fields)
        self.specs = compile_specs(self.definition, registry)
        self.by_name = {spec.name: spec for spec in self.specs}
        self.by_id = {spec.id: spec for spec in self.specs}
        self.all_by_id = {spec.id: spec for spec in _every_spec(self.specs)}
        self.json_max_depth = json_max_depth
        self._schemas = {}
        self._lock = threading.Lock()

    def title_of(self, stored):
        """The text naming an entry whose stored values (by field id) are ``stored``."""
        return title_of(self.specs, {spec.name: stored.get(spec.id) for spec in self.specs})

    @property
    def draft_publish(self):
        return self.options.get("draft_publish", True)

    @property
    def localized(self):
        return bool(self.options.get("localized", False))

    @property
    def shared_specs(self):
        """Fields of a localized type marked ``localized: false``: one value for every translation."""
        return [s for s in self.specs if s["localized"] is False] if self.localized else []

    @property
    def has_media(self):
        """Whether any field, nested ones included, holds media (a plugin's type may too: it reports media ids)."""
        return any(spec.type.name == "media" or type(spec.type).media_ids is not FieldType.media_ids
                   for spec in self.all_by_id.values())

    @property
    def unique_specs(self):
        return [s for s in self.specs if s["unique"] or s.type.name == "slug"]

    @property
    def slug_specs(self):
        return [s for s in self.specs if s.type.name == "slug"]

    def schema(self, mode):
        """Return the storage schema for ``mode`` ("draft": required not enforced, or "full")."""
        schema = self._schemas.get(mode)
        if schema is None:
            with self._lock:
                ctx = CompileContext(mode=mode, json_max_depth=self.json_max_depth)
                ctx.schema_factory = lambda specs: storage_schema(specs, ctx)
                schema = self._schemas[mode] = storage_schema(self.specs, ctx)
        return schema

    def load(self, payload, mode):
        """Validate API input and return the stored (id-keyed) document; raises ValidationError.

        A null value is stored as no value, so that a save which changes nothing stores the same document.
        """
        return {key: value for key, value in self.schema(mode).load(payload).items() if value is not None}

    def deliver(self, stored, include_private=True, only=None):
        """Return the API form (names, rendered values) of a stored document (``only``: these names)."""
        specs = self.specs if only is None else [spec for spec in self.specs if spec.name in only]
        return _render(specs, stored or {}, "deliver", include_private)

    def to_input(self, stored, include_private=True, only=None):
        """Return the writable form of a stored document (what PATCH merges, what diffs compare)."""
        specs = self.specs if only is None else [spec for spec in self.specs if spec.name in only]
        return _render(specs, stored or {}, "to_input", include_private)

    def walk(self, stored, specs=None):
        """Yield ``(spec, value)`` for every field with a value, nested ones included."""
        for spec in specs or self.specs:
            value = (stored or {}).get(spec.id)
            if value is None:
                continue
            yield spec, value
            groups = getattr(spec.type, "groups", None)
            if groups is not None:
                for children, child in groups(value, spec):
                    yield from self.walk(child, children)

    def references(self, stored, kind="references"):
        """Return ``[(field_id, position, target_id, spec)]`` for every relation value (``kind="media_ids"``: media)."""
        found, positions = [], {}
        for spec, value in self.walk(stored):
            for target in getattr(spec.type, kind)(value, spec):
                position = positions.get(spec.id, 0)
                positions[spec.id] = position + 1
                found.append((spec.id, position, target, spec))
        return found


def _every_spec(specs):
    for spec in specs:
        yield spec
        yield from _every_spec(spec.children)
        for children in spec.blocks.values():
            yield from _every_spec(children)


def without_reference(stored, specs, target_id):
    """Return a copy of ``stored`` with every relation to ``target_id`` cleared."""
    out = dict(stored)

    def clear_children(child_specs, child_stored):
        return without_reference(child_stored, child_specs, target_id)

    for spec in specs:
        if out.get(spec.id) is not None:
            out[spec.id] = spec.type.clear_reference(out[spec.id], spec, target_id, clear_children)
    return out


def _render(specs, stored, method, include_private):
    out = {}

    def children(child_specs, child_stored):
        return _render(child_specs, child_stored or {}, method, include_private)

    for spec in specs:
        if spec["private"] and not include_private:
            continue
        value = stored.get(spec.id)
        if value is None and spec.id not in stored and spec.has_default:
            value = spec.default_value()
        rendered = getattr(spec.type, method)(value, spec, children)
        if rendered is not None or method != "to_input":  # the input form leaves out empty fields
            out[spec.name] = rendered
    return out


def cache_key(content_type):
    """What identifies one state of a type's definition.

    ``updated_at`` besides the version: a rolled-back change (a dry run, a failed request, a test)
    leaves a compiled type under a version number that the next real change reuses.
    """
    return (content_type.name, content_type.version, content_type.id, content_type.updated_at)


class SchemaCache:
    """A small thread-safe LRU of compiled types keyed by ``(name, version)``."""

    def __init__(self, size=256):
        self.size = size
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, content_type, build):
        key = cache_key(content_type)
        with self._lock:
            compiled = self._items.get(key)
            if compiled is not None:
                self._items.move_to_end(key)
                return compiled
        compiled = build(content_type)
        with self._lock:
            self._items[key] = compiled
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return compiled
