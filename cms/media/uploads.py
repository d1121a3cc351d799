"""Large files straight to S3: presigned multipart part URLs, then a checked completion.

``start`` creates a multipart upload under ``uploads/<id>`` and presigns one URL per part; the
client PUTs the parts to the bucket and sends their ETags to ``complete``, which assembles the
object, checks its size against what was announced, reads it back in chunks (type by content,
SHA-256 for deduplication; memory stays flat), then copies it to its hashed key and makes it a
media item. Anything refused on the way is deleted; nothing half-done becomes visible.
"""

import hashlib
import math
import os
import tempfile
from contextlib import closing
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from marshmallow import Schema, ValidationError, fields, validate

from cms.core.db import new_id, utcnow
from cms.core.errors import BadRequest, NotFound, ValidationFailed
from cms.core.policy import authorize
from cms.extensions import db
from cms.media import services
from cms.media.detect import EXTENSIONS, HEAD_BYTES, IMAGES, probe
from cms.media.models import MediaItem, MediaUpload
from cms.media.storage import CHUNK, StorageUnavailable

PART_SIZE = 16 * 1024 * 1024  # S3 needs parts of at least 5 MB (but the last); 10,000 parts at most
URL_SECONDS = 3600


class StartSchema(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    mime = fields.String(required=True, validate=validate.Length(max=100))
    folder = fields.String(validate=validate.Length(max=300))


class PartSchema(Schema):
    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10000))
    etag = fields.String(required=True, validate=validate.Length(min=1, max=200))


def _store():
    store = services.storage()
    if not getattr(store, "presigned_uploads", False):
        raise BadRequest("Presigned uploads need S3 storage (FOLIO_MEDIA_STORAGE=s3); POST the file to /api/media.")
    return store


def start(payload, actor):
    """Return ``(upload row, part size, part URLs)`` for a file announced by name, size and type."""
    authorize(actor, "media.manage")
    store = _store()
    try:
        data = StartSchema().load(payload)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages) from None
    config = current_app.config
    if data["size"] > config["MEDIA_MAX_UPLOAD_BYTES"]:
        raise services.TooLarge(f"Presigned uploads take at most {config['MEDIA_MAX_UPLOAD_BYTES']:,} bytes.",
                                {"max_bytes": config["MEDIA_MAX_UPLOAD_BYTES"]})
    if data["mime"] not in config["MEDIA_ALLOWED_TYPES"]:
        raise ValidationFailed({"mime": [f"Use one of: {', '.join(sorted(config['MEDIA_ALLOWED_TYPES']))}."]})
    metadata = services.load_metadata({"folder": data["folder"]} if "folder" in data else {})
    parts = max(1, math.ceil(data["size"] / PART_SIZE))
    upload_id = new_id()
    key = f"uploads/{upload_id}"
    multipart = store.start_multipart(key, data["mime"])
    row = MediaUpload(id=upload_id, storage_key=key, upload_id=multipart, filename=services.clean_filename(
        data["filename"]), mime=data["mime"], size=data["size"], parts=parts, folder=metadata.get("folder", ""),
        created_at=utcnow(), expires_at=utcnow() + timedelta(seconds=URL_SECONDS),
        created_by_id=getattr(getattr(actor, "grants", None), "user_id", None))
    db.session.add(row)
    db.session.flush()
    return row, PART_SIZE, store.part_urls(key, multipart, parts, URL_SECONDS)


def _parts(raw, expected):
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed({"parts": ["Send the list of uploaded parts with their ETags."]})
    try:
        parts = PartSchema(many=True).load(raw)
    except ValidationError as exc:
        raise ValidationFailed({"parts": exc.messages}) from None
    numbers = [part["number"] for part in parts]
    if sorted(numbers) != list(range(1, expected + 1)):
        raise ValidationFailed({"parts": [f"Send parts 1 to {expected}, each once."]})
    return [(part["number"], part["etag"]) for part in sorted(parts, key=lambda part: part["number"])]


def complete(upload_id, raw_parts, actor):
    """Assemble and check an upload; return ``(media item, created)``."""
    authorize(actor, "media.manage")
    store = _store()
    row = db.session.get(MediaUpload, upload_id) if isinstance(upload_id, str) and len(upload_id) <= 36 else None
    if row is None:
        raise NotFound(f"No upload with the id {upload_id}.")
    parts = _parts(raw_parts, row.parts)
    try:
        store.complete_multipart(row.storage_key, row.upload_id, parts)
    except FileNotFoundError:
        raise ValidationFailed({"parts": ["The parts were not uploaded (or the upload expired)."]}) from None
    except StorageUnavailable:
        if not store.exists(row.storage_key):
            raise ValidationFailed({"parts": ["The bucket refused these parts: upload them again."]}) from None
        raise
    try:
        item, created = _adopt(row, store, actor)
    finally:
        store.delete(row.storage_key)  # the hashed copy (or nothing) stays
    db.session.delete(row)
    db.session.flush()
    return item, created


def _adopt(row, store, actor):
    """Check the assembled object and make it a media item (copying it to its hashed key)."""
    size = store.size(row.storage_key)
    if size != row.size:
        raise ValidationFailed({"parts": [f"The stored object has {size:,} bytes, not the {row.size:,} announced."]})
    digest = hashlib.sha256()
    handle, path = tempfile.mkstemp(prefix="folio-upload-")
    try:  # images are checked whole (Pillow); other types by their first bytes
        with os.fdopen(handle, "wb") as local, closing(store.open(row.storage_key)) as body:
            written = 0
            while chunk := body.read(CHUNK):
                digest.update(chunk)
                if written < HEAD_BYTES or row.mime in IMAGES:
                    local.write(chunk)
                    written += len(chunk)
        found = probe(path, frozenset(current_app.config["MEDIA_ALLOWED_TYPES"]),
                      current_app.config["MEDIA_MAX_PIXELS"])
    finally:
        os.unlink(path)
    if found.mime != row.mime:
        raise ValidationFailed({"parts": [f"The stored file is a {found.mime}, not the {row.mime} announced."]})
    sha = digest.hexdigest()
    existing = db.session.scalar(sa.select(MediaItem).where(MediaItem.sha256 == sha))
    if existing is not None:
        return existing, False
    key = f"originals/{sha[:2]}/{sha}{EXTENSIONS.get(found.mime, '')}"
    store.copy(row.storage_key, key, found.mime)
    now = utcnow()
    item = MediaItem(id=new_id(), sha256=sha, storage_key=key, filename=row.filename, mime=found.mime, size=size,
                     width=found.width, height=found.height, alt="", caption="", folder=row.folder, tags=[],
                     created_at=now, updated_at=now, created_by_id=row.created_by_id)
    db.session.add(item)
    db.session.flush()
    services.record(actor, "media.create", "media", item.id, filename=item.filename, mime=item.mime, size=size,
                    presigned=True)
    services.emit("media.created", "media", item.id, services.event_data(item))
    return item, True


def expired_uploads(now=None):
    return db.session.scalars(sa.select(MediaUpload).where(MediaUpload.expires_at <= (now or utcnow()))).all()
