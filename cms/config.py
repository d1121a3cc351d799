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
    "MEDIA_PUBLIC_URL": "",  # S3: a public base URL or CDN for objects; empty: presigned GET URLs
    "MEDIA_URL_SECONDS": 3600,  # lifetime of presigned GET URLs
    "S3_BUCKET": "",
    "S3_PREFIX": "",  # key prefix inside the bucket
    "S3_REGION": "",
    "S3_ENDPOINT_URL": "",  # S3-compatible stores (MinIO, R2, moto); empty: AWS
    "REDIS_URL": "",
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
}


def _coerce(value, default):
    if isinstance(default, bool):
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"expected a boolean, got {value!r}")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, list):
        return [part.strip() for part in value.split(",") if part.strip()]
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
    settings.update(overrides or {})
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = f"sqlite:///{Path(instance_path) / 'folio.db'}"
    if not settings["MEDIA_ROOT"]:
        settings["MEDIA_ROOT"] = str(Path(instance_path) / "media")
    return settings


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
