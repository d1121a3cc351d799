"""The access matrix: every caller kind over every route and action, allowed or denied.

Callers: the five built-in roles' users (Public is the anonymous caller) and a read-only delivery
token. A denied anonymous call is 401, a denied authenticated call 403; an allowed one is neither
(it may still be 404 or 422 for other reasons, which the other tests cover).
"""

import io

import pytest
from PIL import Image

from tests.conftest import Api

CALLERS = ("administrator", "editor", "author", "viewer", "anonymous", "delivery")
STAFF = {"administrator", "editor", "author", "viewer"}
EVERYONE = set(CALLERS)
WRITERS = {"administrator", "editor"}
#: routes where a denied user gets 404: another user's token does not exist for them (no IDOR oracle)
HIDDEN = {("DELETE", "/api/tokens/{token}")}

#: (method, path, body, callers allowed). Placeholders: {entry} an entry by the administrator,
#: {draft} an unpublished one, {user} a viewer account, {role} a custom role, {token} the viewer's token.
ROUTES = [
    ("GET", "/api/content-types", None, STAFF),
    ("POST", "/api/content-types", {"name": "other", "fields": []}, {"administrator"}),
    ("GET", "/api/content-types/note", None, STAFF),
    ("PATCH", "/api/content-types/note", {"label": "Notes"}, {"administrator"}),
    ("DELETE", "/api/content-types/scratch", None, {"administrator"}),
    ("GET", "/api/content/note", None, EVERYONE),
    ("GET", "/api/content/note?status=draft", None, STAFF),
    ("GET", "/api/content/note/{entry}", None, EVERYONE),
    ("GET", "/api/content/note/{draft}?status=draft", None, STAFF),
    ("POST", "/api/content/note", {"title": "new"}, WRITERS | {"author"}),
    ("PATCH", "/api/content/note/{entry}", {"title": "changed"}, WRITERS),
    ("PUT", "/api/content/note/{entry}", {"title": "replaced"}, WRITERS),
    ("POST", "/api/content/note/{draft}/publish", None, WRITERS),
    ("POST", "/api/content/note/{entry}/unpublish", None, WRITERS),
    ("DELETE", "/api/content/note/{draft}", None, WRITERS),
    ("GET", "/api/content/note/{entry}/revisions", None, STAFF),
    ("GET", "/api/content/note/{entry}/revisions/1", None, STAFF),
    ("POST", "/api/content/note/{entry}/revisions/1/restore", None, WRITERS),
    ("GET", "/api/content/site", None, EVERYONE),
    ("PUT", "/api/content/site", {"name": "Folio"}, WRITERS),
    ("GET", "/api/sync", None, EVERYONE),
    ("GET", "/api/events?types=none", None, EVERYONE),  # a 400 once the caller passed: a stream would stay open
    ("GET", "/api/openapi.json", None, EVERYONE),
    ("GET", "/api/types.ts", None, EVERYONE),
    ("GET", "/api/users", None, {"administrator", "editor"}),
    ("POST", "/api/users", {"email": "x@example.com", "password": "a-long-password", "role": "viewer"},
     {"administrator"}),
    ("GET", "/api/users/{user}", None, {"administrator", "editor"}),
    ("PATCH", "/api/users/{user}", {"name": "Renamed"}, {"administrator"}),
    ("DELETE", "/api/users/{user}", None, {"administrator"}),
    ("GET", "/api/roles", None, {"administrator"}),
    ("POST", "/api/roles", {"name": "extra", "permissions": []}, {"administrator"}),
    ("GET", "/api/roles/{role}", None, {"administrator"}),
    ("PATCH", "/api/roles/{role}", {"label": "Changed"}, {"administrator"}),
    ("DELETE", "/api/roles/{role}", None, {"administrator"}),
    ("GET", "/api/tokens", None, EVERYONE - {"anonymous"}),
    ("POST", "/api/tokens", {"name": "child"}, {"administrator"}),  # tokens mint tokens only with tokens.manage
    ("DELETE", "/api/tokens/{token}", None, {"administrator"}),  # others' tokens: tokens.manage
    ("POST", "/api/tokens/preview", {"type": "note"}, {"administrator"}),  # token callers need tokens.manage
    ("GET", "/api/audit", None, {"administrator"}),
    ("GET", "/api/content/note/{draft}/schedule", None, STAFF),
    ("POST", "/api/content/note/{draft}/schedule", {"publish_at": "2099-01-01T00:00:00Z"}, WRITERS),
    ("DELETE", "/api/content/note/{draft}/schedule", None, WRITERS),
    ("GET", "/api/plugins", None, {"administrator"}),
    ("GET", "/api/plugins/seo", None, {"administrator"}),
    ("GET", "/api/webhooks", None, {"administrator"}),
    ("POST", "/api/webhooks", {"name": "x", "url": "https://example.com/h"}, {"administrator"}),
    ("GET", "/api/webhooks/{webhook}", None, {"administrator"}),
    ("PATCH", "/api/webhooks/{webhook}", {"name": "y"}, {"administrator"}),
    ("DELETE", "/api/webhooks/{webhook}", None, {"administrator"}),
    ("POST", "/api/webhooks/{webhook}/rotate-secret", {}, {"administrator"}),
    ("GET", "/api/webhooks/{webhook}/deliveries", None, {"administrator"}),
    ("POST", "/api/webhooks/{webhook}/deliveries/1/redeliver", None, {"administrator"}),
    ("GET", "/api/media", None, {"administrator", "editor", "author"}),
    ("POST", "/api/media", "upload", {"administrator", "editor", "author"}),
    ("GET", "/api/media/{media}", None, {"administrator", "editor", "author"}),
    ("PATCH", "/api/media/{media}", {"alt": "Changed"}, {"administrator", "editor", "author"}),
    ("DELETE", "/api/media/{media}", None, {"administrator", "editor", "author"}),
    ("GET", "/api/media/{media}/file", None, EVERYONE),  # files are public by their unguessable URL
    ("GET", "/api/media/{media}/image?w=64", None, EVERYONE),
    ("POST", "/api/media/uploads", {"filename": "a.png", "size": 10, "mime": "image/png"},
     {"administrator", "editor", "author"}),  # then 400 on local storage: allowed, answered
    ("POST", "/api/media/uploads/{media}/complete", {"parts": [{"number": 1, "etag": "x"}]},
     {"administrator", "editor", "author"}),
    ("GET", "/api/auth/me", None, EVERYONE),
    ("GET", "/api/auth/explain?action=update&type=note", None, EVERYONE),
]


