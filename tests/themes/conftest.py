"""Theme fixtures: a theme folder factory, local media storage, a model with every kind of field."""

import textwrap

import pytest

from cms.media.storage import LocalStorage
from tests.media.conftest import image_bytes, upload

PERSON = [{"name": "name", "type": "string"}, {"name": "email", "type": "email", "private": True}]
ARTICLE = [
    {"name": "title", "type": "string"},
    {"name": "summary", "type": "text"},
    {"name": "body", "type": "richtext"},
    {"name": "views", "type": "integer"},
    {"name": "price", "type": "decimal"},
    {"name": "featured", "type": "boolean"},
    {"name": "day", "type": "date"},
    {"name": "at", "type": "datetime"},
    {"name": "link", "type": "url"},
    {"name": "cover", "type": "media"},
    {"name": "author", "type": "relation", "target": "person"},
    {"name": "seo", "type": "component", "fields": [
        {"name": "meta_title", "type": "string", "label": "Meta title"},
        {"name": "image", "type": "media"},
    ]},
    {"name": "sections", "type": "blocks", "blocks": {
        "quote": [{"name": "text", "type": "string"}, {"name": "by", "type": "relation", "target": "person"}],
        "note": [{"name": "body", "type": "richtext"}],
    }},
    {"name": "extra", "type": "json"},
    {"name": "notes", "type": "text", "private": True},
]


def write_theme(folder, toml, templates=None, static=None):
    """Create a theme folder: ``theme.toml`` (dedented), ``templates/…`` and ``static/…`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "theme.toml").write_text(textwrap.dedent(toml))
    for base, files in (("templates", templates or {}), ("static", static or {})):
        for name, text in files.items():
            path = folder / base / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return folder


@pytest.fixture
def local_media(app, db, monkeypatch, tmp_path):
    """A local folder as the app's media storage for this test."""
    store = LocalStorage(tmp_path / "media")
    monkeypatch.setitem(app.extensions, "folio.media_storage", store)
    return store


@pytest.fixture
def model(api, make_type, make_entry, local_media):
    """person <- article (every kind of field), one author, one image, and a full article draft."""
    make_type("person", PERSON)
    make_type("article", ARTICLE)
    ann = make_entry("person", name="Ann Writer", email="ann@example.com")
    image = upload(api, image_bytes(), "harbour.png", alt="The harbour at dawn", caption="Early light").json["data"]
    article = make_entry(
        "article", title="Hello preview", summary="Line one\nline two", body="# Big news\n\nSome *emphasis*.",
        views=42, price=9.5, featured=True, day="2026-03-01", at="2026-03-01T14:30:00+02:00", link="https://example.com/more",
        cover=image["id"], author=ann["id"], notes="internal only",
        seo={"meta_title": "Meta here", "image": image["id"]},
        sections=[{"type": "quote", "value": {"text": "Quoted words", "by": ann["id"]}},
                  {"type": "note", "value": {"body": "A **bold** note"}}],
        extra={"answer": 42, "tags": ["a", "b"]},
    )
    return {"ann": ann, "image": image, "article": article}


def preview_token(caller, type_name, **body):
    """Issue a preview token for ``type_name`` as ``caller`` (an Api client); return the secret."""
    response = caller.post("/api/tokens/preview", json={"type": type_name, **body})
    assert response.status_code == 201, response.json
    return response.json["data"]["token"]
