"""The media library's rules: upload (streamed, sniffed, deduplicated), list, edit, delete, references.

Uploads are copied in chunks to a temporary file while their SHA-256 is computed, so memory
does not grow with the file; the bytes then go to the storage backend under a key made of the
hash. The same bytes uploaded twice are stored once: the second upload answers the first item.
"""

import hashlib
import json
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError

from cms.audit.services import record
from cms.events.services import emit
from cms.core.db import new_id, utcnow
from cms.core.errors import ApiError, Conflict, NotFound, ValidationFailed, parameter_error
from cms.core.policy import authorize
from cms.extensions import db
from cms.media.detect import EXTENSIONS, probe
from cms.media.models import MediaItem, MediaReference
from cms.plugins.lifecycle import media_change
from cms.media.storage import CHUNK

log = logging.getLogger(__name__)
MAX_FILENAME = 255
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_FOLDER = re.compile(r"^(/[A-Za-z0-9 ._-]{1,100}){0,10}\Z")


class TooLarge(ApiError):
    status, code = 413, "too_large"
    message = "The file is larger than this server accepts."


def event_data(item):
    """What media events carry: the item's metadata (its URL depends on the request, so not here)."""
    return {"id": item.id, "filename": item.filename, "mime": item.mime, "size": item.size, "width": item.width,
            "height": item.height, "alt": item.alt, "caption": item.caption, "folder": item.folder,
            "tags": list(item.tags or [])}


def storage():
    return current_app.extensions["folio.media_storage"]


def clean_filename(name):
    """Return a safe display name: no folders, no control characters, at most 255 characters (422 if nothing is left)."""
    if not isinstance(name, str):
        raise ValidationFailed({"file": ["Send the file with a file name."]})
    if any(unicodedata.category(char) in {"Cc", "Cf"} for char in name):
        raise ValidationFailed({"file": ["The file name holds control characters."]})
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1]).strip().lstrip(".")
    if not name:
        raise ValidationFailed({"file": ["The file name is empty."]})
    if len(name) > MAX_FILENAME:
        stem, dot, extension = name.rpartition(".")
        extension = extension[:16] if dot else ""
        name = (stem if dot else name)[: MAX_FILENAME - len(extension) - 1] + ("." + extension if extension else "")
    return name


_SAME = {".jpeg": ".jpg", ".jpe": ".jpg", ".jfif": ".jpg", ".htm": ".html"}


def with_extension(filename, mime):
    """Make the name's extension say what the bytes are (``photo.exe`` holding a PNG is ``photo.png``)."""
    extension = EXTENSIONS.get(mime)
    if not extension:
        return filename
    stem, dot, current = filename.rpartition(".")
    if dot and _SAME.get("." + current.lower(), "." + current.lower()) == extension:
        return filename
    return ((stem if dot and stem else filename)[: MAX_FILENAME - len(extension)]) + extension


@dataclass
class Spooled:
    """An upload copied to a temporary file: its path, size and SHA-256."""

    path: str
    size: int
    sha256: str

    def discard(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


def spool(source, max_bytes):
    """Copy ``source`` (a binary stream) to a temporary file in chunks; 413 beyond ``max_bytes``."""
    digest, size = hashlib.sha256(), 0
    handle, path = tempfile.mkstemp(prefix="folio-upload-")
    try:
        with os.fdopen(handle, "wb") as target:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"The file is larger than {max_bytes:,} bytes.", {"max_bytes": max_bytes})
                digest.update(chunk)
                target.write(chunk)
    except BaseException:
        os.unlink(path)
        raise
    if size == 0:
        os.unlink(path)
        raise ValidationFailed({"file": ["The file is empty."]})
    return Spooled(path, size, digest.hexdigest())


class MetadataSchema(Schema):
    alt = fields.String(validate=validate.Length(max=1000))
    caption = fields.String(validate=validate.Length(max=2000))
    focal_x = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1), allow_nan=False)
    focal_y = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1), allow_nan=False)
    folder = fields.String(validate=validate.Regexp(_FOLDER, error="Use /folder/sub (letters, digits, space . _ -)."))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=50))
    filename = fields.String(validate=validate.Length(min=1, max=MAX_FILENAME))


def load_metadata(payload, partial=True):
    try:
        data = MetadataSchema(partial=partial).load(payload)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None
    bad = sorted(key for key, value in data.items()
                 if "\x00" in (value if isinstance(value, str) else "".join(value) if isinstance(value, list) else ""))
    if bad:
        raise ValidationFailed({key: ["NUL characters are not allowed."] for key in bad})
    if "filename" in data:
        data["filename"] = clean_filename(data["filename"])
    if "tags" in data:
        data["tags"] = list(dict.fromkeys(data["tags"]))
    return data


