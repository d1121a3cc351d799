"""The field type: an integer of minutes that clients read but never write (the plugin fills it)."""

from marshmallow import fields, validate

from cms.content.fields import FieldType
from cms.content.fields.base import common_kwargs
from cms.content.fields.numbers import StrictInteger

#: the field types whose words are counted
SOURCE_TYPES = ("string", "text", "richtext")
NAME = r"^[a-z][a-z0-9_]{0,63}\Z"


class ReadingTimeType(FieldType):
    """Minutes to read the ``sources`` fields (siblings of this field) at READING_TIME_WPM words a minute."""

    name, label, family, scalar = "reading_time", "Reading time", "number", True
    options = {
        "sources": fields.List(fields.String(validate=validate.Regexp(NAME)), required=True,
                               validate=validate.Length(min=1, max=20)),
    }

    def check_definition(self, definition, lookup):
        errors = super().check_definition(definition, lookup)
        sources = definition.get("sources") or []
        problems = [] if len(set(sources)) == len(sources) else ["Name each source field once."]
        for name in sources:
            target = lookup.sibling(name)
            if target is None:
                problems.append(f"No field named {name!r} at this level.")
            elif target.get("type") not in SOURCE_TYPES:
                problems.append(f"{name!r} is a {target.get('type')} field; sources must be "
                                f"{', '.join(SOURCE_TYPES)} fields.")
        if problems:
            errors["sources"] = problems
        if "default" in definition:
            errors["default"] = ["A reading time is computed on save, so it takes no default."]
        return errors

    def input_field(self, spec, ctx):
        kwargs = common_kwargs(spec, ctx, [validate.Range(min=0)])
        kwargs["required"] = False  # filled on save, so never missing from what clients send
        return StrictInteger(**kwargs)

    def json_schema(self, spec, mode, ctx):
        return {"type": "integer", "minimum": 0, "readOnly": True,
                "description": f"Minutes to read {', '.join(spec['sources'])} (computed on save; a value sent is replaced)."}
