"""Unique values and slugs: claimed per type, freed on change or delete, slugs derived and suffixed."""

import re

import pytest

from cms.content.models import Entry, EntryUnique
from tests.conftest import table_count
from tests.helpers import error_of

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

POST = [
    {"name": "title", "type": "string", "max_length": 2000},
    {"name": "slug", "type": "slug", "source": "title"},
    {"name": "isbn", "type": "string", "unique": True},
    {"name": "contact", "type": "email", "unique": True},
]


@pytest.fixture
def post(make_type):
    return make_type("post", POST)


def draft(api, entry, type_name="post"):
    response = api.get(f"/api/content/{type_name}/{entry['id']}?status=draft")
    assert response.status_code == 200, response.json
    return response.json["data"]


def create(api, type_name="post", **values):
    response = api.post(f"/api/content/{type_name}", json=values)
    assert response.status_code == 201, response.json
    return response.json["data"]


# -- unique fields ---------------------------------------------------------------------------

def test_a_duplicate_unique_value_is_409_and_nothing_is_stored(api, post):
    first = create(api, title="A", isbn="978-3")

    error = error_of(api.post("/api/content/post", json={"title": "B", "isbn": "978-3"}), 409, "conflict")

    assert error["details"]["fields"] == {"isbn": ["Already used by another entry."]}
    assert table_count(Entry) == 1
    assert table_count(EntryUnique) == 2  # the first entry's isbn and slug
    assert draft(api, first)["isbn"] == "978-3"


def test_a_duplicate_on_update_changes_nothing(api, post):
    create(api, title="A", isbn="1")
    second = create(api, title="B", isbn="2")

    error_of(api.patch(f"/api/content/post/{second['id']}", json={"isbn": "1", "title": "Changed"}), 409, "conflict")

    data = draft(api, second)
    assert (data["isbn"], data["title"], data["version"]) == ("2", "B", 1)


def test_an_entry_keeps_its_own_unique_value_when_updated(api, post):
    entry = create(api, title="A", isbn="1", contact="a@example.com")

    patched = api.patch(f"/api/content/post/{entry['id']}", json={"title": "A2"})
    replaced = api.put(f"/api/content/post/{entry['id']}", json={"title": "A3", "isbn": "1", "slug": "a",
                                                                 "contact": "A@example.com"})

    assert patched.status_code == 200, patched.json
    assert replaced.status_code == 200, replaced.json
    assert (replaced.json["data"]["isbn"], replaced.json["data"]["version"]) == ("1", 3)


@pytest.mark.parametrize("free", ["change", "clear", "delete"])
def test_a_freed_value_can_be_taken_by_another_entry(api, post, free):
    holder = create(api, title="A", isbn="1")
    if free == "delete":
        assert api.delete(f"/api/content/post/{holder['id']}").status_code == 204
    else:
        value = "2" if free == "change" else None
        assert api.patch(f"/api/content/post/{holder['id']}", json={"isbn": value}).status_code == 200

    taker = api.post("/api/content/post", json={"title": "B", "isbn": "1"})

    assert taker.status_code == 201, taker.json
    assert taker.json["data"]["isbn"] == "1"


def test_unique_emails_ignore_case(api, post):
    create(api, title="A", contact="Ann@Example.com")

    error = error_of(api.post("/api/content/post", json={"title": "B", "contact": "ann@example.COM"}), 409,
                     "conflict")

    assert set(error["details"]["fields"]) == {"contact"}
    assert table_count(Entry) == 1


def test_uniqueness_is_per_type(api, post, make_type):
    make_type("page", POST)

    first = create(api, "post", title="Hello", isbn="1")
    second = create(api, "page", title="Hello", isbn="1")

    assert (first["slug"], second["slug"]) == ("hello", "hello")
    assert second["isbn"] == "1"


def test_publishing_keeps_the_claims(api, post):
    entry = create(api, title="A", isbn="1")
    assert api.post(f"/api/content/post/{entry['id']}/publish").status_code == 200

    error_of(api.post("/api/content/post", json={"isbn": "1"}), 409, "conflict")

    assert table_count(Entry) == 1


