"""The API contract for a caller: the OpenAPI document and TypeScript, cached by content-model version."""

import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app

from cms.content.locales import current_locales
from cms.content.models import ContentType
from cms.content.openapi import build_openapi
from cms.content.services.types import compiled_type
from cms.content.typescript import typescript
from cms.core.policy import can
from cms.extensions import db

CACHE_SIZE = 16


class ContractCache:
    """Documents keyed by what they depend on: visibility and each visible type's version."""

    def __init__(self):
        self._items, self._lock = OrderedDict(), threading.Lock()

    def get(self, key, build):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self._items[key] = value
            while len(self._items) > CACHE_SIZE:
                self._items.popitem(last=False)
        return value


def _visible(actor):
    rows = db.session.scalars(sa.select(ContentType).order_by(ContentType.name)).all()
    types = [compiled_type(row) for row in rows]
    return [compiled for compiled in types if can(actor, "entry.read", compiled)], can(actor, "content_types.read")


def openapi_document(actor):
    """Return the OpenAPI document describing what ``actor`` may read (all of it for administrators)."""
    types, include_private = _visible(actor)
    key = ("openapi", include_private, tuple(c.cache_key for c in types))
    cache = current_app.extensions.setdefault("folio.contract_cache", ContractCache())
    extra = {}
    for paths in current_app.extensions.get("folio.openapi_paths", ()):  # routes of other areas and plugins
        extra.update(paths())
    return cache.get(key, lambda: build_openapi(types, include_private, extra, locales=current_locales().codes))


def typescript_source(actor):
    """Return TypeScript declarations of the content model ``actor`` may read."""
    document = openapi_document(actor)
    cache = current_app.extensions.setdefault("folio.contract_cache", ContractCache())
    return cache.get(("ts", id(document)), lambda: typescript(document))
