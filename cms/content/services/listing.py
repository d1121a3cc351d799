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
from cms.content.services.entries import owned_by
from cms.content.services.search import Search
from cms.content.services.types import compiled_type, find_type
from cms.core.caching import cached_count
from cms.core.errors import BadRequest, parameter_error
from cms.core.policy import authorize, content_access
from cms.extensions import db


@dataclass
class Page:
    compiled: object
    entries: list
    total: int | None
    next_cursor: str | None
    fields: tuple | None  # the field names to deliver (the selection within what the caller reads; None: all)
    access: object  # the caller's policy.Access to these entries
    total_exact: bool | None = None  # False: there are more than ``total`` (COUNT_LIMIT)


def readable(actor, draft):
    """Return ``readable(compiled) -> Access``: whether, which fields and whose entries the caller reads."""
    action = "read_draft" if draft else "read"
    found = {}

    def check(compiled):
        if compiled.cache_key not in found:
            found[compiled.cache_key] = content_access(actor, action, compiled)
        return found[compiled.cache_key]

    return check


def dialect_name():
    return db.session.get_bind().dialect.name


def check_fields(compiled, fields, access):
    """Refuse a ``fields`` selection naming unknown fields or fields the caller may not read.

    System keys (``id``, ``status`` ...) may be named; they are delivered anyway.
    """
    if fields is None:
        return None
    unknown = [name for name in fields if name not in SYSTEM_KEYS and (
               name not in compiled.by_name or not access.shows(compiled.by_name[name]))]
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
    access = authorize(actor, "entry.read_draft" if query.draft else "entry.read", compiled)
    state = "draft" if query.draft else "published"
    dialect = dialect_name()
    check = readable(actor, query.draft)
    fields = check_fields(compiled, query.fields, access)
    compiler = PredicateCompiler(compiled, state, dialect, check, lambda name: compiled_type(find_type(name)),
                                 current_app.config["QUERY_MAX_DEPTH"])
    document = compiler.document(Entry)
    keys = paging.parse_sort(query.sort, compiled, access)
    # "own entries only" is part of the SQL: totals and cursors stay right
    where = [Entry.type_id == compiled.id, compiler.where(query.filters), *owned_by(access)]
    if not query.draft:
        where.append(Entry.published_data.is_not(None))
    chain = _chain(compiled, query.locale)
    if chain is not None:
        where.append(best_translation(Entry, chain, published=not query.draft))
    cursors = paging.Cursors(current_app.config["SECRET_KEY"])
    scope = paging.cursor_scope(compiled, state, keys, chain)
    statement = sa.select(Entry).where(*where)
    counted = sa.select(Entry.id).where(*where)
    search = Search(compiled, state, dialect, query.q, access) if query.q is not None else None
    ranked = search is not None and query.sort is None  # with a sort, q only filters
    if ranked and query.cursor is not None:
        raise BadRequest("cursor: use page with q", {"parameters": {"cursor": [
            "Results ranked by relevance page with page, not cursor (or give a sort)."]}})
    if search is not None:
        statement, counted = search.narrow(statement), search.narrow(counted)
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
    total = exact = None
    if query.count:
        total, exact = count_matches(counted, query.draft)
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
    return Page(compiled, rows, total, next_cursor, access.only(compiled, fields), access, exact)


def count_matches(counted, draft):
    """Return ``(total, exact)``: the number of rows ``counted`` selects, counting at most ``COUNT_LIMIT``.

    Beyond the limit the total is the limit and ``exact`` is False ("at least"), so a count never
    scans more than the limit's worth of index entries, whatever the table's size. Published totals
    change only with the content version, so they come from the count cache when it holds them.
    """
    limit = current_app.config["COUNT_LIMIT"]
    if limit:
        counted = counted.limit(limit + 1)
    counter = sa.select(sa.func.count()).select_from(counted.subquery())
    total = db.session.scalar(counter) if draft else cached_count(counter)
    if limit and total > limit:
        return limit, False
    return total, True
