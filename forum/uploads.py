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


# The codes of open_image's ValidationErrors: an error with one of them is about the image.
ERROR_CODES = frozenset({
    "too_large", "empty", "markup", "too_many_pixels", "too_many_frames", "not_an_image",
    "corrupt",
})
_SNIFF = 1024


def _refuse(message: str, code: str = "corrupt") -> ValidationError:
    return ValidationError(message, code=code)


def _looks_like_markup(head: bytes) -> bool:
    # SVG, XML and HTML start with "<" (after a BOM or blank space); no image format does.
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def open_image(upload, *, max_bytes: int = MAX_BYTES,
               max_pixels: int = MAX_PIXELS) -> Image.Image:
    """The upload as an image of an allowed format, its first frame fully decoded.

    The one decoder of uploads (post images and avatars): size, pixels and frames are
    capped before anything is decoded in full, and any failure is a ValidationError
    with a reason and one of ERROR_CODES.
    """
    too_large = _("The image is larger than %(mb)d MB.") % {"mb": max_bytes // 2**20}
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise _refuse(too_large, "too_large")
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refuse(too_large, "too_large")
    if not data:
        raise _refuse(_("The file is empty."), "empty")
    if _looks_like_markup(data[:_SNIFF]):
        raise _refuse(
            _("SVG and HTML files are not accepted; upload a JPEG, PNG, GIF or WebP image."),
            "markup")
    too_many_pixels = _refuse(_("The image has too many pixels (at most %(limit)s million).")
                              % {"limit": max_pixels // 1_000_000}, "too_many_pixels")
    not_accepted = _refuse(
        _("This file is not an image we accept; upload a JPEG, PNG, GIF or WebP image."),
        "not_an_image")
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; our cap is checked below.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
            width, height = image.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise too_many_pixels
            if getattr(image, "n_frames", 1) > MAX_FRAMES:
                raise _refuse(_("The animation has too many frames (at most %(limit)d).")
                              % {"limit": MAX_FRAMES}, "too_many_frames")
            image.seek(0)
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except UnidentifiedImageError:
        raise not_accepted from None
    except Exception:  # noqa: BLE001 - any decoder failure means a broken file
        raise _refuse(_("The image is damaged or incomplete and cannot be read.")) from None
    if image.format not in ALLOWED_FORMATS:
        raise not_accepted
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
