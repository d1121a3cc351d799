"""Content types in the admin: the list, the builder (create, edit with a review step), delete.

The builder is a server-side form: every button posts the whole definition (see type_forms), so
adding, removing and moving fields works without JavaScript. Saving a change to an existing type
first shows what it will do (a dry run of the same service call), and only a second press applies it.
"""

import json

from flask import current_app, flash, redirect, request, url_for
from werkzeug.routing import BuildError

from cms.admin import type_forms as forms
from cms.admin import type_steps as steps
from cms.admin.core import bp, caller, done, render, require
from cms.content.definitions import OptionsIn
from cms.content.services import types as type_services
from cms.core.errors import ApiError, BadRequest, Conflict
from cms.extensions import db


def _registry():
    return current_app.extensions["folio.field_types"]


@bp.get("/types")
def types_list():
    rows = type_services.list_types(caller())
    items = [{"row": row, "entries": type_services.count_entries(row)} for row in rows]
    return render("admin/types/list.html", heading="Content types", items=items)


@bp.route("/types/new", methods=["GET", "POST"])
def type_new():
    require("content_types.manage")
    if request.method == "GET":
        return _builder(forms.empty_values(), new=True)
    registry = _registry()
    values = forms.values_from_form(request.form, registry)
    op = request.form.get("op", "save")
    if op != "save":
        return _rebuilt(values, op, new=True)
    try:
        definition = forms.definition_from_values(values, registry)
        row = type_services.create_type(definition, caller())
        db.session.commit()
    except forms.FormProblems as problems:
        return _builder(values, new=True, errors=problems.errors, status=422)
    except ApiError as error:
        db.session.rollback()
        return _refused(values, error, new=True)
    return done(f"The content type {row.label} is created.", "admin.type_edit", name=row.name)


@bp.route("/types/<name>", methods=["GET", "POST"])
def type_edit(name):
    require("content_types.manage")
    row = type_services.get_type(name, caller())
    registry = _registry()
    if request.method == "GET":
        values = forms.values_from_definition(type_services.export_type(row), registry)
        return _builder(values, row=row)
    op = request.form.get("op", "review")
    if op in ("apply", "back"):
        return _from_review(row, op)
    values = forms.values_from_form(request.form, registry)
    values["name"] = row.name  # a type cannot be renamed
    if op != "review":
        return _rebuilt(values, op, row=row)
    try:
        definition = forms.definition_from_values(values, registry)
        report = type_services.plan_type_update(row.name, definition, caller())
    except forms.FormProblems as problems:
        return _builder(values, row=row, errors=problems.errors, status=422)
    except ApiError as error:
        db.session.rollback()
        return _refused(values, error, row=type_services.find_type(name))
    row = type_services.find_type(name)
    if not report["changes"]:
        flash("Nothing to save: the definition is unchanged.", "success")
        return _builder(values, row=row)
    return _review(row, definition, report)


@bp.post("/types/<name>/delete")
def type_delete(name):
    row = type_services.get_type(name, caller())
    label = row.label
    try:
        type_services.delete_type(row.name, caller(), force=request.form.get("force") == "on")
        db.session.commit()
    except Conflict as error:
        db.session.rollback()
        flash(_delete_refusal(error), "error")
        return redirect(url_for("admin.type_edit", name=name))
    return done(f"The content type {label} is deleted.", "admin.types_list")


def _delete_refusal(error):
    details = error.details or {}
    if details.get("referenced_by"):
        return f"{error.message} Used by: {', '.join(details['referenced_by'])}."
    if details.get("entries"):
        return f"{error.message.split(';')[0]}. Tick “also delete its entries” to delete them with the type."
    return error.message


def _rebuilt(values, op, new=False, row=None):
    """Carry out a builder button (add, remove, move, show options) and show the form again."""
    focus, action = steps.apply_op(values, op, _registry(), request.form)
    return _builder(values, new=new, row=row, focus=focus, focus_action=action)


