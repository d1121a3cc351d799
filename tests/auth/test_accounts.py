"""Users, roles and tokens through the API: rules, escalation, mass assignment, IDOR, bad input."""

import pytest
import sqlalchemy as sa

from cms.auth.models import ApiToken, Role, User
from cms.auth.permissions import BUILTIN_ROLES
from cms.auth.services import hash_token
from tests.conftest import PASSWORD, Api
from tests.helpers import error_of

NEW_USER = {"email": "new@example.com", "password": "a-long-password", "role": "author"}


def stored_user(db, email):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


# -- users -------------------------------------------------------------------------------------------

def test_an_administrator_creates_reads_changes_and_deletes_a_user(api, db):
    created = api.post("/api/users", json={**NEW_USER, "name": "New Person"})
    user_id = created.json["data"]["id"]
    read = api.get(f"/api/users/{user_id}")
    changed = api.patch(f"/api/users/{user_id}", json={"role": "editor", "name": "Renamed"})
    listed = api.get("/api/users?role=editor")
    deleted = api.delete(f"/api/users/{user_id}")

    assert created.status_code == 201, created.json
    assert set(created.json["data"]) == {"id", "email", "name", "role", "active", "created_at", "updated_at",
                                         "last_login_at"}
    assert read.json["data"]["email"] == "new@example.com"
    assert changed.json["data"]["role"] == "editor" and changed.json["data"]["name"] == "Renamed"
    assert [user["id"] for user in listed.json["data"]] == [user_id] and listed.json["meta"]["total"] == 1
    assert deleted.status_code == 204 and stored_user(db, "new@example.com") is None


def test_passwords_are_hashed_and_never_returned(api, db):
    created = api.post("/api/users", json=NEW_USER)
    body = created.get_data(as_text=True) + api.get("/api/users").get_data(as_text=True)

    assert "a-long-password" not in body and "password" not in body
    assert stored_user(db, "new@example.com").password_hash.startswith("$argon2")


@pytest.mark.parametrize("extra", [{"id": "00000000-0000-0000-0000-000000000000"}, {"password_hash": "x"},
                                   {"created_at": "2020-01-01T00:00:00Z"}, {"last_login_at": None},
                                   {"permissions": [{"system": "*", "action": "manage"}]}])
def test_mass_assignment_of_system_fields_is_refused(api, db, extra):
    response = api.post("/api/users", json={**NEW_USER, **extra})

    assert list(error_of(response, 422, "validation_failed")["details"]["fields"]) == list(extra)
    assert stored_user(db, "new@example.com") is None


@pytest.mark.parametrize("body, field", [
    ({**NEW_USER, "email": "not-an-email"}, "email"), ({**NEW_USER, "password": "short"}, "password"),
    ({**NEW_USER, "role": "wizard"}, "role"), ({**NEW_USER, "role": "public"}, "role"),
    ({**NEW_USER, "password": "new@example.com"}, "password"), ({**NEW_USER, "active": "yes"}, "active"),
    ({"email": "new@example.com"}, "password"),
])
def test_bad_user_values_are_422(api, db, body, field):
    assert field in error_of(api.post("/api/users", json=body), 422)["details"]["fields"]
    assert stored_user(db, "new@example.com") is None


def test_a_taken_email_is_409_whatever_its_case(api, admin):
    error_of(api.post("/api/users", json={**NEW_USER, "email": "ADMIN@example.com"}), 409, "conflict")


def test_an_editor_cannot_make_anybody_administrator(as_role, make_user, db):
    role = db.session.get(Role, "editor")
    role.permissions = role.permissions + [{"system": "users", "action": "manage"}]
    db.session.commit()
    editor = as_role("editor")

    promote_self = editor.patch(f"/api/users/{editor.user.id}", json={"role": "administrator"})
    create_admin = editor.post("/api/users", json={**NEW_USER, "role": "administrator"})
    demote_admin = editor.patch(f"/api/users/{make_user('administrator').id}", json={"role": "viewer"})
    create_author = editor.post("/api/users", json=NEW_USER)

    error_of(promote_self, 403, "permission_denied")
    error_of(create_admin, 403, "permission_denied")
    error_of(demote_admin, 403, "permission_denied")  # nobody manages an account above them
    assert create_author.status_code == 201
    assert stored_user(db, editor.user.email).role == "editor"


@pytest.mark.parametrize("change", [{"role": "editor"}, {"active": False}])
def test_the_last_administrator_cannot_be_demoted_or_deactivated(api, admin, change):
    error_of(api.patch(f"/api/users/{admin.id}", json=change), 409, "conflict")
    assert api.get(f"/api/users/{admin.id}").json["data"]["role"] == "administrator"


