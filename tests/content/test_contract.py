"""The API contract: the OpenAPI document and the TypeScript declarations."""

import re

from openapi_spec_validator import validate

from tests.helpers import error_of

POST = [{"name": "title", "type": "string", "required": True}, {"name": "secret", "type": "text", "private": True},
        {"name": "author", "type": "relation", "target": "person"}]


def test_the_openapi_document_is_valid_and_describes_every_type(api, make_type):
    make_type("person", [{"name": "name", "type": "string"}])
    make_type("post", POST)
    make_type("settings", [{"name": "site_name", "type": "string"}], kind="singleton")

    document = api.get("/api/openapi.json").json

    validate(document)
    assert document["openapi"] == "3.1.0"
    schemas = document["components"]["schemas"]
    assert {"post.Entry", "post.Input", "post.List", "person.Entry", "settings.Entry", "Error"} <= set(schemas)
    assert schemas["post.Entry"]["properties"]["title"] == {"type": ["string", "null"], "maxLength": 255}
    assert "secret" in schemas["post.Entry"]["properties"]
    paths = document["paths"]
    assert {"get", "post"} <= set(paths["/api/content/post"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/content/post/{id}"])
    assert "/api/content/post/{id}/revisions/{number}/restore" in paths
    assert {"get", "put", "patch"} <= set(paths["/api/content/settings"])
    assert "/api/content/settings/publish" in paths
    assert "/api/content-types/{name}" in paths
    assert {"/api/sync", "/api/openapi.json", "/api/types.ts", "/healthz", "/readyz"} <= set(paths)


def test_anonymous_callers_see_only_public_types_and_no_private_fields(api, make_type):
    make_type("post", [{"name": "title", "type": "string"}, {"name": "secret", "type": "text", "private": True}])
    make_type("memo", [{"name": "text", "type": "text"}], options={"public": False})

    document = api.get("/api/openapi.json", token=None).json

    validate(document)
    schemas = document["components"]["schemas"]
    assert "post.Entry" in schemas and "memo.Entry" not in schemas
    assert "secret" not in schemas["post.Entry"]["properties"]
    assert "/api/content/memo" not in document["paths"]


def test_the_document_follows_type_changes_at_the_next_request(api, make_type):
    make_type("post", [{"name": "title", "type": "string"}])
    before = api.get("/api/openapi.json").json["components"]["schemas"]["post.Entry"]["properties"]

    response = api.patch("/api/content-types/post", json={"fields": [
        {"name": "title", "type": "string"}, {"name": "views", "type": "integer", "min": 0}]})
    assert response.status_code == 200, response.json

    after = api.get("/api/openapi.json").json["components"]["schemas"]["post.Entry"]["properties"]
    assert "views" not in before
    assert after["views"] == {"type": ["integer", "null"], "minimum": 0, "maximum": 2**63 - 1}


def test_typescript_declares_every_type(api, make_type, run):
    make_type("person", [{"name": "name", "type": "string"}])
    make_type("post", POST)

    source = api.get("/api/types.ts")
    from_cli = run("types", "typescript")

    assert source.status_code == 200 and source.mimetype == "text/plain"
    text = source.get_data(as_text=True)
    assert "export interface PostEntry {" in text
    assert '  type: "post";' in text
    assert "  title?: string | null;" in text
    assert "} | PersonEntry | null;" in text  # a relation: a stub, or the entry when populated
    assert from_cli.exit_code == 0 and from_cli.output == text


def test_contract_routes_refuse_unknown_parameters(api):
    error_of(api.get("/api/openapi.json?x=1"), 400, "bad_request")
    error_of(api.get("/api/types.ts?x=1"), 400, "bad_request")


def test_every_registered_route_is_in_the_document(app, api, make_type):
    make_type("post", [{"name": "title", "type": "string"}])
    make_type("settings", [{"name": "site_name", "type": "string"}], kind="singleton")
    paths = api.get("/api/openapi.json").json["paths"]

    missing = []
    for rule in app.url_map.iter_rules():
        if not (rule.rule.startswith("/api") or rule.rule in {"/healthz", "/readyz"}):
            continue
        path = re.sub(r"<(?:\w+:)?(?!type_name>)(\w+)>", r"{\1}", rule.rule.replace("<entry_id>", "{id}"))
        methods = {m.lower() for m in rule.methods} - {"head", "options"}
        # a content rule serves collections (post) or singletons (settings): the type decides
        concrete = [path.replace("<type_name>", name) for name in ("post", "settings")] if "<type_name>" in path \
            else [path]
        documented = set().union(*(set(paths.get(one, ())) for one in concrete))
        if not methods <= documented:
            missing.append((rule.rule, sorted(methods - documented)))
    assert missing == []
