import pytest

from cms.cli import cli


@pytest.fixture
def run(app, db):
    """Invoke `folio` with arguments (and optional stdin) against the test app."""

    def invoke(*args, input=None, **kwargs):
        return app.test_cli_runner().invoke(cli, list(args), input=input, **kwargs)

    return invoke
