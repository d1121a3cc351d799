"""Moving a content model and its content to a new, empty instance reproduces the same API."""

import sqlalchemy as sa

from cms.cli import cli
from cms.content.models import ContentType
from cms.extensions import db


def _answers(client, headers):
    """Every list (drafts and published) and every single entry, as the API returns them."""
    answers = {}
    for name in sorted(db.session.scalars(sa.select(ContentType.name))):
        for status in ("draft", "published"):
            response = client.get(f"/api/content/{name}?status={status}", headers=headers)
            if response.status_code == 404:  # a singleton not published
                answers[(name, status)] = 404
                continue
            body = response.json
            answers[(name, status)] = body
            for entry in body["data"] if isinstance(body["data"], list) else []:
                single = client.get(f"/api/content/{name}/{entry['id']}?status={status}", headers=headers)
                answers[(name, entry["id"], status)] = (single.json, single.headers["ETag"])
                revisions = client.get(f"/api/content/{name}/{entry['id']}/revisions", headers=headers)
                assert revisions.status_code == 200
    answers["types"] = [
        {k: v for k, v in t.items() if k not in {"created_at", "updated_at", "version"}}
        for t in client.get("/api/content-types", headers=headers).json["data"]
    ]
    return answers


def test_export_to_a_new_instance_reproduces_the_same_api_answers(app, db, admin, live_app, tmp_path):
    model, content = tmp_path / "model.yaml", tmp_path / "content.jsonl"
    source = app.test_cli_runner()
    assert source.invoke(cli, ["seed", "demo"]).exit_code == 0
    assert source.invoke(cli, ["types", "export", "-o", str(model)]).exit_code == 0
    assert source.invoke(cli, ["content", "export", "-o", str(content)]).exit_code == 0
    expected = _answers(app.test_client(), {"Authorization": f"Bearer {admin.token}"})

    target = live_app.test_cli_runner()
    with live_app.app_context():  # the CLI uses the app whose context is current
        imported_types = target.invoke(cli, ["types", "import", str(model)])
        assert imported_types.exit_code == 0, imported_types.output
        imported = target.invoke(cli, ["content", "import", str(content)])
        assert imported.exit_code == 0, imported.output
        actual = _answers(live_app.test_client(), {"Authorization": f"Bearer {live_app.config['TEST_TOKEN']}"})
    assert actual.keys() == expected.keys()
    for key in expected:
        assert actual[key] == expected[key], key
    assert len([k for k in expected if len(k) == 3]) > 20  # entries were compared one by one
