"""Finding themes, checking theme.toml, choosing the active theme, and themes shipped by plugins."""

import pytest

from cms.plugins.hookspecs import hookimpl
from cms.themes.manifest import ThemeError, read_theme
from cms.themes.registry import BUNDLED, ThemeRegistry, check_frame_ancestors
from tests.conftest import make_app
from tests.themes.conftest import preview_token, write_theme

GOOD = """
    name = "{name}"
    label = "Harbour"
    version = "1.2.0"
    description = "Blue and calm."
    {extra}

    [colors]
    primary = "#0b5394"
"""


def good(name, extra=""):
    return GOOD.format(name=name, extra=extra)


def build(database_url, tmp_path, **config):
    return make_app(database_url, tmp_path / "instance", **config)


class ShipsTheme:
    """A plugin that ships the theme in ``folder``."""

    def __init__(self, folder):
        self.folder = folder

    @hookimpl
    def folio_register_themes(self, registry):
        registry.add(self.folder)


def test_the_bundled_default_theme_is_found_and_active(app):
    theme = app.extensions["folio.theme"]

    assert theme.name == "default" and [t.name for t in theme.chain] == ["default"]
    assert theme.theme.path == (BUNDLED / "default").resolve()
    assert {"primary", "accent", "background", "text"} <= set(theme.colors)
    assert theme.logo[1] == "logo.svg"


def test_themes_are_discovered_in_the_themes_path(database_url, tmp_path):
    write_theme(tmp_path / "themes" / "harbour", good("harbour"), {"preview.html": "harbour {{ entry.title }}"})
    write_theme(tmp_path / "themes" / "plain", good("plain"))
    (tmp_path / "themes" / "notes").mkdir()  # a folder without theme.toml is not a theme

    built = build(database_url, tmp_path, THEMES_PATH=str(tmp_path / "themes"), THEME="harbour")

    registry, theme = built.extensions["folio.themes"], built.extensions["folio.theme"]
    assert registry.names() == ["default", "harbour", "plain"] and registry.broken == {}
    assert [t.name for t in theme.chain] == ["harbour", "default"]
    assert theme.label == "Harbour" and theme.version == "1.2.0"
    assert theme.colors["primary"] == "#0b5394"  # its own colour
    assert theme.colors["text"] == built.extensions["folio.themes"].themes["default"].colors["text"]  # inherited
    assert theme.logo[0].name == "default"  # no logo of its own: default's
    assert theme.render("preview.html", entry={"title": "<b>x</b>"}) == "harbour &lt;b&gt;x&lt;/b&gt;"
    with built.test_request_context():
        error = theme.render("error.html", error={"status": 404, "title": "Not found", "message": "gone"})
    assert "Error 404" in error and "/themes/harbour/colors.css" in error  # default's error.html, its colours


def test_a_theme_extends_another_before_default(database_url, tmp_path):
    themes = tmp_path / "themes"
    write_theme(themes / "base", good("base"), {"base.html": "BASE[{% block main %}{% endblock %}]"},
                {"base.css": "b{}"})
    write_theme(themes / "child", good("child", 'extends = "base"\nlogo = "mark.svg"'),
                {"preview.html": '{% extends "base.html" %}{% block main %}child{% endblock %}'},
                {"mark.svg": "<svg/>"})

    theme = build(database_url, tmp_path, THEMES_PATH=str(themes), THEME="child").extensions["folio.theme"]

    assert [t.name for t in theme.chain] == ["child", "base", "default"]
    assert theme.render("preview.html") == "BASE[child]"
    assert theme.find_static("base.css")[0].name == "base" and theme.find_static("theme.css")[0].name == "default"
    assert theme.logo[0].name == "child"


@pytest.mark.parametrize("toml, problem", [
    ("name = ", "not valid TOML"),
    (good("other"), "must match the folder"),
    (good("Bad_Name"), "name: use lowercase"),
    ('name = "bad"\nversion = "1"', "label: give a string"),
    (good("bad", 'colour = "red"'), "unknown key(s) colour"),
    (good("bad") + 'accent = "red; } body { display: none"\n', "colors.accent"),
    (good("bad") + '"Not Valid" = "#fff"\n', "colors.Not Valid"),
    (good("bad", 'logo = "../theme.toml"'), "logo:"),
    (good("bad", 'logo = "missing.svg"'), "logo:"),
    (good("bad", 'extends = "bad"'), "cannot extend itself"),
    (good("bad", "extends = 3"), "extends: name the theme"),
])
def test_a_malformed_theme_toml_is_refused_naming_the_file(tmp_path, toml, problem):
    folder = write_theme(tmp_path / "bad", toml)

    with pytest.raises(ThemeError) as caught:
        read_theme(folder, "THEMES_PATH")

    assert str(caught.value).startswith(str(folder / "theme.toml") + ": ")
    assert problem in str(caught.value)


