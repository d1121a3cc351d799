"""Image renditions: resized, cropped around the focal point, re-encoded without metadata, kept.

Sizes come from a configured list (``MEDIA_RENDITION_SIZES``), so one image has a bounded number
of renditions and the endpoint cannot be used to fill the disk or burn CPU; each is made once
and stored beside the original under ``renditions/<media id>/``.
"""

import io
from contextlib import closing
import shutil
import tempfile
from dataclasses import dataclass

from flask import current_app
from PIL import Image, ImageOps

from cms.core.errors import BadRequest, NotFound, parameter_error
from cms.extensions import db
from cms.media.detect import IMAGES
from cms.media.storage import CHUNK

FITS = ("cover", "contain")
FORMATS = {"webp": ("WEBP", "image/webp"), "jpeg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png")}


@dataclass(frozen=True)
class Rendition:
    width: int | None
    height: int | None
    fit: str
    format: str

    def key(self, item):
        focal = f"{item.focal_x:.3f},{item.focal_y:.3f}" if item.focal_x is not None and item.focal_y is not None \
            else "c"
        return (f"renditions/{item.id}/{self.width or 0}x{self.height or 0}-{self.fit}-{focal}"
                f".{self.format}")

    @property
    def mime(self):
        return FORMATS[self.format][1]


def parse(args, sizes):
    """Return the Rendition a query string asks for; 400 naming the parameter at fault."""
    def size(name):
        value = args.get(name)
        if value is None:
            return None
        if not (value.isascii() and value.isdigit() and len(value) <= 5) or int(value) not in sizes:
            raise parameter_error(name, f"Use one of: {', '.join(str(s) for s in sorted(sizes))}.")
        return int(value)

    width, height = size("w"), size("h")
    if width is None and height is None:
        raise BadRequest("Give w, h or both.", {"parameters": {"w": ["Give w, h or both."]}})
    fit = args.get("fit", "cover")
    if fit not in FITS:
        raise parameter_error("fit", "Use cover or contain.")
    fmt = args.get("format", "webp")
    if fmt not in FORMATS:
        raise parameter_error("format", f"Use one of: {', '.join(FORMATS)}.")
    return Rendition(width, height, fit, fmt)


def _focal_crop(image, width, height, focal_x, focal_y):
    """Crop ``image`` to the aspect ratio of ``width``×``height`` keeping the focal point in view."""
    source_w, source_h = image.size
    target_ratio = width / height
    if source_w / source_h > target_ratio:  # too wide: cut the sides
        crop_w, crop_h = round(source_h * target_ratio), source_h
    else:
        crop_w, crop_h = source_w, round(source_w / target_ratio)
    left = min(max(round(focal_x * source_w - crop_w / 2), 0), source_w - crop_w)
    top = min(max(round(focal_y * source_h - crop_h / 2), 0), source_h - crop_h)
    return image.crop((left, top, left + crop_w, top + crop_h))


def render(item, rendition, source):
    """Return the encoded bytes of ``rendition`` of ``item`` read from ``source`` (a binary file)."""
    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened)  # the orientation the camera meant; EXIF is not kept
        source_w, source_h = image.size
        width = rendition.width or round(source_w * rendition.height / source_h)
        height = rendition.height or round(source_h * rendition.width / source_w)
        if rendition.fit == "cover":
            focal_x = item.focal_x if item.focal_x is not None else 0.5
            focal_y = item.focal_y if item.focal_y is not None else 0.5
            image = _focal_crop(image, width, height, focal_x, focal_y)
            image = image.resize((min(width, image.width), min(height, image.height)), Image.Resampling.LANCZOS)
        else:
            image = image.copy()
            image.thumbnail((width, height), Image.Resampling.LANCZOS)
        name, _mime = FORMATS[rendition.format]
        if name == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        elif image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        out = io.BytesIO()
        image.save(out, name, quality=82) if name != "PNG" else image.save(out, name, optimize=True)
        return out.getvalue()


def get_or_make(item, rendition, storage):
    """Return the storage key of the rendition, making and storing it on first request."""
    if item.mime not in IMAGES:
        raise BadRequest(f"{item.filename} is a {item.mime}, not an image: it has no renditions.")
    key = rendition.key(item)
    if storage.exists(key):
        return key
    with tempfile.TemporaryFile() as local:
        try:
            with closing(storage.open(item.storage_key)) as original:
                shutil.copyfileobj(original, local, CHUNK)  # Pillow seeks; S3 bodies do not
        except FileNotFoundError:
            raise NotFound("The original is missing from the media storage.") from None
        local.seek(0)
        data = render(item, rendition, local)
    storage.save(key, io.BytesIO(data), rendition.mime)
    return key


def sizes():
    return frozenset(current_app.config["MEDIA_RENDITION_SIZES"])


def prerender(job):
    """Job handler: make a new image's usual renditions ahead of its first request."""
    from cms.jobs import services as jobs
    from cms.media.models import MediaItem

    item = db.session.get(MediaItem, job.payload["media"])
    if item is None or item.mime not in IMAGES:
        return jobs.DONE  # deleted meanwhile, or not an image: nothing to make
    storage = current_app.extensions["folio.media_storage"]
    for width in current_app.config["MEDIA_PRERENDER_WIDTHS"]:
        if width in sizes():
            get_or_make(item, Rendition(width, None, "cover", "webp"), storage)
    return jobs.DONE
