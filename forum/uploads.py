"""Accepting an uploaded image: decode by content, cap it, re-encode to a fresh file.

Nothing of the upload survives but its pixels: the format comes from decoding (not
from the name or the declared type), EXIF/GPS and any appended payload are dropped
by re-encoding, and the stored file gets a random name. SVG and anything Pillow
cannot decode with the allowlisted formats are refused with a clear message.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # width × height, checked right after opening
MAX_FRAMES = 200
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif",
                 "WEBP": "image/webp"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}


@dataclass
class CleanImage:
    content: ContentFile  # re-encoded bytes, named at random
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, code="bad_image")


def open_image(upload, *, max_bytes: int = MAX_BYTES) -> Image.Image:
    """Open an upload as an image of an allowed format, or raise ValidationError."""
    size = getattr(upload, "size", None)
    if size is None or size > max_bytes:
        raise _refuse(_("The image is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20})
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(_("The image is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20})
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; our cap is checked below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, OSError, ValueError, SyntaxError):
        raise _refuse(
            _("This file is not an image we accept (JPEG, PNG, GIF or WebP).")
        ) from None
    if image.width * image.height > MAX_PIXELS:
        raise _refuse(_("The image has too many pixels (at most %(n)d million).")
                      % {"n": MAX_PIXELS // 1_000_000})
    if getattr(image, "n_frames", 1) > MAX_FRAMES:
        raise _refuse(_("The animation has too many frames (at most %(n)d).")
                      % {"n": MAX_FRAMES})
    return image


def clean_image(upload, *, max_bytes: int = MAX_BYTES) -> CleanImage:
    """Decode, check and re-encode an uploaded image."""
    image = open_image(upload, max_bytes=max_bytes)
    fmt = image.format
    out = io.BytesIO()
    try:
        image.load()
        if fmt == "GIF" and getattr(image, "n_frames", 1) > 1:
            image.save(out, format="GIF", save_all=True, loop=image.info.get("loop", 0),
                       duration=image.info.get("duration", 100))
        else:
            image = ImageOps.exif_transpose(image)
            if fmt == "JPEG":
                image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
            elif fmt == "WEBP":
                image.save(out, format="WEBP", quality=85)
            else:
                image.save(out, format=fmt)
    except (OSError, ValueError, SyntaxError, EOFError):
        raise _refuse(_("The image is damaged or truncated.")) from None
    name = f"{secrets.token_urlsafe(18)}.{EXTENSIONS[fmt]}"
    return CleanImage(ContentFile(out.getvalue(), name=name), fmt, image.width, image.height)
