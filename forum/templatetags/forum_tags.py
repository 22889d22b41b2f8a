"""Filters every forum template uses (loaded as a builtin)."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format

from .. import floors

register = template.Library()

# Discuz! writes times as 2012-5-23 13:17:16, in the site's time zone.
FORUM_TIME_FORMAT = "Y-n-j H:i:s"
FORUM_DATE_FORMAT = "Y-n-j"


@register.filter
def ftime(value) -> str:
    if not value:
        return ""
    return date_format(timezone.localtime(value), FORUM_TIME_FORMAT)


@register.filter
def fdate(value) -> str:
    if not value:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return date_format(value, FORUM_DATE_FORMAT)


@register.filter
def floor_name(floor: int) -> str:
    return floors.floor_name(floor)


@register.filter
def page_window(page_obj_or_tp, around: int = 2) -> list[int | None]:
    """Page numbers to show: first, last and a window around the current; None = gap."""
    if hasattr(page_obj_or_tp, "page_count"):  # a ThreadPage
        current, total = page_obj_or_tp.page, page_obj_or_tp.page_count
    else:  # a Django Page
        current, total = page_obj_or_tp.number, page_obj_or_tp.paginator.num_pages
    shown = sorted({1, total, *range(max(1, current - around), min(total, current + around) + 1)})
    out: list[int | None] = []
    previous = 0
    for n in shown:
        if n - previous > 1:
            out.append(None)
        out.append(n)
        previous = n
    return out
