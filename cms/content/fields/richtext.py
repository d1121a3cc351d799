"""Rich text: written as Markdown, delivered as Markdown plus sanitized HTML."""

import functools

import nh3
from markdown_it import MarkdownIt
from marshmallow import fields

from cms.content.fields.base import FieldType, common_kwargs, length_validator, no_control_chars
from cms.content.fields.text import _length_options

_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("table").enable("strikethrough")


_ATTRIBUTES = {**nh3.ALLOWED_ATTRIBUTES, "code": {*nh3.ALLOWED_ATTRIBUTES.get("code", ()), "class"}}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


@functools.lru_cache(maxsize=2048)
def render_markdown(source):
    """Render Markdown to HTML with scripts, event handlers and unsafe URLs removed."""
    return nh3.clean(_markdown.render(source), url_schemes=_URL_SCHEMES, attributes=_ATTRIBUTES)


class MarkdownInput(fields.Field):
    """Accepts a Markdown string, or the delivered ``{"markdown", "html"}`` object (html ignored)."""

    default_error_messages = {"invalid": "Send Markdown as a string or as {{\"markdown\": \"...\"}}."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict) and set(value) <= {"markdown", "html"} and "markdown" in value:
            value = value["markdown"]
        if not isinstance(value, str):
            raise self.make_error("invalid")
        return value


class RichTextType(FieldType):
    name, label, family = "richtext", "Rich text", "text"
    options = _length_options(1_000_000)

    def input_field(self, spec, ctx):
        validators = [length_validator(spec, 200_000), no_control_chars(False)]
        return MarkdownInput(**common_kwargs(spec, ctx, validators))

    def json_schema(self, spec, mode, ctx):
        text = {"type": "string"}
        if mode == "out":
            return {"type": "object", "properties": {"markdown": text, "html": text},
                    "required": ["markdown", "html"]}
        wrapped = {"type": "object", "properties": {"markdown": text, "html": text}, "required": ["markdown"],
                   "additionalProperties": False}
        return {"anyOf": [text, wrapped]}

    def deliver(self, value, spec, deliver_children):
        if value is None:
            return None
        return {"markdown": value, "html": render_markdown(value)}