@pytest.fixture
def world(api, make_type, make_entry, make_user, client, app, monkeypatch, tmp_path):
    from cms.media.storage import LocalStorage

    monkeypatch.setitem(app.extensions, "folio.media_storage", LocalStorage(tmp_path / "media"))
    make_type("note", [{"name": "title", "type": "string"}])
    make_type("scratch", [{"name": "title", "type": "string"}])
    make_type("site", [{"name": "name", "type": "string"}], kind="singleton")
    api.put("/api/content/site", json={"name": "Site"})
    api.post("/api/content/site/publish")
    entry = make_entry("note", publish=True, title="published")
    draft = make_entry("note", title="draft")
    assert api.post("/api/roles", json={"name": "custom", "permissions": []}).status_code == 201
    viewer = make_user("viewer")
    token = api.get(f"/api/tokens?user={viewer.id}").json["data"][0]["id"]
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(picture, "PNG")
    media = api.request("POST", "/api/media", data={"file": (io.BytesIO(picture.getvalue()), "a.png")},
                        content_type="multipart/form-data").json["data"]["id"]
    webhook = api.post("/api/webhooks", json={"name": "site", "url": "https://example.com/hooks"}).json["data"]["id"]
    values = {"entry": entry["id"], "draft": draft["id"], "user": viewer.id, "role": "custom", "token": token,
              "media": media, "webhook": webhook}
    callers = {role: Api(client, make_user(role).token) for role in ("administrator", "editor", "author", "viewer")}
    callers["anonymous"] = Api(client, None)
    delivery = api.post("/api/tokens", json={"name": "site", "kind": "delivery"}).json["meta"]["token"]
    callers["delivery"] = Api(client, delivery)
    return values, callers


@pytest.mark.parametrize("method, path, body, allowed", ROUTES, ids=[f"{m} {p}" for m, p, _b, _a in ROUTES])
def test_the_access_matrix(world, db, method, path, body, allowed):
    """One route, every caller: each call runs in a savepoint rolled back after it, so every caller
    meets the same world (built once per route, not once per caller)."""
    values, callers = world
    connection = db.engines[None]  # the test's connection (see the db fixture)
    wrong = []
    for caller in CALLERS:
        response = _isolated(connection, callers[caller], method, path, body, values)
        wrong += _judge(caller, method, path, allowed, response)
    assert wrong == []


