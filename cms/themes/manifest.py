"""Read and check ``theme.toml``, the file that says what a theme is.

A theme is a folder::

    theme.toml      name, label, version, description, extends, logo, [colors]
    templates/      Jinja2 templates (preview.html, error.html, base.html, partials/ …)
    static/         files served at /themes/<name>/static/<path>

Every problem is reported as a ThemeError whose message starts with the file at fault, so that a
startup error points the operator at the line to fix.
"""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_THEME = "default"
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
COLOR_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}\Z")
# what may follow "--color-<name>:" in a stylesheet: hex, a colour keyword, rgb()/hsl() — nothing
# that could close the declaration or the rule
COLOR_VALUE = re.compile(
    r"^(#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-zA-Z]{3,30}"
    r"|(?:rgb|rgba|hsl|hsla)\([0-9a-z.,%/\s+-]{1,60}\))\Z"
)
KEYS = ("name", "label", "version", "description", "extends", "logo", "colors")
TEXT_LIMITS = {"label": 100, "version": 40, "description": 1000}


class ThemeError(Exception):
    """A theme that cannot be used; ``name`` is its name when known, else its folder's."""

    def __init__(self, message, name):
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class Theme:
    """One theme as declared by its ``theme.toml``."""

    name: str
    label: str
    version: str
    path: Path
    origin: str  # where it was found: "bundled", "THEMES_PATH", "plugin"
    description: str = ""
    extends: str | None = None
    logo: str | None = None  # a path inside static/
    colors: dict = field(default_factory=dict)

    @property
    def templates(self):
        return self.path / "templates"

    @property
    def static(self):
        return self.path / "static"

    @property
    def parent(self):
        """The theme this one builds on: ``extends``, else ``default`` (which builds on nothing)."""
        if self.name == DEFAULT_THEME:
            return None
        return self.extends or DEFAULT_THEME


def safe_relative(path):
    """Whether ``path`` is a plain relative path with no way out of its folder (no ``..``, no
    absolute or hidden parts, no backslashes)."""
    if not isinstance(path, str) or not path or len(path) > 300 or "\\" in path or "\x00" in path:
        return False
    parts = path.split("/")
    return all(part and not part.startswith(".") and ":" not in part for part in parts)


def read_theme(folder, origin):
    """Return the Theme in ``folder``; raise ThemeError naming the file when it is not usable."""
    folder = Path(folder)
    manifest = folder / "theme.toml"
    guess = folder.name
    if not folder.is_dir():
        raise ThemeError(f"{folder}: the theme's folder does not exist.", guess)
    if not manifest.is_file():
        raise ThemeError(f"{manifest}: missing (every theme declares itself in theme.toml).", guess)
    try:
        with manifest.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ThemeError(f"{manifest}: not valid TOML ({exc}).", guess) from None
    name = raw.get("name")
    problems = []
    if not isinstance(name, str) or not NAME.match(name):
        problems.append("name: use lowercase letters, digits and single hyphens (e.g. name = \"harbour\").")
        name = guess
    elif origin != "plugin" and name != folder.name:
        problems.append(f"name: {name!r} must match the folder's name {folder.name!r}.")
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; a theme declares {', '.join(KEYS)}.")
    for key, limit in TEXT_LIMITS.items():
        value = raw.get(key, "" if key == "description" else None)
        if not isinstance(value, str) or (key != "description" and not value.strip()) or len(value) > limit:
            problems.append(f"{key}: give a string of at most {limit} characters.")
    extends = raw.get("extends")
    if extends is not None and (not isinstance(extends, str) or not NAME.match(extends)):
        problems.append("extends: name the theme this one builds on (e.g. extends = \"default\").")
    elif extends is not None and (extends == name or name == DEFAULT_THEME):
        problems.append("extends: the default theme extends nothing, and a theme cannot extend itself.")
    logo = raw.get("logo")
    if logo is not None and not (safe_relative(logo) and (folder / "static" / logo).is_file()):
        problems.append(f"logo: {logo!r} is not a file inside static/.")
    colors = raw.get("colors", {})
    if not isinstance(colors, dict):
        problems.append("colors: write a [colors] table of name = \"#rrggbb\".")
        colors = {}
    for key, value in colors.items():
        if not COLOR_NAME.match(key):
            problems.append(f"colors.{key}: use lowercase letters, digits and hyphens for colour names.")
        elif not isinstance(value, str) or not COLOR_VALUE.match(value):
            problems.append(f"colors.{key}: {value!r} is not a colour (#rrggbb, a colour name, rgb() or hsl()).")
    if problems:
        raise ThemeError(f"{manifest}: " + " ".join(problems), name)
    return Theme(name=name, label=raw["label"].strip(), version=raw["version"].strip(), path=folder.resolve(),
                 origin=origin, description=raw.get("description", ""), extends=extends, logo=logo,
                 colors=dict(colors))
