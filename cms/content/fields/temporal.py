"""Date and datetime field types, stored as ISO 8601 strings that sort correctly."""

from datetime import UTC, date, datetime

from marshmallow import ValidationError, fields

from cms.content.fields.base import FieldType, common_kwargs
from cms.core.db import isoformat


def parse_date(value):
    if not isinstance(value, str) or len(value) != 10:
        raise ValidationError("Not a valid date (YYYY-MM-DD).")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError("Not a valid date (YYYY-MM-DD).") from None


def parse_datetime(value):
    """Parse an ISO 8601 datetime; one without an offset is taken as UTC."""
    if not isinstance(value, str) or not 10 < len(value) <= 40:
        raise ValidationError("Not a valid datetime (ISO 8601, e.g. 2024-05-01T09:30:00Z).")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError("Not a valid datetime (ISO 8601, e.g. 2024-05-01T09:30:00Z).") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class _Bounded(fields.Field):
    def __init__(self, parse, render, low=None, high=None, **kwargs):
        super().__init__(**kwargs)
        self.parse, self.render = parse, render
        self.low = parse(low) if low else None
        self.high = parse(high) if high else None

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = self.parse(value)
        if self.low is not None and parsed < self.low:
            raise ValidationError(f"Must not be before {self.render(self.low)}.")
        if self.high is not None and parsed > self.high:
            raise ValidationError(f"Must not be after {self.render(self.high)}.")
        return self.render(parsed)


class _BoundOption(fields.Field):
    """A min/max option: a value of the field's own kind."""

    def __init__(self, parse, **kwargs):
        super().__init__(**kwargs)
        self.parse = parse

    def _deserialize(self, value, attr, data, **kwargs):
        self.parse(value)
        return value


class DateType(FieldType):
    name, label, family, scalar = "date", "Date", "date", True
    options = {"min": _BoundOption(parse_date), "max": _BoundOption(parse_date)}

    def check_definition(self, definition, lookup):
        return _check_bounds(definition, parse_date)

    def json_schema(self, spec, mode, ctx):
        return {"type": "string", "format": "date"}

    def input_field(self, spec, ctx):
        return _Bounded(parse_date, date.isoformat, spec["min"], spec["max"], **common_kwargs(spec, ctx))


class DateTimeType(FieldType):
    name, label, family, scalar = "datetime", "Date and time", "datetime", True
    options = {"min": _BoundOption(parse_datetime), "max": _BoundOption(parse_datetime)}

    def check_definition(self, definition, lookup):
        return _check_bounds(definition, parse_datetime)

    def json_schema(self, spec, mode, ctx):
        return {"type": "string", "format": "date-time"}

    def input_field(self, spec, ctx):
        return _Bounded(parse_datetime, isoformat, spec["min"], spec["max"], **common_kwargs(spec, ctx))


def _check_bounds(definition, parse):
    low, high = definition.get("min"), definition.get("max")
    if low and high and parse(low) > parse(high):
        return {"min": ["Must not be after max."]}
    return {}
