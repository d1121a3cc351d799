"""GET /api/plugins and /api/plugins/<name>: what is installed and healthy, for callers with plugins.read."""

import pytest

from cms.plugins.openapi import PLUGIN
from tests.helpers import error_of, give_role


def test_administrators_list_every_plugin_with_its_status(api):
    response = api.get("/api/plugins")

    assert response.status_code == 200
    body = response.json
    assert body["meta"] == {"strict": False}
    names = [plugin["name"] for plugin in body["data"]]
    assert names == sorted(names) and {"colour", "reading_time", "seo"} <= set(names)
    for plugin in body["data"]:
        assert set(plugin) == set(PLUGIN["properties"]) and plugin["type"] == "plugin"
    seo = next(plugin for plugin in body["data"] if plugin["name"] == "seo")
    assert seo["state"] == "active" and seo["version"] == "1.0.0" and seo["folio"] == ">=0.1,<1"
    assert seo["hooks"] == ["folio_register_commands", "folio_register_field_types", "folio_register_routes"]
    assert seo["contributes"] == {"field_types": ["seo"]}


def test_one_plugin_is_read_by_name(api):
    response = api.get("/api/plugins/colour")

    assert response.status_code == 200
    assert response.json["data"]["name"] == "colour" and response.json["data"]["source"] == "directory"


def test_an_unknown_plugin_is_not_found(api):
    assert error_of(api.get("/api/plugins/nothing"), 404, "not_found")["message"] == "No plugin named 'nothing' is installed."


@pytest.mark.parametrize("path", ["/api/plugins?state=active", "/api/plugins/seo?verbose=1"])
def test_unknown_query_parameters_are_refused(api, path):
    error_of(api.get(path), 400)


@pytest.mark.parametrize("path", ["/api/plugins", "/api/plugins/seo", "/api/plugins/nothing"])
def test_anonymous_callers_must_sign_in(anonymous, path):
    error_of(anonymous.get(path), 401, "not_authenticated")


@pytest.mark.parametrize("role", ["editor", "author", "viewer"])
@pytest.mark.parametrize("path", ["/api/plugins", "/api/plugins/seo", "/api/plugins/nothing"])
def test_roles_without_plugins_read_are_refused(as_role, role, path):
    error_of(as_role(role).get(path), 403, "permission_denied")


def test_a_role_holding_plugins_read_may_look(db, as_role):
    give_role(db, "operator", [{"system": "plugins", "action": "read"}])
    operator = as_role("operator")

    assert operator.get("/api/plugins").status_code == 200
    assert operator.get("/api/plugins/seo").status_code == 200
    error_of(operator.get("/api/roles"), 403, "permission_denied")


def test_the_routes_are_in_the_openapi_document(api):
    paths = api.get("/api/openapi.json").json["paths"]

    assert "get" in paths["/api/plugins"] and "get" in paths["/api/plugins/{name}"]
