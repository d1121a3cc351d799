"""Field types: a registry that core and plugins fill through the ``folio_register_field_types`` hook.

A field type turns one field *definition* (the JSON in a content type) into:
- a marshmallow field that validates API input and returns the stored value (``input_field``),
- the delivered API value of a stored one (``deliver``),
- the writable form of a stored value (``to_input``; what PATCH merges and revisions diff),
- the entry ids it references (``references``; relations only).
"""

from cms.content.fields.base import FieldSpec, FieldType
from cms.content.fields.registry import FieldTypeRegistry, builtin_field_types

__all__ = ["FieldSpec", "FieldType", "FieldTypeRegistry", "builtin_field_types"]