def test_the_last_administrator_cannot_be_deleted_but_one_of_two_can(api, admin, make_user):
    error_of(api.delete(f"/api/users/{admin.id}"), 409, "conflict")
    other = make_user("administrator")

    assert api.delete(f"/api/users/{other.id}").status_code == 204


@pytest.mark.parametrize("role", ["editor", "author", "viewer"])
def test_only_user_managers_change_accounts(as_role, make_user, role):
    caller, victim = as_role(role), make_user("viewer")

    error_of(caller.patch(f"/api/users/{victim.id}", json={"active": False}), 403)
    error_of(caller.delete(f"/api/users/{victim.id}"), 403)
    error_of(caller.post("/api/users", json=NEW_USER), 403)


def test_viewers_and_authors_cannot_list_users_and_editors_can(as_role):
    error_of(as_role("viewer").get("/api/users"), 403)
    error_of(as_role("author").get("/api/users"), 403)
    assert as_role("editor").get("/api/users").status_code == 200


@pytest.mark.parametrize("user_id", ["nope", "x" * 500, "00000000-0000-0000-0000-000000000000"])
def test_unknown_user_ids_are_404(api, user_id):
    error_of(api.get(f"/api/users/{user_id}"), 404, "not_found")


@pytest.mark.parametrize("query", ["page=0", "per_page=1000", "active=maybe", "sort=email"])
def test_bad_user_list_parameters_are_400(api, query):
    error_of(api.get(f"/api/users?{query}"), 400)


# -- roles -------------------------------------------------------------------------------------------

CUSTOM = {"name": "reviewer", "label": "Reviewer", "permissions": [
    {"type": "*", "action": "read"}, {"type": "article", "action": "update", "fields": ["title"], "own": True}]}


def test_the_built_in_roles_are_listed_first(api):
    names = [role["name"] for role in api.get("/api/roles").json["data"]]

    assert names[:5] == sorted(BUILTIN_ROLES) and set(names) == set(BUILTIN_ROLES)


def test_a_custom_role_is_created_changed_and_deleted(api):
    created = api.post("/api/roles", json=CUSTOM)
    changed = api.patch("/api/roles/reviewer", json={"permissions": [{"type": "*", "action": "read"}]})
    deleted = api.delete("/api/roles/reviewer")

    assert created.status_code == 201, created.json
    assert created.json["data"]["permissions"][1] == {"type": "article", "action": "update", "fields": ["title"],
                                                      "own": True}
    assert changed.json["data"]["permissions"] == [{"type": "*", "action": "read"}]
    assert changed.json["data"]["version"] == 2
    assert deleted.status_code == 204
    error_of(api.get("/api/roles/reviewer"), 404)


@pytest.mark.parametrize("permission", [
    {"type": "article", "action": "fly"}, {"system": "users", "action": "delete"}, {"system": "moon", "action": "read"},
    {"type": "Article", "action": "read"}, {"type": "article", "system": "users", "action": "read"},
    {"type": "article", "action": "delete", "fields": ["title"]}, {"type": "article", "action": "create", "own": True},
    {"action": "read"}, {"type": "article", "action": "read", "extra": 1}, "read everything",
])
def test_malformed_permissions_are_422(api, permission):
    response = api.post("/api/roles", json={**CUSTOM, "permissions": [permission]})

    assert "permissions" in error_of(response, 422, "validation_failed")["details"]["fields"]


@pytest.mark.parametrize("body", [{**CUSTOM, "name": "Bad Name"}, {**CUSTOM, "permissions": "all"},
                                  {"name": "x"}, {**CUSTOM, "id": 5}])
def test_bad_role_bodies_are_422(api, body):
    error_of(api.post("/api/roles", json=body), 422)


def test_the_administrator_role_is_fixed_and_built_in_roles_stay(api):
    error_of(api.patch("/api/roles/administrator", json={"permissions": []}), 409)
    error_of(api.delete("/api/roles/editor"), 409)


def test_a_role_held_by_a_user_cannot_be_deleted(api, make_user):
    api.post("/api/roles", json=CUSTOM)
    make_user("reviewer")

    error = error_of(api.delete("/api/roles/reviewer"), 409)
    assert error["details"] == {"users": 1, "tokens": 0}


def test_nobody_hands_out_a_permission_they_do_not_hold(as_role, db):
    role = db.session.get(Role, "editor")
    role.permissions = role.permissions + [{"system": "roles", "action": "manage"}]
    db.session.commit()
    editor = as_role("editor")

    escalate = editor.post("/api/roles", json={"name": "boss", "permissions": [{"system": "users", "action": "manage"}]})
    own_role = editor.patch("/api/roles/editor", json={"permissions": role.permissions + [
        {"system": "settings", "action": "manage"}]})
    narrower = editor.post("/api/roles", json={"name": "helper", "permissions": [
        {"type": "article", "action": "update", "fields": ["title"]}]})

    assert error_of(escalate, 403)["details"]["permissions"] == [{"system": "users", "action": "manage"}]
    error_of(own_role, 403)
    assert narrower.status_code == 201


