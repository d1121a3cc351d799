"""Themes: Jinja2 template packs for draft preview pages (and, later, the admin's look).

Modules: ``manifest`` (theme.toml), ``registry`` (discovery, the active theme), ``loader`` (the
Jinja loader chain), ``files`` (static files and colours), ``values``/``lookups``/``page`` (what a
preview shows), ``preview`` (the page's blueprint). Depends on core, content and media services;
nothing depends on it but the app factory.
"""

from cms.themes.registry import current_theme

__all__ = ["current_theme"]
