import json
from pathlib import Path

import pytest
import yaml

from cms.content.models import ContentType
from cms.content.services import model_io
from cms.content.services.types import export_type, find_type, list_types
from cms.core.errors import BadRequest, ValidationFailed
from cms.core.policy import SYSTEM
from tests.conftest import table_count

AUTHOR = [{"name": "name", "type": "string", "required": True}]
ARTICLE = [
    {"name": "title", "type": "string", "required": True, "max_length": 200},
    {"name": "views", "type": "integer", "min": 0, "default": 0},
    {"name": "author", "type": "relation", "target": "author"},
    {"name": "seo", "type": "component", "fields": [{"name": "description", "type": "text"}]},
]


@pytest.fixture
def model(make_type):
    """An author and an article that points at it."""
    make_type("author", AUTHOR)
    make_type("article", ARTICLE, label="Article")


def write(tmp_path, name, document):
    """Write a document (or raw text) as JSON or YAML, chosen by the file name; return the path."""
    if isinstance(document, str):
        text = document
    elif name.endswith((".yaml", ".yml")):
        text = yaml.safe_dump(document)
    else:
        text = json.dumps(document)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def stored():
    """Every type as stored, with its version: what a refused import must leave untouched."""
    return {row.name: (export_type(row), row.version) for row in list_types(SYSTEM)}


def delete_all(api):
    for name in ("article", "author"):
        assert api.delete(f"/api/content-types/{name}").status_code == 204


def test_export_prints_every_type_as_json_with_field_ids(run, model):
    result = run("types", "export")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["folio"] == {"format": 1}
    assert [t["name"] for t in document["types"]] == ["article", "author"]
    article = document["types"][0]
    assert article == export_type(find_type("article"))
    assert all(field["id"] for field in article["fields"])
    assert article["fields"][3]["fields"][0]["id"]


def test_export_writes_yaml_chosen_by_the_file_extension(run, model, tmp_path):
    path = tmp_path / "model.yml"

    result = run("types", "export", "author", "-o", str(path))

    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"Exported 1 type to {path}."
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert document == {"folio": {"format": 1}, "types": [export_type(find_type("author"))]}


def test_export_format_option_overrides_stdout_default(run, model):
    result = run("types", "export", "author", "--format", "yaml")

    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout)["types"][0]["name"] == "author"
    assert not result.stdout.lstrip().startswith("{")


def test_export_of_an_unknown_type_fails_with_one_line(run, model):
    result = run("types", "export", "author", "nope")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "Error: No content type named 'nope'."


def test_export_then_import_into_an_empty_model_reproduces_the_definitions(run, model, api, tmp_path):
    path = tmp_path / "model.json"
    assert run("types", "export", "-o", str(path)).exit_code == 0
    before = stored()
    delete_all(api)
    assert table_count(ContentType) == 0

    result = run("types", "import", str(path))

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["article: create type", "author: create type",
                                          "Imported: 2 created, 0 updated, 0 unchanged."]
    assert {name: definition for name, (definition, _v) in stored().items()} == {
        name: definition for name, (definition, _v) in before.items()
    }


def test_importing_the_same_file_twice_changes_nothing(run, tmp_path):
    path = write(tmp_path, "model.yaml", {"types": [{"name": "author", "fields": AUTHOR},
                                                   {"name": "article", "fields": ARTICLE}]})
    assert run("types", "import", path).exit_code == 0
    first = stored()

    result = run("types", "import", path)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "No changes."
    assert stored() == first
    assert {version for _definition, version in first.values()} == {1}
    report = model_io.import_model(model_io.read_model(Path(path).read_text(encoding="utf-8"), "yaml"), SYSTEM)
    assert [(item["type"], item["action"], item["changes"]) for item in report] == [
        ("author", "unchanged", []), ("article", "unchanged", []),
    ]


def test_a_field_renamed_by_id_keeps_its_stored_values(run, model, make_entry, api, tmp_path):
    entry = make_entry("article", title="Hello", views=3)
    document = model_io.export_model(["article"], actor=SYSTEM)
    document["types"][0]["fields"][0]["name"] = "headline"
    path = write(tmp_path, "model.json", document)

    result = run("types", "import", path)

    assert result.exit_code == 0, result.output
    assert "article: rename field title -> headline" in result.stdout.splitlines()
    response = api.get(f"/api/content/article/{entry['id']}?status=draft")
    assert response.status_code == 200, response.json
    data = response.json["data"]
    assert data["headline"] == "Hello"
    assert "title" not in data
    assert data["views"] == 3
    assert find_type("article").version == 2


