"""Assertions shared by the API tests."""


def error_of(response, status, code):
    """Assert the one JSON error shape with ``status`` and ``code``; return the error object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == {"error"} and set(response.json["error"]) == {"code", "message", "details"}
    error = response.json["error"]
    assert error["code"] == code and error["message"] and isinstance(error["details"], dict)
    return error
