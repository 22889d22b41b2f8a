"""Avatar images: decoded with an allowlist, capped, re-encoded to fresh files.

An upload is opened by its content (never its name) with Pillow restricted to
JPEG, PNG, GIF and WebP; size, pixels and frames are capped before anything is
decoded in full, by the decoder post images use too (forum.uploads.open_image); any
decoder error becomes a form error. The accepted image is
re-encoded from pixels into new files under a random name, so no EXIF/GPS block,
comment or appended payload of the upload survives, and the served Content-Type
follows the format we wrote.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, features

from forum import uploads

MAX_BYTES = uploads.MAX_BYTES
MAX_PIXELS = 25_000_000  # width × height, checked before decoding
MAX_FRAMES = uploads.MAX_FRAMES
SIZES = (200, 120, 48)  # 200 first: its name is the one stored on the profile
ERROR_CODES = uploads.ERROR_CODES


def _output_format() -> tuple[str, str]:
    return ("WEBP", "webp") if features.check("webp") else ("PNG", "png")


def open_image(upload) -> Image.Image:
    """The upload's first frame, fully decoded; ValidationError with a reason otherwise."""
    return uploads.open_image(upload, max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS)


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
