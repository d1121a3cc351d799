"""The OpenAPI description of /api/media (merged into /api/openapi.json)."""

from cms.content.openapi import operation, path_param, query_param

_STRING = {"type": "string"}
MEDIA = {"type": "object", "required": ["id", "type", "filename", "mime", "size", "url"], "properties": {
    "id": _STRING, "type": {"const": "media"}, "filename": _STRING, "mime": _STRING, "size": {"type": "integer"},
    "width": {"type": ["integer", "null"]}, "height": {"type": ["integer", "null"]}, "alt": _STRING,
    "caption": _STRING, "focal": {"type": ["object", "null"]}, "folder": _STRING,
    "tags": {"type": "array", "items": _STRING}, "url": _STRING, "used_by": {"type": "array"},
    "created_at": _STRING, "updated_at": _STRING}}
ONE = {"type": "object", "required": ["data"], "properties": {"data": MEDIA, "meta": {"type": "object"}}}
MANY = {"type": "object", "required": ["data"], "properties": {"data": {"type": "array", "items": MEDIA},
                                                              "meta": {"type": "object"}}}
METADATA = {"type": "object", "properties": {
    "alt": _STRING, "caption": _STRING, "folder": _STRING, "tags": {"type": "array", "items": _STRING},
    "filename": _STRING, "focal_x": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    "focal_y": {"type": ["number", "null"], "minimum": 0, "maximum": 1}}}
UPLOAD_FORM = {"multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary"}, "alt": _STRING, "caption": _STRING, "folder": _STRING,
    "tags": {"type": "string", "description": "comma-separated"}, "focal_x": _STRING, "focal_y": _STRING}}}}
WRITES = ("400", "401", "403", "404", "409", "413", "415", "422")
FILE = {"description": "The file (or a redirect to it in the bucket)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


def media_paths():
    upload = operation("Upload a file (multipart/form-data, streamed); the same bytes answer the stored item",
                       ok_status="201", ok=ONE, errors=WRITES)
    upload["requestBody"] = {"required": True, "content": UPLOAD_FORM}
    upload["responses"]["200"] = {"description": "These bytes were stored before: the existing item",
                                  "content": {"application/json": {"schema": ONE}}}
    media_id = [path_param("media_id", description="Media id")]
    return {
        "/api/media": {
            "get": operation("List media, newest first", ok=MANY, errors=("400", "401", "403"), parameters=[
                query_param("q", _STRING, "Words in the file name, alt text or caption"),
                query_param("mime", _STRING, "A type (image/png) or a family (image/)"),
                query_param("folder", _STRING, "Only this folder"), query_param("tag", _STRING, "Only with this tag"),
                query_param("page", {"type": "integer", "minimum": 1}, "Page number"),
                query_param("per_page", {"type": "integer", "minimum": 1, "maximum": 100}, "Items per page")]),
            "post": upload,
        },
        "/api/media/{media_id}": {
            "parameters": media_id,
            "get": operation("Read a media item and where it is used", ok=ONE),
            "patch": operation("Change a media item's metadata", ok=ONE, body=METADATA, errors=WRITES),
            "delete": operation("Delete a media item (409 while entries use it, unless force)", ok_status="204",
                                errors=WRITES, parameters=[query_param("force", {"type": "boolean"},
                                                                       "Delete even while entries use it")]),
        },
        "/api/media/{media_id}/file": {"parameters": media_id, "get": {
            "summary": "The original file", "responses": {"200": FILE, "302": {"description": "In the bucket"},
                                                           "404": {"description": "Not found"}}}},
        "/api/media/{media_id}/image": {"parameters": media_id, "get": {
            "summary": "An image rendition (made once, then kept)", "parameters": [
                query_param("w", {"type": "integer"}, "Width, from MEDIA_RENDITION_SIZES"),
                query_param("h", {"type": "integer"}, "Height, from MEDIA_RENDITION_SIZES"),
                query_param("fit", {"type": "string", "enum": ["cover", "contain"]}, "cover crops around the focal point"),
                query_param("format", {"type": "string", "enum": ["webp", "jpeg", "png"]}, "Encoding")],
            "responses": {"200": FILE, "302": {"description": "In the bucket"},
                          "400": {"description": "Bad size, fit or format"}, "404": {"description": "Not found"}}}},
        "/api/media/uploads": {"post": operation(
            "Start a presigned multipart upload straight to S3", ok_status="201", ok={"type": "object"},
            body={"type": "object", "required": ["filename", "size", "mime"], "properties": {
                "filename": _STRING, "size": {"type": "integer", "minimum": 1}, "mime": _STRING, "folder": _STRING}},
            errors=WRITES)},
        "/api/media/uploads/{upload_id}/complete": {
            "parameters": [path_param("upload_id", description="Upload id")],
            "post": operation("Complete a presigned upload: checked, then a media item", ok=ONE, errors=WRITES,
                              body={"type": "object", "required": ["parts"], "properties": {"parts": {
                                  "type": "array", "items": {"type": "object", "properties": {
                                      "number": {"type": "integer"}, "etag": _STRING}}}}})},
    }
