"""Settings: defaults, then ``instance/config.py`` or ``instance/config.toml``, then ``FOLIO_*``.

Every key below can be set by an environment variable of the same name with a ``FOLIO_`` prefix
(``FOLIO_DATABASE_URL``, ``FOLIO_SECRET_KEY`` ...). Values from the environment are coerced to
the type of the default (int, bool, list of comma-separated strings).
"""

import json
import os
import tomllib
from pathlib import Path

DEFAULT_SECRET_KEY = "folio-development-secret-change-me"

DEFAULTS = {
    "ENV": "development",  # or "production"
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "DATABASE_URL": "",  # empty: SQLite file folio.db in the instance folder
    "MAX_CONTENT_LENGTH": 1024 * 1024,  # JSON request bodies (413 beyond)
    "DEFAULT_LOCALE": "en",
    "LOCALES": [],  # locales entries may be written in (empty: the default locale only)
    "LOCALE_FALLBACKS": {},  # {"fr-CA": ["fr", "en"]}: what to deliver where a translation is missing
    "MEDIA_STORAGE": "local",  # local | s3 | a plugin's backend
    "MEDIA_ROOT": "",  # empty: <instance>/media
    "MEDIA_MAX_BYTES": 100 * 1024 * 1024,  # largest file POSTed to /api/media (413 beyond)
    "MEDIA_MAX_UPLOAD_BYTES": 5 * 1024**3,  # largest presigned upload straight to S3
    "MEDIA_MAX_PIXELS": 50_000_000,  # larger images are refused before decoding (decompression bombs)
    "MEDIA_ALLOWED_TYPES": ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "application/pdf",
                            "video/mp4", "video/webm", "audio/mpeg", "audio/ogg", "audio/wav"],
    "MEDIA_RENDITION_SIZES": [64, 128, 256, 320, 480, 640, 768, 1024, 1280, 1536, 1920, 2560],
    "MEDIA_PRERENDER_WIDTHS": [320, 640, 1280],  # webp renditions the worker makes for each new image
    "MEDIA_PUBLIC_URL": "",  # S3: a public base URL or CDN for objects; empty: presigned GET URLs
    "MEDIA_URL_SECONDS": 3600,  # lifetime of presigned GET URLs
    "S3_BUCKET": "",
    "S3_PREFIX": "",  # key prefix inside the bucket
    "S3_REGION": "",
    "S3_ENDPOINT_URL": "",  # S3-compatible stores (MinIO, R2, moto); empty: AWS
    "REDIS_URL": "",
    "WORKER_POLL_SECONDS": 1.0,  # how often an idle `folio worker` looks for events, jobs and schedules
    "WORKER_BATCH": 100,  # events fanned out / jobs run per pass
    "WORKER_HOOK_MAX_ATTEMPTS": 8,  # tries of a plugin's folio_handle_event per event
    "JOB_LEASE_SECONDS": 300,
    "OUTBOX_RETENTION_DAYS": 14,  # dispatched events older than this are deleted by the worker (0: keep)
    "JOB_RETENTION_DAYS": 30,  # finished jobs (the webhook delivery log) kept this long (0: keep)  # a claimed job is taken again after this if its worker died
    "WEBHOOK_ALLOW": [],  # networks (CIDR) and host names webhooks may call although private or loopback
    "WEBHOOK_TIMEOUT_SECONDS": 10.0,  # per delivery attempt (connect + answer)
    "WEBHOOK_MAX_REDIRECTS": 3,
    "WEBHOOK_MAX_ATTEMPTS": 8,  # then the delivery is marked failed
    "WEBHOOK_RETRY_BASE_SECONDS": 30.0,  # first retry after about this; doubling, with jitter
    "WEBHOOK_RETRY_MAX_SECONDS": 6 * 3600.0,  # longest wait between two attempts
    "PLUGINS": ["*"],  # plugins to load by name (* : every plugin found in PLUGINS_PATH and entry points)
    "PLUGINS_DISABLED": [],  # plugins never loaded, even when PLUGINS says *
    "PLUGINS_PATH": "",  # a folder of plugin packages (empty: the plugins/ folder beside cms/)
    "PLUGINS_STRICT": False,  # a plugin that fails to load or raises in a hook stops the app / request
    "JSON_MAX_DEPTH": 32,  # nesting allowed inside a json field value
    "PER_PAGE_DEFAULT": 25,
    "PER_PAGE_MAX": 100,
    "QUERY_MAX_DEPTH": 3,  # segments in a filter path (two relation hops)
    "QUERY_MAX_IN": 1000,  # values in an in/nin filter
    "QUERY_MAX_OR": 20,  # alternatives in filter[or]
    "SCHEMA_CACHE_SIZE": 256,  # compiled content-type schemas kept per process
    "TOKEN_TOUCH_SECONDS": 60,  # how often a token's last_used_at (and a session's last_seen_at) is written
    "SESSION_LIFETIME_SECONDS": 7 * 24 * 3600,  # a sign-in lasts this long (server-side; sign-out ends it)
    "PASSWORD_RESET_SECONDS": 3600,  # how long a reset link works (once)
    "PASSWORD_RESET_URL": "",  # where reset links point (empty: <this host>/admin/reset-password)
    "PREVIEW_TOKEN_SECONDS": 3600,  # default lifetime of a preview token
    "PREVIEW_TOKEN_MAX_SECONDS": 7 * 24 * 3600,
    "PREVIEW_FRAME_ANCESTORS": ["'self'"],  # CSP sources that may frame /preview pages (a frontend's origin)
    "THEME": "default",  # the theme preview pages (and the admin) render with
    "THEMES_PATH": "",  # a folder of themes besides the bundled themes/ folder next to cms/
    "LOGIN_RATE_LIMIT": "20 per minute",  # sign-in, reset and password attempts per address
    "LOGIN_LOCKOUT": "5 per 15 minutes",  # failed sign-ins per account before it is locked for the window
    "RATE_LIMIT_STORAGE": "",  # a limits storage URI (memory://, redis://…); empty: REDIS_URL, else memory
    "PROXY_HOPS": 0,  # trusted reverse proxies in front (X-Forwarded-For/-Proto hops to believe)
    "CORS_ORIGINS": [],  # frontend origins allowed to call the API from browsers (never * with credentials)
    "CORS_CREDENTIALS": False,  # let those origins send the session cookie
    "CDN_MAX_AGE": 60,  # s-maxage of anonymous published reads (CDNs purge by Surrogate-Key sooner)
    "CDN_STALE_WHILE_REVALIDATE": 30,
    "CDN_SURROGATE_KEYS_MAX": 300,  # beyond: type keys only (Fastly caps the header at 16 KB)
    "RESPONSE_CACHE": "memory",  # memory|redis|off: anonymous reads keyed by content version
    "RESPONSE_CACHE_SIZE": 1000,  # answers kept per process (memory)
    "RESPONSE_CACHE_MAX_BYTES": 32 * 1024 * 1024,  # bytes kept per process (memory)
    "RESPONSE_CACHE_TTL": 300,  # seconds (redis)
    "RESPONSE_CACHE_PREFIX": "folio:responses",  # Redis key namespace
    "COUNT_LIMIT": 10000,  # list totals are counted up to this; beyond, meta.total_exact is false (0: exact)
    "COUNT_CACHE_SIZE": 5000,  # list totals of published reads kept per process, keyed by content version (0: off)
    "EVENTS_POLL_SECONDS": 1.0,  # the change stream's hub reads the outbox this often, while anyone listens
    "EVENTS_HEARTBEAT_SECONDS": 15.0,  # keep-alive comments on idle streams; credentials are re-checked as often
    "EVENTS_GAP_GRACE_SECONDS": 5.0,  # a missing outbox seq (a transaction still committing) holds later events back this long
    "EVENTS_MAX_SUBSCRIBERS": 500,  # open streams per process (503 beyond)
    "EVENTS_MAX_SECONDS": 300.0,  # a stream ends after this; clients reconnect with Last-Event-ID
    "EVENTS_QUEUE_SIZE": 1000,  # events waiting for one slow stream before it is disconnected
    "EVENTS_RETRY_SECONDS": 3.0,  # the reconnection delay streams announce (retry:) and a 503's Retry-After
}


