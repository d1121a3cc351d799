"""The entry editor: a form generated from the content type, over the same services as the API.

The form carries the entry's version; saving over a newer one (someone else saved meanwhile) is
refused by the service (412), and the page comes back with what this editor typed still in the
fields and the other writer's values beside the fields that differ, so nothing typed is lost.
"""

from flask import current_app, redirect, request, url_for

from cms.admin import entry_form
from cms.admin.core import bp, caller, done, require
from cms.content.fields.richtext import render_markdown
from cms.content.locales import current_locales
from cms.content.services import entries, schedules
from cms.content.services.types import compiled_type, find_type
from cms.core.errors import (
    ApiError,
    BadRequest,
    Conflict,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from cms.core.policy import deny
from cms.extensions import db

SINGLETON = "singleton"
ACTIONS = ("publish", "unpublish", "delete", "schedule", "unschedule")
MAX_PREVIEW = 200_000


def _address(entry_id):
    return None if entry_id == SINGLETON else entry_id


def _locale():
    locale = request.args.get("locale") or None
    if locale is not None:
        current_locales().check(locale)
    return locale


@bp.route("/content/<type_name>/new", methods=["GET", "POST"])
def entry_new(type_name):
    compiled = compiled_type(find_type(type_name))
    require("entry.create", compiled)
    locale = _locale()
    source = request.args.get("translation_of") or None
    if compiled.kind == "singleton" and source is None:
        return _redirect_edit(compiled, None, locale)
    if request.method == "GET":
        return _editor(compiled, None, {}, locale=locale, source=source)
    reader = entry_form.FormReader(request.form)
    document = reader.read(entry_form.FieldAccess(caller(), compiled, None, creating=True).written)
    op = request.form.get("op", "save")
    if _is_layout(op, compiled, document) or reader.errors:
        return _editor(compiled, None, document, locale=locale, source=source, raw=reader.raw, errors=reader.errors,
                       previews=_previews(compiled, document, op), status=422 if reader.errors else 200)
    try:
        if source is not None:
            _compiled, entry = entries.create_translation(type_name, source, locale, document, caller())
        else:
            _compiled, entry = entries.create_entry(type_name, document, caller(), locale=locale)
        if op == "publish" and compiled.draft_publish:
            entries.publish_entry(type_name, _id(compiled, entry), caller(), locale=_singleton_locale(compiled, entry))
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        return _editor(compiled, None, document, locale=locale, source=source, error=error)
    return _saved(compiled, entry, "published" if op == "publish" and compiled.draft_publish else "saved")


@bp.route("/content/<type_name>/<entry_id>", methods=["GET", "POST"])
def entry_edit(type_name, entry_id):
    locale = _locale()
    reading = request.method == "GET"  # anyone who may read the draft sees the page; fields they may not change are locked
    try:
        compiled, entry = entries.resolve(type_name, _address(entry_id), caller(),
                                          "entry.read_draft" if reading else "entry.update", locale)
    except NotFound:
        if reading:
            raise
        return _deleted_meanwhile(type_name, locale)
    if reading:
        if entry is not None and not entry_form.opener(caller(), compiled)(entry):
            deny(caller())
        return _editor(compiled, entry, compiled.to_input(entry.data) if entry else {}, locale=locale)
    fields = entry_form.FieldAccess(caller(), compiled, entry, creating=False)
    reader = entry_form.FormReader(request.form)
    document = reader.read(fields.written)
    op = request.form.get("op", "save")
    version = _version()
    if _is_layout(op, compiled, document) or reader.errors:
        return _editor(compiled, entry, document, locale=locale, raw=reader.raw, errors=reader.errors, version=version,
                       previews=_previews(compiled, document, op), status=422 if reader.errors else 200)
    address = _address(entry_id)
    stored = compiled.to_input(entry.data) if entry is not None else {}
    unseen = {name: stored[name] for name in fields.hidden_writable if name in stored}  # kept as they are
    try:
        _compiled, saved = entries.update_entry(type_name, address, {**unseen, **document}, caller(),
                                                expected_version=version, locale=locale)
        if op == "publish" and compiled.draft_publish:
            entries.publish_entry(type_name, address, caller(), locale=locale)
        db.session.commit()
    except PreconditionFailed as error:
        db.session.rollback()
        current = entries.resolve(type_name, address, caller(), "entry.update", locale)[1]
        return _editor(compiled, current, document, locale=locale, error=error, conflict=current, version=version,
                       status=409)
    except ApiError as error:
        db.session.rollback()
        return _editor(compiled, entry, document, locale=locale, error=error, version=version)
    return _saved(compiled, saved, "published" if op == "publish" and compiled.draft_publish else "saved")


@bp.post("/content/<type_name>/<entry_id>/<action>")
def entry_action(type_name, entry_id, action):
    if action not in ACTIONS:
        raise BadRequest(f"Unknown action {action!r}; use one of {', '.join(ACTIONS)}.")
    locale, address, actor = _locale(), _address(entry_id), caller()
    version = _version()
    try:
        if action == "publish":
            compiled, entry = entries.publish_entry(type_name, address, actor, expected_version=version, locale=locale)
        elif action == "unpublish":
            compiled, entry = entries.unpublish_entry(type_name, address, actor, expected_version=version,
                                                      locale=locale)
        elif action == "delete":
            entries.delete_entry(type_name, address, actor, expected_version=version, locale=locale)
            db.session.commit()
            target = "admin.entries_list" if "admin.entries_list" in current_app.view_functions else "admin.dashboard"
            return done("The entry is deleted.", target, **({"type_name": type_name} if target != "admin.dashboard"
                                                              else {}))
        elif action == "schedule":
            times = _schedule_times()
            compiled, entry, _schedule = schedules.set_schedule(type_name, address, actor, locale=locale, **times)
        else:
            schedules.clear_schedule(type_name, address, actor, locale=locale)
            compiled, entry = entries.resolve(type_name, address, actor, "entry.read_draft", locale)
        db.session.commit()
    except (ValidationFailed, BadRequest, Conflict, PreconditionFailed) as error:
        db.session.rollback()
        compiled, entry = entries.resolve(type_name, address, actor, "entry.read_draft", locale)
        if entry is None:
            raise
        return _editor(compiled, entry, compiled.to_input(entry.data), locale=locale, error=error,
                       schedule_form=dict(request.form) if action == "schedule" else None)
    messages = {"publish": "published", "unpublish": "unpublished", "schedule": "scheduled",
                "unschedule": "no longer scheduled"}
    return _saved(compiled, entry, messages[action])


@bp.post("/markdown-preview")
def markdown_preview():
    """Render Markdown through the rich-text sanitizer (the live preview beside the editor)."""
    source = request.form.get("markdown")
    if source is None:
        payload = request.get_json(silent=True)
        source = payload.get("markdown") if isinstance(payload, dict) else None
    if not isinstance(source, str):
        raise ValidationFailed({"markdown": ["Send the Markdown to preview."]})
    if len(source) > MAX_PREVIEW:
        raise ValidationFailed({"markdown": [f"Preview at most {MAX_PREVIEW} characters."]})
    return render_markdown(source), 200, {"Content-Type": "text/html; charset=utf-8"}


# ----- helpers -----

def _deleted_meanwhile(type_name, locale):
    """The entry was deleted while its editor typed: offer what they typed as a new entry."""
    compiled = compiled_type(find_type(type_name))
    require("entry.create", compiled)
    fields = entry_form.FieldAccess(caller(), compiled, None, creating=True)
    document = entry_form.FormReader(request.form).read(fields.written)
    gone = Conflict("Someone deleted this entry while you were editing it. Nothing you typed is lost: "
                    "save to create it again as a new entry.")
    return _editor(compiled, None, document, locale=locale, error=gone)


def _version():
    text = request.form.get("_version", "")
    return int(text) if text.isdigit() else None


def _schedule_times():
    times, problems = {}, {}
    for name in ("publish_at", "unpublish_at"):
        try:
            times[name] = entry_form.parse_local_time(request.form.get(name))
        except ValueError as exc:
            problems[name] = [str(exc)]
    if problems:
        raise BadRequest("The schedule is not valid.", {"fields": problems})
    if times["publish_at"] is None and times["unpublish_at"] is None:
        raise BadRequest("The schedule is not valid.",
                         {"fields": {"publish_at": ["Choose when to publish and/or unpublish."]}})
    return times


def _id(compiled, entry):
    return None if compiled.kind == "singleton" else entry.id


def _singleton_locale(compiled, entry):
    return entry.locale if compiled.kind == "singleton" and compiled.localized else None


def _is_layout(op, compiled, document):
    """Apply an add/remove/move button (no save); True when ``op`` was one, or a preview."""
    if op == "preview":
        return True
    return op not in ("save", "publish") and (entry_form.apply_op(op, compiled.specs, document) or ":" in op)


def _previews(compiled, document, op):
    if op != "preview":
        return {}
    return {spec.name: render_markdown(entry_form.shown(spec, document.get(spec.name)))
            for spec in compiled.specs if spec.type.name == "richtext" and document.get(spec.name)}


def _redirect_edit(compiled, entry, locale):
    entry_id = SINGLETON if compiled.kind == "singleton" else entry.id
    args = {"locale": locale} if locale and compiled.localized else {}
    return redirect(url_for("admin.entry_edit", type_name=compiled.name, entry_id=entry_id, **args))


def _saved(compiled, entry, what):
    title = compiled.title_of(entry.data) or compiled.label
    entry_id = SINGLETON if compiled.kind == "singleton" else entry.id
    args = {"locale": entry.locale} if compiled.localized else {}
    return done(f"{title} is {what}.", "admin.entry_edit", type_name=compiled.name, entry_id=entry_id, **args)


def _editor(compiled, entry, document, locale=None, source=None, raw=None, errors=None, error=None, version=None,
            previews=None, conflict=None, schedule_form=None, status=200):
    """Render the editor for ``document`` (the input form of the values to show)."""
    from cms.admin import entry_page

    return entry_page.render_editor(compiled, entry, document, locale=locale, source=source, raw=raw or {},
                                    errors=errors, error=error, version=version, previews=previews or {},
                                    conflict=conflict, schedule_form=schedule_form, status=status)

