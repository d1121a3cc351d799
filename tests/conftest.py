"""Shared fixtures: one migrated database per run, a rolled-back transaction per test.

The database is a temporary SQLite file, or the server named by FOLIO_TEST_DATABASE_URL
(CI sets it to PostgreSQL). The schema is made by `alembic upgrade head`, so every run also
tests the migrations.
"""

import os
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from cms import create_app
from cms.auth import services as auth_services
from cms.core import migrate
from cms.extensions import db as _db
from cms.models import metadata

TEST_DATABASE_URL = os.environ.get("FOLIO_TEST_DATABASE_URL")


def reset_database(engine):
    """Drop everything in the test database (a crashed earlier run may have left tables)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
        else:
            metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    """Hash test passwords with argon2's lowest cost: the production cost is the suite's main expense."""
    from argon2 import PasswordHasher

    from cms.auth.services import passwords

    costly, passwords._hasher = passwords._hasher, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    passwords._hasher = costly


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'folio.db'}"


def make_app(database_url, instance_path, **config):
    settings = {"INSTANCE_PATH": str(instance_path), "DATABASE_URL": database_url, "TESTING": True,
                "SECRET_KEY": "test-secret", **config}
    return create_app(settings)


#: the suite's locales: fr-CA falls back to fr then en, de has no fallback, fr falls back to en
LOCALES = {"LOCALES": ["en", "fr", "fr-CA", "de"], "LOCALE_FALLBACKS": {"fr-CA": ["fr", "en"], "de": []}}


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = make_app(database_url, tmp_path_factory.mktemp("instance"), **LOCALES)
    with app.app_context():
        reset_database(_db.engine)
        migrate.upgrade(_db.engine)
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def db(app, monkeypatch):
    """The app's db inside one transaction that is rolled back after the test (and fresh rate limits)."""
    app.extensions["folio.limiter"].reset()
    with app.app_context():
        connection = _db.engine.connect()
        outer = connection.begin()
        monkeypatch.setitem(_db.engines, None, connection)
        try:
            yield _db
        finally:
            _db.session.remove()
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def admin(db):
    user = auth_services.create_user("admin@example.com", "correct-horse-battery", role="administrator")
    _token, secret = auth_services.create_token(user, "tests")
    _db.session.commit()
    user.token = secret
    return user


class Api:
    """A JSON client that sends the admin token unless told ``token=None``.

    Each request runs in its own app context, so that nothing a refused request flushed, and no
    caller it resolved, survives into the next one.
    """

    def __init__(self, client, token, headers=None):
        self.client, self.token, self.headers = client, token, dict(headers or {})

    def request(self, method, path, json=None, token="default", headers=None, **kwargs):
        headers = {**self.headers, **(headers or {})}
        token = self.token if token == "default" else token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # its own app context, as on a server: a fresh session and caller for every request
        with self.client.application.app_context():
            response = self.client.open(path, method=method, json=json, headers=headers, **kwargs)
        response.get_data()  # buffered, then closed: a served file is released at once
        response.close()
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path, json=None, **kwargs):
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def api(client, admin):
    return Api(client, admin.token)


PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_user(db):
    """Create a user with ``role`` (and an API token as ``user.token``); return it."""
    made = []

    def make(role, email=None, password=PASSWORD, active=True):
        email = email or f"{role}{len(made)}@example.com"
        user = auth_services.create_user(email, password, role=role, active=active)
        _token, user.token = auth_services.create_token(user, "tests")
        _db.session.commit()
        made.append(user)
        return user

    return make


@pytest.fixture
def as_role(client, make_user):
    """Return an Api client acting as a new user with ``role`` (its ``.user`` is the account)."""

    def make(role, **kwargs):
        user = make_user(role, **kwargs)
        caller = Api(client, user.token)
        caller.user = user
        return caller

    return make


@pytest.fixture
def anonymous(client, db):
    return Api(client, None)


