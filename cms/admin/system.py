"""Plugins and settings in the admin: what this process loaded and runs with (read-only).

The settings page shows an allow-list of keys an operator needs, never secrets: URLs are shown
without their user and password, and keys that hold credentials are never read here.
"""

from urllib.parse import urlsplit, urlunsplit

from flask import current_app

from cms.admin.core import bp, render, require

#: (section, [(key, what it is)]) shown on the settings page; nothing secret may be listed here
SHOWN = (
    ("Site", [("ENV", "Environment"), ("THEME", "Theme"), ("THEMES_PATH", "Extra themes folder"),
              ("DEFAULT_LOCALE", "Default locale"), ("LOCALES", "Locales"),
              ("LOCALE_FALLBACKS", "Locale fallbacks")]),
    ("Media storage", [("MEDIA_STORAGE", "Storage"), ("MEDIA_ROOT", "Local folder"), ("S3_BUCKET", "S3 bucket"),
                       ("S3_PREFIX", "S3 key prefix"), ("S3_REGION", "S3 region"),
                       ("S3_ENDPOINT_URL", "S3 endpoint"), ("MEDIA_PUBLIC_URL", "Public URL of objects"),
                       ("MEDIA_MAX_BYTES", "Largest upload (bytes)"), ("MEDIA_MAX_PIXELS", "Largest image (pixels)"),
                       ("MEDIA_ALLOWED_TYPES", "Accepted types"), ("MEDIA_RENDITION_SIZES", "Rendition sizes"),
                       ("MEDIA_PRERENDER_WIDTHS", "Widths rendered ahead")]),
    ("Worker and webhooks", [("WORKER_POLL_SECONDS", "Worker poll (seconds)"), ("WORKER_BATCH", "Worker batch"),
                             ("JOB_RETENTION_DAYS", "Delivery log kept (days)"),
                             ("OUTBOX_RETENTION_DAYS", "Events kept (days)"),
                             ("WEBHOOK_ALLOW", "Private networks webhooks may call"),
                             ("WEBHOOK_TIMEOUT_SECONDS", "Delivery timeout (seconds)"),
                             ("WEBHOOK_MAX_ATTEMPTS", "Attempts per delivery"),
                             ("WEBHOOK_RETRY_BASE_SECONDS", "First retry after (seconds)"),
                             ("WEBHOOK_RETRY_MAX_SECONDS", "Longest wait (seconds)")]),
    ("Plugins", [("PLUGINS", "Plugins to load"), ("PLUGINS_DISABLED", "Plugins never loaded"),
                 ("PLUGINS_PATH", "Plugins folder"), ("PLUGINS_STRICT", "Strict (a failing plugin stops the app)")]),
    ("Access and caching", [("SESSION_LIFETIME_SECONDS", "Sign-in lasts (seconds)"), ("CORS_ORIGINS", "CORS origins"),
                            ("PROXY_HOPS", "Trusted proxies"), ("LOGIN_RATE_LIMIT", "Sign-in rate limit"),
                            ("RESPONSE_CACHE", "Response cache"), ("CDN_MAX_AGE", "CDN max-age (seconds)")]),
)
#: keys whose value may embed credentials: shown as configured or not, never as text
PRESENCE = (("DATABASE_URL", "Database"), ("REDIS_URL", "Redis"), ("RATE_LIMIT_STORAGE", "Rate-limit storage"))


@bp.get("/plugins")
def plugins_list():
    require("plugins.read")
    statuses = current_app.extensions["folio.plugins"].status
    return render("admin/system/plugins.html", heading="Plugins", plugins=[statuses[name] for name in sorted(statuses)],
                  strict=current_app.config["PLUGINS_STRICT"])


@bp.get("/settings")
def settings_page():
    require("settings.read")
    config = current_app.config
    sections = [(title, [(label, key, _shown(config.get(key))) for key, label in keys]) for title, keys in SHOWN]
    services = [(label, _presence(key, config)) for key, label in PRESENCE]
    return render("admin/system/settings.html", heading="Settings", sections=sections, services=services)


def _shown(value):
    """A setting as text; URLs lose any user name and password."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(item) for item in value) or "(none)"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_shown(item)}" for key, item in value.items()) or "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "(not set)"
    text = str(value)
    return _without_credentials(text) if "://" in text else text


def _without_credentials(url):
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(set)"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _presence(key, config):
    """What kind of service a credential-bearing URL names (its scheme), never the URL itself."""
    value = config.get(key) or ""
    if key == "DATABASE_URL":
        from cms.extensions import db

        return db.engine.dialect.name
    if not value:
        return "(not set)"
    scheme = value.split("://", 1)[0] if "://" in value else ""
    return f"configured ({scheme})" if scheme and scheme.isascii() and scheme.replace("+", "").isalnum() else "configured"
