"""HTTP caching of the delivery API: headers for browsers and CDNs, purges, and the response cache.

Three parts, all configured by settings (``FOLIO_CDN_*``, ``FOLIO_RESPONSE_CACHE*``):

- Views declare what a response delivers with ``deliver()``; an anonymous ``GET`` that declared
  its delivery is publicly cacheable and names it in ``Surrogate-Key`` (``type:<name>``,
  ``entry:<id>``, and ``types`` for answers that depend on the set of types). Everything else
  is ``private, no-store``.
- After a commit that changed published content or a type, the plugin hook
  ``folio_cache_purge(keys)`` gets the keys to purge. Changes are read from the rows the
  transaction added to ``content_changes`` and from the content types it flushed.
- The response cache stores declared anonymous answers under a key that includes the content
  version (the newest ``content_changes.seq`` and digests of ``content_types`` and ``roles``, whose
  Public role decides what anonymous callers see), read with one query per request: a publish in any process changes the key, so nothing stale is served.
  The count cache keeps list totals of published reads the same way (``cached_count``).

Core: knows the two tables by name only, imports nothing from the content area.
"""

import hashlib
import json
import logging
import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context, request
from flask_login import current_user

from cms.extensions import db

log = logging.getLogger(__name__)

#: views whose anonymous answers the response cache may store (they all call ``deliver``)
CACHEABLE_ENDPOINTS = frozenset({
    "content_api.list_or_singleton", "content_api.get_entry", "sync_api.read_sync",
    "contract_api.openapi", "contract_api.typescript",
})
TYPES_KEY = "types"  # answers that change when any type is created, changed or deleted
#: views that depend on the type set only, declared here rather than in each view
TYPE_SET_ENDPOINTS = frozenset({"contract_api.openapi", "contract_api.typescript"})
STORED_HEADERS = ("Content-Type", "ETag", "Surrogate-Key")
PURGE_KEYS, CHANGES_MARK = "folio.purge_keys", "folio.changes_mark"

_changes = sa.table("content_changes", sa.column("seq"), sa.column("entry_id"), sa.column("type_name"))
_types = sa.table("content_types", sa.column("id"), sa.column("version"), sa.column("updated_at"))
_roles = sa.table("roles", sa.column("version"), sa.column("updated_at"))


# -- what a response delivers --------------------------------------------------------------------

def deliver(entries=(), types=()):
    """Record that the response delivers ``entries`` (dicts with id and type) and ``types`` (names)."""
    record = g.setdefault("folio_delivered", {"types": {}, "entries": {}})
    for name in types:
        record["types"][f"type:{name}" if name != TYPES_KEY else TYPES_KEY] = None
    for entry in entries:
        record["types"][f"type:{entry['type']}"] = None
        record["entries"][f"entry:{entry['id']}"] = None


def deliver_populated(tree, items):
    """Record the target types of a populate ``tree`` and the entries it filled into ``items``."""
    slots = [(item, node) for item in items for node in tree]
    while slots:
        next_slots = []
        for container, node in slots:
            if node.target is None:  # media objects: no entry or type keys
                continue
            deliver(types=(node.target.name,))
            value = container.get(node.name)
            for target in value if isinstance(value, list) else (value,):
                if isinstance(target, dict) and "id" in target and "type" in target:
                    deliver(entries=(target,))
                    next_slots.extend((target, child) for child in node.children)
        slots = next_slots


def surrogate_keys(limit):
    """Return the declared keys of this response (type keys only beyond ``limit``), or None."""
    record = g.get("folio_delivered")
    if record is None:
        return None
    keys = list(record["types"]) + list(record["entries"])
    return keys if len(keys) <= limit else list(record["types"])


# -- purging after commit ------------------------------------------------------------------------

def _note_change_rows(state):
    """Before the first insert into content_changes of a transaction, remember where the feed ended."""
    statement = state.statement
    if state.is_insert and getattr(statement, "table", None) is not None \
            and statement.table.name == "content_changes" and CHANGES_MARK not in state.session.info:
        connection = state.session.connection()
        state.session.info[CHANGES_MARK] = connection.scalar(sa.select(sa.func.max(_changes.c.seq))) or 0


def _note_type_flush(session, _flush_context):
    """Collect the keys of content types this flush inserts, changes or deletes."""
    keys = session.info.setdefault(PURGE_KEYS, set())
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if getattr(obj, "__tablename__", None) == "content_types" and (
                obj not in session.dirty or session.is_modified(obj)):
            keys.update((f"type:{obj.name}", TYPES_KEY))