def test_diff_prints_one_line_per_operation(run, model, tmp_path):
    document = model_io.export_model(["article"], actor=SYSTEM)
    article = document["types"][0]
    article["label"] = "Post"
    article["fields"][0]["name"] = "headline"
    article["fields"][1]["max"] = 10
    del article["fields"][2]
    article["fields"].append({"name": "body", "type": "text"})
    document["types"].append({"name": "tag", "fields": [{"name": "name", "type": "string"}]})
    path = write(tmp_path, "model.yaml", document)
    before = stored()

    result = run("types", "diff", path)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        'article: change label "Article" -> "Post"',
        "article: rename field title -> headline",
        "article: change field views: max null -> 10",
        "article: add field body (text)",
        "article: remove field author",
        "tag: create type",
        "author: not in the file (left alone)",
    ]
    assert stored() == before


def test_diff_exit_code_says_whether_anything_would_change(run, model, tmp_path):
    path = tmp_path / "model.json"
    assert run("types", "export", "-o", str(path)).exit_code == 0

    unchanged = run("types", "diff", str(path), "--exit-code")
    document = json.loads(path.read_text())
    document["types"][1]["label"] = "Writer"
    path.write_text(json.dumps(document))
    changed = run("types", "diff", str(path), "--exit-code")
    without_flag = run("types", "diff", str(path))

    assert (unchanged.exit_code, unchanged.stdout) == (0, "No changes.\n")
    assert (changed.exit_code, changed.stdout) == (1, 'author: change label "Author" -> "Writer"\n')
    assert without_flag.exit_code == 0


def test_dry_run_prints_the_plan_and_changes_nothing(run, model, make_entry, api, tmp_path):
    entry = make_entry("article", title="Hello")
    document = model_io.export_model(actor=SYSTEM)
    document["types"][0]["fields"][0]["name"] = "headline"
    document["types"].append({"name": "tag", "fields": [{"name": "name", "type": "string"}]})
    path = write(tmp_path, "model.json", document)
    before = stored()

    result = run("types", "import", path, "--dry-run")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "article: rename field title -> headline", "tag: create type",
        "Dry run (1 created, 1 updated, 1 unchanged): nothing was changed.",
    ]
    assert stored() == before
    assert api.get(f"/api/content/article/{entry['id']}?status=draft").json["data"]["title"] == "Hello"


def test_a_relation_may_target_a_type_listed_later_in_the_file(run, make_entry, tmp_path):
    path = write(tmp_path, "model.yaml", {"folio": {"format": 1}, "types": [
        {"name": "article", "fields": ARTICLE}, {"name": "author", "fields": AUTHOR},
    ]})

    result = run("types", "import", path)

    assert result.exit_code == 0, result.output
    ann = make_entry("author", name="Ann")
    article = make_entry("article", title="Hi", author=ann["id"])
    assert article["author"] == {"id": ann["id"], "type": "author"}


def test_fields_without_ids_match_stored_fields_by_name(run, model, tmp_path):
    ids = [field["id"] for field in find_type("article").fields]
    path = write(tmp_path, "model.json", {"types": [{"name": "article", "label": "Article", "fields": ARTICLE}]})

    result = run("types", "import", path)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["author: not in the file (left alone)", "No changes."]
    assert [field["id"] for field in find_type("article").fields] == ids
    assert find_type("article").version == 1


def test_import_reports_entries_that_no_longer_validate(run, model, make_entry, tmp_path):
    make_entry("article", publish=True, title="Hello")
    document = model_io.export_model(["article"], actor=SYSTEM)
    document["types"][0]["fields"].append({"name": "summary", "type": "text", "required": True})
    path = write(tmp_path, "model.json", document)

    result = run("types", "import", path)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "article: add field summary (text)",
        "author: not in the file (left alone)",
        "article: 1 entries no longer validate; fix them or the type.",
        "Imported: 0 created, 1 updated, 0 unchanged.",
    ]


def test_import_reads_stdin_with_an_explicit_format(run):
    text = yaml.safe_dump({"types": [{"name": "author", "fields": AUTHOR}]})

    result = run("types", "import", "-", "--format", "yaml", input=text)

    assert result.exit_code == 0, result.output
    assert [f["name"] for f in find_type("author").fields] == ["name"]


