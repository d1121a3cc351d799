"""The ``reading_time`` field: minutes to read an entry's text, computed on every save."""

from cms.plugins import hookimpl

from .field import ReadingTimeType
from .fill import fill_reading_times

FOLIO_PLUGIN = {
    "name": "reading_time",
    "version": "1.0.0",
    "description": "A computed field holding the minutes it takes to read an entry's text fields.",
    "folio": ">=0.1,<1",
}


@hookimpl
def folio_register_field_types(registry):
    registry.register(ReadingTimeType())


@hookimpl
def folio_before_entry_change(change):
    if change.action in ("create", "update") and change.content_type is not None:
        fill_reading_times(change.content_type.definition, change.data)
