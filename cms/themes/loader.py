"""The Jinja loader chain of the active theme.

A template name is looked up in the active theme, then in the theme it extends, and so on down to
``default``, then in any fallback loaders (the admin's own templates, later). To reuse the very
template it overrides, a theme names it with its theme's prefix: ``{% extends "default:base.html" %}``
(a prefix loader, so no custom Jinja tag and no stack inspection is needed).

The environment autoescapes everything: every value a template prints is escaped unless Python
marked it safe (only the sanitized HTML of rich text is).
"""

from flask import url_for
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader

PREFIX_DELIMITER = ":"


def theme_loader(chain, fallbacks=()):
    """Return a loader over ``chain`` (themes, most specific first), then ``fallbacks``."""
    own = [FileSystemLoader(str(theme.templates)) for theme in chain]
    prefixed = PrefixLoader({theme.name: FileSystemLoader(str(theme.templates)) for theme in chain},
                            delimiter=PREFIX_DELIMITER)
    return ChoiceLoader([*own, *fallbacks, prefixed])


def theme_environment(loader, **globals_):
    """Return an autoescaping environment rendering from ``loader``, with ``url_for`` and ``globals_``."""
    environment = Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(url_for=url_for, **globals_)
    return environment
