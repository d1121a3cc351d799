"""Bulk export and import of entries as JSON Lines (`folio content export|import`).

One line per entry: the system keys, ``data`` (the working copy) and ``published`` (the
published snapshot, or null), both in the writable form keyed by field name. Import checks
every line with the type's schema and writes set-based: entries and revisions per batch,
unique claims and relation rows once every entry is in, since a relation may point at a
later line. Each entry records its domain events in the outbox, as the API's saves would
(one statement per batch). Any bad line fails the whole import with ``line N: reason``; the
caller rolls back, events included.
"""

import json
from datetime import UTC, datetime
from itertools import islice
from types import SimpleNamespace

import sqlalchemy as sa
from marshmallow import ValidationError

from cms.content.fields.references import ID_PATTERN
from cms.content.locales import current_locales
from cms.content.models import ContentType, Entry, EntryRelation, EntryUnique, Revision
from cms.content.schemas import entry_out
from cms.content.services.entries import owned_by
from cms.content.services.integrity import derive_slugs, unique_hash
from cms.content.services.sync import record_import
from cms.content.services.types import compiled_type, find_type
from cms.core.db import insert_many, utcnow
from cms.core.errors import ApiError
from cms.core.policy import authorize, content_access
from cms.events.services import emit_many
from cms.extensions import db
from cms.media.models import MediaItem, MediaReference

#: exporting or importing every entry of a type is a system task: it needs the type-management right
ACTION = "content_types.manage"
LINE_KEYS = frozenset({
    "id", "type", "locale", "status", "version", "created_at", "updated_at", "published_at",
    "published_version", "data", "published", "translation_group",
})
REQUIRED_KEYS = ("id", "type", "data")
STATUSES = ("draft", "published", "changed")
ENTRY_ID_MAX = 36  # the width of entries.id
YIELD_PER = 1000
LOOKUP_CHUNK = 500  # ids per IN (...) lookup


class ImportFailed(ApiError):
    """A line of an import file is unusable; nothing of the import may be kept."""

    status, code = 422, "validation_failed"

    def __init__(self, line, reason):
        super().__init__(f"line {line}: {reason}", {"line": line})


