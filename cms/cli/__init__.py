"""The `folio` command: Flask's CLI with Folio's groups, one module per group."""

import click
from flask.cli import FlaskGroup

from cms.app import create_app


def _make_app():
    return create_app()


@click.group(cls=FlaskGroup, create_app=_make_app, add_version_option=False, load_dotenv=False,
             set_debug_flag=False)
@click.version_option(package_name="folio-cms", prog_name="folio")
def cli():
    """Folio, a headless CMS. Settings come from instance/config.py and FOLIO_* variables."""


def _register():
    from cms.cli import content, db, init, media, plugins, seed, tokens, types, users, worker

    for module in (content, db, init, media, plugins, seed, tokens, types, users, worker):
        cli.add_command(getattr(module, "group", None) or module.command)


_register()


def main():
    cli(prog_name="folio")
