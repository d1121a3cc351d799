"""Escalation paths closed after review: token minting, translations, previews, roles above you, oracles."""

import logging
import re

import pytest

from cms.auth.models import Role
from tests.conftest import PASSWORD, Api
from tests.helpers import error_of, give_role

LOCALIZED = {"options": {"localized": True}}
PRODUCT = [{"name": "title", "type": "string"}, {"name": "price", "type": "integer", "localized": False}]


def test_a_token_scoped_to_manage_tokens_cannot_mint_its_users_whole_role(session_as, client):
    admin = session_as("administrator")
    scoped = admin.post("/api/tokens", json={"name": "ci", "permissions": [{"system": "tokens", "action": "manage"}]})
    ci = Api(client, scoped.json["meta"]["token"])

    whole = ci.post("/api/tokens", json={"name": "x"})
    as_admin = ci.post("/api/tokens", json={"name": "x", "role": "administrator"})
    narrower = ci.post("/api/tokens", json={"name": "x", "permissions": [{"system": "tokens", "action": "manage"}]})

    error_of(whole, 403, "permission_denied")
    error_of(as_admin, 403, "permission_denied")
    assert narrower.status_code == 201


def test_an_author_cannot_translate_someone_elses_entry(as_role, make_type, make_entry):
    make_type("product", PRODUCT, **LOCALIZED)
    theirs = make_entry("product", title="Chair", price=100)
    author = as_role("author")

    response = author.post(f"/api/content/product/{theirs['id']}/translations/fr", json={"title": "Chaise", "price": 0})

    error_of(response, 403, "permission_denied")


def test_shared_fields_never_change_a_translation_the_writer_may_not_update(api, as_role, make_type, make_entry, db):
    make_type("product", PRODUCT, **LOCALIZED)
    give_role(db, "translator", [{"type": "product", "action": "read"}, {"type": "product", "action": "create"},
                                 {"type": "product", "action": "update", "own": True}])
    translator = as_role("translator")
    mine = translator.post("/api/content/product", json={"title": "Chair", "price": 100}).json["data"]
    theirs = api.post(f"/api/content/product/{mine['id']}/translations/fr", json={"title": "Chaise"}).json["data"]

    response = translator.patch(f"/api/content/product/{mine['id']}", json={"price": 1})

    error_of(response, 403, "permission_denied")
    assert api.get(f"/api/content/product/{theirs['id']}?status=draft").json["data"]["price"] == 100
    assert api.get(f"/api/content/product/{mine['id']}?status=draft").json["data"]["price"] == 100


def test_own_only_readers_do_not_get_others_translations(api, as_role, make_type, db):
    make_type("product", PRODUCT, **LOCALIZED)
    give_role(db, "own_reader", [{"type": "product", "action": "read", "own": True},
                                 {"type": "product", "action": "create"}])
    reader = as_role("own_reader")
    mine = reader.post("/api/content/product", json={"title": "Chair", "price": 1}).json["data"]
    api.post(f"/api/content/product/{mine['id']}/translations/fr", json={"title": "Chaise de l'admin"})

    fallback = reader.get(f"/api/content/product/{mine['id']}?status=draft&locale=fr")
    translations = reader.get(f"/api/content/product/{mine['id']}/translations?status=draft")

    assert fallback.json["data"]["locale"] == "en"  # their own English one, not the admin's French
    assert [t["locale"] for t in translations.json["data"]] == ["en"]


