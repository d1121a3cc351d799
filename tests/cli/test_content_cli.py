import json

import pytest
import sqlalchemy as sa

from cms.content.models import Entry, EntryRelation, EntryUnique, Revision
from tests.conftest import table_count

AUTHOR = [
    {"name": "name", "type": "string", "required": True},
    {"name": "email", "type": "email", "unique": True},
]
ARTICLE = [
    {"name": "title", "type": "string", "required": True, "max_length": 200},
    {"name": "slug", "type": "slug", "source": "title"},
    {"name": "body", "type": "richtext"},
    {"name": "views", "type": "integer", "min": 0, "default": 0},
    {"name": "author", "type": "relation", "target": "author", "on_delete": "restrict"},
    {"name": "sections", "type": "blocks", "blocks": {"quote": [{"name": "text", "type": "text"}]}},
]
LINE_KEYS = {"id", "type", "locale", "status", "version", "created_at", "updated_at", "published_at",
             "published_version", "data", "published"}
TABLES = (Entry, Revision, EntryRelation, EntryUnique)


@pytest.fixture
def blog(api, make_type, make_entry):
    """A published author, a published-then-edited article and a draft article."""
    make_type("author", AUTHOR)
    make_type("article", ARTICLE)
    ann = make_entry("author", publish=True, name="Ann", email="ann@example.com")
    hello = make_entry("article", publish=True, title="Hello Wörld", body="# Hi", views=3, author=ann["id"],
                       sections=[{"type": "quote", "value": {"text": "q"}}])
    edited = api.patch(f"/api/content/article/{hello['id']}", json={"title": "Hello again"})
    assert edited.status_code == 200, edited.json
    draft = make_entry("article", title="Draft", author=ann["id"])
    return {"ann": ann, "hello": hello, "draft": draft}


