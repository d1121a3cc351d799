"""Finding plugins: the plugins folder (packages and modules), entry points, metadata, versions,
broken plugins, and the PLUGINS / PLUGINS_DISABLED / PLUGINS_STRICT settings."""

import sys
from pathlib import Path

import pytest

import cms
from tests.plugins.conftest import metadata, write_plugin

HOOK = """
from cms.plugins import hookimpl

{meta}
@hookimpl
def folio_before_entry_change(change):
    pass
"""


def hooked(name, folio=">=0.1", version="1.0"):
    return HOOK.format(meta=metadata(name, folio, version))


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "plugins"


def statuses(app):
    return app.extensions["folio.plugins"].status


def test_a_package_and_a_module_in_the_plugins_folder_are_loaded(build_app, folder):
    write_plugin(folder, "packaged", hooked("packaged", version="2.1.0"))
    write_plugin(folder, "single", hooked("single"), package=False)
    (folder / "_private.py").write_text("raise RuntimeError('never imported')")
    (folder / "notes.txt").write_text("not a plugin")

    found = statuses(build_app(PLUGINS_PATH=str(folder)))

    assert sorted(found) == ["packaged", "single"]
    packaged = found["packaged"]
    assert (packaged.state, packaged.source, packaged.version) == ("active", "directory", "2.1.0")
    assert packaged.origin == str(folder / "packaged") and packaged.description == "The packaged test plugin."
    assert packaged.hooks == ["folio_before_entry_change"] and packaged.error is None
    assert found["single"].state == "active" and found["single"].origin == str(folder / "single.py")


def test_a_package_plugin_may_import_its_own_modules_relatively(build_app, folder):
    write_plugin(folder, "parts", metadata("parts") + "from .helpers import VALUE\n")
    (folder / "parts" / "helpers.py").write_text("VALUE = 42\n")

    built = build_app(PLUGINS_PATH=str(folder))

    assert statuses(built)["parts"].state == "active"
    assert built.extensions["folio.plugins"].manager.get_plugin("parts").VALUE == 42


