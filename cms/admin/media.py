"""The media library in the admin: browse (grid or list), upload, edit metadata and focal point, delete.

The upload zone's script posts each file to ``/api/media`` (per-file progress); without it the
form posts every file here and each goes through the same ``services.upload``.
"""

from flask import current_app, flash, redirect, request, url_for

from cms.admin.core import allowed, bp, caller, done, field_errors, render, require
from cms.core.errors import ApiError, Conflict, ValidationFailed
from cms.core.http import int_arg
from cms.extensions import db
from cms.media import services
from cms.media.schemas import media_out

PER_PAGE = 24
#: the mime filter's choices: (value, label); a value ending in / is a family
FAMILIES = (("", "Any kind"), ("image/", "Images"), ("video/", "Video"), ("audio/", "Audio"),
            ("application/pdf", "PDF"))
VIEWS = ("grid", "list")
EDITABLE = ("alt", "caption", "folder", "tags", "focal_x", "focal_y")
MAX_FILES = 20  # per form post (the script sends files one by one)


def _filters():
    args = request.args
    mime = args.get("mime", "")
    return {"q": args.get("q", "").strip()[:200], "folder": args.get("folder", "").strip()[:1100],
            "tag": args.get("tag", "").strip()[:50], "mime": mime if mime in dict(FAMILIES) else "",
            "view": args.get("view") if args.get("view") in VIEWS else "grid"}


@bp.before_app_request
def allow_large_uploads():
    """The upload form's body holds files: raise the JSON-sized limit before the CSRF check reads it.

    App-level, so it runs before the admin blueprint's own checks parse the form.
    """
    if request.endpoint == "admin.media_upload":
        request.max_content_length = current_app.config["MEDIA_MAX_BYTES"] * MAX_FILES + 1024 * 1024


@bp.get("/media")
def media_library():
    filters = _filters()
    page = int_arg(request.args, "page", 1, 1, 10**6)
    query = services.MediaQuery(q=filters["q"] or None, mime=filters["mime"] or None,
                                folder=filters["folder"] or None, tag=filters["tag"] or None,
                                page=page, per_page=PER_PAGE)
    items, total = services.list_items(caller(), query)
    return render("admin/media/library.html", heading="Media", items=[media_out(item) for item in items],
                  total=total, page=page, pages=max(1, -(-total // PER_PAGE)), filters=filters, families=FAMILIES,
                  can_manage=allowed("media.manage"), max_bytes=current_app.config["MEDIA_MAX_BYTES"],
                  accepted=",".join(current_app.config["MEDIA_ALLOWED_TYPES"]))


@bp.post("/media/upload")
def media_upload():
    """Add every posted file; report each one (a refused file does not stop the others)."""
    require("media.manage")
    files = [part for part in request.files.getlist("files") if part.filename]
    if not files or len(files) > MAX_FILES:
        flash(f"Choose from 1 to {MAX_FILES} files to upload.", "error")
        return redirect(url_for("admin.media_library"))
    for part in files:
        try:
            item, created = services.upload(part.stream, part.filename, caller())
            db.session.commit()
            flash(f"{item.filename}: uploaded." if created else f"{part.filename}: already in the library "
                  f"as {item.filename}.", "success")
        except ApiError as error:
            db.session.rollback()
            flash(f"{part.filename}: {_reason(error)}", "error")
    return redirect(url_for("admin.media_library"))


def _reason(error):
    messages = [message for messages in field_errors(error).values() for message in messages]
    return " ".join(messages) or error.message


@bp.route("/media/<media_id>", methods=["GET", "POST"])
def media_item(media_id):
    item = services.get_item(media_id, caller())
    values = _values(item)
    if request.method == "POST":
        require("media.manage")
        values = {name: request.form.get(name, "").strip() for name in EDITABLE}
        try:
            services.update_item(item.id, _payload(values), caller())
            db.session.commit()
            return done(f"{item.filename} is saved.", "admin.media_item", media_id=item.id)
        except ApiError as error:
            db.session.rollback()
            return _page(services.get_item(media_id, caller()), values, error)
    return _page(item, values, None)


@bp.post("/media/<media_id>/delete")
def media_delete(media_id):
    item = services.get_item(media_id, caller())
    filename, item_id = item.filename, item.id
    try:
        key = services.delete_item(item_id, caller(), force=request.form.get("force") == "on")
    except Conflict as error:
        db.session.rollback()
        item = services.get_item(media_id, caller())
        return _page(item, _values(item), error, delete_refused=True)
    db.session.commit()
    services.remove_objects(item_id, key)
    return done(f"{filename} is deleted.", "admin.media_library")


def _values(item):
    return {"alt": item.alt, "caption": item.caption, "folder": item.folder, "tags": ", ".join(item.tags or []),
            "focal_x": "" if item.focal_x is None else f"{item.focal_x:g}",
            "focal_y": "" if item.focal_y is None else f"{item.focal_y:g}"}


def _payload(values):
    """The service's metadata from the form's strings (empty focal fields clear the focal point)."""
    payload = {key: values[key] for key in ("alt", "caption", "folder")}
    payload["tags"] = [tag.strip() for tag in values["tags"].split(",") if tag.strip()]
    bad = {}
    for key in ("focal_x", "focal_y"):
        try:
            payload[key] = float(values[key]) if values[key] else None
        except ValueError:
            bad[key] = ["Give a number from 0 to 1."]
    if (payload.get("focal_x") is None) != (payload.get("focal_y") is None) and not bad:
        bad["focal_x" if payload.get("focal_x") is None else "focal_y"] = ["Give both coordinates, or neither."]
    if bad:
        raise ValidationFailed(bad)
    return payload


def _page(item, values, error, delete_refused=False):
    errors = field_errors(error) if error is not None else {}
    message = error.message if error is not None and (delete_refused or not errors) else None
    out = media_out(item)
    return render("admin/media/item.html", status=200 if error is None else error.status, heading=item.filename,
                  item=out, values=values, errors=errors, error=message, delete_refused=delete_refused,
                  used_by=services.usage([item.id]).get(item.id, []), can_manage=allowed("media.manage"),
                  is_image=item.mime.startswith("image/") and item.width is not None)
