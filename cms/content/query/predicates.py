"""Filters as data: a small predicate structure, and its parser from ``filter[...]`` parameters.

The structure is the Python API other areas reuse (permissions, webhook filters)::

    All((Condition(("views",), "gt", 10), AnyOf((All((Condition(("author", "name"), "eq", "Ann"),)),))))

Values may be native (10, True) or the strings of a query string ("10", "true"); they are
checked against the field's kind when compiled.
"""

import re
from dataclasses import dataclass, field

from cms.core.errors import parameter_error

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "nin", "contains", "icontains", "startswith", "null")
LIST_OPERATORS = frozenset({"in", "nin"})
_KEY = re.compile(r"^filter((?:\[[^\[\]]*\])+)\Z")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_PATH = re.compile(r"^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})*\Z")


@dataclass(frozen=True)
class Condition:
    """``path`` (field names, dotted through relations) ``op`` ``value``."""

    path: tuple
    op: str
    value: object
    param: str | None = field(default=None, compare=False)  # the query parameter it came from, for errors


@dataclass(frozen=True)
class All:
    """Every part holds."""

    parts: tuple = ()


@dataclass(frozen=True)
class AnyOf:
    """At least one group holds."""

    groups: tuple = ()


@dataclass(frozen=True)
class Limits:
    max_depth: int = 3
    max_in: int = 1000
    max_or: int = 20
    max_conditions: int = 50



def parse_filters(args, limits=Limits()):
    """Parse the ``filter[...]`` parameters of a MultiDict into ``All``; raise 400 on anything odd."""
    top, groups, count = [], {}, 0
    for key in args:
        if not key.startswith("filter"):
            continue
        match = _KEY.match(key)
        if not match:
            raise parameter_error(key, "Write filters as filter[field]=value or filter[field][operator]=value.")
        segments = _SEGMENT.findall(match.group(1))
        target = top
        if segments[0] == "or":
            if len(segments) < 3 or not segments[1].isdigit():
                raise parameter_error(key, "Write alternatives as filter[or][0][field][operator]=value.")
            index = int(segments[1])
            if index >= limits.max_or:
                raise parameter_error(key, f"At most {limits.max_or} alternatives (filter[or][0] .. [{limits.max_or - 1}]).")
            target = groups.setdefault(index, [])
            segments = segments[2:]
        if len(segments) not in (1, 2):
            raise parameter_error(key, "Write filters as filter[field]=value or filter[field][operator]=value.")
        path, op = segments[0], segments[1] if len(segments) == 2 else "eq"
        if not _PATH.match(path):
            raise parameter_error(key, f"{path!r} is not a field name or a dotted path of field names.")
        if path.count(".") >= limits.max_depth:
            raise parameter_error(key, f"Paths may cross at most {limits.max_depth - 1} relations.")
        if op not in OPERATORS:
            raise parameter_error(key, f"Unknown operator {op!r}; use one of: {', '.join(OPERATORS)}.")
        values = args.getlist(key)
        if op in LIST_OPERATORS:
            value = tuple(part for raw in values for part in raw.split(","))
            if len(value) > limits.max_in:
                raise parameter_error(key, f"At most {limits.max_in} values.")
        elif len(values) > 1:
            raise parameter_error(key, "Give this filter once.")
        else:
            value = values[0]
        count += 1
        if count > limits.max_conditions:
            raise parameter_error(key, f"At most {limits.max_conditions} filter conditions.")
        target.append(Condition(tuple(path.split(".")), op, value, param=key))
    parts = list(top)
    if groups:
        parts.append(AnyOf(tuple(All(tuple(groups[i])) for i in sorted(groups))))
    return All(tuple(parts))


def conditions(predicate):
    """Yield every Condition inside a predicate."""
    if isinstance(predicate, Condition):
        yield predicate
    elif isinstance(predicate, All):
        for part in predicate.parts:
            yield from conditions(part)
    elif isinstance(predicate, AnyOf):
        for group in predicate.groups:
            yield from conditions(group)
