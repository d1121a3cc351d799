"""A wheel of Folio carries everything a server needs besides its Python code, and cms finds it.

Servers are often installed with ``pip install .`` (a container image) rather than run from the
checkout: the admin's templates and static files, migrations, the bundled themes and plugins
must all be in the wheel, and the bundled folders be found where the wheel puts them.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cms.bundled import bundled_folder

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_folders_are_beside_cms_in_a_checkout_else_under_the_prefix(tmp_path):
    checkout, prefix = tmp_path / "checkout", tmp_path / "venv"
    (checkout / "themes").mkdir(parents=True)

    assert bundled_folder("themes", checkout, prefix) == prefix / "share" / "folio" / "themes"  # no setup.cfg
    (checkout / "setup.cfg").write_text("[metadata]\n")
    assert bundled_folder("themes", checkout, prefix) == checkout / "themes"
    assert bundled_folder("plugins", checkout, prefix) == prefix / "share" / "folio" / "plugins"  # not there
    assert bundled_folder("themes") == ROOT / "themes"  # this checkout


@pytest.mark.slow
def test_a_wheel_carries_templates_static_files_migrations_themes_and_plugins(tmp_path):
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "instance", "*.egg-info", "__pycache__", "node_modules", "bench"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist")], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("folio_cms-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(name.split("/")[0] for name in names if ".data/" in name)

    expected = {f"cms/{path.relative_to(ROOT / 'cms')}"
                for folder in ("admin/templates", "admin/static") for path in (ROOT / "cms" / folder).rglob("*")
                if path.is_file()}
    expected |= {f"migrations/{path.relative_to(ROOT / 'migrations')}" for path in (ROOT / "migrations").rglob("*.py")
                 if "__pycache__" not in path.parts}
    expected |= {f"{data}/data/share/folio/{path.relative_to(ROOT)}"
                 for folder in ("themes", "plugins") for path in (ROOT / folder).rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts}
    assert "cms/admin/templates/admin/base.html" in expected and f"{data}/data/share/folio/themes/default/theme.toml" in expected
    assert sorted(expected - names) == []
