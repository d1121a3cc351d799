"""Numeric and boolean field types."""

import math

from marshmallow import ValidationError, fields, validate

from cms.content.fields.base import FieldType, common_kwargs, range_validator

INT64 = (-(2**63), 2**63 - 1)


class StrictInteger(fields.Field):
    default_error_messages = {"invalid": "Not a valid integer."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class StrictNumber(fields.Field):
    default_error_messages = {"invalid": "Not a valid number."}

    def __init__(self, scale=None, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.make_error("invalid")
        if self.scale is not None and round(value, self.scale) != value:
            raise ValidationError(f"Use at most {self.scale} digits after the decimal point.")
        return value


class StrictBoolean(fields.Field):
    default_error_messages = {"invalid": "Not a valid boolean (true or false)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class IntegerType(FieldType):
    name, label, family, scalar = "integer", "Integer", "number", True
    options = {"min": fields.Integer(strict=True), "max": fields.Integer(strict=True)}

    def json_schema(self, spec, mode, ctx):
        low, high = spec["min"], spec["max"]
        return {"type": "integer", "minimum": INT64[0] if low is None else low,
                "maximum": INT64[1] if high is None else high}

    def input_field(self, spec, ctx):
        validators = [validate.Range(min=INT64[0], max=INT64[1]), range_validator(spec)]
        return StrictInteger(**common_kwargs(spec, ctx, validators))


class DecimalType(FieldType):
    name, label, family, scalar = "decimal", "Decimal number", "number", True
    options = {
        "min": StrictNumber(),
        "max": StrictNumber(),
        "scale": fields.Integer(strict=True, validate=validate.Range(min=0, max=12)),
    }

    def json_schema(self, spec, mode, ctx):
        schema = {"type": "number"}
        if spec["min"] is not None:
            schema["minimum"] = spec["min"]
        if spec["max"] is not None:
            schema["maximum"] = spec["max"]
        return schema

    def input_field(self, spec, ctx):
        return StrictNumber(scale=spec["scale"], **common_kwargs(spec, ctx, [range_validator(spec)]))


class BooleanType(FieldType):
    name, label, family = "boolean", "Boolean", "boolean"
    scalar = True

    def json_schema(self, spec, mode, ctx):
        return {"type": "boolean"}

    def input_field(self, spec, ctx):
        return StrictBoolean(**common_kwargs(spec, ctx))
