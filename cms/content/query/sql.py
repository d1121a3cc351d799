"""Compile predicates to SQLAlchemy conditions on the entries table.

Every path is resolved against the content type before any SQL is built: unknown fields,
fields the caller may not read (private ones, or outside a permission's field list), relation hops into types the caller may not read, and
operators that do not fit a field's kind are refused with 400.
"""

import dataclasses
import math
import operator
import re
import string
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from marshmallow import ValidationError
from sqlalchemy.orm import aliased

from cms.content.fields.references import ID_PATTERN
from cms.content.fields.temporal import parse_date, parse_datetime
from cms.content.models import Entry, EntryRelation
from cms.content.query.expressions import spec_value, value_kind
from cms.content.query.predicates import All, AnyOf, Condition
from cms.core.db import isoformat
from cms.core.errors import parameter_error

COMPARISONS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "nin", "null")
OPERATORS_BY_KIND = {
    "text": COMPARISONS + ("contains", "icontains", "startswith"),
    "number": COMPARISONS,
    "date": COMPARISONS,
    "datetime": COMPARISONS,
    "timestamp": COMPARISONS,
    "boolean": ("eq", "ne", "null"),
    "reference": ("eq", "ne", "in", "nin", "null"),
    "media": ("eq", "ne", "in", "nin", "null"),
    "status": ("eq", "ne", "in", "nin"),
}
SYSTEM_KINDS = {
    "id": "text", "locale": "text", "status": "status",
    "created_at": "timestamp", "updated_at": "timestamp", "published_at": "timestamp",
}
STATUSES = ("draft", "published", "changed")
_NUMBER = re.compile(r"^-?[0-9]{1,30}(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?\Z")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
MILLISECOND = timedelta(milliseconds=1)


def field_kind(spec):
    """Return the filter kind of a field spec, or None when it cannot be filtered on."""
    name = spec.type.name
    if name == "relation":
        return "reference"
    if name == "media":  # stored as the id itself (many: a list of ids, not comparable)
        return None if spec["many"] else "media"
    if name in {"date", "datetime"}:
        return name
    if name in {"json", "component", "blocks"}:
        return None
    return value_kind(spec)


class PredicateCompiler:
    """Turn predicates into SQL for one content type, one state and one caller."""

    def __init__(self, compiled, state, dialect, readable, load_type, max_depth=3):
        self.compiled, self.state, self.dialect = compiled, state, dialect
        self.readable = readable  # readable(compiled) -> policy.Access (allowed, fields shown, owner)
        self.load_type = load_type  # load_type(name) -> compiled type
        self.max_depth = max_depth

    def where(self, predicate, entry=Entry):
        return self._node(predicate, entry)

    def _node(self, node, entry):
        if isinstance(node, Condition):
            return self._condition(node, self.compiled, entry, node.path)
        if isinstance(node, All):
            return sa.and_(sa.true(), *(self._node(part, entry) for part in node.parts))
        if isinstance(node, AnyOf):
            return sa.or_(sa.false(), *(self._node(group, entry) for group in node.groups))
        raise TypeError(f"not a predicate: {node!r}")

    def document(self, entry):
        return entry.published_data if self.state == "published" else entry.data

    def _condition(self, cond, compiled, entry, path, depth=0):
        key = cond.param or f"filter[{'.'.join(cond.path)}][{cond.op}]"
        name = path[0]
        if name in SYSTEM_KINDS and len(path) == 1:
            if name == "status" and self.state == "published":
                raise parameter_error(key, "status can only be filtered on with status=draft.")
            kind = SYSTEM_KINDS[name]
            value = _coerce(kind, cond.op, cond.value, key)
            if kind == "timestamp":
                return compare_moment(getattr(entry, name), cond.op, value)
            return compare(getattr(entry, name), cond.op, value, self.dialect)
        spec = compiled.by_name.get(name)
        if spec is None or not self.readable(compiled).shows(spec):
            raise parameter_error(key, f"{compiled.name!r} has no field {name!r} you can filter on.")
        if len(path) > 1:
            positive = _positive(cond, key) if depth == 0 else cond
            if positive is not cond:  # "no related value matches", so entries without one qualify too
                return sa.not_(self._hop(positive, spec, entry, path, depth, key))
            return self._hop(cond, spec, entry, path, depth, key)
        kind = field_kind(spec)
        if kind is None:
            raise parameter_error(key, f"{name!r} is a {spec.type.name} field and cannot be filtered on.")
        value = _coerce(kind, cond.op, cond.value, key, spec)
        if kind == "reference":
            return self._references(spec, entry, cond.op, value)
        return compare(spec_value(self.document(entry), spec, self.dialect), cond.op, value, self.dialect)

    def _hop(self, cond, spec, entry, path, depth, key):
        if spec.type.name != "relation":
            raise parameter_error(key, f"{spec.name!r} is not a relation; only relations can be followed with a dot.")
        if depth + 1 >= self.max_depth:
            raise parameter_error(key, f"Paths may cross at most {self.max_depth - 1} relations.")
        target_type = self.load_type(spec["target"])
        access = self.readable(target_type)
        if not access.allowed:
            raise parameter_error(key, f"You cannot filter on entries of {target_type.name!r}.")
        target, link = aliased(Entry), aliased(EntryRelation)
        inner = self._condition(cond, target_type, target, path[1:], depth + 1)
        mine = [] if access.owner is None else [target.created_by_id == access.owner]
        return sa.exists(
            sa.select(sa.literal(1)).select_from(link).join(target, target.id == link.target_id)
            .where(link.source_id == entry.id, link.state == self.state, link.field_id == spec.id,
                   self.document(target).is_not(None), inner, *mine)
        )

    def _references(self, spec, entry, op, value):
        link = aliased(EntryRelation)
        rows = sa.select(sa.literal(1)).select_from(link).where(
            link.source_id == entry.id, link.state == self.state, link.field_id == spec.id
        )
        if op == "null":
            return ~sa.exists(rows) if value else sa.exists(rows)
        targets = value if op in {"in", "nin"} else (value,)
        found = sa.exists(rows.where(link.target_id.in_(targets)))
        return ~found if op in {"ne", "nin"} else found