#: FOLIO_ variables that are not settings: the instance folder, and what the tests and tools read
NOT_SETTINGS = frozenset({"INSTANCE_PATH", "TEST_DATABASE_URL", "CHROMIUM", "SCREENSHOTS"})


def _coerce(value, default):
    if isinstance(default, bool):
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"expected a boolean, got {value!r}")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if isinstance(default, list):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        return [int(part) for part in parts] if default and all(type(item) is int for item in default) else parts
    if isinstance(default, dict):
        try:
            parsed = json.loads(value)
        except ValueError:
            raise ValueError(f"expected a JSON object, got {value!r}") from None
        if not isinstance(parsed, dict):
            raise ValueError(f"expected a JSON object, got {value!r}")
        return parsed
    return value


def instance_path_from_env():
    """Return the absolute instance folder: FOLIO_INSTANCE_PATH or ./instance."""
    return str(Path(os.environ.get("FOLIO_INSTANCE_PATH", "instance")).resolve())


def load_settings(instance_path, overrides=None, environ=None):
    """Return the merged settings dict for an app whose instance folder is ``instance_path``."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    settings.update(_instance_file_settings(Path(instance_path)))
    for key, default in DEFAULTS.items():
        raw = environ.get(f"FOLIO_{key}")
        if raw is not None:
            try:
                settings[key] = _coerce(raw, default)
            except ValueError as exc:
                raise RuntimeError(f"FOLIO_{key}: {exc}") from None
    settings.update(_other_environment_settings(environ))
    settings.update(overrides or {})
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'folio.db'}"
    if not settings["MEDIA_ROOT"]:
        settings["MEDIA_ROOT"] = str(Path(instance_path) / "media")
    return settings


def _other_environment_settings(environ):
    """Settings Folio does not define (plugins'), from ``FOLIO_<KEY>`` variables.

    Folio's own settings are typed by their defaults; these have none, so a value that is JSON
    (a number, true/false, a list, an object) is read as JSON and anything else is text. Flask's
    own settings (DEBUG, TESTING …) and the variables of Folio's tools are never taken from here.
    """
    from flask import Flask

    found = {}
    for name, raw in environ.items():
        key = name[len("FOLIO_"):]
        if not name.startswith("FOLIO_") or not key.isupper() or key in DEFAULTS or key in Flask.default_config \
                or key in NOT_SETTINGS:
            continue
        try:
            found[key] = json.loads(raw)
        except ValueError:
            found[key] = raw
    return found


def _instance_file_settings(instance):
    values = {}
    toml_file = instance / "config.toml"
    if toml_file.is_file():
        with toml_file.open("rb") as fh:
            values.update({k.upper(): v for k, v in tomllib.load(fh).items()})
    py_file = instance / "config.py"
    if py_file.is_file():
        namespace = {"__file__": str(py_file)}
        exec(compile(py_file.read_text(), str(py_file), "exec"), namespace)  # noqa: S102 - operator's file
        values.update({k: v for k, v in namespace.items() if k.isupper()})
    return values


def check_production_settings(settings):
    """Refuse settings that are unsafe in production (and CORS settings that are unsafe anywhere)."""
    if settings["CORS_CREDENTIALS"] and "*" in settings["CORS_ORIGINS"]:
        raise RuntimeError("FOLIO_CORS_ORIGINS may not be * when FOLIO_CORS_CREDENTIALS is on: "
                           "list the frontend origins that may send the session cookie.")
    try:
        from cms.webhooks.transport import parse_allow

        parse_allow(settings["WEBHOOK_ALLOW"])
    except ValueError as exc:
        raise RuntimeError(f"FOLIO_WEBHOOK_ALLOW: {exc}") from None
    if settings["ENV"] not in {"development", "production"}:  # a typo must not mean "not production"
        raise RuntimeError(f"FOLIO_ENV must be development or production, not {settings['ENV']!r}.")
    if settings["ENV"] == "production" and settings["SECRET_KEY"] in {DEFAULT_SECRET_KEY, ""}:
        raise RuntimeError(
            "Refusing to start in production with the default secret key: "
            "set FOLIO_SECRET_KEY or SECRET_KEY in instance/config.py."
        )
    if settings["ENV"] == "production" and not settings["PASSWORD_RESET_URL"]:
        raise RuntimeError("Set FOLIO_PASSWORD_RESET_URL in production (e.g. https://cms.example.com/admin/reset-password): "
                           "reset links must not be built from the Host header a client sends.")
