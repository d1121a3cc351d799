"""Schemathesis fuzzes every operation of /api/openapi.json: no 5xx, and every answer matches the document.

The data is made inside the `db` fixture's transaction, so whatever the fuzzer writes is rolled back.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.content.test_api_types import EVERY_FIELD
from tests.helpers import error_of

pytestmark = pytest.mark.fuzz

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
STREAMS = frozenset({"/api/events"})
FUZZ_SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))
SETTINGS_FIELDS = [{"name": "site_name", "type": "string", "required": True}, {"name": "tagline", "type": "text"},
                   {"name": "menu", "type": "relation", "target": "article", "many": True}]


def article(number, author_id):
    """Return the values of a valid article numbered ``number``."""
    return {"title": f"Article {number}", "views": number, "price": 2.5, "day": "2024-06-01", "stage": "final",
            "contact": f"ann{number}@example.com", "writer": author_id, "editors": [author_id], "cover": "m1",
            "gallery": ["m1", "m2"], "links": [{"label": "Home", "href": "https://example.com/"}],
            "seo": {"description": "About it", "image": {"alt": "A"}}, "extra": {"n": [number, None]},
            "sections": [{"type": "quote", "value": {"text": "Be brief.", "by": "Ann"}},
                         {"type": "gallery", "value": {"images": ["m3"]}}]}


@pytest.fixture
def content(api, make_type, make_entry, media_rows):
    """A model with every field type, published and draft entries, a singleton and a private type."""
    media_rows("m1", "m2", "m3")
    make_type("author", [{"name": "name", "type": "string", "required": True}])
    make_type("article", EVERY_FIELD)
    make_type("settings", SETTINGS_FIELDS, kind="singleton")
    make_type("memo", [{"name": "text", "type": "text"}], options={"public": False})
    authors = [make_entry("author", publish=True, name="Ann"), make_entry("author", name="Bob")]
    articles = [make_entry("article", publish=number < 3, **article(number, authors[0]["id"])) for number in range(4)]
    make_entry("settings", site_name="Folio", menu=[articles[0]["id"]])
    assert api.post("/api/content/settings/publish").status_code == 200
    memos = [make_entry("memo", text="internal")]
    changed = api.patch(f"/api/content/article/{articles[0]['id']}", json={"title": "Changed"})
    assert changed.status_code == 200, changed.json
    ids = {name: [entry["id"] for entry in entries] for name, entries in
           {"author": authors, "article": articles, "memo": memos}.items()}

    def known(operation, parameter):
        """Return values of a path parameter that name something that exists."""
        if parameter == "id":
            return ids[operation.path.split("/")[3]]
        return [1, 2, 3] if parameter == "number" else sorted(ids) + ["settings"]

    return known


def authorization(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def strategy(operation, mode, known):
    """Cases with generated path parameters, and as many again naming things that exist."""
    generated = operation.as_strategy(generation_mode=mode)
    names = [parameter.name for parameter in operation.path_parameters]
    if not names:
        return generated
    pinned = st.fixed_dictionaries({name: st.sampled_from(known(operation, name)) for name in names})
    return st.one_of(generated, pinned.flatmap(
        lambda values: operation.as_strategy(generation_mode=mode, path_parameters=values)))


def fuzz(app, token, known):
    """Fuzz every operation of the document ``token`` sees; return the failures keyed by operation and mode."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, headers=authorization(token))
    # the change stream stays open and reads the outbox from its own thread (tests/events/test_stream.py)
    operations = [op for op in (result.ok() for result in schema.get_all_operations()) if op.path not in STREAMS]
    failures = {}
    # deletions last, so that the other operations meet the entries and types they name
    for operation in sorted(operations, key=lambda op: (op.method.upper() == "DELETE", op.path, op.method)):
        for mode in MODES:

            @FUZZ_SETTINGS
            @given(case=strategy(operation, mode, known))
            def check(case):
                with app.app_context():  # its own app context, as on a server
                    case.call_and_validate(headers=authorization(token), checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing in it can be made invalid
            except (Failure, FailureGroup) as failure:  # collect every operation's failures, then report them all
                failures[f"{operation.label} ({mode.value})"] = str(failure)
    return failures


def report(failures):
    return "\n\n".join(f"{label}: {failure}" for label, failure in sorted(failures.items()))


def test_every_operation_answers_an_administrator_as_documented(app, content, admin):
    failures = fuzz(app, admin.token, content)

    assert not failures, report(failures)


def test_every_operation_answers_an_anonymous_caller_as_documented(app, content):
    failures = fuzz(app, None, content)

    assert not failures, report(failures)


def test_a_revision_number_beyond_any_stored_one_is_not_found(api, make_type, make_entry):
    make_type("note", [{"name": "text", "type": "text"}])
    note = make_entry("note", text="Hi")

    for suffix in ("", "/diff", "/restore"):
        method = api.post if suffix == "/restore" else api.get
        error_of(method(f"/api/content/note/{note['id']}/revisions/{2**31}{suffix}"), 404, "not_found")
    error_of(api.get(f"/api/content/note/{note['id']}/revisions/1/diff?against={2**31}"), 404, "not_found")
    assert api.get(f"/api/content/note/{note['id']}?status=draft").json["data"]["version"] == note["version"]


def test_a_block_whose_type_is_not_a_name_is_refused(api, make_type, make_entry):
    make_type("page", [{"name": "body", "type": "blocks", "blocks": {"quote": [{"name": "text", "type": "text"}]}}])
    page = make_entry("page", body=[{"type": "quote", "value": {"text": "Be brief."}}])

    response = api.put(f"/api/content/page/{page['id']}", json={"body": [{"type": {"quote": 1}, "value": {}}]})

    assert error_of(response, 422, "validation_failed")["details"]["fields"]["body"]["0"]["type"]
    assert api.get(f"/api/content/page/{page['id']}?status=draft").json["data"]["body"] == page["body"]
