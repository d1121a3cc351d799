"""Session sign-in for the admin UI: login, logout, CSRF, fixation, password change and reset, lockout."""

import logging
import re
import time

import pytest
import sqlalchemy as sa

from cms.auth.models import PasswordReset, UserSession
from cms.core.db import utcnow
from tests.conftest import PASSWORD, Api, table_count
from tests.helpers import error_of

LOGIN, ME, LOGOUT = "/api/auth/login", "/api/auth/me", "/api/auth/logout"
NOTE = {"name": "note", "fields": [{"name": "title", "type": "string"}]}


@pytest.fixture
def browser(client, db):
    """The test browser as a browser: cookies, no token, a fresh app context per request."""
    return Api(client, None)


def new_browser(app):
    return Api(app.test_client(), None)


def login(browser, email, password=PASSWORD, **kwargs):
    return browser.post(LOGIN, json={"email": email, "password": password}, **kwargs)


def signed_in(browser, user):
    """Sign ``user`` in on ``browser``; return the CSRF token."""
    response = login(browser, user.email)
    assert response.status_code == 200, response.json
    return response.json["meta"]["csrf_token"]


def session_cookie(browser):
    cookie = browser.client.get_cookie("session")
    return cookie.value if cookie is not None else None


def test_login_starts_a_server_side_session_and_me_names_the_user(browser, make_user):
    user = make_user("editor")

    response = login(browser, user.email)

    assert response.status_code == 200
    assert response.json["data"]["user"]["email"] == user.email
    assert response.json["data"]["via"] == "session"
    assert "password" not in response.get_data(as_text=True).replace("new_password", "")
    assert len(response.json["meta"]["csrf_token"]) >= 32
    assert table_count(UserSession) == 1
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    me = browser.get(ME)
    assert me.json["data"]["user"]["id"] == user.id
    assert me.json["meta"]["csrf_token"] == response.json["meta"]["csrf_token"]
    assert _last_login(user) is not None


def _last_login(user):
    from cms.auth.models import User
    from cms.extensions import db

    db.session.expire_all()
    return db.session.get(User, user.id).last_login_at


@pytest.mark.parametrize("case", ["unknown-email", "wrong-password", "inactive"])
def test_failed_logins_all_get_the_same_answer(browser, make_user, case):
    make_user("editor", email="ed@example.com")
    make_user("editor", email="off@example.com", active=False)
    email, password = {"unknown-email": ("nobody@example.com", PASSWORD),
                       "wrong-password": ("ed@example.com", "not-the-password"),
                       "inactive": ("off@example.com", PASSWORD)}[case]

    response = login(browser, email, password)

    error = error_of(response, 401, "login_failed")
    assert error["message"] == "The email or password is not right."
    assert error["details"] == {}
    assert table_count(UserSession) == 0
    assert browser.get(ME).json["data"]["authenticated"] is False


def test_unknown_emails_cost_a_password_verification_too(browser, make_user, monkeypatch):
    from cms.auth.services import passwords

    make_user("editor", email="ed@example.com")
    calls, real = [], passwords._hasher

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, *args):
            calls.append(1)
            return real.verify(*args)

    monkeypatch.setattr(passwords, "_hasher", Counting())

    login(browser, "nobody@example.com", "whatever-password")
    login(browser, "ed@example.com", "whatever-password")

    assert calls == [1, 1]  # one argon2 verification either way: similar timing


@pytest.mark.parametrize("body", [{}, {"email": "a@example.com"}, {"email": 5, "password": "x"},
                                  {"email": "a@example.com", "password": "x", "role": "administrator"}])
def test_malformed_login_bodies_are_422(browser, body):
    error_of(browser.post(LOGIN, json=body), 422, "validation_failed")


def test_a_login_body_must_be_json(browser):
    error_of(browser.post(LOGIN, data="email=a&password=b", content_type="application/x-www-form-urlencoded"), 415)


def test_login_replaces_the_session_so_a_planted_cookie_is_worthless(browser, make_user):
    user = make_user("editor")
    browser.get(ME)
    browser.client.set_cookie("session", "attacker-chosen-value")
    before = session_cookie(browser)

    signed_in(browser, user)

    after = session_cookie(browser)
    assert after and after != before
    browser.client.set_cookie("session", before)  # the value the attacker planted does not carry the sign-in
    assert browser.get(ME).json["data"]["authenticated"] is False


def test_logout_ends_the_session_on_the_server(browser, make_user):
    user = make_user("editor")
    csrf = signed_in(browser, user)
    stolen = session_cookie(browser)

    response = browser.post(LOGOUT, headers={"X-CSRF-Token": csrf})

    assert response.status_code == 204
    assert table_count(UserSession) == 0
    browser.client.set_cookie("session", stolen)  # replaying the cookie from before the logout
    assert browser.get(ME).json["data"]["authenticated"] is False


def test_session_writes_need_the_csrf_token(browser, make_user):
    user = make_user("administrator")
    csrf = signed_in(browser, user)

    refused = browser.post("/api/content-types", json=NOTE)
    forged = browser.post("/api/content-types", json=NOTE, headers={"X-CSRF-Token": "guess"})
    accepted = browser.post("/api/content-types", json=NOTE, headers={"X-CSRF-Token": csrf})

    error_of(refused, 403, "csrf_failed")
    error_of(forged, 403, "csrf_failed")
    assert accepted.status_code == 201, accepted.json


