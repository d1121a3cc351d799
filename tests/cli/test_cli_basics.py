"""The `folio` command line: init, users, tokens, db, and --help on every command."""

import re
import stat
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from flask.cli import ScriptInfo

from cms.auth import services
from cms.auth.models import ApiToken, User
from cms.cli import cli
from cms.config import DEFAULT_SECRET_KEY, load_settings
from cms.core import migrate
from cms.extensions import db as _db
from cms.models import metadata
from tests.conftest import make_app, table_count

TOKEN = re.compile(r"folio_[A-Za-z0-9_-]+")
PASSWORD = "a-long-enough-password"


def run(app, *args, **kwargs):
    """Invoke `folio ARGS` against ``app``."""
    return app.test_cli_runner().invoke(cli, list(args), **kwargs)


def assert_one_line_failure(result, quiet=True):
    """Check a non-zero exit with one line of reason on stderr (and, if ``quiet``, nothing on stdout)."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if quiet:
        assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def instance_app(db, database_url, tmp_path, monkeypatch):
    """A fresh app whose instance folder is a temp dir, sharing the test's rolled-back connection."""
    connection = db.engines[None]
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        monkeypatch.setitem(_db.engines, None, connection)
        yield app
        _db.session.remove()


def administrators():
    return _db.session.scalars(sa.select(User).where(User.role == "administrator")).all()


