"""The field-type protocol and the helpers every built-in type uses."""

import copy
import re
from dataclasses import dataclass, field

from marshmallow import ValidationError, fields, validate

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SINGLE_LINE_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class FieldSpec:
    """One compiled field: its definition plus the type object that handles it."""

    id: str
    name: str
    type: "FieldType"
    definition: dict
    children: list["FieldSpec"] = field(default_factory=list)  # component fields
    blocks: dict[str, list["FieldSpec"]] = field(default_factory=dict)  # blocks by name

    def __getitem__(self, key):
        return self.definition.get(key)

    @property
    def has_default(self):
        return "default" in self.definition

    def default_value(self):
        return copy.deepcopy(self.definition.get("default"))


@dataclass
class CompileContext:
    """What compiling a content type needs besides the definition."""

    mode: str  # "draft" (required not enforced) or "full"
    json_max_depth: int = 32
    schema_factory: object = None  # builds a nested storage schema for a list of specs


class FieldType:
    """Base class of field types. Subclasses set ``name`` and override what differs."""

    name = ""
    label = ""
    #: definition keys this type accepts besides the common ones, as marshmallow fields
    options: dict = {}
    #: whether ``unique`` and ``indexed`` may be set (top-level scalar values only)
    scalar = False
    #: families of types whose stored values are interchangeable (a field may change type within one)
    family = None

    def check_definition(self, definition, lookup):
        """Return ``{key: [messages]}`` for cross-key problems of one definition."""
        errors = {}
        for low, high in (("min", "max"), ("min_length", "max_length")):
            if definition.get(low) is not None and definition.get(high) is not None:
                if definition[low] > definition[high]:
                    errors.setdefault(low, []).append(f"Must not be greater than {high}.")
        return errors

    def input_field(self, spec, ctx):
        """Return the marshmallow field that validates input for ``spec``."""
        raise NotImplementedError

    def json_schema(self, spec, mode, ctx):
        """Return the JSON Schema of one value: ``mode`` "out" (delivered) or "in" (writable).

        ``ctx.nested(specs, mode)`` gives the object schema of child fields and
        ``ctx.entry_ref(type_name)`` a reference to a type's delivered entry. Null is added by the caller.
        """
        return {}

    def deliver(self, value, spec, deliver_children):
        """Return the API value of a stored value."""
        return value

    def to_input(self, value, spec, to_input_children):
        """Return the writable (input) form of a stored value."""
        return value

    def clear_reference(self, value, spec, target_id, clear_children):
        """Return ``value`` without references to entry ``target_id`` (nested groups via ``clear_children``)."""
        return value

    def references(self, value, spec):
        """Return the entry ids a stored value points at."""
        return ()

    def media_ids(self, value, spec):
        """Return the media ids a stored value points at."""
        return ()

    def unique_key(self, value):
        """Return the string under which a value is unique (same key: same value)."""
        return str(value)


def common_kwargs(spec, ctx, validators=()):
    """Marshmallow keyword arguments shared by every field: names, required, null, default."""
    required = bool(spec["required"]) and ctx.mode == "full"
    kwargs = {
        "data_key": spec.name,
        "required": required,
        "allow_none": not required,
        "validate": [v for v in validators if v is not None],
    }
    if spec.has_default and not (required and spec["default"] is None):
        kwargs["load_default"] = spec.default_value
        kwargs["required"] = False  # a missing value takes the default (marshmallow refuses both)
    if required:
        kwargs["validate"].append(not_empty)
    return kwargs


def not_empty(value):
    if value == "" or value == [] or value == {}:
        raise ValidationError("This field is required and may not be empty.")


def length_validator(spec, default_max=None):
    low, high = spec["min_length"], spec["max_length"] or default_max
    if low is None and high is None:
        return None
    return validate.Length(min=low, max=high)


def range_validator(spec):
    if spec["min"] is None and spec["max"] is None:
        return None
    return validate.Range(min=spec["min"], max=spec["max"])


def count_validator(spec):
    if spec["min"] is None and spec["max"] is None:
        return None
    low, high = spec["min"], spec["max"]
    if low is None:
        error = "Must have at most {max} items."
    elif high is None:
        error = "Must have at least {min} items."
    else:
        error = "Must have between {min} and {max} items."
    return validate.Length(min=low, max=high, error=error)


def no_control_chars(single_line):
    pattern = SINGLE_LINE_CONTROL_CHARS if single_line else CONTROL_CHARS

    def check(value):
        if pattern.search(value):
            raise ValidationError("Control characters are not allowed.")

    return check


class StrictString(fields.String):
    """A string field that refuses numbers, booleans and objects instead of converting them."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value


def non_negative_int(**kwargs):
    return fields.Integer(strict=True, validate=validate.Range(min=0), allow_none=True, **kwargs)


class StrictFlag(fields.Boolean):
    """A definition flag: JSON true or false only (not "yes", 1 or "on")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def option_bool(default=False):
    return StrictFlag(load_default=default)


class UnavailableType(FieldType):
    """Stands in for a field type that is no longer registered (e.g. its plugin was removed).

    Values are kept and delivered as stored, and accepted back as plain JSON (so editing the
    entry's other fields still works) until the type is installed again.
    """

    def __init__(self, name):
        self.name = name
        self.label = f"{name} (not installed)"

    def input_field(self, spec, ctx):
        kwargs = common_kwargs(spec, ctx)
        kwargs.update(required=False, allow_none=True, validate=[])
        return fields.Raw(**kwargs)