def test_the_public_role_takes_content_permissions_only(api):
    response = api.patch("/api/roles/public", json={"permissions": [{"system": "users", "action": "read"}]})

    error_of(response, 422)


# -- tokens ------------------------------------------------------------------------------------------

def test_a_token_is_shown_once_and_stored_as_a_hash(api, db):
    created = api.post("/api/tokens", json={"name": "site build", "kind": "delivery"})
    secret = created.json["meta"]["token"]
    listed = api.get("/api/tokens")

    assert created.status_code == 201, created.json
    assert secret.startswith("folio_") and secret not in listed.get_data(as_text=True)
    row = db.session.get(ApiToken, created.json["data"]["id"])
    assert row.token_hash == hash_token(secret) and secret not in str(row.__dict__)
    assert "site build" in [token["name"] for token in listed.json["data"]]


def test_users_see_and_revoke_only_their_own_tokens(session_as, api):
    editor, viewer = session_as("editor"), session_as("viewer")
    mine = editor.post("/api/tokens", json={"name": "mine", "kind": "delivery"}).json["data"]["id"]

    listed = viewer.get("/api/tokens")
    read = viewer.get(f"/api/tokens/{mine}")
    revoke = viewer.delete(f"/api/tokens/{mine}")
    admin_sees = api.get(f"/api/tokens?user={editor.user.id}")

    assert {token["user"]["id"] for token in listed.json["data"]} == {viewer.user.id}
    error_of(read, 404)  # another user's token does not exist for you
    error_of(revoke, 404)
    assert mine in [token["id"] for token in admin_sees.json["data"]]
    assert editor.get(f"/api/tokens/{mine}").json["data"]["revoked_at"] is None


def test_a_revoked_token_stops_at_once(session_as, client):
    editor = session_as("editor")
    created = editor.post("/api/tokens", json={"name": "short-lived", "role": "viewer"})
    secret, token_id = created.json["meta"]["token"], created.json["data"]["id"]
    program = Api(client, secret)

    assert program.get("/api/content-types").status_code == 200
    assert program.get("/api/auth/me").json["data"]["permissions"] == [
        {"type": "*", "action": "read"}, {"system": "content_types", "action": "read"}]  # the viewer role's
    assert editor.delete(f"/api/tokens/{token_id}").status_code == 204
    error_of(program.get("/api/content-types"), 401)


def test_a_token_never_exceeds_its_user(session_as):
    viewer = session_as("viewer")

    as_admin = viewer.post("/api/tokens", json={"name": "x", "role": "administrator"})
    as_writer = viewer.post("/api/tokens", json={"name": "x", "permissions": [{"type": "*", "action": "update"}]})

    error_of(as_admin, 403)
    error_of(as_writer, 403)


def test_a_token_cannot_mint_tokens(as_role):
    editor = as_role("editor")

    error_of(editor.post("/api/tokens", json={"name": "child"}), 403)


@pytest.mark.parametrize("body, field", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "x", "kind": "root"}, "kind"),
    ({"name": "x", "role": "viewer", "permissions": []}, "permissions"),
    ({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"name": "x", "expires_at": "tomorrow"}, "expires_at"),
    ({"name": "x", "expires_at": "2999-01-01T00:00:00"}, "expires_at"),
    ({"name": "x", "kind": "delivery", "permissions": [{"type": "*", "action": "update"}]}, "permissions"),
    ({"name": "x", "kind": "delivery", "role": "viewer"}, "role"),
    ({"name": "x", "role": "nobody"}, "role"), ({"name": "x", "user_id": "someone"}, "user_id"),
])
def test_bad_token_bodies_are_422(api, body, field):
    assert field in error_of(api.post("/api/tokens", json=body), 422)["details"]["fields"]


@pytest.mark.parametrize("token_id", ["nope", "x" * 300, "00000000-0000-0000-0000-000000000000"])
def test_unknown_token_ids_are_404(api, token_id):
    error_of(api.delete(f"/api/tokens/{token_id}"), 404)


def test_anonymous_callers_have_no_tokens(anonymous):
    error_of(anonymous.get("/api/tokens"), 401)
    error_of(anonymous.post("/api/tokens", json={"name": "x"}), 401)


def test_signing_in_with_the_new_password_works_after_an_admin_sets_it(api, anonymous, make_user):
    user = make_user("editor")
    api.patch(f"/api/users/{user.id}", json={"password": "set-by-the-admin"})

    error_of(anonymous.post("/api/auth/login", json={"email": user.email, "password": PASSWORD}), 401)
    assert anonymous.post("/api/auth/login", json={"email": user.email, "password": "set-by-the-admin"}).status_code == 200
