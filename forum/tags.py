"""Tag names as people type them -> the stored, de-duplicated form."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

TAG_MAX_LENGTH = 20
_SPLIT_RE = re.compile(r"[,，、;；\s]+")


def split_tag_input(raw: str) -> list[str]:
    return [t for t in _SPLIT_RE.split(raw or "") if t]


def normalize_tag_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names:
        name = " ".join(str(name).split()).strip("#")
        if not name:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise ValidationError(
                _("A tag can be at most %(limit)d characters.") % {"limit": TAG_MAX_LENGTH}
            )
        seen.setdefault(name.casefold(), name)
    if len(seen) > settings.FORUM_MAX_TAGS:
        raise ValidationError(
            _("At most %(limit)d tags per thread.") % {"limit": settings.FORUM_MAX_TAGS}
        )
    return list(seen.values())


def tag_slug(name: str) -> str:
    """Chinese names keep their characters; the slug never changes once stored."""
    return slugify(name, allow_unicode=True) or f"tag-{abs(hash(name.casefold())) % 10**8}"
