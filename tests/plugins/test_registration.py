"""What plugins add at startup: routes, `folio` commands, admin panels, field types, storage backends."""

import pytest

from cms.cli import cli
from tests.helpers import error_of
from tests.plugins.conftest import metadata, write_plugin

ROUTES = """
from flask import Blueprint, jsonify
from flask_login import current_user

from cms.core.errors import NotFound
from cms.core.policy import authorize
from cms.plugins import hookimpl

{meta}
bp = Blueprint("plugin_hello", __name__, url_prefix="/api/hello")


@bp.get("")
def hello():
    authorize(current_user._get_current_object(), "content_types.read")
    return jsonify({{"data": {{"greeting": "hello"}}}})


@bp.get("/<name>")
def missing(name):
    raise NotFound(f"No {{name}} here.")


@hookimpl
def folio_register_routes(app):
    app.register_blueprint(bp)
"""

COMMANDS = """
import click

from cms.plugins import hookimpl

{meta}

@click.group("hello")
def group():
    \"\"\"Say hello.\"\"\"


@group.command("greet")
@click.argument("name")
def greet(name):
    \"\"\"Greet NAME.\"\"\"
    click.echo(f"hello {{name}}")


@hookimpl
def folio_register_commands(cli):
    cli.add_command(group)
"""

PANELS = """
from cms.plugins import hookimpl

{meta}

@hookimpl
def folio_register_admin_panels(registry):
    registry.add("hello_stats", "Hello statistics", "plugin_hello.hello", permission="content_types.read")
    registry.add("hello_secrets", "Secrets", "plugin_hello.hello", permission="secrets.read")
"""


def source(template, name):
    return template.format(meta=metadata(name))


def test_a_plugin_adds_routes_that_use_the_one_error_shape(build_app, client_of, tmp_path, as_role):
    folder = tmp_path / "plugins"
    write_plugin(folder, "hello", source(ROUTES, "hello"))
    built = build_app(PLUGINS_PATH=str(folder))
    api = client_of(built)

    assert api.get("/api/hello").json == {"data": {"greeting": "hello"}}
    assert error_of(api.get("/api/hello/there"), 404, "not_found")["message"] == "No there here."
    error_of(api.anonymous.get("/api/hello"), 401, "not_authenticated")
    assert built.extensions["folio.plugins"].status["hello"].hooks == ["folio_register_routes"]


def test_a_plugin_adds_folio_commands(build_app, tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "hello", source(COMMANDS, "hello"))
    built = build_app(PLUGINS_PATH=str(folder))

    result = built.test_cli_runner().invoke(cli, ["hello", "greet", "Ada"])

    assert result.exit_code == 0, result.output
    assert result.output == "hello Ada\n"
    assert "Say hello." in built.test_cli_runner().invoke(cli, ["--help"]).output


def test_admin_panels_are_added_and_a_bad_permission_is_a_failed_registration(build_app, tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "hello", source(PANELS, "hello"))
    built = build_app(PLUGINS_PATH=str(folder))

    panels = built.extensions["folio.admin_panels"].all()
    assert [(p.name, p.endpoint, p.permission) for p in panels] == [
        ("hello_stats", "plugin_hello.hello", "content_types.read")]
    status = built.extensions["folio.plugins"].status["hello"]
    assert status.contributes == {"admin_panels": ["hello_stats"]}
    assert status.failures == 1 and status.last_failure["hook"] == "folio_register_admin_panels"
    assert "'secrets.read' is not a system permission" in status.last_failure["error"]


def test_a_field_type_registered_twice_is_reported_and_core_keeps_its_own(build_app, tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "clash", metadata("clash") + """
from cms.content.fields.text import StringType
from cms.plugins import hookimpl


class Shouty(StringType):
    label = "Shouting string"


@hookimpl
def folio_register_field_types(registry):
    registry.register(Shouty())
""")
    built = build_app(PLUGINS_PATH=str(folder))

    status = built.extensions["folio.plugins"].status["clash"]
    assert status.failures == 1 and "registered twice" in status.last_failure["error"]
    assert built.extensions["folio.field_types"].get("string").label == "Short text"


def test_a_plugin_adds_a_media_storage_backend(build_app, tmp_path):
    folder = tmp_path / "plugins"
    write_plugin(folder, "vault", metadata("vault") + """
from cms.media.storage import LocalStorage
from cms.plugins import hookimpl


class Vault(LocalStorage):
    pass


@hookimpl
def folio_register_media_storage(registry):
    registry.register("vault", lambda config: Vault(config["MEDIA_ROOT"]))
""")
    built = build_app(PLUGINS_PATH=str(folder), MEDIA_STORAGE="vault")

    assert type(built.extensions["folio.media_storage"]).__name__ == "Vault"
    assert built.extensions["folio.plugins"].status["vault"].contributes == {"storage": ["vault"]}


@pytest.mark.parametrize("hook", ["folio_register_routes", "folio_register_commands"])
def test_a_registration_that_raises_is_reported_and_the_app_starts(build_app, client_of, tmp_path, hook):
    folder = tmp_path / "plugins"
    argument = "app" if hook == "folio_register_routes" else "cli"
    write_plugin(folder, "clumsy", metadata("clumsy") + f"""
from cms.plugins import hookimpl


@hookimpl
def {hook}({argument}):
    raise KeyError("SETTING")
""")
    built = build_app(PLUGINS_PATH=str(folder))

    status = built.extensions["folio.plugins"].status["clumsy"]
    assert status.state == "active" and status.failures == 1
    assert status.last_failure["hook"] == hook and status.last_failure["error"].startswith("KeyError: 'SETTING'")
    assert client_of(built).get("/healthz").status_code == 200
