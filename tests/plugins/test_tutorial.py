"""docs/plugins.md's tutorial plugin, slug_guard, extracted from the guide and exercised.

The guide marks each file of the tutorial with ``<!-- file: <path> -->`` before its code block.
These tests write those blocks out and run them, so the guide and the code cannot drift apart.
"""

import ast
import inspect
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cms.cli import cli
from cms.plugins import hookspecs
from tests.conftest import Api
from tests.helpers import error_of

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BLOCK = re.compile(r"<!-- file: (?P<path>\S+) -->\n```[a-z]*\n(?P<body>.*?)\n```\n", re.S)
PAGE = [{"name": "title", "type": "string"}, {"name": "slug", "type": "slug", "source": "title"}]


def guide():
    return GUIDE.read_text(encoding="utf-8")


def blocks():
    """Return ``[(path, source)]`` of the marked blocks, in the guide's order."""
    return [(match["path"], match["body"] + "\n") for match in BLOCK.finditer(guide())]


def write_tutorial(root, first_only=False):
    """Write the tutorial's files under ``root`` (a later block of a file replaces an earlier one)."""
    for path, source in blocks():
        target = root / path
        if first_only and target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source, encoding="utf-8")
    return root


def test_the_guide_holds_every_file_of_the_tutorial():
    paths = [path for path, _source in blocks()]

    assert sorted(set(paths)) == ["plugins/slug_guard/__init__.py", "plugins/slug_guard/commands.py",
                                  "plugins/slug_guard/rules.py", "plugins/slug_guard/web.py", "pyproject.toml",
                                  "tests/test_slug_guard.py"]
    assert paths.count("plugins/slug_guard/__init__.py") == 2  # step 1, then the complete file


def test_every_python_block_compiles_and_implements_real_hooks():
    specs = {name: inspect.signature(getattr(hookspecs, name)).parameters
             for name in dir(hookspecs) if name.startswith("folio_")}
    sources = re.findall(r"```python\n(.*?)\n```", guide(), re.S)

    assert len(sources) >= 8
    for source in sources:
        tree = ast.parse(source)  # a SyntaxError names the block's line
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("folio_"):
                assert node.name in specs, node.name
                arguments = {arg.arg for arg in node.args.args} - {"self"}
                assert arguments <= set(specs[node.name]), (node.name, arguments)


@pytest.fixture
def tutorial(tmp_path, build_app, client_of, make_type):
    """An app with the tutorial's final plugin (and only it), its admin client and a ``page`` type."""
    write_tutorial(tmp_path)
    built = build_app(PLUGINS_PATH=str(tmp_path / "plugins"), PLUGINS_STRICT=True)
    make_type("page", PAGE)
    return built, client_of(built)


def test_step_one_is_a_plugin_that_does_nothing_yet(tmp_path, build_app):
    write_tutorial(tmp_path, first_only=True)

    built = build_app(PLUGINS_PATH=str(tmp_path / "plugins"), PLUGINS_STRICT=True)

    status = built.extensions["folio.plugins"].status["slug_guard"]
    assert (status.state, status.version, status.hooks) == ("active", "1.0.0", [])


def test_the_finished_plugin_implements_the_hooks_the_guide_describes(tutorial):
    built, _api = tutorial

    status = built.extensions["folio.plugins"].status["slug_guard"]
    assert status.state == "active" and status.hooks == [
        "folio_after_entry_change", "folio_before_entry_change", "folio_register_commands", "folio_register_routes"]


def test_a_reserved_slug_is_vetoed_whether_sent_or_derived(tutorial):
    _built, api = tutorial

    derived = error_of(api.post("/api/content/page", json={"title": "Admin"}), 422, "vetoed")
    sent = error_of(api.post("/api/content/page", json={"title": "Sign in", "slug": "login"}), 422, "vetoed")

    assert derived["message"] == "This slug is reserved; choose another." and derived["message"] in guide()
    assert derived["details"] == {"fields": {"slug": ["'admin' is reserved for the website's own pages."]},
                                  "plugin": "slug_guard"}
    assert derived["details"]["fields"]["slug"][0] in guide()  # as the guide's transcript shows it
    assert sent["details"]["fields"] == {"slug": ["'login' is reserved for the website's own pages."]}
    assert api.get("/api/content/page?status=draft").json["data"] == []


