"""Build what ``preview.html`` shows of one entry's working copy, within what the caller may read."""

from dataclasses import dataclass, field

from flask import current_app

from cms.content.compiled import title_of
from cms.content.locales import ALL
from cms.content.services.entries import reading, shown
from cms.content.services.types import find_type
from cms.core.db import isoformat
from cms.media.schemas import url_origins
from cms.themes import lookups
from cms.themes.values import Moment, field_views, format_moment


@dataclass
class EntryView:
    id: str
    type: str
    type_label: str
    locale: str
    status: str
    version: int
    updated: Moment | None
    title: str
    fields: list = field(default_factory=list)
    image_origins: set = field(default_factory=set)  # where the page's images come from (for its CSP)


def build_page(compiled, entry, actor, chain, link):
    """Return the EntryView of ``entry``'s working copy as ``actor`` may read it.

    ``link(type, id)`` returns the preview URL of a related entry the caller may open, or None.
    """
    access = reading(actor, compiled, True)
    names = shown(access, compiled)
    specs = [spec for spec in compiled.specs if names is None or spec.name in names]
    values = compiled.deliver(entry.data, access.private, only=[spec.name for spec in specs])
    media_ids, related = lookups.collect(specs, values)
    media = lookups.media_views(media_ids)
    relations = lookups.relation_views(related, actor, None if chain == ALL else chain, link)
    row = find_type(compiled.name)
    updated = isoformat(entry.updated_at)
    public_base = current_app.config.get("MEDIA_PUBLIC_URL") or ""
    return EntryView(
        id=entry.id, type=compiled.name, type_label=row.label, locale=entry.locale, status=entry.status,
        version=entry.version, updated=Moment(updated, format_moment(updated, "datetime")) if updated else None,
        title=title_of(specs, values) or f"{row.label} {entry.id}",
        fields=field_views(specs, values, media, relations),
        image_origins=url_origins([public_base, *(item.url for item in media.values())]),
    )
