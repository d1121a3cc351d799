"""Finding plugins: packages or modules in the plugins folder, and ``folio.plugins`` entry points.

Each plugin declares ``FOLIO_PLUGIN = {"name", "version", "description", "folio"}`` where
``folio`` is a version specifier (``">=0.1,<1"``) of the Folio releases it supports.
"""

import hashlib
import importlib
import importlib.metadata
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from packaging.specifiers import InvalidSpecifier, SpecifierSet

import cms
from cms.bundled import bundled_folder

REQUIRED_KEYS = ("name", "version", "description", "folio")


@dataclass
class Candidate:
    """A plugin found but not yet imported: ``load()`` imports it and returns the plugin object."""

    name: str
    source: str  # "directory" | "entry point" | "object"
    origin: str  # a path, an entry point's value, or a class name
    load: Callable


def default_plugins_path():
    return bundled_folder("plugins")


def find(config):
    """Return the Candidates of the plugins folder (sorted by name), then the entry points."""
    folder = Path(config["PLUGINS_PATH"]) if config["PLUGINS_PATH"] else default_plugins_path()
    found = list(_in_folder(folder)) if folder.is_dir() else []
    for point in importlib.metadata.entry_points(group="folio.plugins"):
        found.append(Candidate(point.name, "entry point", point.value, point.load))
    for plugin in config.get("PLUGINS_OBJECTS", ()):  # tests and embedding apps hand objects in
        meta = metadata_of(plugin, strict=False) or {}
        name = meta.get("name") or type(plugin).__name__
        found.append(Candidate(name, "object", type(plugin).__name__, lambda plugin=plugin: plugin))
    return found


def _in_folder(folder):
    package = "_folio_plugins_" + hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
    if package not in sys.modules:  # a package whose path is the folder, so plugins may import relatively
        parent = types.ModuleType(package)
        parent.__path__ = [str(folder)]
        sys.modules[package] = parent
    for child in sorted(folder.iterdir()):
        if child.name.startswith(("_", ".")):
            continue
        if child.is_dir() and (child / "__init__.py").is_file() or child.suffix == ".py":
            module = f"{package}.{child.stem}"
            yield Candidate(child.stem, "directory", str(child), lambda module=module: _import(module))


def _import(module):
    try:
        return importlib.import_module(module)
    except BaseException:
        for name in [name for name in sys.modules if name == module or name.startswith(module + ".")]:
            del sys.modules[name]  # a fixed file is imported afresh by the next app
        raise


def metadata_of(plugin, strict=True):
    """Return the plugin's FOLIO_PLUGIN dict; with ``strict``, raise ValueError when it is malformed."""
    meta = getattr(plugin, "FOLIO_PLUGIN", None)
    if not strict:
        return meta if isinstance(meta, dict) else None
    if not isinstance(meta, dict):
        raise ValueError("declares no FOLIO_PLUGIN = {name, version, description, folio} metadata")
    missing = [key for key in REQUIRED_KEYS if not isinstance(meta.get(key), str) or not meta[key].strip()]
    if missing:
        raise ValueError(f"FOLIO_PLUGIN lacks {', '.join(missing)}")
    try:
        SpecifierSet(meta["folio"])
    except InvalidSpecifier:
        raise ValueError(f"FOLIO_PLUGIN folio={meta['folio']!r} is not a version specifier such as '>=0.1,<1'") from None
    return meta


def supports(meta, version=None):
    """Whether the plugin's ``folio`` specifier admits this Folio version."""
    return SpecifierSet(meta["folio"]).contains(version or cms.__version__, prereleases=True)
