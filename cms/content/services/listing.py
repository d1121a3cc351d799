"""Listing entries: filters, sort, offset or keyset pages, field selection, counts."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from cms.content.definitions import SYSTEM_KEYS
from cms.content.compiled import CompiledType
from cms.content.locales import ALL, best_translation, current_locales, requested_chain
from cms.content.models import Entry
from cms.content.query import paging
from cms.content.query.params import ListQuery
from cms.content.query.sql import PredicateCompiler
from cms.content.services.search import Search
from cms.content.services.types import compiled_type, find_type
from cms.core.caching import cached_count
from cms.core.errors import BadRequest, parameter_error
from cms.core.policy import authorize, can
from cms.extensions import db


@dataclass
class Page:
    compiled: object
    entries: list
    total: int | None
    next_cursor: str | None
    fields: tuple | None


def readable(actor, draft):
    """Return ``readable(compiled) -> (may read its entries, may see its private fields)``."""
    action = "entry.read_draft" if draft else "entry.read"

    def check(compiled):
        return can(actor, action, compiled), can(actor, "entry.read_draft", compiled)

    return check


def dialect_name():
    return db.session.get_bind().dialect.name


def check_fields(compiled, fields, private_ok):
    """Refuse a ``fields`` selection naming unknown (or, for the public, private) fields.

    System keys (``id``, ``status`` ...) may be named; they are delivered anyway.
    """
    if fields is None:
        return None
    unknown = [name for name in fields if name not in SYSTEM_KEYS and (
               name not in compiled.by_name or (compiled.by_name[name]["private"] and not private_ok))]
    if unknown:
        message = f"{compiled.name!r} has no field(s) {', '.join(unknown)}."
        raise parameter_error("fields", message)
    return fields


def _chain(compiled, locale):
    """Return the locale chain a list of ``compiled`` is narrowed by, or None for every entry.

    Types that are not localized have one entry per group whatever the locale asked for; a
    localized type read without a locale is read in the default locale.
    """
    chain = requested_chain(locale)  # refuses a locale that is not configured, even for such types
    if not compiled.localized or chain == ALL:
        return None
    return chain or current_locales().chain(current_locales().default)


def list_entries(content_type, actor, query=None):
    """Return one Page of a type's entries as ``query`` (a ListQuery) asks.

    ``content_type`` is a type name, or the CompiledType a caller already holds (saves a lookup).
    """
    query = query or ListQuery()
    if query.page < 1 or query.per_page < 1:
        raise BadRequest("page and per_page start at 1.", {"parameters": {"page": ["Use 1 or more."]}
                         if query.page < 1 else {"per_page": ["Use 1 or more."]}})
    compiled = content_type if isinstance(content_type, CompiledType) else compiled_type(find_type(content_type))
    authorize(actor, "entry.read_draft" if query.draft else "entry.read", compiled)
    state = "draft" if query.draft else "published"
    dialect = dialect_name()
    check = readable(actor, query.draft)
    private_ok = check(compiled)[1]
    fields = check_fields(compiled, query.fields, private_ok)
    compiler = PredicateCompiler(compiled, state, dialect, check, lambda name: compiled_type(find_type(name)),
                                 current_app.config["QUERY_MAX_DEPTH"])
    document = compiler.document(Entry)
    keys = paging.parse_sort(query.sort, compiled, private_ok)
    where = [Entry.type_id == compiled.id, compiler.where(query.filters)]
    if not query.draft:
        where.append(Entry.published_data.is_not(None))
    chain = _chain(compiled, query.locale)
    if chain is not None:
        where.append(best_translation(Entry, chain, published=not query.draft))
    cursors = paging.Cursors(current_app.config["SECRET_KEY"])
    scope = paging.cursor_scope(compiled, state, keys, chain)
    statement = sa.select(Entry).where(*where)
    counter = sa.select(sa.func.count()).select_from(Entry).where(*where)
    search = Search(compiled, state, dialect, query.q) if query.q is not None else None
    ranked = search is not None and query.sort is None  # with a sort, q only filters
    if ranked and query.cursor is not None:
        raise BadRequest("cursor: use page with q", {"parameters": {"cursor": [
            "Results ranked by relevance page with page, not cursor (or give a sort)."]}})
    if search is not None:
        statement, counter = search.narrow(statement), search.narrow(counter)
    tail = None  # a second statement for what follows the first one's rows (see paging.splits_at_nulls)
    if query.cursor is not None:  # checked before any entry is read
        values = cursors.decode(query.cursor, scope, keys)
        if paging.splits_at_nulls(keys, values):
            tail = statement.where(paging.missing(keys, document, dialect))
            statement = statement.where(paging.after(keys, values, document, dialect, nulls=False))
        else:
            statement = statement.where(paging.after(keys, values, document, dialect))
    else:
        statement = statement.offset((query.page - 1) * query.per_page)
    total = None
    if query.count:  # published totals change only with the content version: cacheable
        total = db.session.scalar(counter) if query.draft else cached_count(counter)
    order = search.order if ranked else paging.order_by(keys, document, dialect)
    rows = db.session.scalars(statement.order_by(*order).limit(query.per_page + 1)).all()
    if tail is not None and len(rows) <= query.per_page:
        rows += db.session.scalars(tail.order_by(*order).limit(query.per_page + 1 - len(rows))).all()
    next_cursor = None
    if len(rows) > query.per_page:
        rows = rows[: query.per_page]
        document_of = (lambda e: e.data) if query.draft else (lambda e: e.published_data)
        if not ranked:
            next_cursor = cursors.encode(scope, paging.row_values(rows[-1], keys, document_of))
    return Page(compiled, rows, total, next_cursor, fields)
