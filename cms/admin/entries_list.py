"""Content in the admin: the types a user may read, each type's entries, and bulk actions on them.

The list reads through the same service as ``GET /api/content/<type>?status=draft`` (search, filters,
sort, pages, locale). Bulk actions call the entry services once per checked entry, each in its own
savepoint, so one refusal (a permission, a reference that blocks a delete, a draft that is not valid
enough to publish) is reported beside the others and undoes nothing else.
"""

from flask import flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from cms.admin import entry_form
from cms.admin.core import allowed, bp, caller, render, require
from cms.auth.services.users import display_names
from cms.content import services
from cms.content.compiled import TITLE_NAMES
from cms.content.locales import ALL, current_locales
from cms.content.query.params import MAX_Q, ListQuery
from cms.content.query.predicates import parse_filters
from cms.content.query.sql import field_kind
from cms.content.services import overview
from cms.core.errors import ApiError
from cms.core.http import int_arg
from cms.core.policy import decide
from cms.extensions import db

PER_PAGE = 25
STATUSES = ("draft", "changed", "published")
#: the sort choices: form value -> (label, the sort key; "title" stands for the type's title field)
SORTS = {
    "-updated": ("Recently updated", "-updated_at"), "updated": ("Least recently updated", "updated_at"),
    "-created": ("Newest", "-created_at"), "created": ("Oldest", "created_at"),
    "title": ("Title A–Z", "title"), "-title": ("Title Z–A", "-title"),
}
ACTIONS = {"publish": "Publish", "unpublish": "Unpublish", "delete": "Delete"}
MAX_BULK = 100  # entries per bulk action (a page's worth and more)
MAX_REPORTED = 10  # refusals named in the message (it travels in the session cookie, which must stay small)


def _compiled(type_name):
    return services.compiled_type(services.types.find_type(type_name))


@bp.get("/content")
def entries_home():
    rows = [{"compiled": compiled, "count": count, "may_create": allowed("entry.create", compiled)}
            for compiled, count in overview.readable_types(caller())]
    return render("admin/entries/home.html", heading="Content", rows=rows)


def title_spec(compiled, access):
    """The field a list sorts "by title": the type's title/name/… field that can be sorted and read."""
    for name in TITLE_NAMES:
        spec = compiled.by_name.get(name)
        if spec is not None and access.shows(spec) and field_kind(spec) == "text":
            return spec
    return None


def choice_filters(compiled, access):
    """``[(spec, [(value, label)])]``: the enum and boolean fields a list offers a select for."""
    found = []
    for spec in compiled.specs:
        if not access.shows(spec) or field_kind(spec) is None:
            continue
        if spec.type.name == "enum":
            found.append((spec, [(str(value), str(value)) for value in spec["values"] or ()]))
        elif spec.type.name == "boolean":
            found.append((spec, [("true", "Yes"), ("false", "No")]))
    return found


def bulk_actions(compiled):
    """The bulk actions the signed-in user may take on ``compiled`` at all (per entry: ``may_act``)."""
    offered = []
    if compiled.draft_publish and allowed("entry.publish", compiled):
        offered += ["publish", "unpublish"]
    if allowed("entry.delete", compiled):
        offered.append("delete")
    return offered


def may_act(compiled, entry, actions):
    """Whether any of ``actions`` is allowed on this entry (own-only roles: their own entries)."""
    verbs = {"unpublish": "publish"}
    return any(decide(caller(), f"entry.{verbs.get(a, a)}", compiled, entry).allowed for a in actions)


def _criteria(compiled, access):
    """Read the list's form (query string) leniently: a value it does not offer is left out."""
    args = request.args
    status = args.get("status", "")
    q = " ".join(args.get("q", "").replace("\x00", " ").split())[:MAX_Q]
    sort = args.get("sort", "-updated")
    titled = title_spec(compiled, access)
    if sort not in SORTS or (sort.lstrip("-") == "title" and titled is None):
        sort = "-updated"
    locale = args.get("locale", "") if compiled.localized else ""
    if locale and locale != ALL and locale not in current_locales().codes:
        locale = ""
    choices = {}
    for spec, options in choice_filters(compiled, access):
        value = args.get(f"f_{spec.name}", "")
        if value in {v for v, _label in options}:
            choices[spec.name] = value
    return {"status": status if status in STATUSES else "", "q": q, "sort": sort, "locale": locale,
            "choices": choices, "page": int_arg(args, "page", 1, 1, 10**6)}


def _query(compiled, criteria, titled):
    filters = MultiDict()
    if criteria["status"]:
        filters["filter[status]"] = criteria["status"]
    for name, value in criteria["choices"].items():
        filters[f"filter[{name}]"] = value
    key = SORTS[criteria["sort"]][1]
    if key.lstrip("-") == "title":
        key = key.replace("title", titled.name)
    return ListQuery(draft=True, filters=parse_filters(filters), sort=key, page=criteria["page"], per_page=PER_PAGE,
                     q=criteria["q"] or None, locale=criteria["locale"] or None)