def test_the_bundled_plugins_are_found_by_default(app):
    found = statuses(app)

    assert {"colour", "reading_time", "seo"} <= set(found)
    assert all(found[name].state == "active" and found[name].source == "directory"
               for name in ("colour", "reading_time", "seo"))
    assert found["seo"].origin == str(Path(cms.__file__).resolve().parents[1] / "plugins" / "seo")


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install a distribution on sys.path whose ``folio.plugins`` entry point names a module."""

    def install(name, source, module=None):
        module = module or f"folio_{name}_plugin"
        site = tmp_path / "site"
        (site / module).mkdir(parents=True)
        (site / module / "__init__.py").write_text(source)
        info = site / f"{module}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[folio.plugins]\n{name} = {module}\n")
        monkeypatch.syspath_prepend(str(site))
        monkeypatch.delitem(sys.modules, module, raising=False)
        return module

    return install


def test_an_installed_distribution_is_found_by_its_entry_point(build_app, folder, installed):
    module = installed("shipped", hooked("shipped", version="3.0"))

    found = statuses(build_app(PLUGINS_PATH=str(folder)))

    assert found["shipped"].state == "active" and found["shipped"].source == "entry point"
    assert found["shipped"].origin == module and found["shipped"].version == "3.0"


def test_two_plugins_with_one_name_load_once_and_the_second_is_reported(build_app, folder, installed):
    write_plugin(folder, "twin", hooked("twin"))
    installed("twin", hooked("twin"))

    found = statuses(build_app(PLUGINS_PATH=str(folder)))

    assert found["twin"].state == "active" and found["twin"].source == "directory"
    duplicate = [status for key, status in found.items() if key != "twin" and status.name == "twin"]
    assert len(duplicate) == 1 and duplicate[0].state == "failed"
    assert "already loaded" in duplicate[0].error


@pytest.mark.parametrize("source, state, error", [
    ("X = 1\n", "failed", "declares no FOLIO_PLUGIN"),
    ("FOLIO_PLUGIN = ['odd']\n", "failed", "declares no FOLIO_PLUGIN"),
    ('FOLIO_PLUGIN = {"name": "odd", "description": "d"}\n', "failed", "FOLIO_PLUGIN lacks version, folio"),
    ('FOLIO_PLUGIN = {"name": "odd", "version": "1", "description": " ", "folio": ">=0.1"}\n', "failed",
     "lacks description"),
    ('FOLIO_PLUGIN = {"name": "odd", "version": "1", "description": "d", "folio": "recent"}\n', "failed",
     "is not a version specifier"),
    ('FOLIO_PLUGIN = {"name": "other", "version": "1", "description": "d", "folio": ">=0.1"}\n', "failed",
     "names it 'other', but it was found as 'odd'"),
    (metadata("odd", folio=">=99"), "incompatible", "supports Folio >=99"),
    (metadata("odd", folio="<0.1"), "incompatible", "supports Folio <0.1"),
])
def test_missing_malformed_or_incompatible_metadata_is_reported(build_app, folder, source, state, error):
    write_plugin(folder, "odd", source)
    write_plugin(folder, "fine", hooked("fine"))

    found = statuses(build_app(PLUGINS_PATH=str(folder)))

    assert found["odd"].state == state and error in found["odd"].error
    assert found["fine"].state == "active"
    assert found["odd"].hooks == []


def test_a_plugin_with_a_syntax_error_fails_alone_and_names_the_file_and_line(build_app, client_of, folder):
    path = write_plugin(folder, "broken", metadata("broken") + "\ndef oops(:\n    pass\n")
    write_plugin(folder, "fine", hooked("fine"))

    built = build_app(PLUGINS_PATH=str(folder))

    broken = statuses(built)["broken"]
    assert broken.state == "failed"
    assert broken.error.startswith("SyntaxError:") and f"({path}, line 3)" in broken.error
    assert statuses(built)["fine"].state == "active"
    assert client_of(built).get("/healthz").status_code == 200  # the app started


def test_a_plugin_that_raises_on_import_fails_alone_and_names_the_line(build_app, folder):
    path = write_plugin(folder, "raising", metadata("raising") + "raise RuntimeError('no config')\n")

    found = statuses(build_app(PLUGINS_PATH=str(folder)))

    assert found["raising"].state == "failed"
    assert found["raising"].error == f"RuntimeError: no config ({path}, line 2)"


def test_a_misspelt_hook_or_wrong_arguments_fail_the_plugin_not_the_app(build_app, folder):
    write_plugin(folder, "typo", metadata("typo") + HOOK.replace("before_entry", "befor_entry").format(meta=""))
    write_plugin(folder, "extra", metadata("extra") + HOOK.replace("(change)", "(change, extra)").format(meta=""))
    write_plugin(folder, "fine", hooked("fine"))

    built = build_app(PLUGINS_PATH=str(folder))

    found = statuses(built)
    assert found["typo"].state == "failed" and "folio_befor_entry_change" in found["typo"].error
    assert found["extra"].state == "failed" and "'extra'" in found["extra"].error
    assert found["fine"].state == "active"
    callers = built.extensions["folio.plugins"].hook.folio_before_entry_change.get_hookimpls()
    assert [impl.plugin_name for impl in callers] == ["fine"]


def test_the_allow_list_and_the_disabled_list_choose_what_loads(build_app, folder):
    for name in ("alpha", "beta", "gamma"):
        write_plugin(folder, name, hooked(name))

    only = statuses(build_app(PLUGINS_PATH=str(folder), PLUGINS=["alpha", "gamma"], PLUGINS_DISABLED=["gamma"]))

    assert {name: status.state for name, status in only.items()} == {
        "alpha": "active", "beta": "disabled", "gamma": "disabled"}
    assert only["beta"].hooks == [] and only["beta"].version is None  # never imported


def test_disabling_a_bundled_plugin_leaves_its_stored_values_alone(build_app, client_of, make_type, make_entry):
    make_type("swatch", [{"name": "accent", "type": "colour"}])
    entry = make_entry("swatch", accent="#ABC")

    built = build_app(PLUGINS_DISABLED=["colour"])
    api = client_of(built)

    assert statuses(built)["colour"].state == "disabled"
    assert "colour" not in built.extensions["folio.field_types"]
    assert api.get(f"/api/content/swatch/{entry['id']}?status=draft").json["data"]["accent"] == "#aabbcc"
    refused = api.post("/api/content-types", json={"name": "other", "fields": [{"name": "c", "type": "colour"}]})
    assert refused.status_code == 422


def test_strict_mode_refuses_to_start_with_a_broken_plugin(build_app, folder):
    write_plugin(folder, "broken", metadata("broken") + "def oops(:\n")

    with pytest.raises(RuntimeError, match=r"Plugin broken .* is not loaded: SyntaxError"):
        build_app(PLUGINS_PATH=str(folder), PLUGINS_STRICT=True)


def test_strict_mode_refuses_an_incompatible_plugin(build_app, folder):
    write_plugin(folder, "future", metadata("future", folio=">=2"))

    with pytest.raises(RuntimeError, match="supports Folio >=2"):
        build_app(PLUGINS_PATH=str(folder), PLUGINS_STRICT=True)


def test_a_missing_plugins_folder_finds_no_folder_plugins(build_app, tmp_path):
    found = statuses(build_app(PLUGINS_PATH=str(tmp_path / "nowhere")))

    assert [status for status in found.values() if status.source == "directory"] == []
