"""The registry of field types for one application."""


class FieldTypeRegistry:
    """Field types by name. One per app, filled by core and plugins through a hook."""

    def __init__(self):
        self._types = {}

    def register(self, field_type):
        if not field_type.name:
            raise ValueError(f"{field_type!r} has no name")
        if field_type.name in self._types:
            raise ValueError(f"field type {field_type.name!r} is registered twice")
        self._types[field_type.name] = field_type

    def get(self, name):
        return self._types.get(name)

    def names(self):
        return sorted(self._types)

    def __contains__(self, name):
        return name in self._types


def builtin_field_types():
    """Return an instance of every built-in field type."""
    from cms.content.fields import json_value, numbers, references, richtext, structures, temporal, text

    return [
        text.StringType(), text.TextType(), text.EmailType(), text.UrlType(), text.SlugType(),
        text.EnumType(), richtext.RichTextType(), numbers.IntegerType(), numbers.DecimalType(),
        numbers.BooleanType(), temporal.DateType(), temporal.DateTimeType(), json_value.JsonType(),
        references.MediaType(), references.RelationType(), structures.ComponentType(),
        structures.BlocksType(),
    ]