# -- slugs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("title,slug", [
    ("Hello Wörld", "hello-world"),
    ("  Ça   va?  Très bien!  ", "ca-va-tres-bien"),
    ("你好世界", "ni-hao-shi-jie"),
    ("Crème Brûlée & Co.", "creme-brulee-co"),
    ("\U0001F389\U0001F600", None),
    ("!!!", None),
])
def test_a_slug_is_derived_from_its_source(api, post, title, slug):
    assert create(api, title=title)["slug"] == slug


def test_derived_slugs_are_suffixed_on_collision(api, post):
    slugs = [create(api, title="Hello Wörld")["slug"] for _ in range(4)]

    assert slugs == ["hello-world", "hello-world-2", "hello-world-3", "hello-world-4"]


def test_a_derived_slug_stays_when_the_title_changes_and_is_derived_again_when_cleared(api, post):
    entry = create(api, title="First")

    renamed = api.patch(f"/api/content/post/{entry['id']}", json={"title": "Second"}).json["data"]
    cleared = api.patch(f"/api/content/post/{entry['id']}", json={"slug": None}).json["data"]

    assert renamed["slug"] == "first"
    assert cleared["slug"] == "second"
    assert create(api, title="First")["slug"] == "first"


def test_an_explicit_duplicate_slug_is_409(api, post):
    create(api, title="Hello")

    error = error_of(api.post("/api/content/post", json={"title": "Other", "slug": "hello"}), 409, "conflict")

    assert error["details"]["fields"] == {"slug": ["Already used by another entry."]}
    assert table_count(Entry) == 1


@pytest.mark.parametrize("slug", ["Hello", "hello world", "hello\x00", "a" * 201, "-hello", "hello--world",
                                  "héllo", 5])
def test_an_invalid_explicit_slug_is_422(api, post, slug):
    entry = create(api, title="Keep")

    response = api.patch(f"/api/content/post/{entry['id']}", json={"slug": slug})

    assert set(error_of(response, 422, "validation_failed")["details"]["fields"]) == {"slug"}
    assert draft(api, entry)["slug"] == "keep"


@pytest.mark.parametrize("title", ["Ünïcödé wörds " * 100, "漢字" * 500, "a" * 1500, "é" * 300 + " end"])
def test_a_very_long_title_gives_a_slug_of_at_most_200_characters(api, post, title):
    first = create(api, title=title)["slug"]
    second = create(api, title=title)["slug"]

    for slug in (first, second):
        assert slug and len(slug) <= 200 and SLUG.match(slug)
    assert first != second


def test_an_explicit_slug_is_kept(api, post):
    entry = create(api, title="Title", slug="my-own-slug")

    assert entry["slug"] == "my-own-slug"
    assert create(api, title="my own slug")["slug"] == "my-own-slug-2"


def test_a_deleted_entry_frees_its_slug(api, post):
    entry = create(api, title="Hello")
    assert api.delete(f"/api/content/post/{entry['id']}").status_code == 204

    assert create(api, title="Hello")["slug"] == "hello"
    assert table_count(EntryUnique) == 1


def test_a_put_that_leaves_out_the_slug_keeps_it_without_a_new_version(api, post):
    create(api, title="Same")
    second = create(api, title="Same")
    assert second["slug"] == "same-2"

    replaced = api.put(f"/api/content/post/{second['id']}", json={"title": "Same"})

    assert replaced.status_code == 200
    assert (replaced.json["data"]["slug"], replaced.json["data"]["version"]) == ("same-2", 1)


def test_publishing_an_unchanged_published_entry_changes_nothing(api, post):
    entry = create(api, title="Once")
    first = api.post(f"/api/content/post/{entry['id']}/publish").json["data"]

    again = api.post(f"/api/content/post/{entry['id']}/publish")

    assert again.status_code == 200
    assert again.json["data"]["version"] == first["version"] == 2
    history = api.get(f"/api/content/post/{entry['id']}/revisions").json["data"]
    assert [row["number"] for row in history] == [2, 1]