def test_init_writes_a_config_with_a_secret_key(instance_app):
    result = run(instance_app, "init", "--admin-email", "boss@example.com", "--admin-password", PASSWORD)

    assert result.exit_code == 0, result.output
    config_file = Path(instance_app.instance_path) / "config.py"
    settings = load_settings(instance_app.instance_path, environ={})
    assert settings["SECRET_KEY"] not in {DEFAULT_SECRET_KEY, ""}
    assert len(settings["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert str(config_file) in result.output


def test_init_migrates_creates_the_admin_and_prints_a_working_token_once(instance_app):
    result = run(instance_app, "init", "--admin-email", "Boss@Example.com", "--admin-password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert f"Database at {migrate.head()}" in result.output
    tokens = TOKEN.findall(result.output)
    assert len(tokens) == 1
    [admin] = administrators()
    assert admin.email == "boss@example.com"
    assert services.verify_password(admin, PASSWORD)
    response = instance_app.test_client().post(
        "/api/content-types", json={"name": "note", "fields": [{"name": "title", "type": "string"}]},
        headers={"Authorization": f"Bearer {tokens[0]}"})
    assert response.status_code == 201, response.json


def test_a_second_init_creates_no_second_admin_and_keeps_the_secret(instance_app):
    run(instance_app, "init", "--admin-email", "boss@example.com", "--admin-password", PASSWORD)
    secret = load_settings(instance_app.instance_path, environ={})["SECRET_KEY"]

    result = run(instance_app, "init", "--admin-email", "other@example.com", "--admin-password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert [user.email for user in administrators()] == ["boss@example.com"]
    assert table_count(ApiToken) == 1
    assert not TOKEN.search(result.output)
    assert load_settings(instance_app.instance_path, environ={})["SECRET_KEY"] == secret


def test_init_with_a_too_short_password_fails_with_one_line(instance_app):
    result = run(instance_app, "init", "--admin-email", "boss@example.com", "--admin-password", "short")

    line = assert_one_line_failure(result, quiet=False)
    assert "10 characters" in line
    assert table_count(User) == 0
    assert table_count(ApiToken) == 0


def test_init_asks_for_what_it_was_not_given(instance_app):
    result = run(instance_app, "init", input=f"asked@example.com\n{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert [user.email for user in administrators()] == ["asked@example.com"]


def test_init_on_an_empty_database_creates_the_schema(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "instance")

    result = run(app, "init", "--admin-email", "boss@example.com", "--admin-password", PASSWORD)

    assert result.exit_code == 0, result.output
    with app.app_context():
        try:
            assert set(metadata.tables) <= set(sa.inspect(_db.engine).get_table_names())
            assert [user.email for user in administrators()] == ["boss@example.com"]
        finally:
            _db.session.remove()
            _db.engine.dispose()


def test_tokens_create_prints_only_the_token(app, admin):
    result = run(app, "tokens", "create", "--email", admin.email, "--name", "website build")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("folio_")
    assert TOKEN.fullmatch(lines[0])


def test_a_cli_token_authenticates_api_calls(app, admin, client, db):
    token = run(app, "tokens", "create", "--email", admin.email.upper(), "--name", "ci").stdout.strip()

    response = client.get("/api/content-types", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200, response.json
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == services.hash_token(token)))
    assert (row.name, row.user_id) == ("ci", admin.id)


def test_tokens_create_for_an_unknown_email_fails_with_one_line(app, admin):
    result = run(app, "tokens", "create", "--email", "nobody@example.com", "--name", "ci")

    line = assert_one_line_failure(result)
    assert "nobody@example.com" in line
    assert table_count(ApiToken) == 1  # only the admin fixture's


def test_tokens_create_takes_a_role_or_makes_a_delivery_token(app, admin, db):
    viewer = run(app, "tokens", "create", "--email", admin.email, "--name", "ro", "--role", "viewer").stdout.strip()
    site = run(app, "tokens", "create", "--email", admin.email, "--name", "site", "--delivery").stdout.strip()

    rows = {row.name: row for row in db.session.scalars(sa.select(ApiToken))}
    assert (rows["ro"].role, rows["ro"].kind) == ("viewer", "api") and viewer.startswith("folio_")
    assert (rows["site"].role, rows["site"].kind) == (None, "delivery") and site.startswith("folio_")


@pytest.mark.parametrize("extra", [("--role", "wizard"), ("--role", "viewer", "--delivery")])
def test_tokens_create_refuses_unknown_roles_and_mixed_kinds(app, admin, extra):
    result = run(app, "tokens", "create", "--email", admin.email, "--name", "x", *extra)

    assert result.exit_code != 0
    assert table_count(ApiToken) == 1


def test_users_create_with_an_unknown_role_fails_with_one_line(app, db):
    result = run(app, "users", "create", "--email", "ed@example.com", "--password", PASSWORD, "--role", "wizard")

    assert "wizard" in assert_one_line_failure(result)


def test_users_create_makes_a_user_who_can_log_in(app, db):
    result = run(app, "users", "create", "--email", "Ed@Example.com", "--password", PASSWORD, "--role", "editor")

    assert result.exit_code == 0, result.output
    user = services.find_user("ed@example.com")
    assert (user.email, user.role, user.active) == ("ed@example.com", "editor", True)
    assert services.verify_password(user, PASSWORD)
    assert user.password_hash != PASSWORD


def test_users_create_asks_for_the_password_twice(app, db):
    result = run(app, "users", "create", "--email", "ed@example.com", input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert services.verify_password(services.find_user("ed@example.com"), PASSWORD)


def test_users_create_with_a_taken_email_fails_with_one_line(app, admin):
    result = run(app, "users", "create", "--email", admin.email, "--password", PASSWORD)

    line = assert_one_line_failure(result)
    assert "already" in line
    assert table_count(User) == 1


def test_users_create_with_a_too_short_password_says_why(app, db):
    result = run(app, "users", "create", "--email", "ed@example.com", "--password", "short")

    line = assert_one_line_failure(result)
    assert "10 characters" in line
    assert table_count(User) == 0


def test_db_current_names_the_head_revision(app, db):
    result = run(app, "db", "current")

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{migrate.head()} (up to date)"


def test_db_upgrade_on_a_migrated_database_changes_nothing(app, db):
    result = run(app, "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert f"Database at {migrate.head()}" in result.output


def test_the_version_option_names_the_program(app):
    result = run(app, "--version")

    assert result.exit_code == 0
    assert result.output.startswith("folio")


def command_paths(app):
    """Return the argument path of every command and group in the `folio` tree."""
    context = click.Context(cli, obj=ScriptInfo(create_app=lambda: app))
    paths, pending = [], [((), cli)]
    while pending:
        path, command = pending.pop()
        paths.append(path)
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                pending.append(((*path, name), command.get_command(context, name)))
    return sorted(paths)


def test_the_command_tree_holds_the_documented_commands(app):
    paths = {" ".join(path) for path in command_paths(app)}

    assert {"init", "db upgrade", "db downgrade", "db current", "users create", "tokens create"} <= paths


def test_every_command_and_group_has_help(app):
    answers = {path: run(app, *path, "--help") for path in command_paths(app)}

    failing = {" ".join(path): result.output for path, result in answers.items()
               if result.exit_code != 0 or not result.output.startswith("Usage:")}
    undocumented = [" ".join(path) for path, result in answers.items()
                    if not result.output.split("\n\n")[1].strip()]
    assert len(answers) > 10
    assert failing == {}
    assert undocumented == []
