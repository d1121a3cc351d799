"""The active theme's static files and generated colours."""

import pytest

from tests.themes.conftest import write_theme


def test_a_static_file_is_served_with_cache_headers(anonymous):
    response = anonymous.get("/themes/default/static/theme.css")

    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "--color-primary" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-cache"  # development: revalidate by ETag every time
    assert response.headers["ETag"]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    again = anonymous.get("/themes/default/static/theme.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_production_caches_static_files_for_an_hour(app, anonymous, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")

    assert anonymous.get("/themes/default/static/logo.svg").headers["Cache-Control"] == "public, max-age=3600"
    assert anonymous.get("/themes/default/colors.css").headers["Cache-Control"] == "public, max-age=3600"


def test_the_logo_is_an_svg(anonymous):
    response = anonymous.get("/themes/default/static/logo.svg")

    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<svg")


@pytest.mark.parametrize("path", [
    "/themes/default/static/../theme.toml",
    "/themes/default/static/%2e%2e/theme.toml",
    "/themes/default/static/..%2ftheme.toml",
    "/themes/default/static/%2e%2e%2f%2e%2e%2fcms/config.py",
    "/themes/default/static//etc/passwd",
    "/themes/default/static/%2fetc%2fpasswd",
    "/themes/default/static/..\\theme.toml",
    "/themes/default/static/.hidden",
    "/themes/default/static/",
    "/themes/default/static/missing.css",
    "/themes/default/static/theme.css%00.png",
    "/themes/default/templates/base.html",
    "/themes/nope/static/theme.css",
    "/themes/../cms/config.py",
])
def test_paths_outside_the_static_folders_are_404(anonymous, path):
    response = anonymous.get(path, follow_redirects=True)  # "//" is first redirected to "/"

    assert response.status_code == 404
    assert b"SECRET_KEY" not in response.data and b"name = " not in response.data


def test_a_hidden_file_is_not_served_even_when_it_exists(app, anonymous, tmp_path, monkeypatch):
    from cms.themes.registry import ActiveTheme, ThemeRegistry

    folder = write_theme(tmp_path / "t", 'name = "t"\nlabel = "T"\nversion = "1"\n',
                         static={".env": "SECRET=1", "ok.css": "a{}", "sub/deep.css": "b{}"})
    registry = ThemeRegistry()
    registry.add(folder)
    registry.add(app.extensions["folio.themes"].themes["default"].path, "bundled")
    monkeypatch.setitem(app.extensions, "folio.theme", ActiveTheme(registry.chain("t")))

    assert anonymous.get("/themes/t/static/.env").status_code == 404
    assert anonymous.get("/themes/t/static/ok.css").status_code == 200
    assert anonymous.get("/themes/t/static/sub/deep.css").status_code == 200


def test_a_symbolic_link_out_of_the_static_folder_is_404(app, anonymous, tmp_path, monkeypatch):
    from cms.themes.registry import ActiveTheme, ThemeRegistry

    (tmp_path / "secret.txt").write_text("secret")
    folder = write_theme(tmp_path / "t", 'name = "t"\nlabel = "T"\nversion = "1"\n', static={"ok.css": "a{}"})
    (folder / "static" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    registry = ThemeRegistry()
    registry.add(folder)
    registry.add(app.extensions["folio.themes"].themes["default"].path, "bundled")
    monkeypatch.setitem(app.extensions, "folio.theme", ActiveTheme(registry.chain("t")))

    assert anonymous.get("/themes/t/static/leak.txt").status_code == 404


def test_colors_are_served_as_css_variables(anonymous):
    response = anonymous.get("/themes/default/colors.css")

    assert response.status_code == 200 and response.mimetype == "text/css"
    body = response.get_data(as_text=True)
    assert body.startswith(":root {") and "--color-primary: #1d4ed8;" in body and "--color-text:" in body
    assert anonymous.get("/themes/default/colors.css", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_only_the_active_themes_colors_are_served(anonymous):
    assert anonymous.get("/themes/other/colors.css").status_code == 404
