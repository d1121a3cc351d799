"""The editor follows the roles' field allow-lists and read-only access, as the API does.

Page checks through Flask's test client with a signed-in session (fast, rolled back): a field the
user may not read is not on the page, one they may read but not change is shown disabled and a
forged value for it is ignored, and a user who may read but not update gets the page read-only.
An entry deleted while someone edited it keeps what they typed, to save as a new entry.
"""

import re

import pytest

FIELDS = [
    {"name": "title", "type": "string", "required": True, "max_length": 20},
    {"name": "body", "type": "text"},
    {"name": "notes", "type": "text"},
]


@pytest.fixture
def memo(make_type, api):
    make_type("memo", FIELDS)
    created = api.post("/api/content/memo", json={"title": "Plan", "body": "Public words", "notes": "Secret words"})
    assert created.status_code == 201, created.json
    return created.json["data"]


def _signed_in_with(session_as, api, name, permissions):
    """A session of a new user holding a new role ``name`` with ``permissions``."""
    response = api.post("/api/roles", json={"name": name, "permissions": permissions})
    assert response.status_code == 201, response.json
    return session_as(name)


def _html(response):
    return response.get_data(as_text=True)


def _input(html, name):
    """The opening tag of the form control named ``name`` (None when it is not on the page)."""
    found = re.search(rf'<(?:input|textarea)[^>]*\bname="{name}"[^>]*>', html)
    return found.group(0) if found else None


def _locked(html, name):
    """Whether the control named ``name`` sits in a disabled fieldset."""
    for block in re.findall(r'<fieldset class="locked" disabled>(.*?)</fieldset>', html, re.S):
        if _input(block, name):
            return True
    return False


def _stored(api, memo):
    return api.get(f"/api/content/memo/{memo['id']}?status=draft").json["data"]


def _save(user, api, memo, **values):
    """Post the editor's form with ``values``; return the stored (title, body, notes) afterwards."""
    saved = user.post(f"/admin/content/memo/{memo['id']}", data={**values, "op": "save", "_version": "1"})
    assert saved.status_code == 302, _html(saved)
    stored = _stored(api, memo)
    return stored["title"], stored["body"], stored["notes"]


def test_a_viewer_reads_the_entry_with_every_field_locked_and_cannot_save(session_as, api, memo):
    viewer = session_as("viewer")
    html = _html(viewer.get(f"/admin/content/memo/{memo['id']}"))

    assert "Public words" in html and "Secret words" in html
    assert all(_locked(html, name) for name in ("title", "body", "notes"))
    assert 'value="save"' not in html and 'value="publish"' not in html
    assert "your role does not let you change it" in html
    refused = viewer.post(f"/admin/content/memo/{memo['id']}", data={"title": "Mine now", "op": "save", "_version": "1"})
    assert refused.status_code == 403
    assert _stored(api, memo)["title"] == "Plan"


def test_fields_outside_the_read_allow_list_are_not_on_the_page(session_as, api, memo):
    user = _signed_in_with(session_as, api, "memo_titles", [
        {"type": "memo", "action": "read", "fields": ["title", "body"]},
        {"type": "memo", "action": "update", "fields": ["title", "body"]},
    ])
    html = _html(user.get(f"/admin/content/memo/{memo['id']}"))

    assert "Secret words" not in html and _input(html, "notes") is None
    assert not _locked(html, "title") and not _locked(html, "body")
    assert _save(user, api, memo, title="Plan B", body="New words") == ("Plan B", "New words", "Secret words")


def test_a_field_read_but_not_writable_is_locked_and_a_forged_value_is_ignored(session_as, api, memo):
    user = _signed_in_with(session_as, api, "memo_retitler", [
        {"type": "memo", "action": "read"},
        {"type": "memo", "action": "update", "fields": ["title"]},
    ])
    html = _html(user.get(f"/admin/content/memo/{memo['id']}"))

    assert not _locked(html, "title") and _locked(html, "body") and _locked(html, "notes")
    assert "Public words" in html and "read this field, not change it" in html
    assert _save(user, api, memo, title="Plan C", body="Forged", notes="Forged too") == (
        "Plan C", "Public words", "Secret words")


