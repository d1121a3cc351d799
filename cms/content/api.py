"""HTTP API of the content area: /api/content-types and /api/content.

Each view parses the request, calls one service, commits, and serializes the result.
"""

import hashlib
import json

import sqlalchemy as sa
from flask import Blueprint, current_app, request
from flask_login import current_user

from cms.content import services
from cms.content.models import Entry
from cms.content.query.params import (
    ENTRY_PARAMETERS,
    check_names,
    parse_fields,
    parse_list_query,
    parse_status,
)
from cms.content.locales import requested_chain
from cms.content.schemas import entry_out, load_schedule, parse_bool, revision_out, translation_out, type_out
from cms.content.services.population import plan_population, populate
from cms.core import caching
from cms.core.errors import ApiError
from cms.core.http import if_match_version, int_arg, json_body, query_args
from cms.extensions import db

bp = Blueprint("content_api", __name__, url_prefix="/api")


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"


def _actor():
    return current_user._get_current_object()


def _respond(payload, status=200, etag_version=None):
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    response = current_app.response_class(body, status=status, mimetype="application/json")
    if etag_version is not None:
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        response.set_etag(f"{etag_version}-{digest}")
    return response


# -- content types ---------------------------------------------------------------------------

@bp.get("/content-types")
def list_types():
    query_args(())
    rows = services.list_types(_actor())
    counts = dict(db.session.execute(sa.select(Entry.type_id, sa.func.count()).group_by(Entry.type_id)).all())
    return _respond({"data": [type_out(row, counts.get(row.id, 0)) for row in rows]})


@bp.post("/content-types")
def create_type():
    query_args(())
    row = services.create_type(json_body(), _actor())
    db.session.commit()
    return _respond({"data": type_out(row, 0)}, 201)


@bp.get("/content-types/<name>")
def get_type(name):
    query_args(())
    row = services.get_type(name, _actor())
    return _respond({"data": type_out(row, services.types.count_entries(row))})


@bp.route("/content-types/<name>", methods=["PUT", "PATCH"])
def update_type(name):
    args = query_args(("dry_run",))
    dry_run = parse_bool(args, "dry_run")
    row, report = services.update_type(name, json_body(), _actor(), partial=request.method == "PATCH")
    payload = {"data": type_out(row, services.types.count_entries(row)), "meta": {**report, "dry_run": dry_run}}
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    return _respond(payload)


@bp.delete("/content-types/<name>")
def delete_type(name):
    args = query_args(("force",))
    services.delete_type(name, _actor(), force=parse_bool(args, "force"))
    db.session.commit()
    return "", 204


# -- entries -----------------------------------------------------------------------------------

def _entry_response(compiled, entry, draft=True, status=200, fields=None, tree=(), chain=None):
    access = services.entries.reading(_actor(), compiled, draft)
    version = entry.version if draft else entry.published_version
    body = {"data": entry_out(compiled, entry, draft, access.private, services.entries.shown(access, compiled, fields))}
    populate(tree, [body["data"]], draft, chain)
    caching.deliver(entries=[body["data"]])
    caching.deliver_populated(tree, [body["data"]])
    return _respond(body, status, etag_version=version)


@bp.get("/content/<type_name>")
def list_or_singleton(type_name):
    compiled = services.compiled_type(services.types.find_type(type_name))
    if compiled.kind == "singleton":
        return _read_entry(type_name, None)
    query = parse_list_query(request.args, current_app.config, request.query_string)
    chain = requested_chain(query.locale)
    tree = plan_population(request.args, compiled, _actor(), query.draft, query.fields)
    page = services.list_entries(compiled, _actor(), query)
    data = [entry_out(page.compiled, entry, query.draft, page.access.private, page.fields) for entry in page.entries]
    populate(tree, data, query.draft, chain)
    caching.deliver(entries=data, types=(page.compiled.name,))
    caching.deliver_populated(tree, data)
    meta = {"total": page.total, "total_exact": page.total_exact, "page": None if query.cursor else query.page,
            "per_page": query.per_page, "next_cursor": page.next_cursor}
    return _respond({"data": data, "meta": meta})


@bp.get("/content/<type_name>/<entry_id>")
def get_entry(type_name, entry_id):
    return _read_entry(type_name, entry_id)


def _read_entry(type_name, entry_id):
    check_names(request.args, ENTRY_PARAMETERS, request.query_string)
    draft = parse_status(request.args)
    chain = requested_chain(request.args.get("locale"))
    compiled, entry = services.get_entry(type_name, entry_id, _actor(), draft=draft, chain=chain)
    access = services.entries.reading(_actor(), compiled, draft)
    fields = services.listing.check_fields(compiled, parse_fields(request.args), access)
    tree = plan_population(request.args, compiled, _actor(), draft, fields)
    return _entry_response(compiled, entry, draft, fields=fields, tree=tree, chain=chain)


@bp.post("/content/<type_name>")
def create_entry(type_name):
    args = query_args(("locale",))
    compiled, entry = services.create_entry(type_name, json_body(), _actor(), locale=args.get("locale"))
    db.session.commit()
    return _entry_response(compiled, entry, status=201)


def _address(entry_id, *allowed):
    """Return ``(query args, locale)``: a singleton's URL takes ``locale`` to pick a translation."""
    args = query_args(allowed + (("locale",) if entry_id is None else ()))
    return args, args.get("locale")


def _write(type_name, entry_id, merge):
    _args, locale = _address(entry_id)
    payload = json_body()
    created = entry_id is None and services.entries.resolve(type_name, None, _actor(), "entry.update", locale)[1] is None
    compiled, entry = services.update_entry(type_name, entry_id, payload, _actor(),
                                            expected_version=if_match_version(), merge=merge, locale=locale)
    db.session.commit()
    return _entry_response(compiled, entry, status=201 if created else 200)


