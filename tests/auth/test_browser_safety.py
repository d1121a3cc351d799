"""Browser safety: security headers on every answer, CORS per allowed origin, never * with credentials."""

import pytest

from tests.conftest import make_app


def test_every_api_answer_carries_the_security_headers(client, api):
    for response in (client.get("/api/content-types"), api.get("/api/content-types"), client.get("/api/nope"),
                     client.get("/healthz")):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    api_answer = client.get("/api/content-types").headers
    assert api_answer["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "Strict-Transport-Security" not in api_answer  # development serves plain HTTP


def test_production_sets_hsts_and_secure_cookies(database_url, tmp_path):
    app = make_app(database_url, tmp_path, ENV="production", SECRET_KEY="a-real-secret-of-some-length",
                   PASSWORD_RESET_URL="https://cms.example.com/admin/reset-password")

    response = app.test_client().get("/healthz")
    dispose(app)

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_without_configured_origins_there_are_no_cors_headers(client, db):
    response = client.get("/api/content-types", headers={"Origin": "https://site.example"})

    assert "Access-Control-Allow-Origin" not in response.headers


def dispose(app):
    from cms.extensions import db

    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def cors_client(database_url, tmp_path, db):
    app = make_app(database_url, tmp_path, CORS_ORIGINS=["https://site.example"], CORS_CREDENTIALS=True)
    yield app.test_client()
    dispose(app)


def test_an_allowed_origin_gets_cors_headers_with_credentials(cors_client):
    preflight = cors_client.options("/api/content/note", headers={
        "Origin": "https://site.example", "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "Content-Type, X-CSRF-Token"})

    assert preflight.headers["Access-Control-Allow-Origin"] == "https://site.example"
    assert preflight.headers["Access-Control-Allow-Credentials"] == "true"
    assert "x-csrf-token" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_another_origin_gets_no_cors_headers(cors_client):
    response = cors_client.get("/api/content-types", headers={"Origin": "https://evil.example"})

    assert "Access-Control-Allow-Origin" not in response.headers


def test_a_wildcard_origin_with_credentials_refuses_to_start(database_url, tmp_path):
    with pytest.raises(RuntimeError, match="CORS"):
        make_app(database_url, tmp_path, CORS_ORIGINS=["*"], CORS_CREDENTIALS=True)
