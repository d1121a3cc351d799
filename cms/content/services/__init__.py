"""Content services: the business rules of types, entries and revisions.

Services check the policy, validate, write and flush; they never commit and never read
``flask.request`` — the caller (a view, a CLI command, the worker) owns the transaction.
"""

from cms.content.services.entries import (
    create_entry,
    create_translation,
    delete_entry,
    get_entry,
    list_translations,
    publish_entry,
    unpublish_entry,
    update_entry,
)
from cms.content.services.listing import list_entries
from cms.content.services.revisions import diff_revisions, get_revision, list_revisions, restore_revision
from cms.content.services.types import (
    compiled_type,
    create_type,
    delete_type,
    export_type,
    get_type,
    list_types,
    update_type,
)

__all__ = [
    "compiled_type", "create_entry", "create_translation", "create_type", "delete_entry", "delete_type", "diff_revisions",
    "export_type", "get_entry", "get_revision", "get_type", "list_entries", "list_revisions", "list_translations", "list_types",
    "publish_entry", "restore_revision", "unpublish_entry", "update_entry", "update_type",
]