def timestamp(moment):
    """Render a datetime losslessly: UTC, microseconds, ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# -- export ----------------------------------------------------------------------------------

_EXPORT_COLUMNS = (
    Entry.id, Entry.locale, Entry.translation_group, Entry.status, Entry.version, Entry.created_at, Entry.updated_at,
    Entry.published_at, Entry.published_version, Entry.data, Entry.published_data,
)


def export_entries(type_names=None, *, actor):
    """Return an iterator of export lines (dicts), type by type, oldest entry first.

    Each type is exported as the actor may read its working copies: types it may not read are
    refused (named) or left out (all types), fields outside its allow-list are left out, and
    "own entries only" exports its own entries.
    """
    authorize(actor, ACTION)
    if type_names:
        rows = [find_type(name) for name in dict.fromkeys(type_names)]
        for row in rows:
            authorize(actor, "entry.read_draft", compiled_type(row))
    else:
        rows = db.session.scalars(sa.select(ContentType).order_by(ContentType.name)).all()
    return _stream(rows, actor)


def _stream(rows, actor):
    for row in rows:
        compiled = compiled_type(row)
        access = content_access(actor, "read_draft", compiled)
        if not access.allowed:
            continue
        statement = (
            sa.select(*_EXPORT_COLUMNS).where(Entry.type_id == row.id, *owned_by(access))
            .order_by(Entry.created_at, Entry.id).execution_options(yield_per=YIELD_PER)
        )
        only = access.only(compiled)
        for entry in db.session.execute(statement):
            yield export_line(compiled, entry, access.private, only)


def export_line(compiled, entry, include_private=True, only=None):
    """Return the export line of one entry (a row or an Entry).

    ``translation_group`` is written only for a translation of another entry (else it is the id).
    """
    published = entry.published_data
    line = {
        "id": entry.id, "type": compiled.name, "locale": entry.locale, "status": entry.status,
        "version": entry.version, "created_at": timestamp(entry.created_at),
        "updated_at": timestamp(entry.updated_at), "published_at": timestamp(entry.published_at),
        "published_version": entry.published_version, "data": compiled.to_input(entry.data, include_private, only),
        "published": compiled.to_input(published, include_private, only) if published is not None else None,
    }
    if entry.translation_group != entry.id:
        line["translation_group"] = entry.translation_group
    return line


# -- import ----------------------------------------------------------------------------------

def import_entries(lines, actor, batch_size=1000, progress=None):
    """Import JSON Lines (str or bytes); return ``{"imported", "replaced", "types"}``.

    A line whose id exists replaces that entry (same type only). ``progress(count)`` is called
    after every batch. Never commits; on ImportFailed the caller must roll back.
    """
    authorize(actor, ACTION)
    job = _Import(actor, max(1, int(batch_size)), progress)
    for number, raw in enumerate(lines, 1):
        if raw.strip():
            job.add(number, raw)
    job.finish()
    return job.report


class _TypeInfo:
    """What the import needs of one content type, worked out once."""

    def __init__(self, compiled):
        self.compiled = compiled
        self.unique_specs = compiled.unique_specs
        self.has_slugs = bool(compiled.slug_specs)
        self.draft_publish = compiled.draft_publish


class _Import:
    def __init__(self, actor, batch_size, progress):
        self.actor_id = getattr(actor, "id", None)
        self.batch_size, self.progress = batch_size, progress
        self.rows = {row.name: row for row in db.session.scalars(sa.select(ContentType))}
        self.infos = {}
        self.locales = current_locales()
        self.translations = {}  # (translation group, locale) -> line
        self.now = utcnow()
        self.line_of, self.type_of = {}, {}  # entry id -> line number, type name
        self.singletons = {}  # type name -> (line, entry id)
        self.claims = {}  # (type id, locale, field id, hash) -> (line, entry id, field name, value)
        self.relations = []  # (line, source, state, field id, position, target, target type, field name)
        self.media = []  # (source, state, field id, position, media id)
        self.batch = []
        self.report = {"imported": 0, "replaced": 0, "types": {}}

    def info(self, number, name):
        if name not in self.infos:
            row = self.rows.get(name) if isinstance(name, str) else None
            if row is None:
                raise ImportFailed(number, f"unknown content type {name!r}")
            self.infos[name] = _TypeInfo(compiled_type(row))
        return self.infos[name]

    def add(self, number, raw):
        try:
            item = json.loads(raw)
        except ValueError as exc:
            raise ImportFailed(number, f"not valid JSON ({exc})") from None
        if not isinstance(item, dict):
            raise ImportFailed(number, "expected a JSON object (one entry per line)")
        unknown = sorted(set(item) - LINE_KEYS)
        if unknown:
            raise ImportFailed(number, f"unknown key(s) {', '.join(unknown)}")
        for key in REQUIRED_KEYS:
            if item.get(key) is None:
                raise ImportFailed(number, f"missing {key!r}")
        entry_id = item["id"]
        if not isinstance(entry_id, str) or len(entry_id) > ENTRY_ID_MAX or not ID_PATTERN.match(entry_id):
            raise ImportFailed(number, f"the id must be 1-{ENTRY_ID_MAX} letters, digits, - or _")
        if entry_id in self.line_of:
            raise ImportFailed(number, f"the id {entry_id} already appears on line {self.line_of[entry_id]}")
        info = self.info(number, item["type"])
        self.batch.append(self._rows(number, item, info))
        self.line_of[entry_id], self.type_of[entry_id] = number, info.compiled.name
        if len(self.batch) >= self.batch_size:
            self.flush()

    def _rows(self, number, item, info):
        compiled, entry_id = info.compiled, item["id"]
        locale, group = self._translation(number, item, compiled)
        data = self._load(number, info, item["data"], "data")
        published = item.get("published")
        if published is None and not info.draft_publish:
            published = item["data"]  # types without drafts publish on save
        if published is not None:  # usually the same values: validate them once
            published = data if published == item["data"] else self._load(number, info, published, "published")
        version = _count(number, item, "version", 1)
        created_at = _moment(number, item, "created_at", self.now)
        updated_at = _moment(number, item, "updated_at", created_at)
        status = item.get("status") or ("published" if published is not None else "draft")
        if status not in STATUSES:
            raise ImportFailed(number, f"status must be one of {', '.join(STATUSES)}")
        if (status == "draft") != (published is None):
            raise ImportFailed(number, f"status {status!r} does not match "
                               + ("the published snapshot" if published is not None else "a missing snapshot"))
        published_version = published_at = None
        if published is not None:
            published_version = _count(number, item, "published_version", version)
            if published_version > version:
                raise ImportFailed(number, "published_version must not be greater than version")
            published_at = _moment(number, item, "published_at", updated_at)
        if compiled.kind == "singleton":
            if compiled.name in self.singletons and self.singletons[compiled.name][2] != group:
                line = self.singletons[compiled.name][0]
                raise ImportFailed(number, f"{compiled.name!r} is a singleton and line {line} already holds its entry"
                                   + (" (translations share line's translation_group)" if compiled.localized else ""))
            self.singletons.setdefault(compiled.name, (number, entry_id, group))
        self._claim(number, info, entry_id, locale, data)
        references = compiled.references(data)
        for state, stored in (("draft", data), ("published", published)):
            if stored is not data:
                references = compiled.references(stored) if stored else ()
            for field_id, position, target, spec in references:
                self.relations.append((number, entry_id, state, field_id, position, target, spec["target"], spec.name))
            if compiled.has_media and stored:
                self.media.extend((entry_id, state, field_id, position, media_id) for field_id, position, media_id, _spec
                                  in compiled.references(stored, "media_ids"))
        entry = {
            "id": entry_id, "type_id": compiled.id, "locale": locale, "translation_group": group,
            "status": status, "version": version,
            "data": data, "published_data": published, "published_version": published_version,
            "created_at": created_at, "updated_at": updated_at, "published_at": published_at,
            "created_by_id": None, "updated_by_id": None, "published_by_id": None,
        }
        revision = {"entry_id": entry_id, "number": version, "action": "import", "type_version": compiled.version,
                    "data": data, "created_at": self.now, "created_by_id": self.actor_id}
        return number, entry, revision

    def _translation(self, number, item, compiled):
        """Return the line's ``(locale, translation group)``, checked against the configured locales."""
        locale = item.get("locale") or self.locales.default
        if locale not in self.locales.chains:
            raise ImportFailed(number, f"{str(locale)[:40]!r} is not a configured locale "
                               f"({', '.join(self.locales.codes)}; see LOCALES in the README)")
        if locale != self.locales.default and not compiled.localized:
            raise ImportFailed(number, f"{compiled.name!r} is not localized: its entries are in {self.locales.default} only")
        group = item.get("translation_group") or item["id"]
        if not isinstance(group, str) or len(group) > ENTRY_ID_MAX or not ID_PATTERN.match(group):
            raise ImportFailed(number, f"translation_group must be an entry id (1-{ENTRY_ID_MAX} letters, digits, - or _)")
        if (group, locale) in self.translations:
            raise ImportFailed(number, f"line {self.translations[group, locale]} already holds the {locale} "
                               "translation of this entry")
        self.translations[group, locale] = number
        return locale, group

    def _load(self, number, info, payload, label):
        if not isinstance(payload, dict):
            raise ImportFailed(number, f"{label!r} must be an object of field values")
        try:
            stored = info.compiled.load(payload, "draft")
        except ValidationError as exc:
            raise ImportFailed(number, f"invalid {label}: {'; '.join(_describe(exc.messages))}") from None
        if info.has_slugs:
            derive_slugs(info.compiled, stored)
        return stored

    def _claim(self, number, info, entry_id, locale, data):
        for spec in info.unique_specs:
            value = data.get(spec.id)
            if value is None or value == "":
                continue
            key = (info.compiled.id, locale, spec.id, unique_hash(spec, value))
            held = self.claims.get(key)
            if held is not None:
                raise ImportFailed(number, f"{spec.name} {value!r} is already used on line {held[0]}")
            self.claims[key] = (number, entry_id, spec.name, value)

    def flush(self):
        """Write the pending batch: replace entries that exist, insert the others, add revisions."""
        if not self.batch:
            return
        batch, self.batch = self.batch, []
        existing = dict(_lookup(sa.select(Entry.id, Entry.type_id), Entry.id, [e["id"] for _n, e, _r in batch]))
        fresh, replaced = [], []
        for number, entry, _revision in batch:
            held_by = existing.get(entry["id"])
            if held_by is not None and held_by != entry["type_id"]:
                other = next((r.name for r in self.rows.values() if r.id == held_by), "another type")
                raise ImportFailed(number, f"the id {entry['id']} belongs to a {other} in the database; "
                                   "an import cannot change an entry's type")
            (replaced if held_by is not None else fresh).append(entry)
            types = self.report["types"]
            types[self.type_of[entry["id"]]] = types.get(self.type_of[entry["id"]], 0) + 1
        self._check_translations(batch)
        published = record_import(fresh, replaced, self.type_of)
        emit_many(self._events(batch, {e["id"] for e in replaced}, {entry["id"]: action for entry, action in published}))
        if replaced:
            _replace(replaced)
        if fresh:  # Core executemany on the tables: one statement per batch, None as NULL
            insert_many(db.session.connection(), Entry.__table__, fresh)
        insert_many(db.session.connection(), Revision.__table__, [revision for _n, _e, revision in batch])
        self.report["imported"] += len(batch)
        self.report["replaced"] += len(replaced)
        if self.progress is not None:
            self.progress(self.report["imported"])

    def _events(self, batch, replaced, published):
        """The batch's domain events, as the API would record them: the save (``entry.created`` or
        ``entry.updated``), then ``entry.published`` or ``entry.unpublished`` when the published state
        changed (types without drafts publish on save and record the save only)."""
        for _number, entry, _revision in batch:
            compiled = self.infos[self.type_of[entry["id"]]].compiled
            row = SimpleNamespace(**entry)
            working = entry_out(compiled, row, True, True)
            saved = "entry.updated" if entry["id"] in replaced else "entry.created"
            yield saved, "entry", entry["id"], {"type": compiled.name, "entry": working}
            action = published.get(entry["id"])
            if action == "publish" and compiled.draft_publish:
                if entry["published_data"] is entry["data"]:  # the usual line: deliver the values once
                    snapshot = {**working, "status": "published", "version": entry["published_version"]}
                else:
                    snapshot = entry_out(compiled, row, False, True)
                yield "entry.published", "entry", entry["id"], {"type": compiled.name, "entry": snapshot}
            elif action == "unpublish":
                yield "entry.unpublished", "entry", entry["id"], {"type": compiled.name, "entry": working}

    def finish(self):
        """Write the last batch, then unique claims and relation rows, checked against the database."""
        self.flush()
        self._check_claims()
        _insert_chunked(EntryUnique, (
            {"type_id": key[0], "locale": key[1], "field_id": key[2], "value_hash": key[3], "entry_id": held[1]}
            for key, held in self.claims.items()
        ), self.batch_size)
        self._check_relations()
        self._insert_media_references()
        _insert_chunked(EntryRelation, (
            {"source_id": source, "state": state, "field_id": field_id, "position": position, "target_id": target}
            for _n, source, state, field_id, position, target, _kind, _name in self.relations
        ), self.batch_size)
        self._check_singletons()
        db.session.flush()
        db.session.expire_all()

    def _insert_media_references(self):
        """Track the media the imported entries use (references to items not in the library are skipped)."""
        known = set()
        ids = sorted({ref[4] for ref in self.media})
        for start in range(0, len(ids), LOOKUP_CHUNK):
            known |= set(db.session.scalars(sa.select(MediaItem.id).where(MediaItem.id.in_(ids[start:start + LOOKUP_CHUNK]))))
        _insert_chunked(MediaReference, (
            {"entry_id": source, "state": state, "field_id": field_id, "position": position, "media_id": media_id}
            for source, state, field_id, position, media_id in self.media if media_id in known
        ), self.batch_size)

    def _check_claims(self):
        by_field = {}
        for key in self.claims:
            by_field.setdefault((key[0], key[2]), []).append(key[3])
        clashes = []
        for (type_id, field_id), hashes in by_field.items():
            query = sa.select(EntryUnique.locale, EntryUnique.value_hash, EntryUnique.entry_id).where(
                EntryUnique.type_id == type_id, EntryUnique.field_id == field_id)
            for locale, value_hash, holder in _lookup(query, EntryUnique.value_hash, hashes):
                held = self.claims.get((type_id, locale, field_id, value_hash))
                if held is not None:
                    clashes.append((held, holder))
        if clashes:
            (number, _entry, field, value), holder = min(clashes)
            raise ImportFailed(number, f"{field} {value!r} is already used by the entry {holder} in the database")

    def _check_relations(self):
        outside = {rel[5] for rel in self.relations if rel[5] not in self.type_of}
        query = sa.select(Entry.id, ContentType.name).join(ContentType, Entry.type_id == ContentType.id)
        found = dict(_lookup(query, Entry.id, sorted(outside)))
        for number, _source, state, _field_id, _position, target, kind, name in self.relations:
            actual = self.type_of.get(target) or found.get(target)
            where = "" if state == "draft" else " (published)"
            if actual is None:
                raise ImportFailed(number, f"{name}{where} points at {target}, "
                                   "which is neither in the file nor in the database")
            if actual != kind:
                raise ImportFailed(number, f"{name}{where} must point at a {kind}, but {target} is a {actual}")

    def _check_singletons(self):
        for name, (number, _entry_id, group) in self.singletons.items():
            other = db.session.scalar(
                sa.select(Entry.id).where(Entry.type_id == self.rows[name].id, Entry.translation_group != group).limit(1)
            )
            if other is not None:
                raise ImportFailed(number, f"{name!r} is a singleton and already has the entry {other}")

    def _check_translations(self, batch):
        """Refuse a line whose locale of its translation group another entry in the database holds."""
        lines = {(e["translation_group"], e["locale"]): (number, e["id"]) for number, e, _r in batch}
        query = sa.select(Entry.translation_group, Entry.locale, Entry.id)
        for group, locale, entry_id in _lookup(query, Entry.translation_group, sorted({g for g, _l in lines})):
            number, line_id = lines.get((group, locale), (None, None))
            if number is not None and entry_id != line_id:
                raise ImportFailed(number, f"the entry {entry_id} in the database already holds the {locale} "
                                   "translation of this entry")