def test_other_slugs_pass_and_updates_are_checked_too(tutorial):
    _built, api = tutorial
    entry = api.post("/api/content/page", json={"title": "About us"}).json["data"]
    assert entry["slug"] == "about-us"

    refused = api.patch(f"/api/content/page/{entry['id']}", json={"slug": "search"})

    error_of(refused, 422, "vetoed")
    assert api.get(f"/api/content/page/{entry['id']}?status=draft").json["data"]["slug"] == "about-us"
    assert api.patch(f"/api/content/page/{entry['id']}", json={"title": "Admin"}).status_code == 200  # slug kept


def test_the_reserved_slugs_come_from_a_setting(tutorial, monkeypatch):
    built, api = tutorial
    monkeypatch.setitem(built.config, "SLUG_GUARD_RESERVED", ["shop"])

    assert api.post("/api/content/page", json={"title": "Admin"}).status_code == 201
    error_of(api.post("/api/content/page", json={"title": "Shop"}), 422, "vetoed")
    assert api.get("/api/slug-guard/reserved").json == {"data": ["shop"]}


def test_each_publication_is_logged_by_the_after_hook(tutorial, caplog):
    _built, api = tutorial
    entry = api.post("/api/content/page", json={"title": "About us"}).json["data"]

    with caplog.at_level("INFO"):
        assert api.post(f"/api/content/page/{entry['id']}/publish").status_code == 200

    assert f"published page {entry['id']} as about-us" in caplog.messages


def test_the_route_lists_the_reserved_slugs_for_callers_who_may_read_types(tutorial, make_user):
    built, api = tutorial
    viewer = Api(built.test_client(), make_user("viewer").token)

    assert api.get("/api/slug-guard/reserved").json == {"data": ["admin", "api", "login", "logout", "search"]}
    assert viewer.get("/api/slug-guard/reserved").status_code == 200
    error_of(api.anonymous.get("/api/slug-guard/reserved"), 401, "not_authenticated")
    error_of(api.get("/api/slug-guard/reserved?all=1"), 400)


def test_the_route_is_in_the_openapi_document(tutorial):
    from openapi_spec_validator import validate

    _built, api = tutorial

    document = api.get("/api/openapi.json").json

    validate(document)
    assert "get" in document["paths"]["/api/slug-guard/reserved"]


def test_the_command_answers_free_or_reserved(tutorial):
    built, _api = tutorial
    runner = built.test_cli_runner()

    free, reserved = runner.invoke(cli, ["slug-guard", "check", "about"]), runner.invoke(cli, ["slug-guard", "check", "login"])

    assert (free.exit_code, free.stdout) == (0, "about is free.\n")
    assert (reserved.exit_code, reserved.stderr) == (1, "Error: login is reserved.\n")


def test_the_guides_plugin_test_passes_on_its_own(tmp_path):
    write_tutorial(tmp_path)

    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error",
                             "tests/test_slug_guard.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_the_packaged_plugin_is_found_by_its_entry_point(tmp_path, build_app, monkeypatch):
    write_tutorial(tmp_path / "source")
    project = tomllib.loads((tmp_path / "source" / "pyproject.toml").read_text())
    (name, target), = project["project"]["entry-points"]["folio.plugins"].items()
    assert project["tool"]["setuptools"]["packages"] == [target]
    site = tmp_path / "site"
    (site / target).mkdir(parents=True)  # what pip would install: the package renamed, and its metadata
    for module in (tmp_path / "source" / "plugins" / "slug_guard").glob("*.py"):
        (site / target / module.name).write_text(module.read_text())
    info = site / f"{target}-{project['project']['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['project']['name']}\n"
                                   f"Version: {project['project']['version']}\n")
    (info / "entry_points.txt").write_text(f"[folio.plugins]\n{name} = {target}\n")
    monkeypatch.syspath_prepend(str(site))

    built = build_app(PLUGINS_PATH=str(tmp_path / "empty"), PLUGINS_STRICT=True)

    status = built.extensions["folio.plugins"].status[name]
    assert (name, status.state, status.source, status.origin) == ("slug_guard", "active", "entry point", target)