def add_file(spooled, filename, actor, metadata=None):
    """Make a media item of a spooled upload; return ``(item, created)`` (False: the same bytes exist).

    Raises 415/422 for refused content and StorageUnavailable (503) when the store fails; in every
    case no row is left, and an object stored before a later failure is removed (or found by gc).
    """
    config = current_app.config
    filename = clean_filename(filename)
    metadata = load_metadata(metadata or {})
    existing = db.session.scalar(sa.select(MediaItem).where(MediaItem.sha256 == spooled.sha256))
    if existing is not None:
        return existing, False
    found = probe(spooled.path, frozenset(config["MEDIA_ALLOWED_TYPES"]), config["MEDIA_MAX_PIXELS"])
    filename = with_extension(filename, found.mime)
    changed = media_change("before", "create", None, actor, {**metadata, "filename": filename, "mime": found.mime})
    if changed is not None:  # a plugin may change the metadata (checked again), never the detected type
        changed.pop("mime", None)
        metadata = load_metadata(changed)
        filename = with_extension(metadata.pop("filename", filename), found.mime)
    key = f"originals/{spooled.sha256[:2]}/{spooled.sha256}{EXTENSIONS.get(found.mime, '')}"
    with open(spooled.path, "rb") as source:
        storage().save(key, source, found.mime)
    try:
        return _new_item(spooled, key, filename, found, actor, metadata)
    except BaseException:  # nothing visible without its object, and no object without its row
        try:
            storage().delete(key)
        except Exception:
            log.warning("Could not remove %s after a failed upload; `folio media gc` will", key, exc_info=True)
        raise


def _new_item(spooled, key, filename, found, actor, metadata):
    now = utcnow()
    item = MediaItem(id=new_id(), sha256=spooled.sha256, storage_key=key, filename=filename, mime=found.mime,
                     size=spooled.size, width=found.width, height=found.height, created_at=now, updated_at=now,
                     created_by_id=getattr(getattr(actor, "grants", None), "user_id", None),
                     **{"alt": "", "caption": "", "folder": "", "tags": [], **metadata})
    try:
        with db.session.begin_nested():  # the same bytes may be arriving in another request
            db.session.add(item)
    except IntegrityError:
        return db.session.scalar(sa.select(MediaItem).where(MediaItem.sha256 == spooled.sha256)), False
    record(actor, "media.create", "media", item.id, filename=item.filename, mime=item.mime, size=item.size)
    emit("media.created", "media", item.id, event_data(item))
    media_change("after", "create", item, actor)
    return item, True


def authorize_upload(actor):
    """Checked before the request body is read: an anonymous 200 MB upload is refused unread."""
    authorize(actor, "media.manage")


def upload(source, filename, actor, metadata=None):
    """Stream ``source`` into the library (see ``add_file``)."""
    authorize(actor, "media.manage")
    metadata = load_metadata(metadata or {})  # refuse bad metadata before reading the file
    spooled = spool(source, current_app.config["MEDIA_MAX_BYTES"])
    try:
        return add_file(spooled, filename, actor, metadata)
    finally:
        spooled.discard()


def get_item(media_id, actor=None, check=True):
    if check:
        authorize(actor, "media.read")
    item = db.session.get(MediaItem, media_id) if isinstance(media_id, str) and _ID.match(media_id) else None
    if item is None:
        raise NotFound(f"No media with the id {media_id}.")
    return item


@dataclass(frozen=True)
class MediaQuery:
    q: str | None = None  # in the file name, alt text or caption
    mime: str | None = None  # image/png, or a family: image/
    folder: str | None = None
    tag: str | None = None
    page: int = 1
    per_page: int = 25


def list_items(actor, query):
    """Return ``(items, total)`` newest first."""
    authorize(actor, "media.read")
    statement = sa.select(MediaItem)
    if query.q:
        if len(query.q) > 200:
            raise parameter_error("q", "Search with at most 200 characters.")
        words = [sa.or_(MediaItem.filename.icontains(word, autoescape=True), MediaItem.alt.icontains(word, autoescape=True),
                        MediaItem.caption.icontains(word, autoescape=True)) for word in query.q.split()]
        statement = statement.where(*words)
    if query.mime:
        column = MediaItem.mime
        statement = statement.where(column.startswith(query.mime, autoescape=True) if query.mime.endswith("/")
                                    else column == query.mime)
    if query.folder is not None:
        statement = statement.where(MediaItem.folder == query.folder)
    if query.tag:
        statement = statement.where(_has_tag(query.tag))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = db.session.scalars(statement.order_by(MediaItem.created_at.desc(), MediaItem.id.desc())
                              .offset((query.page - 1) * query.per_page).limit(query.per_page)).all()
    return rows, total


