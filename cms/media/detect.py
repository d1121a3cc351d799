"""What a file is, judged by its bytes (never by its name or the client's Content-Type)."""

import warnings
from dataclasses import dataclass

import puremagic
from PIL import Image, UnidentifiedImageError

from cms.core.errors import ApiError, ValidationFailed

HEAD_BYTES = 8192
#: what a mime type is stored with (the key's extension)
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
              "image/avif": ".avif", "application/pdf": ".pdf", "video/mp4": ".mp4", "video/webm": ".webm",
              "audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/wav": ".wav", "audio/x-wav": ".wav",
              "image/svg+xml": ".svg", "text/plain": ".txt", "text/csv": ".csv"}
IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif"})
#: served inline; anything else (and anything that can run script) is an attachment
INLINE = IMAGES | {"application/pdf", "video/mp4", "video/webm", "audio/mpeg", "audio/ogg", "audio/wav"}


class UnsupportedType(ApiError):
    status, code = 415, "unsupported_media_type"
    message = "This kind of file is not accepted."


@dataclass(frozen=True)
class Probe:
    mime: str
    width: int | None = None
    height: int | None = None


def sniff(head):
    """Return the mime type the first bytes of a file show, or None when they show nothing known."""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    if not matches:
        return None
    best = max(matches, key=lambda match: match.confidence)
    return best.mime_type or None


def probe(path, allowed, max_pixels):
    """Return the Probe of the file at ``path``; 415 for a type outside ``allowed``, 422 for a broken image.

    Images are opened lazily: the dimensions come from the header and a picture over ``max_pixels``
    is refused before any decoding (decompression bombs); then a reduced decode checks it is whole.
    """
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    mime = sniff(head)
    if mime not in allowed:
        raise UnsupportedType(f"{mime or 'An unknown type'} is not accepted here; accepted: {', '.join(sorted(allowed))}.",
                              {"detected": mime, "accepted": sorted(allowed)})
    if mime not in IMAGES:
        return Probe(mime)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise ValidationFailed({"file": [f"The image is {width}×{height}; at most {max_pixels:,} pixels."]})
                if image.format == "JPEG":  # decoded at 1/8 scale: truncation shows, at little cost
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
                else:  # chunk checksums and structure, without decoding the pixels
                    image.verify()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise ValidationFailed({"file": [f"The image cannot be read (damaged or truncated): {exc}"]}) from None
    return Probe(mime, width, height)