def test_a_preview_token_reads_only_what_its_issuer_reads(db, session_as, client, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string"}, {"name": "body", "type": "text"}])
    give_role(db, "limited_reader", [{"type": "note", "action": "read", "fields": ["title"], "own": True}])
    reader = session_as("limited_reader")
    make_entry("note", title="someone else's", body="hidden")
    token = reader.post("/api/tokens/preview", json={"type": "note"}).json["data"]["token"]

    listed = Api(client, token).get("/api/content/note?status=draft").json

    assert listed["data"] == [] and listed["meta"]["total"] == 0  # own entries only: none
    error_of(Api(client, token).get("/api/content/note?status=draft&filter[body][eq]=hidden"), 400)


def test_a_preview_token_stops_with_the_api_token_that_issued_it(session_as, client, make_type):
    make_type("note", [{"name": "title", "type": "string"}])
    admin = session_as("administrator")
    issued = admin.post("/api/tokens", json={"name": "previews", "role": "administrator"}).json
    program = Api(client, issued["meta"]["token"])
    preview = Api(client, program.post("/api/tokens/preview", json={"type": "note"}).json["data"]["token"])
    assert preview.get("/api/content/note?status=draft").status_code == 200

    admin.delete(f"/api/tokens/{issued['data']['id']}")

    error_of(preview.get("/api/content/note?status=draft"), 401)


def test_nobody_changes_or_deletes_a_role_above_them(db, as_role, api):
    role = db.session.get(Role, "editor")
    role.permissions = role.permissions + [{"system": "roles", "action": "manage"}]
    db.session.commit()
    api.post("/api/roles", json={"name": "boss", "permissions": [{"system": "settings", "action": "manage"}]})
    editor = as_role("editor")

    error_of(editor.patch("/api/roles/boss", json={"permissions": []}), 403)
    error_of(editor.delete("/api/roles/boss"), 403)
    assert api.get("/api/roles/boss").json["data"]["permissions"] == [{"system": "settings", "action": "manage"}]


@pytest.mark.parametrize("header", ["", " ", "Bearer", "Bearer ", "Basic abc"])
def test_empty_or_foreign_authorization_headers_are_401_not_500(client, db, header):
    response = Api(client, None).get("/api/content-types", headers={"Authorization": header})

    error_of(response, 401, "not_authenticated")


@pytest.mark.parametrize("action", ["entry.read", "entry.update", "read.users", "users.fly", "*"])
def test_explain_refuses_malformed_actions_with_400(api, action):
    error_of(api.get(f"/api/auth/explain?action={action}"), 400)


def test_explain_does_not_reveal_entries_the_caller_cannot_read(anonymous, make_type, make_entry):
    make_type("note", [{"name": "title", "type": "string"}])
    draft = make_entry("note", title="secret draft")

    error_of(anonymous.get(f"/api/auth/explain?action=update&type=note&id={draft['id']}"), 404)


def test_anonymous_preview_requests_are_401_before_any_type_lookup(anonymous, make_type):
    make_type("memo", [{"name": "text", "type": "text"}], options={"public": False})

    error_of(anonymous.post("/api/tokens/preview", json={"type": "memo"}), 401)
    error_of(anonymous.post("/api/tokens/preview", json={"type": "nope"}), 401)


def test_a_failing_mailer_answers_like_an_unknown_email(app, anonymous, make_user):
    from cms.plugins.hookspecs import hookimpl

    class Broken:
        @hookimpl
        def folio_send_mail(self, to, subject, body):
            raise ConnectionError("SMTP down")

    user = make_user("editor")
    plugin = Broken()
    app.extensions["folio.plugins"].register(plugin)
    try:
        known = anonymous.post("/api/auth/password-reset", json={"email": user.email})
    finally:
        app.extensions["folio.plugins"].unregister(plugin)
    unknown = anonymous.post("/api/auth/password-reset", json={"email": "nobody@example.com"})

    assert (known.status_code, known.json) == (unknown.status_code, unknown.json) == (202, unknown.json)


def test_a_password_change_voids_outstanding_reset_links(api, anonymous, make_user, caplog):
    user = make_user("editor")
    caplog.set_level(logging.WARNING, logger="cms.auth.services.sessions")
    anonymous.post("/api/auth/password-reset", json={"email": user.email})
    token = re.findall(r"\?token=([A-Za-z0-9_-]+)", caplog.text)[-1]

    api.patch(f"/api/users/{user.id}", json={"password": "set-by-the-admin"})
    response = anonymous.post("/api/auth/password-reset/confirm", json={"token": token, "password": "attacker-choice"})

    error_of(response, 400)
    assert anonymous.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}).status_code == 401