def test_a_call_of_the_matrix_leaves_nothing_behind(world, db):
    values, callers = world
    connection = db.engines[None]
    answers = [_isolated(connection, callers["administrator"], "DELETE", "/api/content/note/{entry}", None, values)
               .status_code for _ in range(2)]
    assert answers == [204, 204]  # the second delete found the entry again


def _isolated(connection, client, method, path, body, values):
    """Send one call inside a savepoint, rolled back afterwards, whatever the call committed."""
    savepoint = connection.begin_nested()
    try:
        return _call(client, method, path, body, values)
    finally:
        savepoint.rollback()


def _call(client, method, path, body, values):
    if body == "upload":
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), (9, 9, 9)).save(picture, "PNG")
        return client.request(method, path, data={"file": (io.BytesIO(picture.getvalue()), "b.png")},
                              content_type="multipart/form-data")
    return client.request(method, path.format(**values), json=body)


def _judge(caller, method, path, allowed, response):
    """Return ``[(caller, status, body)]`` when the answer is not what the matrix says, else []."""
    status = response.status_code
    if caller in allowed:
        ok = status not in (401, 403) and status < 500
    else:
        expected = 401 if caller == "anonymous" else 404 if (method, path) in HIDDEN else 403
        ok = status == expected and (response.json or {}).get("error", {}).get("code") in {
            "not_authenticated", "permission_denied", "not_found"}
    return [] if ok else [(caller, status, response.get_data(as_text=True)[:300])]


def test_the_matrix_covers_every_route(app):
    """Every /api rule appears in the matrix (by its first path segments), so a new route needs a row."""
    covered = {(method, _shape(path)) for method, path, _b, _a in ROUTES}
    exempt = {("POST", "/api/auth/login"), ("POST", "/api/auth/logout"), ("POST", "/api/auth/password"),
              ("POST", "/api/auth/password-reset"), ("POST", "/api/auth/password-reset/confirm"),
              ("GET", "/api/tokens/<>"), ("GET", "/api/content/<>/<>/translations"),
              ("POST", "/api/content/<>/<>/translations/<>"), ("GET", "/api/content/<>/<>/revisions/<>/diff"),
              ("PATCH", "/api/content/<>"), ("DELETE", "/api/content/<>"), ("PUT", "/api/content-types/<>"),
              ("PUT", "/api/roles/<>"), ("POST", "/api/content/<>/publish"), ("POST", "/api/content/<>/unpublish"),
              ("GET", "/api/content/<>/revisions"), ("GET", "/api/content/<>/revisions/<>"),
              ("GET", "/api/content/<>/revisions/<>/diff"), ("POST", "/api/content/<>/revisions/<>/restore"),
              ("GET", "/api/content/<>/translations"), ("POST", "/api/content/<>/translations/<>"),
              ("GET", "/api/content/<>/schedule"), ("POST", "/api/content/<>/schedule"),
              ("DELETE", "/api/content/<>/schedule")}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api"):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = (method, _shape(rule.rule))
            if key not in covered and key not in exempt:
                missing.append(key)
    assert missing == []


def _shape(path):
    """``/api/content/note/{entry}?x`` and ``/api/content/<type_name>/<entry_id>`` -> ``/api/content/<>/<>``."""
    import re

    path = path.split("?")[0]
    path = re.sub(r"<[^>]+>|\{[^}]+\}", "<>", path)
    parts = path.split("/")
    if parts[1:3] == ["api", "content"] and len(parts) > 3:
        parts[3] = "<>"
    if parts[1:3] in (["api", "content-types"], ["api", "roles"], ["api", "users"], ["api", "tokens"], ["api", "media"],
                      ["api", "plugins"], ["api", "webhooks"]) \
            and len(parts) > 3 and parts[3] not in ("preview", "uploads"):
        parts[3] = "<>"
    if parts[1:4] == ["api", "media", "uploads"] and len(parts) > 4:
        parts[4] = "<>"
    if len(parts) > 5 and parts[4] == "deliveries":
        parts[5] = "<>"
    if len(parts) > 6 and parts[5] == "revisions":
        parts[6] = "<>"
    return "/".join(parts)
