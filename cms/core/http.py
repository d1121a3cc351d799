"""Request helpers shared by the API blueprints: strict JSON bodies and query strings."""

import json
import math

from flask import request

from cms.core.errors import ApiError, BadRequest, ValidationFailed, parameter_error

JSON_MIMETYPES = {"application/json", "application/merge-patch+json"}


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"
    message = "Send the body as JSON (Content-Type: application/json)."


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def parse_json(raw):
    """Parse JSON text strictly: no NaN/Infinity, no overflowing numbers, bounded nesting."""
    try:
        return json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.", {"code": "invalid_json"}) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}", {"code": "invalid_json"}) from None


def json_body():
    """Return the request's JSON object, or raise 415/400/413/422 with a clear message."""
    if request.mimetype not in JSON_MIMETYPES:
        raise UnsupportedMediaType()
    data = parse_json(request.get_data(cache=True))
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.")
    bad = nul_paths(data)
    if bad:
        raise ValidationFailed({path: ["NUL characters are not allowed."] for path in bad})
    return data


def nul_paths(document):
    """Return the dotted paths of every key or string in ``document`` that contains NUL."""
    found = []
    stack = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path or "$")
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    found.append(child.replace("\x00", "\\u0000"))
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(found)


def query_args(allowed):
    """Return the query string as a dict, refusing names outside ``allowed`` and NUL characters with 400."""
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise BadRequest(
            "Unknown query parameters: " + ", ".join(unknown) + ".",
            {"parameters": {name: ["Unknown parameter."] for name in unknown}},
        )
    bad = sorted(key for key, value in request.args.items(multi=True) if "\x00" in value)
    if bad:
        raise BadRequest(f"{bad[0]}: NUL characters are not allowed.",
                         {"parameters": {name: ["NUL characters are not allowed."] for name in bad}})
    return {key: request.args.get(key) for key in request.args}


def if_match_version():
    """Return the version named by If-Match (``"3"``, ``W/"3"`` or an ETag ``"3-…"``), or None."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tag = header.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"').split("-", 1)[0]
    if not tag.isdigit():
        raise BadRequest('If-Match must name a version, e.g. If-Match: "3".')
    return int(tag)


def int_arg(args, name, default, low, high):
    """Return the whole-number query parameter ``name`` within [low, high], or 400 naming it."""
    value = args.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 12) or not low <= int(value) <= high:
        raise parameter_error(name, f"Use a whole number from {low} to {high}.")
    return int(value)


def bool_arg(args, name, default=None):
    """Return the ``true``/``false`` query parameter ``name``, or 400 naming it."""
    value = args.get(name)
    if value is None:
        return default
    if value not in {"true", "false"}:
        raise parameter_error(name, "Use true or false.")
    return value == "true"