def test_a_cross_site_form_post_with_the_session_cookie_changes_nothing(browser, make_user):
    user = make_user("administrator")
    signed_in(browser, user)

    response = browser.post("/api/content-types", data="name=note", content_type="application/x-www-form-urlencoded",
                           headers={"Origin": "https://evil.example"})

    error_of(response, 403, "csrf_failed")
    assert browser.get("/api/content-types").json["data"] == []


def test_session_reads_need_no_csrf_token(browser, make_user):
    user = make_user("viewer")
    signed_in(browser, user)

    assert browser.get("/api/content-types").status_code == 200


def test_a_token_caller_needs_no_csrf_token(api):
    assert api.post("/api/content-types", json=NOTE).status_code == 201


def test_a_bearer_token_wins_over_a_session_cookie(browser, make_user):
    viewer, admin = make_user("viewer"), make_user("administrator")
    signed_in(browser, viewer)

    response = browser.post("/api/content-types", json=NOTE, headers={"Authorization": f"Bearer {admin.token}"})

    assert response.status_code == 201  # the explicit credentials, and no CSRF needed for them


def test_deactivating_a_user_ends_their_session_and_tokens_at_the_next_request(browser, api, make_user):
    user = make_user("editor")
    signed_in(browser, user)

    response = api.patch(f"/api/users/{user.id}", json={"active": False})

    assert response.status_code == 200, response.json
    assert browser.get(ME).json["data"]["authenticated"] is False
    error_of(browser.get("/api/content-types", headers={"Authorization": f"Bearer {user.token}"}), 401)


def test_an_expired_session_is_anonymous(browser, make_user, db):
    user = make_user("editor")
    signed_in(browser, user)
    db.session.execute(sa.update(UserSession).values(expires_at=utcnow()))
    db.session.commit()

    assert browser.get(ME).json["data"]["authenticated"] is False


# -- password change ---------------------------------------------------------------------------------

def test_changing_the_password_ends_the_other_sessions_only(app, browser, make_user):
    user = make_user("editor")
    other = new_browser(app)
    signed_in(other, user)
    csrf = signed_in(browser, user)

    response = browser.post("/api/auth/password", json={"current_password": PASSWORD,
                                                       "new_password": "a-new-long-password"},
                           headers={"X-CSRF-Token": csrf})

    assert response.status_code == 204, response.get_data(as_text=True)
    assert browser.get(ME).json["data"]["authenticated"] is True
    assert other.get(ME).json["data"]["authenticated"] is False
    assert login(new_browser(app), user.email, "a-new-long-password").status_code == 200
    error_of(login(new_browser(app), user.email, PASSWORD), 401)


@pytest.mark.parametrize("body, field", [
    ({"current_password": "wrong-password!", "new_password": "a-new-long-password"}, "current_password"),
    ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
    ({"current_password": PASSWORD, "new_password": "editor0@example.com"}, "new_password"),
    ({"current_password": PASSWORD}, "new_password"),
])
def test_bad_password_changes_are_422_and_keep_the_password(browser, make_user, body, field):
    user = make_user("editor")
    csrf = signed_in(browser, user)

    response = browser.post("/api/auth/password", json=body, headers={"X-CSRF-Token": csrf})

    assert field in error_of(response, 422, "validation_failed")["details"]["fields"]
    assert login(browser, user.email).status_code == 200


def test_tokens_cannot_change_passwords(as_role):
    editor = as_role("editor")

    response = editor.post("/api/auth/password", json={"current_password": PASSWORD, "new_password": "x" * 12})

    error_of(response, 403, "permission_denied")


def test_anonymous_callers_cannot_change_passwords(anonymous):
    error_of(anonymous.post("/api/auth/password", json={"current_password": "a", "new_password": "b"}), 401)


# -- password reset ----------------------------------------------------------------------------------

def reset_link(caplog):
    found = re.findall(r"\?token=([A-Za-z0-9_-]+)", caplog.text)
    assert found, caplog.text
    return found[-1]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, browser, make_user, caplog):
    user = make_user("editor")
    other = new_browser(app)
    signed_in(other, user)
    caplog.set_level(logging.WARNING, logger="cms.auth.services.sessions")

    asked = browser.post("/api/auth/password-reset", json={"email": "EDITOR0@example.com "})
    token = reset_link(caplog)
    done = browser.post("/api/auth/password-reset/confirm", json={"token": token, "password": "brand-new-password"})
    again = browser.post("/api/auth/password-reset/confirm", json={"token": token, "password": "another-password!"})

    assert asked.status_code == 202
    assert done.status_code == 204, done.get_data(as_text=True)
    error_of(again, 400, "bad_request")
    assert other.get(ME).json["data"]["authenticated"] is False
    assert login(new_browser(app), user.email, "brand-new-password").status_code == 200
    assert "brand-new-password" not in caplog.text


