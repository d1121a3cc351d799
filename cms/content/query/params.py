"""A list request's query string, checked for shape: ``ListQuery``.

What needs the content type (field names, sort keys, filter paths) is checked by the service.
"""

import re
from dataclasses import dataclass, field

from cms.content.query.predicates import All, Limits, parse_filters
from cms.core.errors import BadRequest, parameter_error
from cms.core.http import bool_arg, int_arg

LIST_PARAMETERS = frozenset({"status", "page", "per_page", "cursor", "sort", "fields", "count", "populate", "filter",
                             "q", "locale"})
ENTRY_PARAMETERS = frozenset({"status", "fields", "populate", "locale"})
_FIELD_LIST = re.compile(r"^[a-z][a-z0-9_]{0,63}(,[a-z][a-z0-9_]{0,63})*\Z")
MAX_QUERY_STRING = 8192
MAX_Q = 200


@dataclass(frozen=True)
class ListQuery:
    """What a client asked a list for. Also a Python API: build one to list entries in code."""

    draft: bool = False
    filters: All = field(default_factory=All)
    sort: str | None = None
    page: int = 1
    per_page: int = 25
    cursor: str | None = None
    fields: tuple | None = None
    count: bool = True
    q: str | None = None  # full-text search (services/search.py)
    locale: str | None = None  # a configured locale (read along its fallback chain), "*" (all), None (default)



def check_names(args, allowed, query_string=b""):
    """Refuse unknown parameters, repeated ones and over-long query strings with 400."""
    if len(query_string) > MAX_QUERY_STRING:
        raise BadRequest(f"The query string is longer than {MAX_QUERY_STRING} bytes.")
    unknown = sorted(name for name in args if name not in allowed and not _bracketed(name, allowed))
    if unknown:
        raise BadRequest("Unknown query parameters: " + ", ".join(unknown) + ".",
                         {"parameters": {name: ["Unknown parameter."] for name in unknown}})
    for name in allowed:
        if len(args.getlist(name)) > 1:
            raise parameter_error(name, "Give this parameter once.")


def _bracketed(name, allowed):
    """``filter[...]`` and ``populate[...]`` names, where ``filter`` / ``populate`` are allowed."""
    base = name.split("[", 1)[0]
    return base in {"filter", "populate"} and base in allowed and name != base


def parse_status(args):
    value = args.get("status", "published")
    if value not in {"published", "draft"}:
        raise parameter_error("status", "Use published or draft.")
    return value == "draft"


def parse_fields(args):
    value = args.get("fields")
    if value is None:
        return None
    if not _FIELD_LIST.match(value):
        raise parameter_error("fields", "List field names separated by commas, e.g. fields=title,slug.")
    return tuple(dict.fromkeys(value.split(",")))


def check_q(value):
    """Return a search text that is usable, or raise 400 (blank, too long, NUL, not text)."""
    if not isinstance(value, str) or not value.strip():
        raise parameter_error("q", "Give the words to search for.")
    if len(value) > MAX_Q:
        raise parameter_error("q", f"Search for at most {MAX_Q} characters.")
    if "\x00" in value:
        raise parameter_error("q", "NUL characters are not allowed.")
    return value


def parse_list_query(args, config, query_string=b""):
    """Return the ListQuery of a request's arguments (a MultiDict); raise 400 for any misuse."""
    check_names(args, LIST_PARAMETERS, query_string)
    if "cursor" in args and "page" in args:
        raise parameter_error("cursor", "Use either page or cursor, not both.")
    limits = Limits(max_depth=config["QUERY_MAX_DEPTH"], max_in=config["QUERY_MAX_IN"],
                    max_or=config["QUERY_MAX_OR"])
    return ListQuery(
        draft=parse_status(args),
        filters=parse_filters(args, limits),
        sort=args.get("sort"),
        page=int_arg(args, "page", 1, 1, 1_000_000),
        per_page=int_arg(args, "per_page", config["PER_PAGE_DEFAULT"], 1, config["PER_PAGE_MAX"]),
        cursor=args.get("cursor"),
        fields=parse_fields(args),
        count=bool_arg(args, "count", True),
        q=check_q(args["q"]) if "q" in args else None,
        locale=args.get("locale"),
    )
