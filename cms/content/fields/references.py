"""Fields that point at other objects: relations to entries, and media."""

import re

from marshmallow import ValidationError, fields, validate

from cms.content.fields.base import FieldType, common_kwargs, count_validator, option_bool

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")


class ReferenceInput(fields.Field):
    """An id, a delivered stub ``{"id", "type"}``, or (when ``many``) a list of those."""

    def __init__(self, many, target, **kwargs):
        super().__init__(**kwargs)
        self.many, self.target = many, target

    def _one(self, value):
        if isinstance(value, dict) and "id" in value and set(value) <= {"id", "type"}:
            if "type" in value and value["type"] != self.target:
                raise ValidationError(f"Must reference a {self.target!r}, not a {value['type']!r}.")
            value = value["id"]
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            raise ValidationError(
                f"Send the id of a {self.target!r} (a string), or a list of ids." if self.many
                else f"Send the id of a {self.target!r} as a string."
            )
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if not self.many:
            return self._one(value)
        if not isinstance(value, list):
            raise ValidationError(f"Send a list of {self.target!r} ids.")
        ids = [self._one(item) for item in value]
        if len(set(ids)) != len(ids):
            raise ValidationError("The same id is listed twice.")
        return ids


class _ReferenceType(FieldType):
    target_label = ""

    def _target(self, spec):
        return spec["target"]

    def input_field(self, spec, ctx):
        validators = [count_validator(spec)] if spec["many"] else []
        return ReferenceInput(spec["many"] or False, self._target(spec), **common_kwargs(spec, ctx, validators))

    def check_definition(self, definition, lookup):
        errors = super().check_definition(definition, lookup)
        if not definition.get("many") and (definition.get("min") is not None or definition.get("max") is not None):
            errors["many"] = ["min and max count only apply to fields with many: true."]
        return errors

    def json_schema(self, spec, mode, ctx):
        target = self._target(spec)
        stub = {"type": "object", "properties": {"id": {"type": "string"}, "type": {"const": target}},
                "required": ["id", "type"]}
        if mode == "in":
            one = {"anyOf": [{"type": "string", "pattern": ID_PATTERN.pattern.replace("\\Z", "$")}, stub]}
        elif self.name == "relation":
            one = {"anyOf": [stub, ctx.entry_ref(target)]}  # a stub, or the entry when populated
        else:
            one = stub
        return {"type": "array", "items": one} if spec["many"] else one

    def deliver(self, value, spec, deliver_children):
        target = self._target(spec)
        if value is None:
            return None
        if isinstance(value, list):
            return [{"id": item, "type": target} for item in value]
        return {"id": value, "type": target}


class RelationType(_ReferenceType):
    """A reference to one or many entries of ``target``; ``on_delete`` says what deleting one does."""

    name, label, family = "relation", "Relation", "relation"
    options = {
        "target": fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}\Z")),
        "many": option_bool(),
        "on_delete": fields.String(load_default="set_null", validate=validate.OneOf(["restrict", "set_null"])),
        "min": fields.Integer(strict=True, validate=validate.Range(min=0)),
        "max": fields.Integer(strict=True, validate=validate.Range(min=1)),
    }

    def check_definition(self, definition, lookup):
        errors = super().check_definition(definition, lookup)
        target = definition.get("target")
        if target and not lookup.type_exists(target):
            errors["target"] = [f"No content type named {target!r}."]
        return errors

    def clear_reference(self, value, spec, target_id, clear_children):
        if isinstance(value, list):
            return [item for item in value if item != target_id]
        return None if value == target_id else value

    def references(self, value, spec):
        if value is None:
            return ()
        return value if isinstance(value, list) else (value,)


class MediaType(_ReferenceType):
    """One or many media files (ids from the media library)."""

    name, label, family = "media", "Media", "media"
    options = {
        "many": option_bool(),
        "min": fields.Integer(strict=True, validate=validate.Range(min=0)),
        "max": fields.Integer(strict=True, validate=validate.Range(min=1)),
    }

    def _target(self, spec):
        return "media"

    def media_ids(self, value, spec):
        if value is None:
            return ()
        return value if isinstance(value, list) else (value,)

    def json_schema(self, spec, mode, ctx):
        if mode == "in":
            return super().json_schema(spec, mode, ctx)
        stub = {"type": "object", "required": ["id", "type"], "properties": {
            "id": {"type": "string"}, "type": {"const": "media"}}}  # populated: the media object, which has both
        return {"type": "array", "items": stub} if spec["many"] else stub
