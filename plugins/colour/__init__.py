"""The ``colour`` field type: CSS hex colours, stored in one canonical form so they compare and filter."""

from cms.plugins import hookimpl

from .field import ColourType

FOLIO_PLUGIN = {
    "name": "colour",
    "version": "1.0.0",
    "description": "A colour field type: CSS hex colours (#rgb, #rrggbb), optionally limited to a palette.",
    "folio": ">=0.1,<1",
}


@hookimpl
def folio_register_field_types(registry):
    registry.register(ColourType())
