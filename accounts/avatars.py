"""Avatar images: decoded with an allowlist, capped, re-encoded to fresh files.

An upload is opened by its content (never its name) with Pillow restricted to
JPEG, PNG, GIF and WebP; size, pixels and frames are capped before anything is
decoded in full; any decoder error becomes a form error. The accepted image is
re-encoded from pixels into new files under a random name, so no EXIF/GPS block,
comment or appended payload of the upload survives, and the served Content-Type
follows the format we wrote.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import secrets
import warnings

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError, features

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000  # width × height, checked before decoding
MAX_FRAMES = 200
FORMATS = ("JPEG", "PNG", "GIF", "WEBP")
SIZES = (200, 120, 48)  # 200 first: its name is the one stored on the profile
_SNIFF = 1024
# The codes of the ValidationErrors below: an error with one of them is about the image.
ERROR_CODES = frozenset({
    "too_large", "empty", "markup", "too_many_pixels", "too_many_frames", "not_an_image",
    "corrupt",
})


def _output_format() -> tuple[str, str]:
    return ("WEBP", "webp") if features.check("webp") else ("PNG", "png")


def _looks_like_markup(head: bytes) -> bool:
    # SVG, XML and HTML start with "<" (after a BOM or blank space); no image format does.
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def open_image(upload) -> Image.Image:
    """The upload's first frame, fully decoded; ValidationError with a reason otherwise."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(_("The image is larger than 5 MB."), code="too_large")
    upload.seek(0)
    head = upload.read(_SNIFF)
    upload.seek(0)
    if not head:
        raise ValidationError(_("The file is empty."), code="empty")
    if _looks_like_markup(head):
        raise ValidationError(
            _("SVG and HTML files are not accepted; upload a JPEG, PNG, GIF or WebP image."),
            code="markup",
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload, formats=FORMATS)
            width, height = image.size
            if width < 1 or height < 1 or width * height > MAX_PIXELS:
                raise ValidationError(
                    _("The image has too many pixels (at most %(limit)s million).")
                    % {"limit": MAX_PIXELS // 1_000_000},
                    code="too_many_pixels",
                )
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_FRAMES:
                raise ValidationError(
                    _("The animation has too many frames (at most %(limit)d).")
                    % {"limit": MAX_FRAMES},
                    code="too_many_frames",
                )
            image.seek(0)
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Beyond Pillow's own limit (it raises above twice its limit, warns below).
        raise ValidationError(
            _("The image has too many pixels (at most %(limit)s million).")
            % {"limit": MAX_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            _("This file is not an image we accept; upload a JPEG, PNG, GIF or WebP image."),
            code="not_an_image",
        ) from None
    except Exception:  # noqa: BLE001 - any decoder failure means a broken file
        raise ValidationError(
            _("The image is damaged or incomplete and cannot be read."), code="corrupt"
        ) from None
    if image.format not in FORMATS:
        raise ValidationError(
            _("This file is not an image we accept; upload a JPEG, PNG, GIF or WebP image."),
            code="not_an_image",
        )
    return image


def encode(image: Image.Image) -> tuple[str, dict[int, bytes]]:
    """(extension, {size: bytes}): square crops re-encoded from pixels only."""
    # A broken orientation tag: keep the pixels as they are.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    fmt, ext = _output_format()
    files = {}
    for size in SIZES:
        square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        options = {"quality": 86, "method": 4} if fmt == "WEBP" else {"optimize": True}
        square.save(out, fmt, **options)  # no exif=, no icc: nothing of the upload's metadata
        files[size] = out.getvalue()
    return ext, files


def store(ext: str, files: dict[int, bytes]) -> str:
    """Save the files under a fresh random name; returns the 200 px file's name."""
    token = secrets.token_hex(16)
    names = {}
    for size, data in files.items():
        wanted = f"avatars/{token[:2]}/{token}-{size}.{ext}"
        names[size] = default_storage.save(wanted, ContentFile(data))
    return names[200]


def sibling_names(name: str) -> list[str]:
    base, ext = posixpath.splitext(name)
    stem = base.rsplit("-", 1)[0]
    return [f"{stem}-{size}{ext}" for size in SIZES]


def delete_files(name: str) -> None:
    for path in sibling_names(name):
        with contextlib.suppress(OSError):
            default_storage.delete(path)