BAD_FILES = {
    "malformed_json": ("model.json", '{"types": [', "Error: Invalid JSON at line 1 column 12: Expecting value."),
    "malformed_yaml": ("model.yaml", "types: [a, b\nfoo: :",
                       "Error: Invalid YAML at line 2 column 4: expected ',' or ']', but got ':'."),
    "not_an_object": ("model.json", "[1, 2]", 'Error: A model file holds an object with a "types" list.'),
    "missing_types": ("model.json", '{"folio": {"format": 1}}', 'Error: The model file has no "types" list.'),
    "wrong_header": ("model.json", '{"folio": {"format": 2}, "types": []}', "Error: Unsupported model file header"),
    "unnamed_type": ("model.json", '{"types": [{"fields": []}]}', "types.0.name: Each type needs a name."),
    "duplicate_names": ("model.yaml", "types: [{name: tag}, {name: tag}]",
                        "types.1.name: The type 'tag' appears twice."),
    "unknown_field_type": ("model.json", '{"types": [{"name": "tag", "fields": [{"name": "x", "type": "hologram"}]}]}',
                           "tag.fields.0.type: Unknown field type 'hologram'"),
    "reserved_type_name": ("model.json", '{"types": [{"name": "users"}]}', "users.name: 'users' is reserved"),
    "reserved_field_name": ("model.yml", "types:\n- name: tag\n  fields: [{name: status, type: string}]",
                            "tag.fields.0.name: 'status' is reserved for system data."),
    "unknown_target": ("model.json", '{"types": [{"name": "tag", "fields": [{"name": "x", "type": "relation", '
                                     '"target": "ghost"}]}]}', "tag.fields.0.target: No content type named 'ghost'."),
    "unknown_extension": ("model.txt", "{}", "Error: Cannot tell the format of"),
}


@pytest.mark.parametrize("command", ["import", "diff"])
@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_fails_with_one_line_and_changes_nothing(run, model, tmp_path, case, command):
    name, text, reason = case
    path = write(tmp_path, name, text)
    before = stored()

    result = run("types", command, path)

    assert result.exit_code == (1 if command == "import" else 2)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: ")
    assert reason in result.stderr
    assert stored() == before


def test_a_missing_file_fails_with_one_line(run, model, tmp_path):
    result = run("types", "import", str(tmp_path / "absent.json"))

    assert result.exit_code == 1
    assert result.stderr == f"Error: Cannot read {tmp_path / 'absent.json'}: No such file or directory.\n"


def test_an_incompatible_change_fails_and_changes_nothing(run, model, make_entry, tmp_path):
    make_entry("article", title="Hello")
    document = model_io.export_model(actor=SYSTEM)
    document["types"][0]["fields"][2]["target"] = "article"
    document["types"][1]["label"] = "Writer"
    path = write(tmp_path, "model.json", document)
    before = stored()

    result = run("types", "import", path)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: article: Some values are not valid. "
        "article.fields.author: A relation cannot change its target type; add a new field instead."
    )
    assert stored() == before


def test_read_model_rejects_a_document_without_types():
    with pytest.raises(ValidationFailed) as caught:
        model_io.read_model("{}", "json")
    assert caught.value.details == {"fields": {"types": ["Missing."]}}
    with pytest.raises(BadRequest):
        model_io.read_model("just text", "yaml")


def test_plan_import_lists_every_type_and_writes_nothing(model, db):
    document = model_io.export_model(["article"], actor=SYSTEM)
    document["types"][0]["description"] = "Posts"

    plan = model_io.plan_import(document, SYSTEM)

    assert plan == [
        {"type": "article", "action": "update",
         "changes": [{"op": "change_type", "type": "article",
                      "changes": {"description": {"from": "", "to": "Posts"}}}]},
        {"type": "author", "action": "not_in_file", "changes": []},
    ]
    assert find_type("article").description == ""


def test_export_model_needs_an_authorized_actor(model):
    from cms.core.errors import NotAuthenticated

    with pytest.raises(NotAuthenticated):
        model_io.export_model(actor=None)


def test_an_import_after_a_dry_run_uses_the_imported_definition(run, model, make_entry, tmp_path):
    renamed = model_io.export_model(["article"], actor=SYSTEM)
    renamed["types"][0]["fields"][0]["name"] = "headline"
    extended = model_io.export_model(["article"], actor=SYSTEM)
    extended["types"][0]["fields"].append({"name": "summary", "type": "text"})
    assert run("types", "import", write(tmp_path, "renamed.json", renamed), "--dry-run").exit_code == 0

    result = run("types", "import", write(tmp_path, "extended.json", extended))

    assert result.exit_code == 0, result.output
    entry = make_entry("article", title="Hello", summary="Short")
    assert (entry["title"], entry["summary"]) == ("Hello", "Short")
