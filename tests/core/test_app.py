"""The application factory, settings precedence, production safety, cookies and health checks."""

import flask_login
import pytest
from flask import session
from flask_login import UserMixin

from cms import config as config_module
from cms import create_app
from cms.config import DEFAULT_SECRET_KEY, DEFAULTS
from cms.extensions import db as _db
from tests.conftest import make_app


@pytest.fixture
def clean_env(monkeypatch):
    """Remove every FOLIO_* setting from the environment, so each test states its own."""
    for key in DEFAULTS:
        monkeypatch.delenv(f"FOLIO_{key}", raising=False)
    monkeypatch.delenv("FOLIO_INSTANCE_PATH", raising=False)
    return monkeypatch


@pytest.fixture
def instance(tmp_path, clean_env):
    """An empty instance folder named by FOLIO_INSTANCE_PATH."""
    folder = tmp_path / "instance"
    folder.mkdir()
    clean_env.setenv("FOLIO_INSTANCE_PATH", str(folder))
    return folder


def test_create_app_does_not_touch_the_database(instance):
    app = create_app()

    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'folio.db'}"
    with app.app_context():
        assert _db.engine.pool.checkedout() == 0
    assert not (instance / "folio.db").exists()


def test_create_app_starts_although_the_database_is_unreachable(tmp_path, clean_env):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/x"})

    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_defaults_apply_without_any_configuration(instance):
    app = create_app()

    assert app.config["PER_PAGE_MAX"] == DEFAULTS["PER_PAGE_MAX"]
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["MEDIA_ROOT"] == str(instance / "media")
    assert app.config["ENV"] == "development"
    assert app.instance_path == str(instance)


def test_the_instance_config_py_overrides_the_defaults(instance):
    (instance / "config.py").write_text("PER_PAGE_MAX = 50\nDEFAULT_LOCALE = 'fr'\nlowercase = 'ignored'\n")

    app = create_app()

    assert app.config["PER_PAGE_MAX"] == 50
    assert app.config["DEFAULT_LOCALE"] == "fr"
    assert "lowercase" not in app.config


def test_the_instance_config_toml_overrides_the_defaults(instance):
    (instance / "config.toml").write_text('per_page_max = 40\nDEFAULT_LOCALE = "de"\n')

    app = create_app()

    assert app.config["PER_PAGE_MAX"] == 40
    assert app.config["DEFAULT_LOCALE"] == "de"


def test_config_py_wins_over_config_toml(instance):
    (instance / "config.toml").write_text("per_page_max = 40\nper_page_default = 5\n")
    (instance / "config.py").write_text("PER_PAGE_MAX = 50\n")

    app = create_app()

    assert app.config["PER_PAGE_MAX"] == 50
    assert app.config["PER_PAGE_DEFAULT"] == 5


def test_the_environment_overrides_the_instance_file(instance, clean_env):
    (instance / "config.py").write_text("PER_PAGE_MAX = 50\nDEFAULT_LOCALE = 'fr'\n")
    clean_env.setenv("FOLIO_PER_PAGE_MAX", "70")

    app = create_app()

    assert app.config["PER_PAGE_MAX"] == 70
    assert app.config["DEFAULT_LOCALE"] == "fr"


def test_create_app_overrides_win_over_the_environment(instance, clean_env):
    (instance / "config.py").write_text("PER_PAGE_MAX = 50\n")
    clean_env.setenv("FOLIO_PER_PAGE_MAX", "70")

    app = create_app({"PER_PAGE_MAX": 90})

    assert app.config["PER_PAGE_MAX"] == 90


