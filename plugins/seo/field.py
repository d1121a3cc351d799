"""The ``seo`` field: what search engines and link previews read of an entry.

Stored as an object without empty keys; delivered with every key (null when unset, ``noindex``
false), ``og_image`` as a media reference like media fields deliver it, so a GET body can be PUT
back. The image is checked against the media library and counted as a use of it, like a media
field's value.
"""

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from cms.content.fields import FieldType
from cms.content.fields.base import StrictString, common_kwargs, no_control_chars
from cms.content.fields.numbers import StrictBoolean
from cms.content.fields.references import ID_PATTERN, ReferenceInput

TITLE_MAX, DESCRIPTION_MAX, URL_MAX = 60, 160, 2048
KEYS = ("meta_title", "meta_description", "canonical_url", "og_image", "noindex")


class SeoSchema(Schema):
    """The keys of one seo value; any other key is an error."""

    class Meta:
        unknown = RAISE

    meta_title = StrictString(allow_none=True, validate=[validate.Length(max=TITLE_MAX), no_control_chars(True)])
    meta_description = StrictString(allow_none=True,
                                    validate=[validate.Length(max=DESCRIPTION_MAX), no_control_chars(True)])
    canonical_url = StrictString(allow_none=True, validate=[
        validate.Length(max=URL_MAX),
        validate.URL(relative=False, require_tld=False, schemes={"http", "https"},
                     error="Not an absolute http(s) URL."),
    ])
    og_image = ReferenceInput(False, "media", allow_none=True)
    noindex = StrictBoolean(allow_none=True)


class SeoInput(fields.Field):
    """An seo object, returned without empty keys: ``noindex`` is kept only when true, so a
    delivered value sent back stores the same document."""

    default_error_messages = {"invalid": "Send an object with any of: " + ", ".join(KEYS) + "."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        try:
            loaded = SeoSchema().load(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        return {key: loaded[key] for key in KEYS if loaded.get(key) not in (None, "", False)}


class SeoType(FieldType):
    """Meta title and description, canonical URL, social image and a noindex flag."""

    name, label, family = "seo", "SEO", "seo"

    def input_field(self, spec, ctx):
        return SeoInput(**common_kwargs(spec, ctx))

    def deliver(self, value, spec, deliver_children):
        if not isinstance(value, dict):
            return None
        image = value.get("og_image")
        return {"meta_title": value.get("meta_title"), "meta_description": value.get("meta_description"),
                "canonical_url": value.get("canonical_url"),
                "og_image": {"id": image, "type": "media"} if image else None,
                "noindex": bool(value.get("noindex", False))}

    def to_input(self, value, spec, to_input_children):
        return dict(value) if isinstance(value, dict) else None

    def media_ids(self, value, spec):
        image = value.get("og_image") if isinstance(value, dict) else None
        return (image,) if image else ()

    def json_schema(self, spec, mode, ctx):
        stub = {"type": "object", "required": ["id", "type"],
                "properties": {"id": {"type": "string"}, "type": {"const": "media"}}}
        text = {"type": ["string", "null"]}
        properties = {
            "meta_title": {**text, "maxLength": TITLE_MAX},
            "meta_description": {**text, "maxLength": DESCRIPTION_MAX},
            "canonical_url": {**text, "format": "uri", "maxLength": URL_MAX},
            "og_image": {"anyOf": [stub, {"type": "null"}]},
            "noindex": {"type": "boolean"},
        }
        if mode == "in":
            image_id = {"type": "string", "pattern": ID_PATTERN.pattern.replace("\\Z", "$")}
            properties["og_image"] = {"anyOf": [image_id, stub, {"type": "null"}]}
            properties["noindex"] = {"type": ["boolean", "null"]}
            return {"type": "object", "properties": properties, "additionalProperties": False}
        return {"type": "object", "properties": properties, "required": list(KEYS), "additionalProperties": False}