def test_a_refused_save_shows_the_locked_fields_as_stored(session_as, api, memo):
    user = _signed_in_with(session_as, api, "memo_retitler2", [
        {"type": "memo", "action": "read"},
        {"type": "memo", "action": "update", "fields": ["title"]},
    ])
    response = user.post(f"/admin/content/memo/{memo['id']}", data={"title": "x" * 30, "op": "save", "_version": "1"})

    html = _html(response)
    assert response.status_code == 422
    assert "Public words" in html and "Secret words" in html  # what is stored, not blanks
    assert _stored(api, memo)["title"] == "Plan"


def test_a_field_writable_but_not_readable_keeps_its_value(session_as, api, memo):
    user = _signed_in_with(session_as, api, "memo_blind", [
        {"type": "memo", "action": "read", "fields": ["title"]},
        {"type": "memo", "action": "update"},
    ])
    html = _html(user.get(f"/admin/content/memo/{memo['id']}"))
    assert "Secret words" not in html and "Public words" not in html

    assert _save(user, api, memo, title="Plan D") == ("Plan D", "Public words", "Secret words")


def test_a_new_entry_form_offers_only_the_fields_the_user_may_create(session_as, api, memo):
    user = _signed_in_with(session_as, api, "memo_starter", [
        {"type": "memo", "action": "read"},
        {"type": "memo", "action": "create", "fields": ["title"]},
    ])
    html = _html(user.get("/admin/content/memo/new"))
    assert not _locked(html, "title") and _locked(html, "body")

    created = user.post("/admin/content/memo/new", data={"title": "Fresh", "body": "Forged", "op": "save"})

    assert created.status_code == 302, _html(created)
    entry_id = created.headers["Location"].split("?")[0].rsplit("/", 1)[-1]
    stored = api.get(f"/api/content/memo/{entry_id}?status=draft").json["data"]
    assert stored["title"] == "Fresh" and stored["body"] is None


def test_an_entry_deleted_while_it_was_edited_keeps_what_was_typed(session_as, api, memo):
    editor = session_as("editor")
    assert api.delete(f"/api/content/memo/{memo['id']}").status_code == 204

    response = editor.post(f"/admin/content/memo/{memo['id']}",
                           data={"title": "Still here", "body": "My <b>words</b>", "op": "save", "_version": "1"})

    html = _html(response)
    assert response.status_code == 409
    assert "deleted this entry while you were editing it" in html
    assert 'value="Still here"' in _input(html, "title") and "My &lt;b&gt;words&lt;/b&gt;" in html
    assert 'action="/admin/content/memo/new"' in html  # saving makes it anew
    created = editor.post("/admin/content/memo/new", data={"title": "Still here", "body": "My words", "op": "save"})
    assert created.status_code == 302
    assert api.get("/api/content/memo?status=draft").json["data"][0]["title"] == "Still here"


def test_an_author_opens_only_their_own_entries_and_a_viewer_every_one(session_as, api, memo):
    author, viewer = session_as("author"), session_as("viewer")
    own = author.post("/api/content/memo", json={"title": "Mine"}).json["data"]
    listing = _html(author.get("/admin/content/memo"))

    assert f'/admin/content/memo/{own["id"]}"' in listing and f'/admin/content/memo/{memo["id"]}"' not in listing
    assert author.get(f"/admin/content/memo/{memo['id']}").status_code == 403
    assert author.get(f"/admin/content/memo/{own['id']}").status_code == 200
    assert f'/admin/content/memo/{memo["id"]}"' in _html(viewer.get("/admin/content/memo"))  # read-only for them
