"""The sitemap: published entries of the types named in SEO_URL_PATTERNS, as the Public role sees them.

A pattern maps a content type to the public URL of its entries, e.g.
``{"article": "https://example.com/blog/{slug}"}``; placeholders are field names, ``id`` or
``locale``. Entries whose seo field says ``noindex``, or that lack a value the pattern needs, are
left out in SQL, so counts are exact and the rows are read in keyset batches of BATCH: a sitemap
of 50,000 URLs never holds more than one batch in memory, and it takes a few queries plus one per
batch, never one per entry.
"""

import math
import re
import string
from dataclasses import dataclass, field
from datetime import UTC
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

import sqlalchemy as sa
from flask import current_app

from cms.content.models import ContentType, Entry
from cms.content.query.expressions import spec_value, value_kind
from cms.content.services.types import compiled_type
from cms.core.policy import content_access
from cms.extensions import db

PROTOCOL_MAX_URLS = 50_000  # what one sitemap file may list (sitemaps.org)
BATCH = 1000
SYSTEM_PLACEHOLDERS = ("id", "locale")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}\Z")
_SAFE_ID = re.compile(r"^[a-z0-9_]{1,32}\Z")
XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


class SitemapProblem(Exception):
    """A setting that keeps a type (or the whole sitemap) from being listed as configured."""


@dataclass(frozen=True)
class Pattern:
    type_name: str
    template: str
    names: tuple  # the placeholders, each once, in order


@dataclass
class Source:
    """One content type to list: its compiled type, pattern, placeholder fields and seo fields."""

    compiled: object
    pattern: Pattern
    fields: dict = field(default_factory=dict)  # placeholder name -> FieldSpec
    seo: list = field(default_factory=list)  # top-level seo FieldSpecs (noindex)
    count: int = 0


def parse_pattern(type_name, template):
    """Return the Pattern of one SEO_URL_PATTERNS item; raise SitemapProblem saying what is wrong."""
    where = f"SEO_URL_PATTERNS[{type_name!r}]"
    if not isinstance(type_name, str) or not _NAME.match(type_name):
        raise SitemapProblem(f"{where}: not a content type name")
    if not isinstance(template, str) or not template.strip():
        raise SitemapProblem(f"{where} must be a URL pattern such as 'https://example.com/blog/{{slug}}'")
    if any(ord(char) < 33 or ord(char) == 127 for char in template):
        raise SitemapProblem(f"{where} = {template!r}: URLs have no spaces or control characters")
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise SitemapProblem(f"{where} = {template!r}: {exc} (write a literal brace as {{{{ or }}}})") from None
    names = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion or not _NAME.match(name):
            raise SitemapProblem(f"{where} = {template!r}: {{{name}}} is not a placeholder; "
                                 "use a field name, {id} or {locale}")
        if name not in names:
            names.append(name)
    sample = urlsplit(template.format(**{name: "x" for name in names}))
    if sample.scheme not in ("http", "https") or not sample.netloc:
        raise SitemapProblem(f"{where} = {template!r}: must be an absolute http(s) URL")
    return Pattern(type_name, template, tuple(names))


def parse_patterns(config):
    """Return ``({type name: Pattern}, [problems])`` of SEO_URL_PATTERNS (problems: malformed items)."""
    raw = config.get("SEO_URL_PATTERNS") or {}
    if not isinstance(raw, dict):
        return {}, ["SEO_URL_PATTERNS must map content type names to URL patterns, "
                    "e.g. {'article': 'https://example.com/blog/{slug}'}"]
    patterns, problems = {}, []
    for type_name in sorted(raw, key=str):
        try:
            patterns[type_name] = parse_pattern(type_name, raw[type_name])
        except SitemapProblem as exc:
            problems.append(str(exc))
    return patterns, problems


