"""Sorting and keyset cursors.

Order: the requested keys, then ``id`` as a tie-break, so every order is total and a cursor
(the sort values of the last row delivered) says exactly where the next page starts, however
many entries were added before it meanwhile. A missing value sorts as the smallest (first
ascending, last descending), the natural order of SQLite's indexes; PostgreSQL is told so
explicitly and its indexes are built to match.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer

from cms.content.models import Entry
from cms.content.query.expressions import spec_value
from cms.content.query.sql import field_kind
from cms.core.errors import BadRequest, parameter_error

SYSTEM_SORT_KEYS = ("id", "created_at", "updated_at", "published_at")
SORTABLE_KINDS = {"text", "number", "boolean", "date", "datetime"}
MAX_SORT_KEYS = 5
MAX_CURSOR_LENGTH = 4096
DEFAULT_SORT = "-created_at"


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool
    spec: object = None  # a FieldSpec, or None for a system column

    @property
    def label(self):
        return ("-" if self.descending else "") + self.name


def parse_sort(raw, compiled, access):
    """Parse ``sort=-published_at,title`` into SortKeys ending with the ``id`` tie-break."""
    raw = DEFAULT_SORT if raw is None else raw
    keys, seen = [], set()
    for part in raw.split(","):
        descending, name = part.startswith("-"), part.removeprefix("-")
        if not name:
            raise parameter_error("sort", "Name the fields to sort by, e.g. sort=-published_at,title.")
        if name in seen:
            raise parameter_error("sort", f"{name!r} is named twice.")
        seen.add(name)
        if name in SYSTEM_SORT_KEYS:
            keys.append(SortKey(name, descending))
            if name == "id":  # ids are unique: keys after it could never matter
                break
            continue
        spec = compiled.by_name.get(name)
        if spec is None or not access.shows(spec):
            raise parameter_error("sort", f"{compiled.name!r} has no field {name!r} you can sort by.")
        if field_kind(spec) not in SORTABLE_KINDS:
            raise parameter_error("sort", f"{name!r} is a {spec.type.name} field and cannot be sorted by.")
        keys.append(SortKey(name, descending, spec))
    if len(keys) > MAX_SORT_KEYS:
        raise parameter_error("sort", f"Sort by at most {MAX_SORT_KEYS} keys.")
    if keys[-1].name != "id":
        keys.append(SortKey("id", keys[-1].descending))
    return tuple(keys)


def sort_expression(key, document, dialect):
    return getattr(Entry, key.name) if key.spec is None else spec_value(document, key.spec, dialect)


def order_by(keys, document, dialect):
    clauses = []
    for key in keys:
        expr = sort_expression(key, document, dialect)
        clause = expr.desc() if key.descending else expr.asc()
        if dialect == "postgresql" and key.name != "id":
            clause = clause.nulls_last() if key.descending else clause.nulls_first()
        clauses.append(clause)
    return clauses


def splits_at_nulls(keys, values):
    """Say whether the rest of a list after ``values`` is best read in two parts.

    Descending from a value, what follows is the smaller values and then the entries without a
    value (they sort last). "Smaller, or missing" is not a range an index can seek to, so the
    list reads ``after(..., nulls=False)`` (a range) and, when that runs out, ``missing(keys)``.
    """
    return keys[0].descending and values[0] is not None


def missing(keys, document, dialect):
    """The entries without a value for the first sort key: the tail of a descending order."""
    return sort_expression(keys[0], document, dialect).is_(None)


def after(keys, values, document, dialect, nulls=True):
    """Return the condition "comes after the row whose sort values are ``values``".

    ``nulls=False`` leaves out the entries without a first sort value (see ``splits_at_nulls``).
    """
    # SQLAlchemy refuses to order-compare a bare True/False; as bound values they compare like others
    values = [sa.literal(value, sa.Boolean) if isinstance(value, bool) else value for value in values]
    alternatives, equal_so_far = [], []
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        expr = sort_expression(key, document, dialect)
        alternatives.append(sa.and_(*equal_so_far, _beyond(expr, value, key.descending, nulls or index > 0)))
        equal_so_far.append(expr.is_(None) if value is None else expr == value)
    condition = sa.or_(*alternatives)
    first, value = keys[0], values[0]
    if value is not None and (not first.descending or not nulls):  # lets an index range-scan from the cursor on
        bound = sort_expression(first, document, dialect)
        condition = sa.and_(bound <= value if first.descending else bound >= value, condition)
    return condition


def _beyond(expr, value, descending, nulls=True):
    if descending:
        if value is None:
            return sa.false()
        return sa.or_(expr < value, expr.is_(None)) if nulls else expr < value
    return expr.is_not(None) if value is None else expr > value


def row_values(entry, keys, document_of):
    """Return the sort values of a row (JSON-safe), for its cursor."""
    values = []
    for key in keys:
        if key.spec is None:
            value = getattr(entry, key.name)
            values.append(value.isoformat() if isinstance(value, datetime) else value)
        else:
            values.append((document_of(entry) or {}).get(key.spec.id))
    return values


def cursor_scope(compiled, state, keys, chain=None):
    """Return what a cursor is bound to: type, state, sort (fields by id: a namesake field is another
    key) and the locale chain of a localized list."""
    labels = ",".join(key.label + ("" if key.spec is None else f"@{key.spec.id}") for key in keys)
    scope = f"{compiled.id}:{compiled.name}:{state}:{labels}"
    return scope if chain is None else f"{scope}:{'>'.join(chain)}"


class Cursors:
    """Signed, opaque cursors bound to one type, state and sort."""

    def __init__(self, secret):
        self.serializer = URLSafeSerializer(secret, salt="folio.cursor")

    def encode(self, scope, values):
        return self.serializer.dumps({"s": scope, "v": values})

    def decode(self, token, scope, keys):
        message = "The cursor is not valid for this list; start again without it."
        if not isinstance(token, str) or len(token) > MAX_CURSOR_LENGTH:
            raise BadRequest(message, {"parameters": {"cursor": [message]}})
        try:
            payload = self.serializer.loads(token)
        except BadSignature:
            raise BadRequest(message, {"parameters": {"cursor": [message]}}) from None
        if not isinstance(payload, dict) or payload.get("s") != scope or len(payload.get("v") or ()) != len(keys):
            raise BadRequest(message, {"parameters": {"cursor": [message]}})
        values = list(payload["v"])
        for index, key in enumerate(keys):
            if key.spec is None and key.name != "id" and values[index] is not None:
                values[index] = datetime.fromisoformat(values[index])
        return values
