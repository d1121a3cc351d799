"""HTTP API of the media library: /api/media.

Files and renditions are public by URL (media ids are unguessable); the library's listing,
metadata and changes need the ``media`` system permission.
"""

from flask import Blueprint, current_app, jsonify, redirect, request, send_file
from flask_login import current_user

from cms.core.errors import NotFound, ValidationFailed
from cms.core.http import bool_arg, int_arg, json_body, query_args
from cms.extensions import db
from cms.media import renditions, services, uploads
from cms.media.detect import INLINE
from cms.media.schemas import media_out

bp = Blueprint("media_api", __name__, url_prefix="/api/media")
UPLOAD_FIELDS = ("alt", "caption", "folder", "tags", "focal_x", "focal_y")
#: served files can never run script on the CMS origin
SANDBOX = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"
IMMUTABLE = "public, max-age=31536000, immutable"


def _caller():
    return current_user._get_current_object()


@bp.get("")
def list_media():
    args = query_args(("q", "mime", "folder", "tag", "page", "per_page"))
    query = services.MediaQuery(q=args.get("q"), mime=args.get("mime"), folder=args.get("folder"),
                                tag=args.get("tag"), page=int_arg(args, "page", 1, 1, 10**6),
                                per_page=int_arg(args, "per_page", 25, 1, 100))
    items, total = services.list_items(_caller(), query)
    return jsonify({"data": [media_out(item) for item in items],
                    "meta": {"total": total, "page": query.page, "per_page": query.per_page}})


def _upload_metadata():
    unknown = sorted(str(name) for name in set(request.form) - set(UPLOAD_FIELDS))
    if unknown:
        raise ValidationFailed({name: ["Unknown field."] for name in unknown})
    metadata = {}
    for name in UPLOAD_FIELDS:
        if name not in request.form:
            continue
        value = request.form[name]
        if name == "tags":
            metadata[name] = [tag.strip() for tag in value.split(",") if tag.strip()]
        elif name in ("focal_x", "focal_y"):
            try:
                metadata[name] = float(value)
            except ValueError:
                raise ValidationFailed({name: ["Send a number from 0 to 1."]}) from None
        else:
            metadata[name] = value
    return metadata


@bp.post("")
def upload_media():
    """``multipart/form-data`` with ``file`` (and optional metadata fields); streamed, never held in memory."""
    query_args(())
    services.authorize_upload(_caller())
    request.max_content_length = current_app.config["MEDIA_MAX_BYTES"] + 1024 * 1024  # the form's other parts
    if request.mimetype != "multipart/form-data":
        raise ValidationFailed({"file": ["Send the file as multipart/form-data in a part named file."]})
    files = request.files.getlist("file")
    if len(files) != 1 or set(request.files) != {"file"}:
        raise ValidationFailed({"file": ["Send exactly one file, in a part named file."]})
    item, created = services.upload(files[0].stream, files[0].filename, _caller(), _upload_metadata())
    db.session.commit()
    return jsonify({"data": media_out(item), "meta": {"duplicate": not created}}), 201 if created else 200


@bp.get("/<media_id>")
def get_media(media_id):
    query_args(())
    item = services.get_item(media_id, _caller())
    return jsonify({"data": media_out(item, services.usage([item.id]).get(item.id, []))})


@bp.patch("/<media_id>")
def update_media(media_id):
    query_args(())
    item = services.update_item(media_id, json_body(), _caller())
    db.session.commit()
    return jsonify({"data": media_out(item)})


@bp.delete("/<media_id>")
def delete_media(media_id):
    args = query_args(("force",))
    item_id = media_id
    key = services.delete_item(media_id, _caller(), force=bool_arg(args, "force", False))
    db.session.commit()
    services.remove_objects(item_id, key)
    return "", 204


def _serve(key, mime, filename, known=False):
    """Answer a stored object: streamed from the local folder, or a redirect to the bucket.

    ``known``: the caller has just seen the object in the store (no second look).
    """
    store = services.storage()
    attachment = mime not in INLINE
    if not known and not store.exists(key):
        raise NotFound("The file is missing from the media storage (`folio media gc` reports such items).")
    url = store.url(key, filename if attachment else None)
    if url is not None:
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "private, max-age=60"  # presigned URLs expire
        return response
    response = send_file(store.path(key), mimetype=mime, as_attachment=attachment, download_name=filename,
                         conditional=True, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE  # an id's bytes never change
    response.headers["Content-Security-Policy"] = SANDBOX
    return response


@bp.get("/<media_id>/file")
def media_file(media_id):
    query_args(())
    item = services.get_item(media_id, check=False)
    return _serve(item.storage_key, item.mime, item.filename)


@bp.get("/<media_id>/image")
def media_image(media_id):
    args = query_args(("w", "h", "fit", "format"))
    wanted = renditions.parse(args, renditions.sizes())
    item = services.get_item(media_id, check=False)
    key = renditions.get_or_make(item, wanted, services.storage())
    stem = item.filename.rsplit(".", 1)[0] or "image"
    return _serve(key, wanted.mime, f"{stem}.{wanted.format}", known=True)  # get_or_make looked


# -- presigned uploads straight to S3 -----------------------------------------------------------------

@bp.post("/uploads")
def start_upload():
    query_args(())
    upload, part_size, urls = uploads.start(json_body(), _caller())
    db.session.commit()
    return jsonify({"data": {"id": upload.id, "part_size": part_size, "expires_at": upload.expires_at.isoformat(),
                             "parts": [{"number": n, "url": url} for n, url in enumerate(urls, start=1)]}}), 201


@bp.post("/uploads/<upload_id>/complete")
def complete_upload(upload_id):
    query_args(())
    body = json_body()
    if set(body) != {"parts"}:
        raise ValidationFailed({"parts": ["Send {\"parts\": [{\"number\": 1, \"etag\": \"…\"}, …]}."]})
    item, created = uploads.complete(upload_id, body["parts"], _caller())
    db.session.commit()
    return jsonify({"data": media_out(item), "meta": {"duplicate": not created}}), 201 if created else 200