def _has_tag(tag):
    """``tags`` holds ``tag``: JSONB containment on PostgreSQL, json_each on SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        return sa.cast(MediaItem.tags, JSONB).op("@>")(sa.cast(sa.literal(json.dumps([tag])), JSONB))
    each = sa.func.json_each(MediaItem.tags).table_valued("value")
    return sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == tag))


def update_item(media_id, payload, actor):
    authorize(actor, "media.manage")
    item = get_item(media_id, check=False)
    data = load_metadata(payload)
    changed = media_change("before", "update", item, actor, dict(data))
    data = data if changed is None else load_metadata(changed)
    changes = {}
    for key, value in data.items():
        if getattr(item, key) != value:
            changes[key] = {"before": getattr(item, key), "after": value}
            setattr(item, key, value)
    if changes:
        item.updated_at = utcnow()
        record(actor, "media.update", "media", item.id, changes=changes)
        emit("media.updated", "media", item.id, event_data(item))
        media_change("after", "update", item, actor)
    db.session.flush()
    return item


def usage(media_ids):
    """Return ``{media id: [{"entry", "type", "state"}]}``: where each item is referenced."""
    from cms.content.models import ContentType, Entry

    rows = db.session.execute(
        sa.select(MediaReference.media_id, MediaReference.entry_id, ContentType.name, MediaReference.state)
        .join(Entry, Entry.id == MediaReference.entry_id).join(ContentType, ContentType.id == Entry.type_id)
        .where(MediaReference.media_id.in_(list(media_ids))).distinct()
        .order_by(MediaReference.media_id, ContentType.name, MediaReference.entry_id, MediaReference.state)
    ).all()
    found = {}
    for media_id, entry_id, type_name, state in rows:
        found.setdefault(media_id, []).append({"entry": entry_id, "type": type_name, "state": state})
    return found


def delete_item(media_id, actor, force=False):
    """Delete an item (and its stored object); 409 listing the entries that use it, unless ``force``."""
    authorize(actor, "media.manage")
    item = get_item(media_id, check=False)
    used = usage([item.id]).get(item.id, [])
    if used and not force:
        raise Conflict(f"{item.filename} is used by {len({u['entry'] for u in used})} entries; remove it there "
                       "first or pass force=true.", {"used_by": used})
    media_change("before", "delete", item, actor)
    key = item.storage_key
    record(actor, "media.delete", "media", item.id, filename=item.filename, forced=bool(used))
    emit("media.deleted", "media", item.id, event_data(item))
    media_change("after", "delete", item, actor)
    db.session.delete(item)
    db.session.flush()
    return key


def remove_objects(item_id, key):
    """After a committed delete: remove the original and renditions (gc finds what fails here)."""
    store = storage()
    for one in [key, *store.keys(f"renditions/{item_id}/")]:
        try:
            store.delete(one)
        except Exception:  # the row is gone; a left object is garbage for `folio media gc`
            log.warning("Could not delete %s from the media storage", one, exc_info=True)


# -- references from entries -------------------------------------------------------------------------

def check_media_ids(ids):
    """Return the ids among ``ids`` that name no media item."""
    ids = set(ids)
    if not ids:
        return set()
    found = set(db.session.scalars(sa.select(MediaItem.id).where(MediaItem.id.in_(ids))))
    return ids - found


def sync_references(entry_id, state, references):
    """Replace an entry's media references for ``state`` with ``[(field id, position, media id)]``."""
    db.session.execute(sa.delete(MediaReference).where(MediaReference.entry_id == entry_id,
                                                       MediaReference.state == state))
    if references:
        db.session.execute(sa.insert(MediaReference), [
            {"entry_id": entry_id, "state": state, "field_id": field_id, "position": position, "media_id": media_id}
            for field_id, position, media_id in references])


def items_by_id(ids):
    if not ids:
        return {}
    return {item.id: item for item in db.session.scalars(sa.select(MediaItem).where(MediaItem.id.in_(set(ids))))}
