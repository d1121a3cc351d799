"""Text-valued field types: string, text, email, url, slug and enum."""

import re

from marshmallow import ValidationError, fields, validate

from cms.content.fields.base import (
    FieldType,
    StrictString,
    common_kwargs,
    length_validator,
    no_control_chars,
)

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
SLUG_MAX_LENGTH = 200
MAX_PATTERN_GROUPS = 100


def _pattern_option():
    return fields.String(validate=[validate.Length(min=1, max=1000), _compiles])


def _compiles(pattern):
    if pattern.count("(") > MAX_PATTERN_GROUPS:  # deep nesting exhausts the recursion limit of re
        raise ValidationError(f"Use at most {MAX_PATTERN_GROUPS} groups.")
    try:
        re.compile(pattern)
    except (re.error, OverflowError) as exc:  # OverflowError: a repeat count beyond the limit
        raise ValidationError(f"Not a valid regular expression: {exc}.") from None
    except RecursionError:
        raise ValidationError("Not a valid regular expression: nested too deeply.") from None


def _length_options(ceiling):
    return {
        "min_length": fields.Integer(strict=True, validate=validate.Range(min=0, max=ceiling)),
        "max_length": fields.Integer(strict=True, validate=validate.Range(min=1, max=ceiling)),
    }


def _matches(pattern):
    compiled = re.compile(pattern)

    def check(value):
        if not compiled.search(value):
            raise ValidationError(f"Does not match the pattern {pattern}.")

    return check


class StringType(FieldType):
    name, label, family, scalar = "string", "Short text", "text", True
    single_line = True
    max_length = 255
    ceiling = 65535
    options = {**_length_options(65535), "pattern": _pattern_option()}

    def json_schema(self, spec, mode, ctx):
        schema = {"type": "string", "maxLength": spec["max_length"] or self.max_length}
        if spec["min_length"]:
            schema["minLength"] = spec["min_length"]
        if spec["pattern"]:
            schema["pattern"] = spec["pattern"]
        return schema

    def input_field(self, spec, ctx):
        validators = [
            length_validator(spec, self.max_length),
            no_control_chars(self.single_line),
            _matches(spec["pattern"]) if spec["pattern"] else None,
        ]
        return StrictString(**common_kwargs(spec, ctx, validators))


class TextType(StringType):
    name, label = "text", "Long text"
    single_line = False
    max_length = 200_000
    options = {**_length_options(1_000_000), "pattern": _pattern_option()}


class EmailType(FieldType):
    name, label, family, scalar = "email", "Email", "text", True

    def json_schema(self, spec, mode, ctx):
        return {"type": "string", "format": "email", "maxLength": 254}

    def input_field(self, spec, ctx):
        validators = [validate.Length(max=254), validate.Email(), no_control_chars(True)]
        return StrictString(**common_kwargs(spec, ctx, validators))

    def unique_key(self, value):
        return value.lower()


class UrlType(FieldType):
    name, label, family, scalar = "url", "URL", "text", True

    def json_schema(self, spec, mode, ctx):
        return {"type": "string", "format": "uri", "maxLength": 2048}

    def input_field(self, spec, ctx):
        validators = [
            validate.Length(max=2048),
            validate.URL(relative=False, require_tld=False, schemes={"http", "https"}),
        ]
        return StrictString(**common_kwargs(spec, ctx, validators))


class SlugType(FieldType):
    """A unique, URL-safe identifier, derived from ``source`` when not given."""

    name, label, family, scalar = "slug", "Slug", "text", True
    options = {
        "source": fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}\Z")),
        "max_length": fields.Integer(strict=True, validate=validate.Range(min=1, max=SLUG_MAX_LENGTH)),
    }

    def check_definition(self, definition, lookup):
        errors = super().check_definition(definition, lookup)
        source = definition.get("source")
        if source is not None:
            target = lookup.sibling(source)
            if target is None:
                errors["source"] = [f"No field named {source!r} at this level."]
            elif target.get("type") not in {"string", "text", "email"}:
                errors["source"] = ["The source must be a string, text or email field."]
        return errors

    def json_schema(self, spec, mode, ctx):
        return {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
                "maxLength": spec["max_length"] or SLUG_MAX_LENGTH}

    def input_field(self, spec, ctx):
        high = spec["max_length"] or SLUG_MAX_LENGTH
        validators = [
            validate.Length(max=high),
            validate.Regexp(
                SLUG_PATTERN, error="Use lowercase letters, digits and single hyphens (e.g. my-first-post)."
            ),
        ]
        kwargs = common_kwargs(spec, ctx, validators)
        if kwargs["required"]:  # a missing slug is derived from its source before validation
            kwargs["required"] = bool(not spec["source"])
        return StrictString(**kwargs)


class EnumType(FieldType):
    name, label, family, scalar = "enum", "Choice", "text", True
    options = {
        "values": fields.List(
            fields.String(validate=[validate.Length(min=1, max=100), no_control_chars(True)]),
            required=True,
            validate=validate.Length(min=1, max=500),
        )
    }

    def check_definition(self, definition, lookup):
        errors = super().check_definition(definition, lookup)
        values = definition.get("values") or []
        if len(set(values)) != len(values):
            errors["values"] = ["Values must be distinct."]
        return errors

    def json_schema(self, spec, mode, ctx):
        return {"type": "string", "enum": list(spec["values"])}

    def input_field(self, spec, ctx):
        return StrictString(**common_kwargs(spec, ctx, [validate.OneOf(spec["values"])]))