def test_the_instance_path_override_wins_over_the_environment(instance, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.py").write_text("DEFAULT_LOCALE = 'nl'\n")

    app = create_app({"INSTANCE_PATH": str(other)})

    assert app.instance_path == str(other)
    assert app.config["DEFAULT_LOCALE"] == "nl"


def test_the_database_url_comes_from_the_environment(instance, clean_env, tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    clean_env.setenv("FOLIO_DATABASE_URL", url)

    app = create_app()

    assert app.config["SQLALCHEMY_DATABASE_URI"] == url


def test_integer_settings_from_the_environment_are_coerced(instance, clean_env):
    clean_env.setenv("FOLIO_PER_PAGE_MAX", " 75 ")
    clean_env.setenv("FOLIO_MAX_CONTENT_LENGTH", "2048")

    app = create_app()

    assert app.config["PER_PAGE_MAX"] == 75
    assert app.config["MAX_CONTENT_LENGTH"] == 2048


def test_number_and_number_list_settings_from_the_environment_are_coerced(instance, clean_env):
    clean_env.setenv("FOLIO_WORKER_POLL_SECONDS", "0.25")
    clean_env.setenv("FOLIO_MEDIA_RENDITION_SIZES", "100, 200")
    clean_env.setenv("FOLIO_WEBHOOK_ALLOW", "10.0.0.0/8,hooks.internal")

    app = create_app()

    assert app.config["WORKER_POLL_SECONDS"] == 0.25
    assert app.config["MEDIA_RENDITION_SIZES"] == [100, 200]
    assert app.config["WEBHOOK_ALLOW"] == ["10.0.0.0/8", "hooks.internal"]


def test_a_malformed_webhook_allow_list_stops_the_app(instance, clean_env):
    clean_env.setenv("FOLIO_WEBHOOK_ALLOW", "10.0.0.0/33")

    with pytest.raises(RuntimeError, match="FOLIO_WEBHOOK_ALLOW"):
        create_app()


def test_a_number_setting_that_is_not_a_number_stops_the_app(instance, clean_env):
    clean_env.setenv("FOLIO_MEDIA_RENDITION_SIZES", "100,big")

    with pytest.raises(RuntimeError, match="FOLIO_MEDIA_RENDITION_SIZES"):
        create_app()


@pytest.mark.parametrize(
    "raw, expected",
    [("1", True), ("true", True), ("Yes", True), ("on", True), ("0", False), ("false", False), ("OFF", False),
     ("", False)],
)
def test_boolean_settings_from_the_environment_are_coerced(instance, clean_env, raw, expected):
    clean_env.setitem(config_module.DEFAULTS, "TEST_FLAG", not expected)
    clean_env.setenv("FOLIO_TEST_FLAG", raw)

    app = create_app()

    assert app.config["TEST_FLAG"] is expected


def test_list_settings_from_the_environment_are_split_on_commas(instance, clean_env):
    clean_env.setitem(config_module.DEFAULTS, "TEST_NETWORKS", [])
    clean_env.setenv("FOLIO_TEST_NETWORKS", "127.0.0.0/8, 10.0.0.0/8,,")

    app = create_app()

    assert app.config["TEST_NETWORKS"] == ["127.0.0.0/8", "10.0.0.0/8"]


def test_a_bad_integer_in_the_environment_names_the_variable(instance, clean_env):
    clean_env.setenv("FOLIO_PER_PAGE_MAX", "lots")

    with pytest.raises(RuntimeError, match="FOLIO_PER_PAGE_MAX"):
        create_app()


def test_a_bad_boolean_in_the_environment_names_the_variable(instance, clean_env):
    clean_env.setitem(config_module.DEFAULTS, "TEST_FLAG", False)
    clean_env.setenv("FOLIO_TEST_FLAG", "maybe")

    with pytest.raises(RuntimeError, match="FOLIO_TEST_FLAG"):
        create_app()


@pytest.mark.parametrize("secret", [None, DEFAULT_SECRET_KEY, ""])
def test_production_refuses_the_default_secret_key(instance, clean_env, secret):
    clean_env.setenv("FOLIO_ENV", "production")
    if secret is not None:
        clean_env.setenv("FOLIO_SECRET_KEY", secret)

    with pytest.raises(RuntimeError, match="secret key"):
        create_app()


def test_production_refuses_reset_links_built_from_the_host_header(instance, clean_env):
    clean_env.setenv("FOLIO_ENV", "production")
    clean_env.setenv("FOLIO_SECRET_KEY", "a-real-and-long-secret-value-0123456789")

    with pytest.raises(RuntimeError, match="FOLIO_PASSWORD_RESET_URL"):
        create_app()


@pytest.mark.parametrize("env", ["prod", "Production", "staging"])
def test_an_unknown_env_is_refused_rather_than_treated_as_development(instance, clean_env, env):
    clean_env.setenv("FOLIO_ENV", env)

    with pytest.raises(RuntimeError, match="FOLIO_ENV"):
        create_app()


def test_production_starts_with_a_real_secret_key_from_the_environment(instance, clean_env):
    clean_env.setenv("FOLIO_ENV", "production")
    clean_env.setenv("FOLIO_SECRET_KEY", "a-real-and-long-secret-value-0123456789")
    clean_env.setenv("FOLIO_PASSWORD_RESET_URL", "https://cms.example.com/admin/reset-password")

    app = create_app()

    assert app.config["SECRET_KEY"] == "a-real-and-long-secret-value-0123456789"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_starts_with_a_secret_key_from_the_instance_file(instance, clean_env):
    (instance / "config.py").write_text("SECRET_KEY = 'from-the-instance-file-0123456789'\n"
                                        "PASSWORD_RESET_URL = 'https://cms.example.com/admin/reset-password'\n")
    clean_env.setenv("FOLIO_ENV", "production")

    app = create_app()

    assert app.config["SECRET_KEY"] == "from-the-instance-file-0123456789"


def test_development_cookies_are_not_marked_secure(instance):
    app = create_app()

    assert app.config["SESSION_COOKIE_SECURE"] is False


class CookieUser(UserMixin):
    id = "cookie-user"


@pytest.fixture
def cookie_app(database_url, tmp_path):
    """A fresh app with a test-only route that sets the session and remember-me cookies."""
    app = make_app(database_url, tmp_path)

    @app.get("/test-cookies")
    def set_cookies():
        session["seen"] = True
        flask_login.login_user(CookieUser(), remember=True)
        return "ok"

    return app


def _set_cookie_headers(response):
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("name", ["session", "remember_token"])
def test_cookies_are_http_only_and_same_site_lax(cookie_app, name):
    response = cookie_app.test_client().get("/test-cookies")

    header = _set_cookie_headers(response)[name]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def test_healthz_answers_200_without_a_database(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'folio.db'}", tmp_path)

    response = app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_answers_200_when_the_database_answers(app, db):
    response = app.test_client().get("/readyz")

    assert response.status_code == 200
    assert response.json == {"status": "ready"}


@pytest.mark.parametrize(
    "url",
    ["sqlite:///{tmp}/missing/folio.db", "postgresql+psycopg://folio@127.0.0.1:1/folio?connect_timeout=5"],
    ids=["sqlite-missing-folder", "postgresql-closed-port"],
)
def test_readyz_answers_503_json_when_the_database_is_unreachable(tmp_path, url):
    app = make_app(url.format(tmp=tmp_path), tmp_path)

    response = app.test_client().get("/readyz")

    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json["error"]["code"] == "unavailable"
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert "127.0.0.1" not in response.get_data(as_text=True)
    with app.app_context():
        _db.engine.dispose()


def test_plugin_settings_come_from_folio_variables_read_as_json_or_text(instance, clean_env):
    clean_env.setenv("FOLIO_SEO_URL_PATTERNS", '{"article": "https://example.com/blog/{slug}"}')
    clean_env.setenv("FOLIO_SLUG_GUARD_RESERVED", '["admin", "shop"]')
    clean_env.setenv("FOLIO_READING_SPEED", "230")
    clean_env.setenv("FOLIO_GREETING", "hello {name}")  # not JSON: the text

    app = create_app()

    assert app.config["SEO_URL_PATTERNS"] == {"article": "https://example.com/blog/{slug}"}
    assert app.config["SLUG_GUARD_RESERVED"] == ["admin", "shop"]
    assert app.config["READING_SPEED"] == 230 and app.config["GREETING"] == "hello {name}"


def test_folio_variables_never_set_flask_s_own_settings_nor_the_tools(instance, clean_env):
    clean_env.setenv("FOLIO_DEBUG", "true")
    clean_env.setenv("FOLIO_TESTING", "true")
    clean_env.setenv("FOLIO_TEST_DATABASE_URL", "postgresql://elsewhere/db")
    clean_env.setenv("FOLIO_lower_case", "1")

    app = create_app()

    assert app.config["DEBUG"] is False and app.config["TESTING"] is False
    assert "TEST_DATABASE_URL" not in app.config and "lower_case" not in app.config


def test_create_app_overrides_win_over_plugin_settings_from_the_environment(instance, clean_env):
    clean_env.setenv("FOLIO_SEO_URL_PATTERNS", '{"a": "x"}')

    assert create_app({"SEO_URL_PATTERNS": {"b": "y"}}).config["SEO_URL_PATTERNS"] == {"b": "y"}