@bp.get("/content/<type_name>")
def entries_list(type_name):
    compiled = _compiled(type_name)
    access = require("entry.read_draft", compiled)
    if compiled.kind == "singleton":
        return redirect(url_for("admin.entry_edit", type_name=type_name, entry_id="singleton"))
    criteria = _criteria(compiled, access)
    titled = title_spec(compiled, access)
    page = services.list_entries(compiled, caller(), _query(compiled, criteria, titled))
    actions = bulk_actions(compiled)
    names = display_names(entry.created_by_id for entry in page.entries)
    opens = entry_form.opener(caller(), compiled)
    rows = [{"entry": entry, "title": compiled.title_of(entry.data), "author": names.get(entry.created_by_id),
             "selectable": bool(actions) and may_act(compiled, entry, actions),
             "opens": opens(entry)} for entry in page.entries]
    total = page.total or 0
    keep = {key: value for key, value in (("q", criteria["q"]), ("status", criteria["status"]),
                                          ("sort", criteria["sort"]), ("locale", criteria["locale"])) if value}
    keep.update({f"f_{name}": value for name, value in criteria["choices"].items()})
    return render("admin/entries/list.html", heading=compiled.label, compiled=compiled, rows=rows, total=total,
                  total_exact=page.total_exact is not False, page=criteria["page"],
                  pages=max(1, -(-total // PER_PAGE)), criteria=criteria, keep=keep, statuses=STATUSES,
                  sorts=[(value, label) for value, (label, _key) in SORTS.items()
                         if titled is not None or "title" not in value],
                  choices=choice_filters(compiled, access), locales=current_locales().codes,
                  actions=[(name, ACTIONS[name]) for name in actions], may_create=allowed("entry.create", compiled))


def _run(action, compiled, entry_id):
    """One bulk step; returns the entry's title (read before a delete)."""
    actor = caller()
    if action == "delete":
        found, entry = services.entries.resolve(compiled.name, entry_id, actor, "entry.read_draft")
        title = found.title_of(entry.data) or entry.id
        services.delete_entry(compiled.name, entry_id, actor)
        return title
    call = services.publish_entry if action == "publish" else services.unpublish_entry
    found, entry = call(compiled.name, entry_id, actor)
    return found.title_of(entry.data) or entry.id


def _title_or_id(compiled, entry_id):
    """The title of an entry whose action was refused, if the user may read it; else its id."""
    try:
        found, entry = services.entries.resolve(compiled.name, entry_id, caller(), "entry.read_draft")
        return found.title_of(entry.data) or entry.id
    except ApiError:
        return entry_id


def reason(error):
    """A refusal's message, naming the fields at fault when there are some."""
    fields = (error.details or {}).get("fields")
    if isinstance(fields, dict) and fields:
        return f"{error.message.rstrip('.')} ({', '.join(sorted(map(str, fields)))})."
    return error.message


PAST = {"publish": "published", "unpublish": "unpublished", "delete": "deleted"}


@bp.post("/content/<type_name>/bulk")
def entries_bulk(type_name):
    compiled = _compiled(type_name)
    require("entry.read_draft", compiled)
    action = request.form.get("action", "")
    ids = list(dict.fromkeys(value for value in request.form.getlist("ids") if value))
    back = {key: request.form[key] for key in ("q", "status", "sort", "locale", "page") if request.form.get(key)}
    back.update({key: value for key, value in request.form.items() if key.startswith("f_") and value})
    if action not in ACTIONS:
        return _back(type_name, back, "Choose an action to apply.", "error")
    if not ids:
        return _back(type_name, back, "Check the entries to apply it to.", "error")
    if len(ids) > MAX_BULK:
        return _back(type_name, back, f"Apply an action to at most {MAX_BULK} entries at a time.", "error")
    if action == "delete" and request.form.get("confirmed") != "yes":
        items = [(entry_id, _title_or_id(compiled, entry_id)) for entry_id in ids]
        noun = "entry" if len(ids) == 1 else "entries"
        return render("admin/entries/bulk_confirm.html", heading=f"Delete {len(ids)} {noun}?", compiled=compiled,
                      items=items, back=back)
    done_titles, refused = [], []
    for entry_id in ids:
        try:
            with db.session.begin_nested():
                done_titles.append(_run(action, compiled, entry_id))
        except ApiError as error:
            refused.append(f"{_shorten(_title_or_id(compiled, entry_id), 60)}: {_shorten(reason(error), 160)}")
    db.session.commit()
    message = f"{len(done_titles)} {PAST[action]}"
    if refused:
        message += f", {len(refused)} refused: " + "; ".join(refused[:MAX_REPORTED])
        if len(refused) > MAX_REPORTED:
            message += f"; and {len(refused) - MAX_REPORTED} more"
    return _back(type_name, back, message + ".", "error" if refused and not done_titles else
                 ("warning" if refused else "success"))


def _shorten(text, length):
    text = str(text).rstrip(".")
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _back(type_name, values, message, category):
    flash(message, category)
    return redirect(url_for("admin.entries_list", type_name=type_name, **values))