def _replace(entries):
    """Drop the revisions, claims and relation rows of existing entries, then overwrite their rows."""
    ids = [entry["id"] for entry in entries]
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start:start + LOOKUP_CHUNK]
        db.session.execute(sa.delete(Revision).where(Revision.entry_id.in_(chunk)))
        db.session.execute(sa.delete(EntryUnique).where(EntryUnique.entry_id.in_(chunk)))
        db.session.execute(sa.delete(EntryRelation).where(EntryRelation.source_id.in_(chunk)))
        db.session.execute(sa.delete(MediaReference).where(MediaReference.entry_id.in_(chunk)))
    table = Entry.__table__
    statement = sa.update(table).where(table.c.id == sa.bindparam("entry_id"))
    db.session.execute(statement, [{**{k: v for k, v in e.items() if k != "id"}, "entry_id": e["id"]} for e in entries])


def _lookup(query, column, values):
    """Yield the rows of ``query`` restricted to ``column IN values``, a chunk at a time."""
    values = list(values)
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield from db.session.execute(query.where(column.in_(values[start:start + LOOKUP_CHUNK])))


def _insert_chunked(model, rows, size):
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        insert_many(db.session.connection(), model.__table__, chunk)


def _count(number, item, key, default):
    value = item.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**31:
        raise ImportFailed(number, f"{key} must be a whole number from 1")
    return value


def _moment(number, item, key, default):
    value = item.get(key)
    if value is None:
        return default
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise ImportFailed(number, f"{key} must be an ISO 8601 datetime (e.g. 2024-05-01T09:30:00Z)")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _describe(messages, path=""):
    """Flatten marshmallow messages into ``field.sub: message`` strings."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _describe(value, f"{path}.{key}" if path else str(key))
    elif isinstance(messages, list):
        for message in messages:
            yield from _describe(message, path)
    else:
        yield f"{path}: {messages}" if path else str(messages)
