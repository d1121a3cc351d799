"""API tokens: Bearer authentication, refusals with 401 + WWW-Authenticate, hashed storage."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cms.auth import services
from cms.auth.models import ApiToken
from cms.content.models import ContentType
from cms.core.db import utcnow
from tests.conftest import make_app, table_count

TYPES_URL = "/api/content-types"
NOTE = {"name": "note", "fields": [{"name": "title", "type": "string"}]}


def assert_refused(response):
    """Check a 401 in the JSON error shape that tells the client how to authenticate."""
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "not_authenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def token_row(db, secret):
    return db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == services.hash_token(secret)))


def test_a_valid_token_authenticates_a_write(api):
    response = api.post(TYPES_URL, json=NOTE)

    assert response.status_code == 201, response.json
    assert table_count(ContentType) == 1


def test_a_valid_token_authenticates_a_read(api):
    response = api.get(TYPES_URL)

    assert response.status_code == 200
    assert response.json == {"data": []}


@pytest.mark.parametrize(
    "secret",
    ["garbage", "folio_garbage", "folio_" + "x" * 43, "folio_" + "x" * 500, "Bearer folio_x"],
    ids=["no-prefix", "short", "unknown", "huge", "doubled-scheme"],
)
def test_a_garbage_token_is_refused(api, secret):
    response = api.post(TYPES_URL, json=NOTE, token=secret)

    assert_refused(response)
    assert table_count(ContentType) == 0


def test_a_revoked_token_is_refused(api, admin, db):
    token_row(db, admin.token).revoked_at = utcnow()
    db.session.commit()

    response = api.post(TYPES_URL, json=NOTE)

    assert_refused(response)
    assert table_count(ContentType) == 0


def test_an_expired_token_is_refused(api, admin, db):
    token_row(db, admin.token).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    response = api.post(TYPES_URL, json=NOTE)

    assert_refused(response)
    assert table_count(ContentType) == 0


def test_a_token_that_expires_later_still_works(api, admin, db):
    token_row(db, admin.token).expires_at = utcnow() + timedelta(days=1)
    db.session.commit()

    response = api.post(TYPES_URL, json=NOTE)

    assert response.status_code == 201, response.json


def test_a_token_of_an_inactive_user_is_refused(api, admin, db):
    admin.active = False
    db.session.commit()

    response = api.post(TYPES_URL, json=NOTE)

    assert_refused(response)
    assert table_count(ContentType) == 0


@pytest.mark.parametrize(
    "header",
    ["Basic x", "Bearer", "Bearer ", "Token folio_x", "bearer"],
)
def test_a_malformed_authorization_header_is_refused(api, header):
    response = api.post(TYPES_URL, json=NOTE, token=None, headers={"Authorization": header})

    assert_refused(response)
    assert table_count(ContentType) == 0


def test_a_malformed_authorization_header_is_refused_on_reads_too(api):
    response = api.get(TYPES_URL, token=None, headers={"Authorization": "Basic x"})

    assert_refused(response)


def test_a_bad_token_is_refused_even_where_the_view_ignores_the_caller(database_url, tmp_path):
    app = make_app(database_url, tmp_path)

    @app.get("/api/test-open")
    def open_view():
        return {"data": "anyone"}

    client = app.test_client()
    anonymous = client.get("/api/test-open")
    refused = client.get("/api/test-open", headers={"Authorization": "Bearer garbage"})

    assert anonymous.status_code == 200
    assert_refused(refused)


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", TYPES_URL, NOTE),
        ("PUT", f"{TYPES_URL}/note", NOTE),
        ("PATCH", f"{TYPES_URL}/note", {"label": "Changed"}),
        ("DELETE", f"{TYPES_URL}/note", None),
        ("POST", "/api/content/note", {"title": "New"}),
        ("PUT", "/api/content/note/{id}", {"title": "Changed"}),
        ("PATCH", "/api/content/note/{id}", {"title": "Changed"}),
        ("DELETE", "/api/content/note/{id}", None),
        ("POST", "/api/content/note/{id}/publish", None),
    ],
)
def test_anonymous_writes_are_refused(api, make_type, make_entry, method, path, body):
    make_type("note", NOTE["fields"])
    entry = make_entry("note", title="Kept")

    response = api.request(method, path.format(id=entry["id"]), json=body, token=None)

    assert_refused(response)
    stored = api.get(f"/api/content/note/{entry['id']}", query_string={"status": "draft"})
    assert stored.json["data"]["title"] == "Kept"
    assert stored.json["data"]["status"] == "draft"
    assert api.get("/api/content/note", query_string={"status": "draft"}).json["meta"]["total"] == 1
    assert api.get(f"{TYPES_URL}/note").json["data"]["label"] != "Changed"


def test_an_anonymous_request_after_an_authenticated_one_stays_anonymous(api):
    assert api.get(TYPES_URL).status_code == 200

    response = api.get(TYPES_URL, token=None)

    assert_refused(response)


def test_the_token_secret_is_stored_only_as_a_hash(admin, db):
    row = token_row(db, admin.token)
    stored = db.session.execute(sa.select(ApiToken.__table__)).mappings().all()

    assert row is not None
    assert row.token_hash != admin.token
    assert admin.token.startswith(services.TOKEN_PREFIX)
    assert len(stored) == 1
    for value in stored[0].values():
        assert admin.token not in str(value)
        assert admin.token[len(services.TOKEN_PREFIX):] not in str(value)


def test_each_token_secret_is_different(admin):
    _token, second = services.create_token(admin, "second")

    assert second != admin.token


def test_using_a_token_records_when_it_was_last_used(api, admin, db):
    before = utcnow()
    assert token_row(db, admin.token).last_used_at is None

    response = api.get(TYPES_URL)

    assert response.status_code == 200
    db.session.expire_all()
    last_used = token_row(db, admin.token).last_used_at
    assert last_used is not None and last_used >= before - timedelta(seconds=1)


def test_a_refused_token_records_no_use(api, admin, db):
    token_row(db, admin.token).revoked_at = utcnow()
    db.session.commit()

    api.get(TYPES_URL)

    db.session.expire_all()
    assert token_row(db, admin.token).last_used_at is None


@pytest.mark.parametrize("credential", ["token", "session"])
def test_a_read_request_records_its_credential_s_use_after_another_writer_committed(tmp_path, credential):
    """On SQLite, a read transaction cannot become a writer once another connection has written
    since it began ("database is locked" at once); the touch must not turn such a GET into a 500."""
    from cms.auth.models import UserSession
    from cms.auth.services import sessions
    from cms.extensions import db
    from tests.conftest import app_on_own_database

    with app_on_own_database(tmp_path, "touch") as app:
        with app.app_context():
            key = sessions.start_session(services.find_user("admin@example.com")).session_key
            db.session.commit()
            seen = db.session.scalar(sa.select(UserSession.last_seen_at))
        with app.test_request_context("/api/content-types", method="GET"):  # a deferred, read-only BEGIN
            db.session.execute(sa.select(ApiToken.id)).all()  # the read has begun
            with db.engine.connect() as other:  # another request writes meanwhile
                other.execute(sa.update(ApiToken).values(name="renamed"))
                other.commit()
            if credential == "token":
                caller = services.caller_for_token(app.config["ADMIN_TOKEN"], touch_seconds=0)
            else:
                caller = sessions.caller_for_session(key, touch_seconds=-1)
            db.session.commit()
            assert caller is not None and caller.user.email == "admin@example.com"
        with app.app_context():
            if credential == "token":
                assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None
            else:
                assert db.session.scalar(sa.select(UserSession.last_seen_at)) > seen
            assert db.session.scalar(sa.select(ApiToken.name)) == "renamed"  # the other write stands