def test_unknown_and_known_emails_get_the_same_reset_answer(browser, make_user, caplog):
    make_user("editor", email="ed@example.com")

    known = browser.post("/api/auth/password-reset", json={"email": "ed@example.com"})
    unknown = browser.post("/api/auth/password-reset", json={"email": "nobody@example.com"})

    assert (known.status_code, known.json) == (unknown.status_code, unknown.json)
    assert table_count(PasswordReset) == 1


def test_an_expired_reset_link_is_refused(browser, make_user, caplog, db):
    user = make_user("editor")
    caplog.set_level(logging.WARNING, logger="cms.auth.services.sessions")
    browser.post("/api/auth/password-reset", json={"email": user.email})
    token = reset_link(caplog)
    db.session.execute(sa.update(PasswordReset).values(expires_at=utcnow()))
    db.session.commit()

    response = browser.post("/api/auth/password-reset/confirm", json={"token": token, "password": "brand-new-password"})

    error_of(response, 400, "bad_request")
    assert login(browser, user.email).status_code == 200


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 5000])
def test_forged_reset_tokens_are_refused(browser, token):
    response = browser.post("/api/auth/password-reset/confirm", json={"token": token, "password": "brand-new-password"})

    error_of(response, 400, "bad_request")


def test_a_reset_with_a_short_password_keeps_the_link_usable(browser, make_user, caplog):
    user = make_user("editor")
    caplog.set_level(logging.WARNING, logger="cms.auth.services.sessions")
    browser.post("/api/auth/password-reset", json={"email": user.email})
    token = reset_link(caplog)

    short = browser.post("/api/auth/password-reset/confirm", json={"token": token, "password": "short"})
    good = browser.post("/api/auth/password-reset/confirm", json={"token": token, "password": "brand-new-password"})

    error_of(short, 422, "validation_failed")
    assert good.status_code == 204


def test_a_mailer_plugin_receives_the_reset_link(app, browser, make_user):
    from cms.plugins.hookspecs import hookimpl

    sent = []

    class Mailer:
        @hookimpl
        def folio_send_mail(self, to, subject, body):
            sent.append((to, subject, body))
            return True

    user = make_user("editor")
    manager = app.extensions["folio.plugins"]
    plugin = Mailer()
    manager.register(plugin)
    try:
        browser.post("/api/auth/password-reset", json={"email": user.email})
    finally:
        manager.unregister(plugin)

    assert [(to, subject) for to, subject, _body in sent] == [(user.email, "Reset your Folio password")]
    assert "/admin/reset-password?token=" in sent[0][2]


# -- brute force -------------------------------------------------------------------------------------

def test_repeated_failures_lock_the_account_then_let_it_in_after_the_window(app, browser, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT", "3 per 2 seconds")
    user = make_user("editor")

    failures = [login(browser, user.email, "wrong-password-!").status_code for _ in range(3)]
    locked = login(browser, user.email)  # even the right password is refused while locked
    other_account = login(browser, make_user("editor").email)

    assert failures == [401, 401, 401]
    error = error_of(locked, 429, "locked_out")
    assert 1 <= int(locked.headers["Retry-After"]) <= 2 and error["details"]["retry_after"] >= 1
    assert other_account.status_code == 200  # the lockout is per account
    time.sleep(2.1)
    assert login(browser, user.email).status_code == 200


def test_unknown_emails_lock_out_like_known_ones(app, browser, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_LOCKOUT", "2 per 1 minute")

    codes = [login(browser, "nobody@example.com", "wrong-password-!").status_code for _ in range(3)]

    assert codes == [401, 401, 429]  # locking reveals nothing about which emails exist


def test_the_address_limit_counts_the_peer_not_a_forwarded_header(app, browser, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    user = make_user("editor")

    codes = [login(browser, user.email, headers={"X-Forwarded-For": f"10.0.0.{n}"}).status_code for n in range(4)]
    reset = browser.post("/api/auth/password-reset", json={"email": user.email})

    assert codes == [200, 200, 200, 429]
    assert reset.status_code == 202  # other routes count separately
    error_of(login(browser, user.email), 429, "too_many_requests")


def test_with_redis_every_process_counts_the_same_lockout(fresh_database_url, tmp_path):
    """Two app processes (two apps here) sharing Redis refuse the third guess wherever it lands."""
    import uuid

    from cms.core import migrate
    from cms.extensions import db as _db
    from tests.conftest import make_app

    settings = {"RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/0", "LOGIN_LOCKOUT": "2 per minute"}
    apps = [make_app(fresh_database_url, tmp_path / name, **settings) for name in ("a", "b")]
    with apps[0].app_context():
        migrate.upgrade(_db.engine)
    first, second = (Api(app.test_client(), None) for app in apps)
    email = f"nobody-{uuid.uuid4().hex}@example.com"  # unique: Redis outlives the test

    codes = [login(first, email, "wrong-password-!").status_code, login(second, email, "wrong-password-!").status_code,
             login(first, email, "wrong-password-!").status_code, login(second, email, "wrong-password-!").status_code]

    assert codes == [401, 401, 429, 429]
    for app in apps:
        with app.app_context():
            _db.engine.dispose()
