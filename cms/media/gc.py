"""Garbage collection of the media storage: what the database and the store disagree about.

An upload whose request failed after its object was stored, a delete whose object removal failed,
renditions of deleted items, and presigned uploads never completed leave objects nobody uses;
a restored database may name objects the store lost. ``collect`` finds both kinds.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from cms.core.db import utcnow
from cms.extensions import db
from cms.media.models import MediaItem, MediaUpload

PREFIXES = ("originals/", "renditions/", "uploads/")


@dataclass
class Report:
    orphans: list = field(default_factory=list)  # stored objects no row uses
    missing: list = field(default_factory=list)  # (media id, key) of rows whose object is gone
    expired_uploads: list = field(default_factory=list)  # presigned uploads past their time


def collect(storage, delete=False, now=None):
    """Return a Report; with ``delete``, remove the orphans and abort expired uploads."""
    report = Report()
    items = dict(db.session.execute(sa.select(MediaItem.storage_key, MediaItem.id)).all())
    ids = set(items.values())
    pending = {row.storage_key: row for row in db.session.scalars(sa.select(MediaUpload))}
    now = now or utcnow()
    stored = set()
    for prefix in PREFIXES:
        for key in storage.keys(prefix):
            stored.add(key)
            if key in items:
                continue
            if key.startswith("renditions/") and key.split("/")[1] in ids:
                continue
            if key in pending and pending[key].expires_at > now:
                continue
            report.orphans.append(key)
    report.missing = sorted((media_id, key) for key, media_id in items.items() if key not in stored)
    for row in pending.values():
        if row.expires_at <= now:
            report.expired_uploads.append(row.id)
    if delete:
        for key in report.orphans:
            storage.delete(key)
        for row in pending.values():
            if row.expires_at <= now:
                if hasattr(storage, "abort_multipart"):
                    storage.abort_multipart(row.storage_key, row.upload_id)
                db.session.delete(row)
        db.session.flush()
    return report
