from cms.cli import cli


def test_cli_commands_run_against_the_test_app(app, db):
    result = app.test_cli_runner().invoke(cli, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert "0001_initial" in result.output