@pytest.fixture
def session_as(app, make_user):
    """Return an Api client signed in (session cookie + X-CSRF-Token) as a new user with ``role``."""

    def make(role, **kwargs):
        user = make_user(role, **kwargs)
        browser = Api(app.test_client(), None)
        response = browser.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
        assert response.status_code == 200, response.json
        browser.headers["X-CSRF-Token"] = response.json["meta"]["csrf_token"]
        browser.user = user
        return browser

    return make


@pytest.fixture
def make_type(api):
    """Create a content type through the API and return its JSON."""

    def make(name, fields, **extra):
        response = api.post("/api/content-types", json={"name": name, "fields": fields, **extra})
        assert response.status_code == 201, response.json
        return response.json["data"]

    return make


@pytest.fixture
def make_entry(api):
    """Create an entry through the API (optionally published) and return its JSON."""

    def make(type_name, publish=False, **values):
        response = api.post(f"/api/content/{type_name}", json=values)
        assert response.status_code == 201, response.json
        entry = response.json["data"]
        if publish:
            response = api.post(f"/api/content/{type_name}/{entry['id']}/publish")
            assert response.status_code == 200, response.json
            entry = response.json["data"]
        return entry

    return make


@pytest.fixture
def media_rows(db):
    """Add media library rows with the given ids (no stored bytes): for tests of fields that name media."""
    import hashlib

    from cms.core.db import utcnow
    from cms.media.models import MediaItem

    def make(*ids):
        for media_id in ids:
            digest = hashlib.sha256(media_id.encode()).hexdigest()
            _db.session.add(MediaItem(id=media_id, sha256=digest, storage_key=f"originals/{digest[:2]}/{digest}.png",
                                      filename=f"{media_id}.png", mime="image/png", size=1, width=1, height=1, alt="",
                                      caption="", folder="", tags=[], created_at=utcnow(), updated_at=utcnow()))
        _db.session.commit()
        return list(ids)

    return make


@pytest.fixture
def run(app, db):
    """Invoke `folio` with arguments (and optional stdin) against the test app."""
    from cms.cli import cli

    def invoke(*args, input=None, **kwargs):
        return app.test_cli_runner().invoke(cli, list(args), input=input, **kwargs)

    return invoke


@pytest.fixture
def count_queries(db):
    """Count SQL statements run inside a ``with count_queries() as counter:`` block."""

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting


def table_count(model):
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database of the engine under test: a new SQLite file, or a new PostgreSQL database."""
    if not (TEST_DATABASE_URL or "").startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = sa.make_url(TEST_DATABASE_URL)
    name = f"folio_fresh_{os.getpid()}_{abs(hash(str(tmp_path))) % 10**8}"
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


@contextmanager
def app_on_own_database(folder, prefix, **config):
    """An app on a new, migrated database of the engine under test (dropped afterwards), with an
    administrator whose API token is in ``config["ADMIN_TOKEN"]``. For apps whose writes must really
    commit and be seen by other threads (servers, streams, browsers) across several tests."""
    import uuid

    server, url, name = None, f"sqlite:///{folder / (prefix + '.db')}", None
    if (TEST_DATABASE_URL or "").startswith("postgresql"):
        base = sa.make_url(TEST_DATABASE_URL)
        name = f"folio_{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        server = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)
    app = make_app(url, folder / "instance", **config)
    try:
        with app.app_context():
            migrate.upgrade(_db.engine)
            user = auth_services.create_user("admin@example.com", PASSWORD, role="administrator")
            _token, app.config["ADMIN_TOKEN"] = auth_services.create_token(user, prefix)
            _db.session.commit()
        yield app
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        if server is not None:
            with server.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            server.dispose()


@pytest.fixture
def live_app(fresh_database_url, tmp_path):
    """An app on its own migrated database whose writes really commit (for concurrency tests)."""
    app = make_app(fresh_database_url, tmp_path / "instance")
    with app.app_context():
        migrate.upgrade(_db.engine)
        user = auth_services.create_user("live@example.com", "correct-horse-battery")
        _token, app.config["TEST_TOKEN"] = auth_services.create_token(user, "live")
        _db.session.commit()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
