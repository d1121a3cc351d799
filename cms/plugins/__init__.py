"""Plugin machinery. What a plugin imports: ``hookimpl`` to mark its hooks, ``Veto`` to refuse a
change from a lifecycle hook, and ``Change`` (what lifecycle hooks receive)."""

from dataclasses import dataclass, field
from typing import Any

from cms.core.errors import ApiError
from cms.plugins.hookspecs import hookimpl

__all__ = ["Change", "PluginFailed", "Veto", "hookimpl"]


class Veto(ApiError):
    """Raised by a before/after hook to refuse a change: 422 ``vetoed``, nothing is saved."""

    status, code, message = 422, "vetoed", "A plugin refused this change."


class PluginFailed(ApiError):
    """A plugin hook raised while ``FOLIO_PLUGINS_STRICT`` is on: the request fails instead of going on."""

    status, code, message = 500, "plugin_failed", "A plugin failed; the change was not saved."


@dataclass
class Change:
    """What a lifecycle hook is told: ``action`` on an entry of ``type`` (or a media item).

    ``data`` holds the values by field name (media: the metadata). On create and update a hook may
    change it; on the other actions it is a copy, for reading. ``content_type`` is the entry's
    compiled type (``.name``, ``.definition``: the field definitions as the API shows them), so a
    hook can find its fields without querying.
    """

    action: str
    type: str | None
    data: dict = field(default_factory=dict)
    entry: Any = None
    media: Any = None
    actor: Any = None
    content_type: Any = None