def max_urls(config):
    """SEO_SITEMAP_MAX_URLS (1 to 50,000: the protocol's cap and the default)."""
    value = config.get("SEO_SITEMAP_MAX_URLS", PROTOCOL_MAX_URLS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= PROTOCOL_MAX_URLS:
        raise SitemapProblem(f"SEO_SITEMAP_MAX_URLS must be a whole number from 1 to {PROTOCOL_MAX_URLS}, not {value!r}")
    return value


def base_url(config):
    """SEO_SITEMAP_URL: where the sitemap's parts are served ("" : this host)."""
    value = config.get("SEO_SITEMAP_URL") or ""
    parts = urlsplit(value) if isinstance(value, str) else None
    if value and (parts is None or parts.scheme not in ("http", "https") or not parts.netloc or parts.query):
        raise SitemapProblem(f"SEO_SITEMAP_URL must be an absolute http(s) URL such as 'https://example.com', "
                             f"not {value!r}")
    return value.rstrip("/")


def settings_problems(config):
    """Return ``(patterns, problems)``: the usable patterns and what is wrong with the settings."""
    patterns, problems = parse_patterns(config)
    for check in (max_urls, base_url):
        try:
            check(config)
        except SitemapProblem as exc:
            problems.append(str(exc))
    return patterns, problems


def or_default(read, config, default):
    """``read(config)``, or ``default`` when that setting is wrong (``settings_problems`` says so)."""
    try:
        return read(config)
    except SitemapProblem:
        return default


def plan(patterns, report):
    """Return the Sources to list, in type-name order, with their counts; ``report(problem)`` the rest.

    Types the Public role may not read are left out without a report: that is their setting.
    """
    if not patterns:
        return []
    rows = {row.name: row for row in db.session.scalars(
        sa.select(ContentType).where(ContentType.name.in_(list(patterns))))}
    anonymous = current_app.login_manager.anonymous_user()
    sources = []
    for type_name, pattern in patterns.items():
        row = rows.get(type_name)
        if row is None:
            report(f"SEO_URL_PATTERNS names the content type {type_name!r}, which does not exist")
            continue
        compiled = compiled_type(row)
        access = content_access(anonymous, "read", compiled)
        if not access.allowed:
            continue
        source = Source(compiled, pattern, seo=[spec for spec in compiled.specs if spec.type.name == "seo"])
        for name in pattern.names:
            if name in SYSTEM_PLACEHOLDERS:
                continue
            spec = compiled.by_name.get(name)
            if spec is None:
                problem = f"has no field {name!r}"
            elif not access.shows(spec):
                problem = f"field {name!r} is private or hidden from the Public role, so it cannot be in public URLs"
            elif not spec.type.scalar or value_kind(spec) == "boolean":
                problem = f"field {name!r} is a {spec.type.name} field; URLs take text, number or date fields"
            else:
                source.fields[name] = spec
                continue
            report(f"SEO_URL_PATTERNS[{type_name!r}] = {pattern.template!r}: {type_name!r} {problem}")
            break
        else:
            sources.append(source)
    _count(sources)
    return sources


def _listed(source, dialect):
    """The SQL condition of the entries of ``source`` that get a URL."""
    document = Entry.published_data
    terms = [Entry.type_id == source.compiled.id, document.is_not(None)]
    for spec in source.fields.values():
        value = spec_value(document, spec, dialect)
        terms.append(value.is_not(None))
        if value_kind(spec) == "text":
            terms.append(value != "")
    for spec in source.seo:
        flag = _noindex(document, spec.id, dialect)
        terms.append(sa.or_(flag.is_(None), flag != ("true" if dialect == "postgresql" else 1)))
    return sa.and_(*terms)


def _noindex(document, field_id, dialect):
    if not _SAFE_ID.match(field_id):  # ids are validated on definition; this keeps the SQL literal-safe
        raise ValueError(f"unsafe field id {field_id!r}")
    if dialect == "postgresql":
        return document.op("->")(sa.literal_column(f"'{field_id}'")).op("->>", return_type=sa.Text)(
            sa.literal_column("'noindex'"))
    return sa.func.json_extract(document, sa.literal_column(f"'$.{field_id}.noindex'"))


def _dialect():
    return db.session.get_bind().dialect.name


def _count(sources):
    if not sources:
        return
    dialect = _dialect()
    counts = dict(db.session.execute(
        sa.select(Entry.type_id, sa.func.count()).where(sa.or_(*(_listed(s, dialect) for s in sources)))
        .group_by(Entry.type_id)).all())
    for source in sources:
        source.count = counts.get(source.compiled.id, 0)


def parts(sources, per_file):
    """How many sitemap files the URLs fill (at least one, possibly empty)."""
    return max(1, math.ceil(sum(source.count for source in sources) / per_file))


def slices(sources, start, stop):
    """Yield ``(source, skip, take)`` covering URLs ``start`` to ``stop`` (0-based, in listing order)."""
    position = 0
    for source in sources:
        low, high = max(start, position), min(stop, position + source.count)
        if low < high:
            yield source, low - position, high - low
        position += source.count


def rows(source, skip, take):
    """Yield ``(placeholder values, published_at)`` for one slice, reading BATCH rows per query."""
    batch, dialect = BATCH, _dialect()
    names = list(source.fields)
    columns = [Entry.id, Entry.locale, Entry.published_at,
               *(spec_value(Entry.published_data, source.fields[name], dialect).label(f"v{i}")
                 for i, name in enumerate(names))]
    listed = _listed(source, dialect)
    after = None
    while take > 0:
        size = min(batch, take)
        statement = sa.select(*columns).where(listed).order_by(Entry.published_at, Entry.id).limit(size)
        if after is not None:  # keyset: the next batch starts after the last row delivered
            statement = statement.where(sa.or_(Entry.published_at > after[0],
                                               sa.and_(Entry.published_at == after[0], Entry.id > after[1])))
        elif skip:
            statement = statement.offset(skip)
        found = db.session.execute(statement).all()
        for row in found:
            values = {"id": row.id, "locale": row.locale}
            values.update({name: row[3 + i] for i, name in enumerate(names)})
            yield values, row.published_at
        if len(found) < size:
            return
        take -= len(found)
        after = (found[-1].published_at, found[-1].id)


def url_of(pattern, values):
    return pattern.template.format(**{name: quote(_text(values[name]), safe="") for name in pattern.names})


def _text(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def lastmod(moment):
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def urlset(sources, start, stop):
    """Yield the XML of a urlset listing URLs ``start`` to ``stop``, a batch of rows at a time."""
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{XMLNS}">\n'
    for source, skip, take in slices(sources, start, stop):
        chunk = []
        for values, moment in rows(source, skip, take):
            chunk.append(f"<url><loc>{escape(url_of(source.pattern, values))}</loc>"
                         f"<lastmod>{lastmod(moment)}</lastmod></url>\n")
            if len(chunk) >= BATCH:
                yield "".join(chunk)
                chunk = []
        if chunk:
            yield "".join(chunk)
    yield "</urlset>\n"


def index(locations):
    """Return the XML of a sitemap index naming the part files at ``locations``."""
    items = "".join(f"<sitemap><loc>{escape(location)}</loc></sitemap>\n" for location in locations)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{XMLNS}">\n{items}</sitemapindex>\n'
