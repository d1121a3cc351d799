"""What the media routes (and populated media fields) deliver."""

from urllib.parse import urlsplit

from flask import url_for

from cms.core.db import isoformat


def url_origins(urls):
    """The ``scheme://host[:port]`` of absolute http(s) URLs (for a page's Content-Security-Policy)."""
    found = set()
    for url in urls:
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            found.add(f"{parts.scheme}://{parts.netloc}")
    return found


def storage_origins():
    """Where the storage's file URLs point when not at this app (a bucket, a CDN): a URL the
    storage would give, reduced to its origin. Building it reads nothing from the store."""
    from cms.media.services import storage

    return url_origins([storage().url("originals/probe")])


def file_url(item):
    """The URL that serves the original: the bucket's (public or presigned) or this app's."""
    from cms.media.services import storage

    return storage().url(item.storage_key) or url_for("media_api.media_file", media_id=item.id, _external=False)


def media_out(item, used_by=None):
    out = {
        "id": item.id, "type": "media", "filename": item.filename, "mime": item.mime, "size": item.size,
        "width": item.width, "height": item.height, "alt": item.alt, "caption": item.caption,
        "focal": {"x": item.focal_x, "y": item.focal_y} if item.focal_x is not None and item.focal_y is not None
        else None,
        "folder": item.folder, "tags": list(item.tags or []), "url": file_url(item),
        "created_at": isoformat(item.created_at), "updated_at": isoformat(item.updated_at),
    }
    if used_by is not None:
        out["used_by"] = used_by
    return out
