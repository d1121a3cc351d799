"""Which themes exist (bundled, FOLIO_THEMES_PATH, plugins) and which one the app uses.

Themes are read once at startup (files only, no database). A broken theme is logged and left
out, so that a plugin's mistake cannot stop the CMS — unless it is the theme the app is told to
use, or one that theme builds on: then the app refuses to start and says why.
"""

import logging
import re
from pathlib import Path

from flask import current_app, url_for

from cms.bundled import bundled_folder
from cms.themes.loader import theme_environment, theme_loader
from cms.themes.manifest import DEFAULT_THEME, ThemeError, read_theme, safe_relative

log = logging.getLogger(__name__)
BUNDLED = bundled_folder("themes")
FRAME_SOURCE = re.compile(
    r"^('self'|\*|[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*://)?(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:(\d{1,5}|\*))?)\Z",
    re.IGNORECASE,
)


class ThemeRegistry:
    """Themes by name, and the problems of those that could not be read (by name or folder)."""

    def __init__(self):
        self.themes = {}
        self.broken = {}

    def add(self, path, origin="plugin"):
        """Add the theme in folder ``path``; a broken or duplicate one is recorded, not raised."""
        try:
            theme = read_theme(Path(path), origin)
        except ThemeError as exc:
            self.broken.setdefault(exc.name, str(exc))
            return None
        if theme.name in self.themes:
            first = self.themes[theme.name]
            self.broken.setdefault(f"{theme.name} ({theme.path})",
                                   f"{theme.path}: a theme named {theme.name!r} is already provided by {first.path}.")
            return None
        self.themes[theme.name] = theme
        return theme

    def discover(self, folder, origin):
        """Add every ``<folder>/<name>/`` holding a ``theme.toml``."""
        for child in sorted(Path(folder).iterdir()):
            if child.is_dir() and not child.name.startswith(".") and (child / "theme.toml").exists():
                self.add(child, origin)

    def names(self):
        return sorted(self.themes)

    def chain(self, name):
        """Return ``[theme, the theme it extends, …, default]``; raise RuntimeError when one is unusable."""
        chain, wanted, needed_by = [], name, None
        while wanted is not None:
            if any(theme.name == wanted for theme in chain):
                raise RuntimeError(f"Themes extend each other in a circle: {' → '.join(t.name for t in chain)} → {wanted}.")
            theme = self.themes.get(wanted)
            if theme is None:
                raise RuntimeError(self._missing(wanted, needed_by))
            chain.append(theme)
            wanted, needed_by = theme.parent, theme.name
        return chain

    def _missing(self, name, needed_by):
        setting = f"FOLIO_THEME={name}" if needed_by is None else f"the theme {needed_by!r} extends {name!r}, but"
        if name in self.broken:
            return f"{setting}: that theme cannot be used: {self.broken[name]}"
        available = ", ".join(self.names()) or "none"
        return f"{setting}: there is no theme named {name!r} (available: {available})."


class ActiveTheme:
    """The theme the app renders with: its chain, merged colours, logo, static files and templates."""

    def __init__(self, chain, fallback_loaders=()):
        self.chain = tuple(chain)
        self.theme = self.chain[0]
        self.colors = {}
        for theme in reversed(self.chain):  # default first: each theme overrides what it builds on
            self.colors.update(theme.colors)
        self.logo = next(((theme, theme.logo) for theme in self.chain if theme.logo), None)
        self.loader = theme_loader(self.chain, fallback_loaders)
        self.environment = theme_environment(self.loader, theme=self)

    @property
    def name(self):
        return self.theme.name

    @property
    def label(self):
        return self.theme.label

    @property
    def version(self):
        return self.theme.version

    def serves(self, name):
        """Return the theme of the chain called ``name`` (whose static files are served), or None."""
        return next((theme for theme in self.chain if theme.name == name), None)

    def find_static(self, path):
        """Return ``(theme, file)`` for the first theme of the chain holding ``static/<path>``, or None."""
        if not safe_relative(path):
            return None
        for theme in self.chain:
            candidate = theme.static / path
            if candidate.is_file():
                return theme, candidate
        return None

    def static_url(self, path):
        """The URL of ``static/<path>`` from the first theme of the chain that has it."""
        found = self.find_static(path)
        owner = found[0] if found else self.theme
        return url_for("themes_static.static_file", name=owner.name, filename=path)

    @property
    def logo_url(self):
        if self.logo is None:
            return None
        theme, path = self.logo
        return url_for("themes_static.static_file", name=theme.name, filename=path)

    @property
    def colors_url(self):
        return url_for("themes_static.colors", name=self.name)

    def stylesheet(self):
        """The colours as CSS custom properties (``--color-primary`` …), for ``colors.css``."""
        lines = [f"  --color-{key}: {value};" for key, value in sorted(self.colors.items())]
        return ":root {\n" + "\n".join(lines) + "\n}\n"

    def render(self, names, **context):
        """Render the first of ``names`` (a template name or a list) the chain holds."""
        names = [names] if isinstance(names, str) else list(names)
        return self.environment.select_template(names).render(**context)


def current_theme(app=None):
    """The app's ActiveTheme."""
    return (app or current_app).extensions["folio.theme"]


def check_frame_ancestors(sources):
    """Refuse FOLIO_PREVIEW_FRAME_ANCESTORS values that would not be one CSP source list."""
    if isinstance(sources, str):
        sources = sources.split()
    sources = list(sources)
    if sources == ["'none'"]:
        return sources
    bad = [source for source in sources if not isinstance(source, str) or not FRAME_SOURCE.match(source)]
    if not sources or bad:
        raise RuntimeError(f"FOLIO_PREVIEW_FRAME_ANCESTORS: {', '.join(map(repr, bad)) or 'empty'} — list CSP "
                           "sources such as 'self' and https://www.example.com (or 'none' alone).")
    return sources


def init_app(app):
    """Find the themes, pick FOLIO_THEME and store both on the app; raise RuntimeError when it cannot be used."""
    registry = ThemeRegistry()
    if BUNDLED.is_dir():
        registry.discover(BUNDLED, "bundled")
    extra = app.config["THEMES_PATH"]
    if extra:
        folder = Path(extra).resolve()
        if not folder.is_dir():
            raise RuntimeError(f"FOLIO_THEMES_PATH: {folder} is not a folder.")
        if folder != BUNDLED:
            registry.discover(folder, "THEMES_PATH")
    app.extensions["folio.plugins"].fill("folio_register_themes", registry, "themes")
    for name, problem in sorted(registry.broken.items()):
        log.warning("theme %s is not available: %s", name, problem)
    app.config["PREVIEW_FRAME_ANCESTORS"] = check_frame_ancestors(app.config["PREVIEW_FRAME_ANCESTORS"])
    app.extensions["folio.themes"] = registry
    app.extensions["folio.theme"] = ActiveTheme(registry.chain(app.config["THEME"] or DEFAULT_THEME))