def _collect_changes(session):
    """Read the entries and types of the content_changes rows this transaction added."""
    if session.in_nested_transaction():  # a savepoint: wait for the real commit
        return
    mark = session.info.pop(CHANGES_MARK, None)
    if mark is None:
        return
    rows = session.connection().execute(
        sa.select(_changes.c.entry_id, _changes.c.type_name).where(_changes.c.seq > mark))
    keys = session.info.setdefault(PURGE_KEYS, set())
    for entry_id, type_name in rows:
        keys.update((f"entry:{entry_id}", f"type:{type_name}"))


def _purge(session):
    """Call ``folio_cache_purge`` with the keys of the transaction that just committed."""
    if session.in_nested_transaction():
        return
    keys = session.info.pop(PURGE_KEYS, None)
    if not keys or not has_app_context():
        return
    ordered = sorted(keys, key=lambda key: (not key.startswith("entry:"), key))
    for hookimpl in current_app.extensions["folio.plugins"].hook.folio_cache_purge.get_hookimpls():
        try:
            hookimpl.function(keys=list(ordered))
        except Exception as exc:  # the change is committed: a failing CDN must not turn it into an error
            log.warning("folio_cache_purge failed for %d keys", len(ordered))
            current_app.extensions["folio.plugins"].hook_failed(hookimpl.plugin_name, "folio_cache_purge", exc)


def _forget(session, transaction):
    """Drop collected keys when the outermost transaction ends without commit."""
    if transaction.parent is None:
        session.info.pop(PURGE_KEYS, None)
        session.info.pop(CHANGES_MARK, None)


def listen_for_purges():
    """Attach the purge listeners to the app-independent session factory (once per process)."""
    listeners = (("do_orm_execute", _note_change_rows), ("after_flush", _note_type_flush),
                 ("before_commit", _collect_changes), ("after_commit", _purge),
                 ("after_transaction_end", _forget))
    for event, listener in listeners:
        if not sa.event.contains(db.session, event, listener):
            sa.event.listen(db.session, event, listener)


# -- the response cache --------------------------------------------------------------------------

class MemoryCache:
    """An in-process LRU bounded by entry count and total bytes (thread-safe)."""

    def __init__(self, max_entries, max_bytes):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items, self._bytes, self._lock = OrderedDict(), 0, threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key, value):
        if len(value) > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._bytes -= len(old) if old is not None else 0
            self._items[key] = value
            self._bytes += len(value)
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _key, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted)

    def clear(self):
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self):
        return len(self._items)


class RedisCache:
    """A Redis-backed cache shared by every process, with a TTL and namespaced keys."""

    def __init__(self, url, prefix, ttl):
        import redis  # optional dependency: only needed when configured

        self.client = redis.Redis.from_url(url)  # connects on first use, not here
        self.prefix, self.ttl = prefix, ttl

    def get(self, key):
        try:
            return self.client.get(f"{self.prefix}:{key}")
        except Exception:  # an unreachable cache is a miss, never an error
            log.warning("response cache: Redis get failed", exc_info=True)
            return None

    def set(self, key, value):
        try:
            self.client.set(f"{self.prefix}:{key}", value, ex=self.ttl)
        except Exception:
            log.warning("response cache: Redis set failed", exc_info=True)


def build_response_cache(config):
    """Return the response cache the settings name (None when ``RESPONSE_CACHE`` is off)."""
    kind = config["RESPONSE_CACHE"]
    if kind == "off":
        return None
    if kind == "memory":
        return MemoryCache(config["RESPONSE_CACHE_SIZE"], config["RESPONSE_CACHE_MAX_BYTES"])
    if kind == "redis":
        if not config["REDIS_URL"]:
            raise RuntimeError("FOLIO_RESPONSE_CACHE=redis needs FOLIO_REDIS_URL.")
        return RedisCache(config["REDIS_URL"], config["RESPONSE_CACHE_PREFIX"], config["RESPONSE_CACHE_TTL"])
    raise RuntimeError(f"FOLIO_RESPONSE_CACHE must be memory, redis or off, not {kind!r}.")


def content_version():
    """Return the content version: the feed's end and digests of the types and roles, in one query.

    Read once per request (a GET changes nothing it depends on); outside a request, every call reads it.
    """
    memo = g.get("folio_content_version") if has_request_context() else None
    if memo is not None and memo[0] is request._get_current_object():
        return memo[1]
    statement = sa.select(
        sa.select(sa.func.max(_changes.c.seq)).scalar_subquery(), sa.func.count(), sa.func.max(_types.c.id),
        sa.func.sum(_types.c.version), sa.func.max(_types.c.updated_at),
        sa.select(sa.func.sum(_roles.c.version)).scalar_subquery(),
        sa.select(sa.func.max(_roles.c.updated_at)).scalar_subquery(),
    ).select_from(_types)
    version = "/".join(str(value) for value in db.session.execute(statement).one())
    if has_request_context() and request.method in {"GET", "HEAD"}:
        g.folio_content_version = (request._get_current_object(), version)
    return version


