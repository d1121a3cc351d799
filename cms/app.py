"""The application factory: a list of small named steps."""

from flask import Flask, request

from cms.config import check_production_settings, instance_path_from_env, load_settings
from cms.extensions import db, login_manager


def create_app(config=None):
    """Build a Folio app. ``config`` overrides every other source (tests use it)."""
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or instance_path_from_env()
    app = Flask("cms", instance_path=instance_path)
    configure_settings(app, config)
    configure_database(app)
    configure_auth(app)
    configure_plugins(app)
    configure_content(app)
    configure_media(app)
    configure_themes(app)
    configure_blueprints(app)
    configure_admin(app)
    configure_errors(app)
    configure_http(app)
    return app


def configure_settings(app, overrides):
    settings = load_settings(app.instance_path, overrides)
    check_production_settings(settings)
    app.config.update(settings)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = settings["ENV"] == "production"
    app.json.sort_keys = False


def configure_database(app):
    from cms import models  # noqa: F401 - registers every table on the metadata
    from cms.core.sqlite import configure_sqlite

    db.init_app(app)
    with app.app_context():  # creating an engine does not connect
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)


def configure_auth(app):
    from cms.auth import limits
    from cms.auth.loaders import authenticate, load_session_user
    from cms.auth.principals import AnonymousCaller

    login_manager.init_app(app)
    login_manager.user_loader(load_session_user)
    login_manager.anonymous_user = AnonymousCaller
    login_manager.session_protection = None  # sessions are rows: sign-out and password changes end them
    limits.init_app(app)
    app.before_request(authenticate)
    origins = app.config["CORS_ORIGINS"]
    if origins:
        from flask_cors import CORS

        CORS(app, resources={r"/api/*": {"origins": origins}}, supports_credentials=app.config["CORS_CREDENTIALS"],
             allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match", "X-CSRF-Token"],
             expose_headers=["ETag", "Retry-After", "X-Folio-Cache"], max_age=600)


def configure_plugins(app):
    from cms.content.fields import FieldTypeRegistry
    from cms.plugins.manager import build_plugin_manager
    from cms.plugins.registries import AdminPanels

    host = build_plugin_manager(app)
    app.extensions["folio.plugins"] = host
    app.extensions["folio.field_types"] = host.fill("folio_register_field_types", FieldTypeRegistry(), "field_types")
    app.extensions["folio.admin_panels"] = host.fill("folio_register_admin_panels", AdminPanels(), "admin_panels")
    host.call("folio_register_commands", cli=app.cli)


def configure_content(app):
    from cms.content.compiled import SchemaCache
    from cms.content.locales import locales_from_settings

    app.extensions["folio.schema_cache"] = SchemaCache(app.config["SCHEMA_CACHE_SIZE"])
    app.extensions["folio.locales"] = locales_from_settings(app.config)


def configure_media(app):
    from cms.media.storage import StorageRegistry

    registry = app.extensions["folio.plugins"].fill("folio_register_media_storage", StorageRegistry(), "storage")
    app.extensions["folio.media_storage"] = registry.build(app.config)


def configure_themes(app):
    from cms.themes import registry

    registry.init_app(app)


def configure_blueprints(app):
    from cms.audit.api import bp as audit_api
    from cms.auth.accounts_api import bp as accounts_api
    from cms.auth.api import bp as auth_api
    from cms.content.api import bp as content_api
    from cms.content.contract_api import bp as contract_api
    from cms.content.sync_api import bp as sync_api
    from cms.core.health import bp as health
    from cms.events.api import bp as events_api
    from cms.media.api import bp as media_api
    from cms.plugins.api import bp as plugins_api
    from cms.webhooks.api import bp as webhooks_api
    from cms.themes.files import bp as themes_static
    from cms.themes.preview import bp as themes_preview

    app.register_blueprint(health)
    app.register_blueprint(content_api)
    app.register_blueprint(contract_api)
    app.register_blueprint(sync_api)
    app.register_blueprint(auth_api)
    app.register_blueprint(accounts_api)
    app.register_blueprint(audit_api)
    app.register_blueprint(media_api)
    app.register_blueprint(events_api)
    app.register_blueprint(themes_static)
    app.register_blueprint(themes_preview)
    app.register_blueprint(plugins_api)
    app.register_blueprint(webhooks_api)
    from cms.auth.openapi import access_paths
    from cms.events.openapi import events_paths
    from cms.media.openapi import media_paths
    from cms.plugins.openapi import plugin_paths
    from cms.webhooks.openapi import webhook_paths

    # documented in /api/openapi.json beside content
    app.extensions["folio.openapi_paths"] = [access_paths, media_paths, plugin_paths, webhook_paths, events_paths]
    app.extensions["folio.plugins"].call("folio_register_routes", app=app)  # after core: core routes win


def configure_admin(app):
    from cms import admin

    admin.init_app(app)


def configure_errors(app):
    from cms.core.errors import register_error_handlers

    register_error_handlers(app)


def configure_http(app):
    from cms.core import caching

    caching.init_app(app)
    app.before_request(caching.serve_cached)

    production = app.config["ENV"] == "production"

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not request.path.startswith("/api"):
            return response
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        return caching.apply_headers(response)