def _positive(cond, key):
    """Return the condition ``cond`` negates (ne -> eq, nin -> in, null=true -> null=false), or ``cond``."""
    if cond.op in {"ne", "nin"}:
        return dataclasses.replace(cond, op={"ne": "eq", "nin": "in"}[cond.op], param=key)
    if cond.op == "null" and _boolean(cond.value, key):
        return dataclasses.replace(cond, value=False, param=key)
    return cond


def _coerce(kind, op, raw, key, spec=None):
    """Check and convert a filter value for ``kind`` (a tuple for in/nin, a bool for null)."""
    if op not in OPERATORS_BY_KIND[kind]:
        allowed = ", ".join(OPERATORS_BY_KIND[kind])
        raise parameter_error(key, f"The operator {op!r} does not apply here; use one of: {allowed}.")
    if op == "null":
        return _boolean(raw, key)
    if op in {"in", "nin"}:
        values = raw if isinstance(raw, list | tuple) else (raw,)
        return tuple(_one(kind, value, key, spec) for value in values)
    if op in {"contains", "icontains", "startswith"} and (not isinstance(raw, str) or not raw):
        raise parameter_error(key, "Give a non-empty text.")
    return _one(kind, raw, key, spec)


def _boolean(raw, key):
    if raw in (True, "true", "1"):
        return True
    if raw in (False, "false", "0"):
        return False
    raise parameter_error(key, "Use true or false.")


def _one(kind, raw, key, spec):
    if kind == "boolean":
        return _boolean(raw, key)
    if kind == "number":
        return _number(raw, key)
    if kind in {"date", "datetime", "timestamp"} and isinstance(raw, date):
        raw = raw.isoformat()  # native values from the Python API; a naive datetime is UTC
    if not isinstance(raw, str):
        raise parameter_error(key, f"{raw!r} is not text.")
    if "\x00" in raw:
        raise parameter_error(key, "NUL characters are not allowed.")
    try:
        if kind == "date":
            return parse_date(raw).isoformat()
        if kind == "datetime":
            return isoformat(parse_datetime(raw))
        if kind == "timestamp":  # to the millisecond, as delivered
            moment = parse_datetime(raw)
            return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    except ValidationError as exc:
        raise parameter_error(key, " ".join(exc.messages)) from None
    if kind in {"reference", "media"} and not ID_PATTERN.match(raw):
        raise parameter_error(key, f"{raw!r} is not an entry id.")
    if kind == "status" and raw not in STATUSES:
        raise parameter_error(key, f"Use one of: {', '.join(STATUSES)}.")
    if len(raw) > 1000:
        raise parameter_error(key, "Values are at most 1,000 characters.")
    return raw


def _number(raw, key):
    if isinstance(raw, Decimal):
        raw = str(raw)
    if isinstance(raw, bool) or not (isinstance(raw, int | float) or (isinstance(raw, str) and _NUMBER.match(raw))):
        raise parameter_error(key, f"{raw!r} is not a number.")
    if isinstance(raw, str):
        number = int(raw) if raw.lstrip("-").isdigit() else float(raw)
    else:
        number = raw
    if (isinstance(number, int) and abs(number) >= 2**63) or (isinstance(number, float) and not math.isfinite(number)):
        raise parameter_error(key, f"{raw!r} is out of range.")
    return number


ORDERINGS = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}


def compare(expr, op, value, dialect):
    """Return ``expr <op> value``; ``ne`` and ``nin`` also match missing values."""
    if op == "null":
        return expr.is_(None) if value else expr.is_not(None)
    if op == "eq":
        return expr == value
    if op == "ne":
        return sa.or_(expr.is_(None), expr != value)
    if op == "in":
        return expr.in_(value)
    if op == "nin":
        return sa.or_(expr.is_(None), expr.not_in(value))
    if op in ORDERINGS:
        return ORDERINGS[op](expr, value)
    if op == "icontains":  # both engines lower only A-Z here (PostgreSQL under COLLATE "C"), so must we
        return sa.func.lower(expr).contains(value.translate(_ASCII_LOWER), autoescape=True)
    # SQLite's LIKE ignores case, so the case-sensitive operators avoid it there
    if op == "contains":
        return sa.func.instr(expr, value) > 0 if dialect == "sqlite" else expr.contains(value, autoescape=True)
    if op == "startswith":
        if dialect == "sqlite":
            return sa.func.substr(expr, 1, len(value)) == value
        return expr.startswith(value, autoescape=True)
    raise AssertionError(op)


def compare_moment(column, op, value):
    """Compare a system timestamp at the millisecond the API delivers: ``value`` means [value, value + 1 ms)."""
    if op == "null":
        return column.is_(None) if value else column.is_not(None)
    values = value if op in {"in", "nin"} else (value,)
    within = sa.or_(sa.false(), *(sa.and_(column >= moment, column < moment + MILLISECOND) for moment in values))
    if op in {"eq", "in"}:
        return within
    if op in {"ne", "nin"}:
        return sa.or_(column.is_(None), sa.not_(within))
    return {"lt": column < value, "lte": column < value + MILLISECOND,
            "gt": column >= value + MILLISECOND, "gte": column >= value}[op]