def cached_count(statement):
    """Return ``SELECT count(*) …`` over published content, from the count cache when it holds it.

    Keyed by the statement (SQL and parameters) and the content version, so a publish in any
    process gives every later request a new key: a total is never stale.
    """
    cache = current_app.extensions.get("folio.count_cache")
    if cache is None:
        return db.session.scalar(statement)
    compiled = statement.compile(dialect=db.session.get_bind().dialect)
    material = f"{compiled}\0{sorted(compiled.params.items())!r}\0{content_version()}"
    key = hashlib.sha256(material.encode()).hexdigest()
    stored = cache.get(key)
    if stored is not None:
        return int(stored)
    total = db.session.scalar(statement)
    cache.set(key, str(total).encode())
    return total


def _is_anonymous_read():
    return (request.method in {"GET", "HEAD"} and not current_user.is_authenticated
            and request.args.get("status", "published") == "published")


def _cache_key():
    """Return this request's cache key: app identity, method, path, query (sorted by name), version."""
    parts = sorted(request.query_string.split(b"&"), key=lambda part: part.split(b"=", 1)[0])
    identity = f"{current_app.config['SECRET_KEY']}\0{current_app.config['SQLALCHEMY_DATABASE_URI']}"
    material = [identity, request.method, request.path, b"&".join(parts).decode("latin-1"), content_version()]
    return hashlib.sha256("\0".join(material).encode()).hexdigest()


def serve_cached():
    """Answer an anonymous read from the response cache, or remember its key for storing."""
    cache = current_app.extensions.get("folio.response_cache")
    if cache is None or request.method != "GET" or request.endpoint not in CACHEABLE_ENDPOINTS \
            or not _is_anonymous_read():
        return None
    g.folio_cache_key = key = _cache_key()
    stored = cache.get(key)
    if stored is None:
        return None
    head, _, body = stored.partition(b"\n")
    g.folio_cache_hit = True
    return current_app.response_class(body, status=200, headers=json.loads(head))


def store(response):
    """Store a fresh 200 answer under the key ``serve_cached`` remembered."""
    key = g.get("folio_cache_key")
    if key is None or g.get("folio_cache_hit") or response.status_code != 200 or response.is_streamed:
        return
    if "folio_delivered" not in g:  # only answers that named what they deliver
        return
    headers = {name: response.headers[name] for name in STORED_HEADERS if name in response.headers}
    current_app.extensions["folio.response_cache"].set(
        key, json.dumps(headers).encode() + b"\n" + response.get_data())


# -- headers ---------------------------------------------------------------------------------------

def public_cache_control(config):
    """Return the Cache-Control of a declared anonymous read."""
    return (f"public, max-age=0, s-maxage={config['CDN_MAX_AGE']}, "
            f"stale-while-revalidate={config['CDN_STALE_WHILE_REVALIDATE']}")


def apply_headers(response):
    """Set Vary, Surrogate-Key, ETag and Cache-Control of an /api answer, store it, answer 304s."""
    response.vary.update(("Authorization", "Cookie"))
    readable = request.method in {"GET", "HEAD"} and response.status_code == 200
    if not readable:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    public = _is_anonymous_read()
    if request.endpoint in TYPE_SET_ENDPOINTS:
        deliver(types=(TYPES_KEY,))
    keys = surrogate_keys(current_app.config["CDN_SURROGATE_KEYS_MAX"]) if public else None
    if keys and "Surrogate-Key" not in response.headers:
        response.headers["Surrogate-Key"] = " ".join(keys)
    if not response.get_etag()[0] and not response.is_streamed:
        response.add_etag()
    if public and "folio_cache_key" in g:
        store(response)
        response.headers["X-Folio-Cache"] = "hit" if g.get("folio_cache_hit") else "miss"
    if "Cache-Control" not in response.headers:
        if not public:
            response.headers["Cache-Control"] = "private, no-store"
        elif "Surrogate-Key" in response.headers:
            response.headers["Cache-Control"] = public_cache_control(current_app.config)
        else:  # anonymous, but the view did not say what it delivers: revalidate every time
            response.headers["Cache-Control"] = "public, max-age=0, must-revalidate"
    if not public:
        response.headers.pop("Surrogate-Key", None)
    response.make_conditional(request)
    return response


def init_app(app):
    """Build the app's response cache and attach the purge listeners."""
    app.extensions["folio.response_cache"] = build_response_cache(app.config)
    size = app.config["COUNT_CACHE_SIZE"]
    app.extensions["folio.count_cache"] = MemoryCache(size, size * 256) if size > 0 else None
    listen_for_purges()