def _collection_only(type_name):
    if services.compiled_type(services.types.find_type(type_name)).kind != "singleton":
        raise MethodNotAllowed(f"{type_name!r} is a collection: write to /api/content/{type_name}/<id>.",
                               headers={"Allow": "GET, POST"})


@bp.put("/content/<type_name>")
def replace_singleton(type_name):
    _collection_only(type_name)
    return _write(type_name, None, merge=False)


@bp.patch("/content/<type_name>")
def patch_singleton(type_name):
    _collection_only(type_name)
    return _write(type_name, None, merge=True)


@bp.delete("/content/<type_name>")
def delete_singleton(type_name):
    _collection_only(type_name)
    return delete_entry(type_name, None)


@bp.put("/content/<type_name>/<entry_id>")
def replace_entry(type_name, entry_id):
    return _write(type_name, entry_id, merge=False)


@bp.patch("/content/<type_name>/<entry_id>")
def patch_entry(type_name, entry_id):
    return _write(type_name, entry_id, merge=True)


@bp.delete("/content/<type_name>/<entry_id>")
def delete_entry(type_name, entry_id):
    _args, locale = _address(entry_id)
    services.delete_entry(type_name, entry_id, _actor(), expected_version=if_match_version(), locale=locale)
    db.session.commit()
    return "", 204


def _both(rule, **options):
    """Register a view for a collection entry URL and for the singleton's type URL."""

    def decorator(view):
        bp.add_url_rule(f"/content/<type_name>/<entry_id>{rule}", view_func=view, **options)
        bp.add_url_rule(f"/content/<type_name>{rule}", view_func=view, defaults={"entry_id": None}, **options)
        return view

    return decorator


@_both("/publish", methods=["POST"])
def publish_entry(type_name, entry_id):
    _args, locale = _address(entry_id)
    compiled, entry = services.publish_entry(type_name, entry_id, _actor(), expected_version=if_match_version(),
                                             locale=locale)
    db.session.commit()
    return _entry_response(compiled, entry)


@_both("/unpublish", methods=["POST"])
def unpublish_entry(type_name, entry_id):
    _args, locale = _address(entry_id)
    compiled, entry = services.unpublish_entry(type_name, entry_id, _actor(), expected_version=if_match_version(),
                                               locale=locale)
    db.session.commit()
    return _entry_response(compiled, entry)


@_both("/schedule", methods=["GET", "POST", "DELETE"])
def entry_schedule(type_name, entry_id):
    """Publish and/or unpublish later (``folio worker`` runs it): ``{"publish_at", "unpublish_at"}``."""
    from cms.content.services import schedules

    _args, locale = _address(entry_id)
    if request.method == "GET":
        _compiled, _entry, schedule = schedules.get_schedule(type_name, entry_id, _actor(), locale=locale)
        return {"data": schedules.schedule_out(schedule)}
    if request.method == "DELETE":
        schedules.clear_schedule(type_name, entry_id, _actor(), locale=locale)
        db.session.commit()
        return "", 204
    times = load_schedule(json_body())
    _compiled, _entry, schedule = schedules.set_schedule(type_name, entry_id, _actor(), locale=locale, **times)
    db.session.commit()
    return {"data": schedules.schedule_out(schedule)}


@_both("/revisions", methods=["GET"])
def list_revisions(type_name, entry_id):
    _args, locale = _address(entry_id)
    _compiled, _entry, rows = services.list_revisions(type_name, entry_id, _actor(), locale=locale)
    return _respond({"data": [revision_out(row) for row in rows], "meta": {"total": len(rows)}})


@_both("/revisions/<int:number>", methods=["GET"])
def get_revision(type_name, entry_id, number):
    _args, locale = _address(entry_id)
    compiled, _entry, row = services.get_revision(type_name, entry_id, number, _actor(), locale=locale)
    return _respond({"data": revision_out(row, compiled, services.entries.reading(_actor(), compiled, draft=True))})


@_both("/revisions/<int:number>/diff", methods=["GET"])
def diff_revision(type_name, entry_id, number):
    args, locale = _address(entry_id, "against")
    against = int_arg(args, "against", None, 1, 2**31) if "against" in args else None
    return _respond({"data": services.diff_revisions(type_name, entry_id, number, _actor(), against, locale=locale)})


@_both("/revisions/<int:number>/restore", methods=["POST"])
def restore_revision(type_name, entry_id, number):
    _args, locale = _address(entry_id)
    compiled, entry = services.restore_revision(type_name, entry_id, number, _actor(),
                                                expected_version=if_match_version(), locale=locale)
    db.session.commit()
    return _entry_response(compiled, entry)


@_both("/translations", methods=["GET"])
def list_translations(type_name, entry_id):
    """Every translation of an entry: ``{id, locale, status, version, updated_at}``, default locale first."""
    args = query_args(("status",))
    draft = parse_status(args)
    compiled, rows = services.list_translations(type_name, entry_id, _actor(), draft=draft)
    data = [translation_out(compiled, row, draft) for row in rows]
    caching.deliver(entries=data)
    return _respond({"data": data, "meta": {"total": len(data)}})


@_both("/translations/<locale>", methods=["POST"])
def create_translation(type_name, entry_id, locale):
    query_args(())
    compiled, entry = services.create_translation(type_name, entry_id, locale, json_body(), _actor())
    db.session.commit()
    return _entry_response(compiled, entry, status=201)