def test_the_default_theme_extends_nothing(tmp_path):
    with pytest.raises(ThemeError, match="default theme extends nothing"):
        read_theme(write_theme(tmp_path / "default", good("default", 'extends = "other"')), "THEMES_PATH")


def test_a_broken_theme_is_left_out_unless_it_is_the_active_one(database_url, tmp_path):
    themes = tmp_path / "themes"
    write_theme(themes / "broken", "name = [")

    started = build(database_url, tmp_path, THEMES_PATH=str(themes))

    assert started.extensions["folio.theme"].name == "default"
    assert "broken" in started.extensions["folio.themes"].broken
    with pytest.raises(RuntimeError, match=r"FOLIO_THEME=broken: that theme cannot be used: .*broken/theme.toml"):
        build(database_url, tmp_path, THEMES_PATH=str(themes), THEME="broken")


def test_a_theme_extending_a_broken_or_missing_theme_cannot_be_active(database_url, tmp_path):
    themes = tmp_path / "themes"
    write_theme(themes / "broken", good("broken", 'logo = "none.svg"'))
    write_theme(themes / "child", good("child", 'extends = "broken"'))
    write_theme(themes / "orphan", good("orphan", 'extends = "nowhere"'))

    with pytest.raises(RuntimeError, match="'child' extends 'broken', but: that theme cannot be used"):
        build(database_url, tmp_path, THEMES_PATH=str(themes), THEME="child")
    with pytest.raises(RuntimeError, match="'orphan' extends 'nowhere', but: there is no theme named 'nowhere'"):
        build(database_url, tmp_path, THEMES_PATH=str(themes), THEME="orphan")


def test_themes_extending_each_other_in_a_circle_are_refused(database_url, tmp_path):
    themes = tmp_path / "themes"
    write_theme(themes / "one", good("one", 'extends = "two"'))
    write_theme(themes / "two", good("two", 'extends = "one"'))

    with pytest.raises(RuntimeError, match="in a circle: one → two → one"):
        build(database_url, tmp_path, THEMES_PATH=str(themes), THEME="one")


def test_an_unknown_theme_is_a_startup_error_listing_the_available_ones(database_url, tmp_path):
    write_theme(tmp_path / "themes" / "harbour", good("harbour"))

    with pytest.raises(RuntimeError, match=r"no theme named 'nope' \(available: default, harbour\)"):
        build(database_url, tmp_path, THEMES_PATH=str(tmp_path / "themes"), THEME="nope")


def test_a_missing_themes_path_is_a_startup_error(database_url, tmp_path):
    with pytest.raises(RuntimeError, match="FOLIO_THEMES_PATH: .* is not a folder"):
        build(database_url, tmp_path, THEMES_PATH=str(tmp_path / "nowhere"))


def test_a_second_theme_with_a_taken_name_is_left_out(database_url, tmp_path):
    write_theme(tmp_path / "themes" / "default", good("default"))

    started = build(database_url, tmp_path, THEMES_PATH=str(tmp_path / "themes"))

    theme = started.extensions["folio.theme"]
    assert theme.theme.path == (BUNDLED / "default").resolve()
    assert any("already provided by" in problem for problem in started.extensions["folio.themes"].broken.values())


def test_a_plugin_theme_whose_folder_vanished_does_not_stop_the_app(database_url, tmp_path):
    started = build(database_url, tmp_path, PLUGINS_OBJECTS=[ShipsTheme(tmp_path / "gone")])

    assert started.extensions["folio.theme"].name == "default"
    assert "does not exist" in started.extensions["folio.themes"].broken["gone"]


def test_a_plugin_failing_to_register_its_theme_does_not_stop_the_app(database_url, tmp_path):
    class Failing:
        @hookimpl
        def folio_register_themes(self, registry):
            raise OSError("disk gone")

    started = build(database_url, tmp_path, PLUGINS_OBJECTS=[Failing()])

    assert started.extensions["folio.theme"].name == "default"


