"""Plugin fixtures: apps built with their own plugin settings, and hooks added for one test."""

import importlib
import textwrap

import pytest

from cms.extensions import db as _db
from tests.conftest import Api, make_app


@pytest.fixture
def build_app(app, db, database_url, tmp_path, monkeypatch):
    """Build an app with extra settings; its database work joins the test's rolled-back transaction."""
    with app.app_context():
        connection = _db.engines[None]
    built = []

    def build(**config):
        new = make_app(database_url, tmp_path / f"instance-{len(built)}", **config)
        with new.app_context():
            monkeypatch.setitem(_db.engines, None, connection)
        built.append(new)
        return new

    yield build
    for new in built:
        with new.app_context():
            _db.session.remove()


@pytest.fixture
def client_of(admin):
    """Return an admin Api client (and ``.anonymous``) for an app made by ``build_app``."""

    def make(built):
        client = Api(built.test_client(), admin.token)
        client.anonymous = Api(built.test_client(), None)
        return client

    return make


@pytest.fixture
def hooks(app):
    """Register a hook object on the shared app for one test: ``hooks(obj, name)``; return it."""
    host = app.extensions["folio.plugins"]
    added = []

    def register(obj, name):
        host.register(obj, name=name)
        added.append(obj)
        return obj

    yield register
    for obj in added:
        host.unregister(obj)


def write_plugin(folder, name, source, package=True):
    """Write a plugin (a package, or a single module) into ``folder``; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    source = textwrap.dedent(source)
    if package:
        (folder / name).mkdir()
        path = folder / name / "__init__.py"
    else:
        path = folder / f"{name}.py"
    path.write_text(source)
    return path


def metadata(name, folio=">=0.1", version="1.0"):
    """The FOLIO_PLUGIN line of a test plugin."""
    return (f'FOLIO_PLUGIN = {{"name": "{name}", "version": "{version}", '
            f'"description": "The {name} test plugin.", "folio": "{folio}"}}\n')


def bundled(app, name, module=None):
    """The module of a bundled plugin (or one of its submodules) as loaded by ``app``."""
    plugin = app.extensions["folio.plugins"].manager.get_plugin(name)
    return importlib.import_module(f"{plugin.__name__}.{module}") if module else plugin
