"""Calling the lifecycle hooks around entry and media changes (services call these, views never do)."""

import copy

from cms.plugins import Change, PluginFailed
from cms.plugins.manager import plugins


def _run(hook, change, writable):
    host = plugins()
    host.call(hook, change=change)
    if writable and not isinstance(change.data, dict):
        raise PluginFailed(f"A plugin's {hook} set change.data to {type(change.data).__name__}, not an object.")
    return change.data


def entry_change(stage, action, compiled, entry, actor, data=None):
    """Run ``folio_<stage>_entry_change``; return the (maybe changed) ``data`` on create and update."""
    hook = f"folio_{stage}_entry_change"
    if not plugins().implemented(hook):
        return data
    writable = stage == "before" and action in ("create", "update")
    values = data if writable else compiled.to_input(entry.data)
    return _run(hook, Change(action, compiled.name, values if writable else copy.deepcopy(values), entry=entry,
                             actor=actor, content_type=compiled), writable)


def media_change(stage, action, item, actor, data=None):
    """Run ``folio_<stage>_media_change``; return the (maybe changed) metadata on create and update."""
    hook = f"folio_{stage}_media_change"
    if not plugins().implemented(hook):
        return data
    writable = stage == "before" and action in ("create", "update")
    values = data if writable else {key: copy.deepcopy(getattr(item, key)) for key in
                                    ("filename", "mime", "alt", "caption", "folder", "tags", "focal_x", "focal_y")}
    return _run(hook, Change(action, None, values, media=item, actor=actor), writable)
