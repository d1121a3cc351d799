"""A colour field: ``#rgb`` or ``#rrggbb`` (with ``alpha``: also ``#rgba`` and ``#rrggbbaa``).

Values are stored lower-case as ``#rrggbb`` (``#rrggbbaa`` when not opaque), so the same colour is
always the same string: filters (``filter[accent]=%23ff0000``), sorting, ``unique`` and palettes
compare them as text, like a string field.
"""

import re

from marshmallow import ValidationError, fields, validate

from cms.content.fields import FieldType
from cms.content.fields.base import StrictString, common_kwargs, option_bool

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})\Z")
MAX_PALETTE = 256


def normalize(value, alpha):
    """Return ``value`` as lower-case ``#rrggbb`` (or ``#rrggbbaa``); raise ValidationError if it is no colour."""
    if not isinstance(value, str) or not _HEX.match(value):
        raise ValidationError("Not a CSS hex colour: use #rgb or #rrggbb (e.g. #1e90ff)"
                              + (", or #rgba / #rrggbbaa with an alpha channel." if alpha else "."))
    digits = value[1:].lower()
    if len(digits) in (3, 4):
        digits = "".join(digit * 2 for digit in digits)
    if len(digits) == 8:
        if not alpha:
            raise ValidationError("This field takes opaque colours only (#rrggbb): it has no alpha channel.")
        if digits.endswith("ff"):  # fully opaque: the same colour as #rrggbb
            digits = digits[:6]
    return "#" + digits


class ColourInput(StrictString):
    """A hex colour string, returned normalized."""

    def __init__(self, alpha=False, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def _deserialize(self, value, attr, data, **kwargs):
        return normalize(super()._deserialize(value, attr, data, **kwargs), self.alpha)


class PaletteColour(fields.String):
    """One palette entry in a field definition: any hex colour, normalized (alpha is checked per field)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return normalize(value, alpha=True)


class ColourType(FieldType):
    """CSS hex colours; ``palette`` limits them to a list, ``alpha`` allows transparency."""

    name, label, family, scalar = "colour", "Colour", "text", True
    options = {
        "alpha": option_bool(),
        "palette": fields.List(PaletteColour(), validate=validate.Length(min=1, max=MAX_PALETTE)),
    }

    def check_definition(self, definition, lookup):
        errors = super().check_definition(definition, lookup)
        alpha, palette = bool(definition.get("alpha")), definition.get("palette")
        if palette is not None:
            if len(set(palette)) != len(palette):
                errors.setdefault("palette", []).append("Colours must be distinct (#fff and #FFFFFF are the same).")
            if not alpha and any(len(colour) == 9 for colour in palette):
                errors.setdefault("palette", []).append("Colours with transparency need alpha: true.")
        default = definition.get("default")
        if isinstance(default, str) and _HEX.match(default):
            try:  # stored canonical, like the values: defaults are delivered without passing validation
                definition["default"] = normalize(default, alpha)
            except ValidationError:
                pass  # reported when the default is validated as a value
        return errors

    def input_field(self, spec, ctx):
        palette = spec["palette"]
        validators = [validate.OneOf(palette, error="Not one of the palette's colours: {choices}.")] if palette else []
        return ColourInput(alpha=bool(spec["alpha"]), **common_kwargs(spec, ctx, validators))

    def json_schema(self, spec, mode, ctx):
        if mode == "out":
            schema = {"type": "string", "pattern": "^#[0-9a-f]{6}([0-9a-f]{2})?$" if spec["alpha"] else "^#[0-9a-f]{6}$"}
            if spec["palette"]:
                schema["enum"] = list(spec["palette"])
            return schema
        lengths = "[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8}" if spec["alpha"] else "[0-9a-fA-F]{3}|[0-9a-fA-F]{6}"
        return {"type": "string", "pattern": f"^#({lengths})$"}