def export_lines(run, *args):
    result = run("content", "export", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def api_answers(api, blog):
    """Every API view of the blog's entries: drafts, published snapshots and lists."""
    views = {}
    for key, entry in blog.items():
        for status in ("draft", "published"):
            response = api.get(f"/api/content/{entry['type']}/{entry['id']}?status={status}")
            views[key, status] = (response.status_code, response.json)
    for name in ("author", "article"):
        views[name] = api.get(f"/api/content/{name}?status=draft").json
    return views


def row_counts():
    return {model.__name__: table_count(model) for model in TABLES}


def write_lines(tmp_path, lines):
    path = tmp_path / "entries.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return str(path)


def delete_every_entry(db):
    db.session.execute(sa.delete(EntryRelation))
    db.session.execute(sa.delete(Entry))
    db.session.commit()


def test_export_writes_one_json_object_per_entry_keyed_by_field_name(run, blog):
    lines = export_lines(run)

    assert [(line["type"], line["id"]) for line in lines] == [
        ("article", blog["hello"]["id"]), ("article", blog["draft"]["id"]), ("author", blog["ann"]["id"]),
    ]
    hello, draft, ann = lines
    assert all(set(line) == LINE_KEYS for line in lines)
    assert (hello["status"], hello["version"], hello["published_version"]) == ("changed", 3, 2)
    assert hello["data"]["title"] == "Hello again" and hello["published"]["title"] == "Hello Wörld"
    assert hello["data"]["body"] == "# Hi"  # richtext as Markdown
    assert hello["data"]["author"] == blog["ann"]["id"]  # relations as ids
    assert hello["data"]["sections"] == blog["hello"]["sections"]  # blocks keep their ids
    assert hello["data"]["slug"] == "hello-world"
    assert (draft["status"], draft["published"], draft["published_at"]) == ("draft", None, None)
    assert ann["data"] == {"name": "Ann", "email": "ann@example.com"}
    assert hello["created_at"].endswith("Z")


def test_export_can_be_limited_to_some_types_and_written_to_a_file(run, blog, tmp_path):
    target = tmp_path / "authors.jsonl"

    result = run("content", "export", "--type", "author", "-o", str(target))

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [blog["ann"]["id"]]
    assert "Exported 1 entries" in result.stderr


def test_export_of_an_unknown_type_fails_with_one_line(run, blog):
    result = run("content", "export", "--type", "nope")

    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: No content type named 'nope'."


def test_export_then_import_restores_the_same_api_answers(run, api, db, blog, tmp_path):
    before = api_answers(api, blog)
    path = tmp_path / "all.jsonl"
    assert run("content", "export", "-o", str(path)).exit_code == 0
    delete_every_entry(db)
    assert api.get(f"/api/content/author/{blog['ann']['id']}").status_code == 404

    result = run("content", "import", str(path))

    assert result.exit_code == 0, result.output
    assert api_answers(api, blog) == before
    assert before["article"]["data"][-1]["author"] == {"id": blog["ann"]["id"], "type": "author"}
    assert row_counts() == {"Entry": 3, "Revision": 3, "EntryRelation": 3, "EntryUnique": 3}
    revisions = api.get(f"/api/content/article/{blog['hello']['id']}/revisions").json["data"]
    assert [(r["number"], r["action"]) for r in revisions] == [(3, "import")]


def test_importing_a_file_twice_replaces_entries_instead_of_duplicating_them(run, api, blog, tmp_path):
    path = tmp_path / "all.jsonl"
    assert run("content", "export", "-o", str(path)).exit_code == 0
    before, counts = api_answers(api, blog), row_counts()

    first = run("content", "import", str(path))
    second = run("content", "import", str(path), "--batch-size", "2")

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "3 replaced" in second.stderr
    assert row_counts() == {**counts, "Revision": 3}  # each entry's history is the import itself
    assert api_answers(api, blog) == before


def test_import_reads_stdin_and_reports_progress_on_stderr(run, blog):
    text = run("content", "export").stdout

    result = run("content", "import", "-", input=text)

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "Imported 3 entries" in result.stderr and "/s" in result.stderr
    assert "(article 2, author 1)" in result.stderr


def test_an_imported_entry_may_point_at_a_later_line(run, api, make_type, tmp_path):
    make_type("author", AUTHOR)
    make_type("article", ARTICLE)
    path = write_lines(tmp_path, [
        {"id": "post-1", "type": "article", "data": {"title": "First", "author": "ann"}},
        {"id": "ann", "type": "author", "data": {"name": "Ann"}, "published": {"name": "Ann"}},
    ])

    result = run("content", "import", path, "--batch-size", "1")

    assert result.exit_code == 0, result.output
    post = api.get("/api/content/article/post-1?status=draft").json["data"]
    assert (post["slug"], post["author"], post["status"]) == ("first", {"id": "ann", "type": "author"}, "draft")
    assert api.get("/api/content/author/ann", token=None).json["data"]["status"] == "published"


GOOD = {"id": "ann", "type": "author", "data": {"name": "Ann", "email": "ann@example.com"}}
BAD_LINES = {
    "invalid JSON": ('{"id": "x", "type": ', "line 2: not valid JSON"),
    "not an object": ("[1, 2]", "line 2: expected a JSON object"),
    "unknown type": ({"id": "x", "type": "nope", "data": {}}, "line 2: unknown content type 'nope'"),
    "invalid value": ({"id": "x", "type": "article", "data": {"title": "T", "views": -1}},
                      "line 2: invalid data: views: Must be greater than or equal to 0."),
    "invalid published value": ({"id": "x", "type": "article", "data": {"title": "T"}, "published": {"views": "9"}},
                                "line 2: invalid published: views: Not a valid integer."),
    "duplicate in the file": ({"id": "bob", "type": "author", "data": {"name": "Bob", "email": "ann@example.com"}},
                              "line 2: email 'ann@example.com' is already used on line 1"),
    "duplicate in the database": ({"id": "x", "type": "article", "data": {"title": "Old"}},
                                  "line 2: slug 'old' is already used by the entry old in the database"),
    "dangling relation": ({"id": "x", "type": "article", "data": {"title": "T", "author": "ghost"}},
                          "line 2: author points at ghost, which is neither in the file nor in the database"),
    "relation of the wrong type": ({"id": "x", "type": "article", "data": {"title": "T", "author": "old"}},
                                   "line 2: author must point at a author, but old is a article"),
    "missing id": ({"type": "article", "data": {"title": "T"}}, "line 2: missing 'id'"),
    "repeated id": ({"id": "ann", "type": "author", "data": {"name": "Ann"}},
                    "line 2: the id ann already appears on line 1"),
    "changed type": ({"id": "old", "type": "author", "data": {"name": "Old"}},
                     "line 2: the id old belongs to a article in the database"),
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_a_bad_line_fails_the_whole_import_with_its_number_and_writes_nothing(run, api, make_type, tmp_path, case):
    make_type("author", AUTHOR)
    make_type("article", ARTICLE)
    assert api.post("/api/content/article", json={"title": "Old"}).status_code == 201
    old = api.get("/api/content/article?status=draft").json["data"][0]
    db_id = old["id"]
    bad, message = BAD_LINES[case]
    if isinstance(bad, dict):
        bad = json.dumps(bad).replace('"old"', json.dumps(db_id))
        message = message.replace(" old ", f" {db_id} ")
    counts = row_counts()

    result = run("content", "import", write_lines(tmp_path, [GOOD, bad]), "--batch-size", "1")

    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {message}")
    assert row_counts() == counts
    assert api.get(f"/api/content/article/{db_id}?status=draft").json["data"] == old


def test_a_singleton_keeps_its_one_entry_when_an_import_brings_another(run, api, make_type, tmp_path):
    make_type("settings", [{"name": "site_name", "type": "string"}], kind="singleton")
    assert api.put("/api/content/settings", json={"site_name": "Mine"}).status_code in {200, 201}
    counts = row_counts()
    path = write_lines(tmp_path, [{"id": "other", "type": "settings", "data": {"site_name": "Theirs"}}])

    result = run("content", "import", path)

    assert result.exit_code == 1
    assert "line 1: 'settings' is a singleton and already has the entry" in result.stderr
    assert row_counts() == counts
    assert api.get("/api/content/settings?status=draft").json["data"]["site_name"] == "Mine"
