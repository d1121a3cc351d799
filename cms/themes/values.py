"""Turn an entry's delivered field values into what preview templates print.

Each field becomes a FieldView whose ``kind`` says how to show it and whose ``value`` is ready to
print: plain strings (escaped by the template), a Link, a Moment, MediaView and RelationView lists,
nested field lists for components and blocks. Only the HTML of rich text is marked safe, and it is
rendered here from the Markdown by the same sanitizer the API delivers (never taken from a value).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urlsplit

from markupsafe import Markup

from cms.content.fields.richtext import render_markdown

KINDS = {"string": "string", "slug": "string", "enum": "string", "text": "text", "richtext": "richtext",
         "url": "url", "email": "email", "integer": "number", "decimal": "number", "boolean": "boolean",
         "date": "date", "datetime": "datetime", "json": "json", "media": "media", "relation": "relation"}
HEADING = re.compile(r"<(/?)h([1-6])(?=[\s>])")


@dataclass
class FieldView:
    name: str
    label: str
    kind: str  # string, text, richtext, url, email, number, boolean, date, datetime, json, media, relation,
    #            component, blocks or other
    type: str  # the field type's own name (plugin types included)
    value: object = None  # None: no value
    many: bool = False


@dataclass
class Link:
    text: str
    href: str | None = None


@dataclass
class Moment:
    iso: str
    text: str


@dataclass
class MediaView:
    id: str
    url: str | None = None
    alt: str = ""
    caption: str = ""
    filename: str = ""
    mime: str = ""
    width: int | None = None
    height: int | None = None
    missing: bool = False

    @property
    def is_image(self):
        return self.mime.startswith("image/") and self.url is not None


@dataclass
class RelationView:
    id: str
    type: str
    title: str | None = None  # None: an entry the caller cannot see (or that is gone)
    url: str | None = None
    type_label: str = ""


@dataclass
class BlockView:
    name: str
    label: str
    fields: list = field(default_factory=list)


def kind_of(spec):
    nested = getattr(spec.type, "nested_option", None)
    if nested == "fields":
        return "component"
    if nested == "blocks":
        return "blocks"
    return KINDS.get(spec.type.name, "other")


def humanize(name):
    return name.replace("_", " ").capitalize()


def walk(specs, values):
    """Yield ``(spec, value)`` for every delivered value, nested ones included (hidden fields are absent)."""
    for spec in specs:
        value = values.get(spec.name) if isinstance(values, dict) else None
        if value is None:
            continue
        yield spec, value
        for children, group in _groups(spec, value):
            yield from walk(children, group)


def _groups(spec, value):
    kind = kind_of(spec)
    if kind == "component":
        for group in value if isinstance(value, list) else [value]:
            if isinstance(group, dict):
                yield spec.children, group
    elif kind == "blocks" and isinstance(value, list):
        for block in value:
            children = spec.blocks.get(block.get("type")) if isinstance(block, dict) else None
            if children is not None and isinstance(block.get("value"), dict):
                yield children, block["value"]


def stubs(value):
    """The ``{"id", "type"}`` references in a relation or media value."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]


def field_views(specs, values, media, relations):
    """Return the FieldViews of ``values`` (delivered, by name); ``media`` and ``relations`` map
    ids (and ``(type, id)``) to their MediaView and RelationView."""
    views = []
    for spec in specs:
        if not isinstance(values, dict) or spec.name not in values:
            continue  # not delivered: a field the caller may not read
        kind = kind_of(spec)
        view = FieldView(spec.name, spec["label"] or humanize(spec.name), kind, spec.type.name,
                         many=bool(spec["many"] or spec["repeatable"]))
        view.value = _value(spec, kind, values[spec.name], media, relations)
        views.append(view)
    return views


def _value(spec, kind, value, media, relations):
    if value is None or value == [] or value == "":
        return None
    if kind == "richtext":
        source = value.get("markdown") if isinstance(value, dict) else value
        return Markup(demote_headings(render_markdown(source))) if isinstance(source, str) else None
    if kind == "media":
        return [media.get(stub["id"]) or MediaView(stub["id"], missing=True) for stub in stubs(value)]
    if kind == "relation":
        return [relations.get((stub.get("type"), stub["id"])) or RelationView(stub["id"], str(stub.get("type")))
                for stub in stubs(value)]
    if kind == "component":
        groups = value if isinstance(value, list) else [value]
        return [field_views(spec.children, group, media, relations) for group in groups if isinstance(group, dict)]
    if kind == "blocks":
        return [BlockView(block["type"], humanize(block["type"]),
                          field_views(spec.blocks[block["type"]], block.get("value"), media, relations))
                for block in value if isinstance(block, dict) and block.get("type") in spec.blocks]
    if kind == "boolean":
        return bool(value)
    if kind in ("date", "datetime"):
        return Moment(str(value), format_moment(str(value), kind))
    if kind == "url":
        return Link(str(value), str(value) if urlsplit(str(value)).scheme in ("http", "https") else None)
    if kind == "email":
        return Link(str(value), f"mailto:{value}")
    if kind == "json" or not isinstance(value, (str, int, float)):
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


def demote_headings(html):
    """Move the headings of sanitized rich text one level down: the page's title is its only <h1>."""
    return HEADING.sub(lambda tag: f"<{tag.group(1)}h{min(int(tag.group(2)) + 1, 6)}", html)


def format_moment(value, kind):
    """``2026-03-01`` → ``1 March 2026``; ``…T14:30:00+02:00`` → ``1 March 2026, 14:30 UTC+02:00``."""
    try:
        if kind == "date":
            day = date.fromisoformat(value)
            return f"{day.day} {day.strftime('%B %Y')}"
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    offset = moment.strftime("%z")
    zone = "" if not offset else " UTC" if offset == "+0000" else f" UTC{offset[:3]}:{offset[3:]}"
    return f"{moment.day} {moment.strftime('%B %Y, %H:%M')}{zone}"

