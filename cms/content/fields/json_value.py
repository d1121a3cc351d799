"""Free-form JSON values, with bounded nesting."""

from marshmallow import ValidationError, fields

from cms.content.fields.base import FieldType, common_kwargs


def json_depth(value):
    """Return how deeply ``value`` nests (a scalar is 0, ``[]`` is 1), iteratively."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
            deepest = max(deepest, depth + 1)
    return deepest


class JsonType(FieldType):
    name, label, family = "json", "JSON", "json"

    def input_field(self, spec, ctx):
        limit = ctx.json_max_depth

        def bounded(value):
            if json_depth(value) > limit:
                raise ValidationError(f"Nested deeper than the limit of {limit} levels.")

        return fields.Raw(**common_kwargs(spec, ctx, [bounded]))
