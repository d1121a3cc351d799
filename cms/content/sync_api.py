"""HTTP API of the sync feed: GET /api/sync, the published changes since a token."""

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_login import current_user

from cms.content.models import ContentType
from cms.content.schemas import entry_out
from cms.content.services import sync
from cms.content.services.entries import shown
from cms.core import caching
from cms.core.errors import BadRequest
from cms.core.http import int_arg, query_args
from cms.extensions import db

bp = Blueprint("sync_api", __name__, url_prefix="/api")

LIMIT_DEFAULT, LIMIT_MAX = 100, 1000


def parse_types(args):
    """Return the type names of ``types=a,b`` (None when absent); empty names are 400."""
    value = args.get("types")
    if value is None:
        return None
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise BadRequest("types must be a comma-separated list of content type names.",
                         {"parameters": {"types": ["Name at least one type; no empty names."]}})
    return list(dict.fromkeys(names))


@bp.get("/sync")
def read_sync():
    args = query_args(("since", "types", "limit"))
    position = sync.decode_token(args["since"]) if "since" in args else 0
    type_names = parse_types(args)
    limit = int_arg(args, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
    actor = current_user._get_current_object()
    page = sync.read_changes(actor, position, type_names, limit)
    entries = [entry_out(compiled, entry, False, access.private, shown(access, compiled))
               for compiled, entry, access in page["entries"]]
    caching.deliver(entries=entries + page["deleted"],
                    types=type_names or [caching.TYPES_KEY, *db.session.scalars(sa.select(ContentType.name))])
    return jsonify({
        "data": {"entries": entries, "deleted": page["deleted"]},
        "meta": {"next_token": sync.encode_token(page["position"]), "has_more": page["has_more"]},
    })
