"""What the editor page shows besides the values: permissions, schedule, translations, names of linked things."""

from flask import url_for

from cms.admin import entry_form
from cms.admin.core import caller, render
from cms.content.locales import current_locales
from cms.content.services import entries, schedules
from cms.core.errors import ApiError, ValidationFailed
from cms.core.policy import decide


def render_editor(compiled, entry, document, locale, source, raw, errors, error, version, previews, conflict,
                  schedule_form, status):
    actor = caller()
    errors = dict(errors or {})
    message = None
    if error is not None:
        fields = (getattr(error, "details", None) or {}).get("fields")
        found = entry_form.flat_errors(fields) if fields else {}
        if schedule_form is not None:
            found = {f"schedule.{name}": messages for name, messages in found.items()}
        errors.update(found)
        if not found or not isinstance(error, ValidationFailed):
            message = error.message
        status = max(status, error.status) if status == 200 else status
    can = {action: decide(actor, f"entry.{action}", compiled, entry).allowed
           for action in ("create", "update", "publish", "delete")}
    fields = entry_form.FieldAccess(actor, compiled, entry, creating=entry is None and compiled.kind != "singleton")
    if entry is not None:  # a form sent back holds only the fields its editor may change: show the others as stored
        stored = compiled.to_input(entry.data)
        document = {**{spec.name: stored.get(spec.name) for spec in fields.specs if spec.name not in fields.writable},
                    **document}
    can["publish"] = can["publish"] and compiled.draft_publish
    schedule = None
    if entry is not None and can["publish"]:
        try:
            schedule = schedules.get_schedule(compiled.name, None if compiled.kind == "singleton" else entry.id,
                                              actor, locale=entry.locale if compiled.localized else None)[2]
        except ApiError:
            schedule = None
    theirs = {}
    if conflict is not None:
        base = _base(compiled, conflict, version, actor)
        theirs = {spec.name: text for spec, text in
                  entry_form.differing(fields.written, document, compiled.to_input(conflict.data), base)}
        version = conflict.version
    elif version is None and entry is not None:
        version = entry.version
    title = compiled.title_of(entry.data) if entry is not None else None
    heading = f"Edit {title}" if title else (f"Edit {compiled.label}" if entry is not None or compiled.kind == "singleton"
                                             else f"New {compiled.label}")
    entry_id = "singleton" if compiled.kind == "singleton" else (entry.id if entry is not None else None)
    preview_url = None
    if entry is not None:
        preview_url = (f"/preview/{compiled.name}" if compiled.kind == "singleton"
                       else f"/preview/{compiled.name}/{entry.id}")
        if compiled.localized:
            preview_url += f"?locale={entry.locale}"
    return render("admin/entries/editor.html", status=status, heading=heading, compiled=compiled, entry=entry,
                  entry_id=entry_id, values=document, fields=fields, raw=raw, errors=errors, error=message,
                  version=version,
                  previews=previews, theirs=theirs, conflict=conflict, can=can, schedule=schedule,
                  schedule_form=schedule_form or {}, translations=_translations(compiled, entry, actor),
                  locale=locale or (entry.locale if entry is not None else None), source=source,
                  preview_url=preview_url, form_action=_form_action(compiled, entry, locale, source),
                  shown=entry_form.shown, dom_id=entry_form.dom_id, ids_of=entry_form.ids_of,
                  known=entry_form.KNOWN, relation_titles=_relation_titles(actor), media_of=_media_of(actor),
                  utc_minutes=entry_form.utc_minutes, now_utc=_now_utc())


def _base(compiled, current, version, actor):
    """The values at the version the editor started from (its revision), or None when unknown."""
    from cms.content.services import revisions

    if version is None:
        return None
    try:
        row = revisions.get_revision(compiled.name, None if compiled.kind == "singleton" else current.id, version,
                                     actor, locale=current.locale if compiled.localized else None)[2]
    except ApiError:
        return None
    return compiled.to_input(row.data)


def _form_action(compiled, entry, locale, source):
    args = {"locale": locale} if locale else {}
    if entry is None and compiled.kind != "singleton":
        if source:
            args["translation_of"] = source
        return url_for("admin.entry_new", type_name=compiled.name, **args)
    entry_id = "singleton" if compiled.kind == "singleton" else entry.id
    return url_for("admin.entry_edit", type_name=compiled.name, entry_id=entry_id, **args)


def _translations(compiled, entry, actor):
    """``[(locale, url, is_current)]`` for a localized type's locale switcher."""
    if not compiled.localized or entry is None:
        return []
    try:
        rows = entries.list_translations(compiled.name, None if compiled.kind == "singleton" else entry.id, actor,
                                         draft=True)[1]
    except ApiError:
        rows = [entry]
    have = {row.locale: row for row in rows}
    links = []
    for code in current_locales().codes:
        row = have.get(code)
        if compiled.kind == "singleton":
            url = url_for("admin.entry_edit", type_name=compiled.name, entry_id="singleton", locale=code)
        elif row is not None:
            url = url_for("admin.entry_edit", type_name=compiled.name, entry_id=row.id, locale=code)
        else:
            url = url_for("admin.entry_new", type_name=compiled.name, locale=code, translation_of=entry.id)
        links.append((code, url, code == entry.locale, row is not None))
    return links


def _relation_titles(actor):
    """A function giving ``[(id, title)]`` for the ids a relation field holds (unreadable ones by id)."""
    def titles(spec, value):
        found = []
        for entry_id in entry_form.ids_of(value)[:50]:
            try:
                target, row = entries.get_entry(spec["target"], entry_id, actor, draft=True)
                found.append((entry_id, target.title_of(row.data) or entry_id))
            except ApiError:
                found.append((entry_id, entry_id))
        return found
    return titles


def _media_of(actor):
    """A function giving ``[(id, filename or None, is_image)]`` for a media field's ids."""
    from cms.media import services as media

    def items(value):
        found = []
        for media_id in entry_form.ids_of(value)[:50]:
            try:
                item = media.get_item(media_id, actor)
                found.append((media_id, item.filename, (item.mime or "").startswith("image/")))
            except ApiError:
                found.append((media_id, None, False))
        return found
    return items


def _now_utc():
    from cms.core.db import utcnow

    return utcnow().strftime("%Y-%m-%d %H:%M")