def test_the_registry_records_instead_of_raising(tmp_path):
    registry = ThemeRegistry()

    assert registry.add(tmp_path / "nothing") is None
    assert registry.add(write_theme(tmp_path / "x", good("x"))).name == "x"
    assert registry.names() == ["x"] and set(registry.broken) == {"nothing"}


@pytest.mark.parametrize("sources", [[], ["'self'", "'none'"], ["https://a.example; script-src *"],
                                     ["'unsafe-inline'"], ["https://a.example,https://b.example"], ["a b"]])
def test_bad_frame_ancestors_are_refused(sources):
    with pytest.raises(RuntimeError, match="FOLIO_PREVIEW_FRAME_ANCESTORS"):
        check_frame_ancestors(sources)


def test_frame_ancestors_take_csp_sources():
    sources = ["'self'", "https://www.example.com", "http://localhost:3000", "https://*.example.org"]

    assert check_frame_ancestors(sources) == sources
    assert check_frame_ancestors(["'none'"]) == ["'none'"]


# -- a theme shipped by a plugin -------------------------------------------------------------------------

@pytest.fixture
def plugin_theme_app(database_url, tmp_path):
    folder = write_theme(
        tmp_path / "acme-theme", good("acme", 'logo = "acme.svg"'),
        {"preview.html": '{% extends "default:preview.html" %}'
                         '{% block header %}<p class="acme">Acme preview of {{ entry.title }}</p>{% endblock %}'},
        {"acme.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>", "extra.css": "body{}"},
    )
    return build(database_url, tmp_path, THEME="acme", PLUGINS_OBJECTS=[ShipsTheme(folder)])


def test_a_plugin_ships_a_theme_selected_by_the_theme_setting(plugin_theme_app):
    theme = plugin_theme_app.extensions["folio.theme"]

    assert theme.name == "acme" and theme.theme.origin == "plugin"
    assert [t.name for t in theme.chain] == ["acme", "default"]
    assert theme.colors["primary"] == "#0b5394"


def test_a_plugin_theme_overrides_preview_and_inherits_error_pages(app, api, make_type, make_entry, anonymous,
                                                                    plugin_theme_app, monkeypatch):
    monkeypatch.setitem(app.extensions, "folio.theme", plugin_theme_app.extensions["folio.theme"])
    make_type("post", [{"name": "title", "type": "string"}])
    post = make_entry("post", title="Plugin post")
    token = preview_token(api, "post")

    shown = anonymous.get(f"/preview/post/{post['id']}?token={token}")
    refused = anonymous.get(f"/preview/post/{post['id']}")

    page = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert '<p class="acme">Acme preview of Plugin post</p>' in page  # its own block
    assert '<h1 id="entry-title">Plugin post</h1>' in page  # the rest from default's preview.html
    assert "/themes/acme/colors.css" in page and "/themes/acme/static/acme.svg" in page
    assert "/themes/default/static/theme.css" in page  # a static file it does not override
    error = refused.get_data(as_text=True)
    assert refused.status_code == 401 and '<h1 id="error-title">Sign-in needed</h1>' in error  # default's error.html
    assert "/themes/acme/colors.css" in error
    assert anonymous.get("/themes/acme/static/extra.css").status_code == 200
    assert "#0b5394" in anonymous.get("/themes/acme/colors.css").get_data(as_text=True)


def test_a_theme_may_give_one_type_its_own_preview_template(app, api, anonymous, make_type, make_entry,
                                                              database_url, tmp_path, monkeypatch):
    write_theme(tmp_path / "themes" / "typed", good("typed"),
                {"preview/recipe.html": '{% extends "preview.html" %}{% block header %}Recipe!{% endblock %}'})
    built = build(database_url, tmp_path, THEMES_PATH=str(tmp_path / "themes"), THEME="typed")
    monkeypatch.setitem(app.extensions, "folio.theme", built.extensions["folio.theme"])
    make_type("recipe", [{"name": "title", "type": "string"}])
    make_type("note", [{"name": "title", "type": "string"}])
    recipe, note = make_entry("recipe", title="Soup"), make_entry("note", title="Memo")

    recipe_page = api.get(f"/preview/recipe/{recipe['id']}").get_data(as_text=True)
    note_page = api.get(f"/preview/note/{note['id']}").get_data(as_text=True)

    assert "Recipe!" in recipe_page and "Soup" in recipe_page
    assert "Recipe!" not in note_page and "Draft preview" in note_page
