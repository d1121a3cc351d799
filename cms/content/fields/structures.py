"""Fields made of other fields: components (optionally repeatable) and blocks (a dynamic zone)."""

import secrets

from marshmallow import ValidationError, fields, validate

from cms.content.fields.base import FieldType, common_kwargs, count_validator, option_bool
from cms.content.fields.references import ID_PATTERN

BLOCK_NAME = r"^[a-z][a-z0-9_]{0,63}\Z"


def new_item_id():
    return secrets.token_hex(6)


def compact(stored):
    """Drop the null values of one stored group: null is stored as no value, at every level."""
    return {key: value for key, value in stored.items() if value is not None}


class GroupInput(fields.Nested):
    """A component's group (or list of groups), stored without null values."""

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        loaded = super()._deserialize(value, attr, data, partial=partial, **kwargs)
        return [compact(item) for item in loaded] if self.many else compact(loaded)


class ComponentType(FieldType):
    """A nested group of fields; ``repeatable`` makes it a list of such groups."""

    name, label, family = "component", "Component", "component"
    nested_option = "fields"
    options = {
        "fields": fields.List(fields.Raw(), required=True, validate=validate.Length(min=1, max=100)),
        "repeatable": option_bool(),
        "min": fields.Integer(strict=True, validate=validate.Range(min=0)),
        "max": fields.Integer(strict=True, validate=validate.Range(min=1)),
    }

    def check_definition(self, definition, lookup):
        errors = super().check_definition(definition, lookup)
        if not definition.get("repeatable") and (definition.get("min") is not None or definition.get("max") is not None):
            errors["repeatable"] = ["min and max count only apply to components with repeatable: true."]
        return errors

    def input_field(self, spec, ctx):
        schema = ctx.schema_factory(spec.children)
        many = bool(spec["repeatable"])
        validators = [count_validator(spec)] if many else []
        return GroupInput(schema, many=many, **common_kwargs(spec, ctx, validators))

    def groups(self, value, spec):
        """Yield ``(child specs, stored dict)`` for each group inside a stored value."""
        if isinstance(value, dict):
            yield spec.children, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    yield spec.children, item

    def clear_reference(self, value, spec, target_id, clear_children):
        if isinstance(value, list):
            return [clear_children(spec.children, item) for item in value]
        return clear_children(spec.children, value) if isinstance(value, dict) else value

    def json_schema(self, spec, mode, ctx):
        group = ctx.nested(spec.children, mode)
        return {"type": "array", "items": group} if spec["repeatable"] else group

    def deliver(self, value, spec, deliver_children):
        if value is None:
            return None
        if isinstance(value, list):
            return [deliver_children(spec.children, item) for item in value]
        return deliver_children(spec.children, value)

    def to_input(self, value, spec, to_input_children):
        return self.deliver(value, spec, to_input_children)


class BlocksInput(fields.Field):
    """A list of ``{"type": <block>, "value": {...}, "id"?: str}`` items validated per block."""

    def __init__(self, schemas, **kwargs):
        super().__init__(**kwargs)
        self.schemas = schemas

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ValidationError("Send a list of blocks.")
        result, errors = [], {}
        for index, item in enumerate(value):
            try:
                result.append(self._item(item))
            except ValidationError as exc:
                errors[index] = exc.messages
        if errors:
            raise ValidationError(errors)
        return result

    def _item(self, item):
        if not isinstance(item, dict):
            raise ValidationError({"_schema": ['Each block is an object {"type": ..., "value": {...}}.']})
        unknown = set(item) - {"type", "value", "id"}
        if unknown:
            raise ValidationError({key: ["Unknown field."] for key in sorted(unknown)})
        kind = item.get("type")
        if not isinstance(kind, str) or kind not in self.schemas:
            known = ", ".join(sorted(self.schemas))
            raise ValidationError({"type": [f"Unknown block type; use one of: {known}."]})
        item_id = item.get("id") or new_item_id()
        if not isinstance(item_id, str) or not ID_PATTERN.match(item_id):
            raise ValidationError({"id": ["Not a valid block id."]})
        raw = item.get("value")
        if raw is None:
            raise ValidationError({"value": ["Missing data for required field."]})
        if not isinstance(raw, dict):
            raise ValidationError({"value": ["Send the block's fields as an object."]})
        try:
            stored = compact(self.schemas[kind].load(raw))
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
        return {"type": kind, "id": item_id, "value": stored}


class BlocksType(FieldType):
    """An ordered list of typed blocks, like a dynamic zone or a StreamField."""

    name, label, family = "blocks", "Blocks", "blocks"
    nested_option = "blocks"
    options = {
        "blocks": fields.Dict(
            keys=fields.String(validate=validate.Regexp(BLOCK_NAME)),
            values=fields.List(fields.Raw(), validate=validate.Length(min=1, max=100)),
            required=True,
            validate=validate.Length(min=1, max=50),
        ),
        "min": fields.Integer(strict=True, validate=validate.Range(min=0)),
        "max": fields.Integer(strict=True, validate=validate.Range(min=1)),
    }

    def input_field(self, spec, ctx):
        schemas = {name: ctx.schema_factory(children) for name, children in spec.blocks.items()}
        return BlocksInput(schemas, **common_kwargs(spec, ctx, [count_validator(spec)]))

    def groups(self, value, spec):
        for item in value if isinstance(value, list) else ():
            children = spec.blocks.get(item.get("type")) if isinstance(item, dict) else None
            if children is not None and isinstance(item.get("value"), dict):
                yield children, item["value"]

    def clear_reference(self, value, spec, target_id, clear_children):
        if not isinstance(value, list):
            return value
        return [
            {**item, "value": clear_children(spec.blocks[item["type"]], item["value"])}
            if isinstance(item, dict) and item.get("type") in spec.blocks else item
            for item in value
        ]

    def json_schema(self, spec, mode, ctx):
        items = []
        for name, children in spec.blocks.items():
            item = {"type": "object", "additionalProperties": False,
                    "properties": {"type": {"const": name}, "id": {"type": "string"},
                                   "value": ctx.nested(children, mode)},
                    "required": ["type", "id", "value"] if mode == "out" else ["type", "value"]}
            items.append(item)
        return {"type": "array", "items": {"anyOf": items}}

    def deliver(self, value, spec, deliver_children):
        if value is None:
            return None
        return [
            {"type": item["type"], "id": item["id"], "value": deliver_children(spec.blocks[item["type"]], item["value"])}
            for item in value
            if item.get("type") in spec.blocks
        ]

    def to_input(self, value, spec, to_input_children):
        return self.deliver(value, spec, to_input_children)