def _from_review(row, op):
    """The review step's buttons: apply the reviewed definition, or go back to editing it."""
    try:
        definition = json.loads(request.form.get("definition", ""))
        version = int(request.form.get("version", ""))
    except ValueError:
        raise BadRequest("The reviewed definition was damaged; start the edit again.") from None
    if not isinstance(definition, dict):
        raise BadRequest("The reviewed definition was damaged; start the edit again.")
    values = forms.values_from_definition(definition, _registry())
    if op == "back":
        return _builder(values, row=row)
    if version != row.version:
        flash("Someone else changed this type since you reviewed it. Review the changes again.", "error")
        return _builder(values, row=row, status=409)
    try:
        _row, report = type_services.update_type(row.name, definition, caller())
        db.session.commit()
    except ApiError as error:
        db.session.rollback()
        return _refused(values, error, row=type_services.find_type(row.name))
    message = f"The content type {row.label} is saved."
    if report["invalid_count"]:
        count = report["invalid_count"]
        message += f" {count} {'entry no longer validates' if count == 1 else 'entries no longer validate'}: fix them before publishing again."
    return done(message, "admin.type_edit", name=row.name)


def _refused(values, error, new=False, row=None):
    details = (error.details or {}).get("fields")
    errors = steps.input_errors(details, values) if isinstance(details, dict) else {}
    if not errors:
        errors = {"_form": [error.message]}
    return _builder(values, new=new, row=row, errors=steps.placed_errors(errors, values, _registry()),
                    status=error.status)


def _builder(values, new=False, row=None, errors=None, status=200, focus=None, focus_action=None):
    registry = _registry()
    types = type_services.list_types(caller())
    return render("admin/types/form.html", status=status,
                  heading="New content type" if new else f"Edit {row.label}",
                  values=values, new=new, edited=row, errors=errors or {},
                  entries=type_services.count_entries(row) if row is not None else 0,
                  field_types=forms.type_choices(registry), widgets_of=_widgets_of(registry),
                  type_options=list(OptionsIn._declared_fields), type_names=[t.name for t in types],
                  flags=forms.FLAGS, hints=forms.HINTS, focus=focus, focus_action=focus_action,
                  scalar=lambda name: bool(getattr(registry.get(name), "scalar", False)),
                  nested_of=lambda name: forms.nested_of(registry.get(name)))


def _widgets_of(registry):
    def lookup(name):
        field_type = registry.get(name)
        return forms.widgets(field_type) if field_type else []

    return lookup


def _review(row, definition, report):
    invalid = [{**item, "url": _entry_url(row.name, item["id"]), "problems": steps.messages_of(item["errors"])}
               for item in report["invalid_entries"]]
    return render("admin/types/review.html", heading=f"Review changes to {row.label}", edited=row,
                  changes=[_describe(change) for change in report["changes"]], invalid=invalid,
                  invalid_count=report["invalid_count"], entries=type_services.count_entries(row),
                  definition=json.dumps(definition, ensure_ascii=False), version=row.version)


def _entry_url(type_name, entry_id):
    try:
        return url_for("admin.entry_edit", type_name=type_name, entry_id=entry_id)
    except BuildError:
        return url_for("content_api.get_entry", type_name=type_name, entry_id=entry_id, status="draft")


def _describe(change):
    """One plain sentence per planned operation."""
    op = change["op"]
    if op == "add_field":
        return f"Add the field {change['field']} ({change['field_type']})."
    if op == "remove_field":
        return f"Remove the field {change['field']}: it disappears from delivery (stored values are kept)."
    if op == "rename_field":
        return f"Rename the field {change['from']} to {change['to']} (its values follow)."
    if op == "reorder_fields":
        return f"Reorder the fields: {', '.join(change['order'])}."
    if op in ("change_field", "change_type"):
        what = "the type" if op == "change_type" else f"the field {change['field']}"
        parts = [f"{key} from {_shown(diff['from'])} to {_shown(diff['to'])}" for key, diff in change["changes"].items()]
        return f"Change {what}: {'; '.join(parts)}."
    return json.dumps(change, ensure_ascii=False)


def _shown(value):
    if value is None:
        return "(none)"
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
