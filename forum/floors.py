"""Floor arithmetic: floors never shift, so a page is a floor range, not an OFFSET."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import pgettext_lazy


def per_page() -> int:
    return settings.FORUM_POSTS_PER_PAGE


def page_count(last_floor: int, size: int | None = None) -> int:
    size = size or per_page()
    return max(1, -(-last_floor // size))


def page_of_floor(floor: int, size: int | None = None) -> int:
    size = size or per_page()
    return (floor - 1) // size + 1


def floor_range(page: int, size: int | None = None) -> tuple[int, int]:
    """Floors shown on page `page` in ascending order, both ends included."""
    size = size or per_page()
    return (page - 1) * size + 1, page * size


_NAMED = {
    1: pgettext_lazy("floor name", "OP"),
    2: pgettext_lazy("floor name", "sofa"),
    3: pgettext_lazy("floor name", "bench"),
    4: pgettext_lazy("floor name", "floor"),
}


def floor_name(floor: int) -> str:
    """Discuz! names the first four floors; the rest are numbered."""
    name = _NAMED.get(floor)
    return str(name) if name else f"{floor}#"
