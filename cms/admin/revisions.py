"""An entry's history in the admin: its revisions, one revision compared field by field, restore.

A singleton's URLs use ``singleton`` for the entry id (``?locale=`` picks a localized one's
translation), like the editor's. Restoring carries the version the page showed, so an entry that
changed meanwhile is not overwritten: the page says so and shows the new state.
"""

import json

from flask import current_app, request, url_for

from cms.admin.core import bp, caller, done, render
from cms.auth.services.users import display_names
from cms.content import services
from cms.content.locales import current_locales
from cms.core.errors import ApiError, PreconditionFailed
from cms.core.http import int_arg
from cms.core.policy import decide
from cms.extensions import db

SINGLETON = "singleton"
#: how a revision's action reads in the history
ACTION_WORDS = {"create": "created", "update": "edited", "publish": "published", "unpublish": "unpublished",
                "restore": "restored an older revision", "system": "changed by the system"}
LONG_TEXT = 80  # characters: longer strings (or any with a line break) are compared as before/after blocks


def _address(type_name, entry_id):
    """Return ``(service entry id, locale, URL values)``: a singleton is addressed by type (and locale)."""
    compiled = services.compiled_type(services.types.find_type(type_name))
    if compiled.kind == "singleton" and entry_id == SINGLETON:
        locale = request.values.get("locale") or None
        if locale is not None and locale not in current_locales().codes:
            locale = None
        values = {"type_name": type_name, "entry_id": SINGLETON, **({"locale": locale} if locale else {})}
        return None, locale, values
    return entry_id, None, {"type_name": type_name, "entry_id": entry_id}


def _frame(compiled, entry, where):
    """What every history page shows about the entry: its title, status and where to go back to."""
    title = compiled.title_of(entry.data) or entry.id
    edit = None
    if "admin.entry_edit" in current_app.view_functions:
        edit = url_for("admin.entry_edit", **{k: v for k, v in where.items() if k in ("type_name", "entry_id")})
    return {"compiled": compiled, "entry": entry, "title": title, "where": where, "edit_url": edit,
            "words": ACTION_WORDS, "may_restore": decide(caller(), "entry.update", compiled, entry).allowed}


@bp.get("/content/<type_name>/<entry_id>/revisions")
def entry_revisions(type_name, entry_id):
    service_id, locale, where = _address(type_name, entry_id)
    compiled, entry, rows = services.list_revisions(type_name, service_id, caller(), locale=locale)
    names = display_names(row.created_by_id for row in rows)
    frame = _frame(compiled, entry, where)
    return render("admin/entries/revisions.html", heading=f"History of {frame['title']}", rows=rows, who_of=names,
                  **frame)


def _shown(value):
    """Return ``(kind, text)`` of a field value for a diff: short inline text, a block, or nothing."""
    if value is None:
        return "empty", ""
    if isinstance(value, str):
        return ("block" if len(value) > LONG_TEXT or "\n" in value else "inline"), value
    if isinstance(value, bool):
        return "inline", "yes" if value else "no"
    if isinstance(value, (int, float)):
        return "inline", str(value)
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)
    return ("block" if len(text) > LONG_TEXT or "\n" in text else "inline"), text


def readable_changes(compiled, diff):
    """Turn the service's ``changes`` into rows a person reads: label, added/removed/changed, before/after."""
    rows = []
    for change in diff["changes"]:
        spec = compiled.by_name.get(change["field"])
        label = (spec["label"] if spec is not None else None) or change["field"]
        before, after = _shown(change["from"]), _shown(change["to"])
        kind = "added" if before[0] == "empty" else "removed" if after[0] == "empty" else "changed"
        block = "block" in (before[0], after[0])
        rows.append({"field": change["field"], "label": label, "kind": kind, "before": before[1], "after": after[1],
                     "block": block})
    return rows


def _revision_page(type_name, entry_id, number, status=200, error=None):
    service_id, locale, where = _address(type_name, entry_id)
    actor = caller()
    compiled, entry, row = services.get_revision(type_name, service_id, number, actor, locale=locale)
    against = request.args.get("against", "current")
    if against == "previous" and number > 1:
        diff = services.diff_revisions(type_name, service_id, number - 1, actor, against=number, locale=locale)
        compared = f"revision {number - 1}"
    else:
        against = "current"
        diff = services.diff_revisions(type_name, service_id, number, actor, locale=locale)
        compared = "the current working copy"
    frame = _frame(compiled, entry, where)
    names = display_names([row.created_by_id])
    return render("admin/entries/revision.html", status=status, heading=f"Revision {number} of {frame['title']}",
                  revision=row, who=names.get(row.created_by_id), changes=readable_changes(compiled, diff),
                  against=against, compared=compared, error=error, **frame)


@bp.get("/content/<type_name>/<entry_id>/revisions/<int:number>")
def entry_revision(type_name, entry_id, number):
    return _revision_page(type_name, entry_id, number)


@bp.post("/content/<type_name>/<entry_id>/revisions/<int:number>/restore")
def entry_restore(type_name, entry_id, number):
    service_id, locale, where = _address(type_name, entry_id)
    expected = int_arg(request.form, "version", None, 1, 2**31 - 1) if request.form.get("version") else None
    try:
        _compiled, entry = services.restore_revision(type_name, service_id, number, caller(),
                                                     expected_version=expected, locale=locale)
        db.session.commit()
    except PreconditionFailed:
        db.session.rollback()
        return _revision_page(type_name, entry_id, number, status=412, error=(
            "Someone changed this entry after you opened this page, so nothing was restored. "
            "Look at the comparison again (it now shows the latest version) and restore again if you still want to."))
    except ApiError as error:
        db.session.rollback()
        if error.status == 404:
            raise
        return _revision_page(type_name, entry_id, number, status=error.status,
                              error=f"Revision {number} was not restored: {error.message}")
    if entry.version == expected:
        return done(f"Revision {number} has the same values as the current version: nothing changed.",
                    "admin.entry_revisions", **where)
    return done(f"Revision {number} is restored as revision {entry.version}.", "admin.entry_revisions", **where)
