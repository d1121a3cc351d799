"""Assertions shared by the API tests."""


def error_of(response, status, code=None):
    """Assert the one JSON error shape with ``status`` (and ``code``); return the error object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert set(response.json) == {"error"} and set(response.json["error"]) == {"code", "message", "details"}
    error = response.json["error"]
    assert isinstance(error["message"], str) and error["message"] and isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code
    return error


def error_details(response, status, code):
    """Assert the one JSON error shape; return its details."""
    return error_of(response, status, code)["details"]


def publish(api, entry):
    """Publish ``entry`` (a delivered entry dict) through the API; return the published entry."""
    response = api.post(f"/api/content/{entry['type']}/{entry['id']}/publish")
    assert response.status_code == 200, response.json
    return response.json["data"]


def give_role(db, name, permissions):
    """Add (and commit) a custom role ``name`` holding ``permissions``."""
    from cms.auth.models import Role

    db.session.add(Role(name=name, label=name, description="", builtin=False, permissions=permissions))
    db.session.commit()
