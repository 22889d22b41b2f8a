"""Filters every forum template uses (loaded as a builtin)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from .. import floors

register = template.Library()

# Discuz! writes times as 2012-5-23 13:17:16, in the site's time zone: Django's date
# format "Y-n-j H:i:s", spelt out in Python because a thread page shows ~40 of them and
# django.utils.dateformat costs ten times more (same output; tests/test_jinja_pages.py).
FORUM_TIME_FORMAT = "Y-n-j H:i:s"
FORUM_DATE_FORMAT = "Y-n-j"


@register.filter
def ftime(value) -> str:
    if not value:
        return ""
    t = timezone.localtime(value)
    return f"{t.year}-{t.month}-{t.day} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


@register.filter
def fdate(value) -> str:
    if not value:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return f"{value.year}-{value.month}-{value.day}"


@register.filter
def floor_name(floor: int) -> str:
    return floors.floor_name(floor)


def _page_numbers(pager) -> tuple[int, int]:
    if hasattr(pager, "page_count"):  # a ThreadPage
        return pager.page, pager.page_count
    return pager.number, pager.paginator.num_pages  # a Django Page


def pagination_window(pager, around: int = 2) -> dict:
    """First, last and a window around the current page; None marks a gap."""
    current, total = _page_numbers(pager)
    shown = sorted({1, total, *range(max(1, current - around), min(total, current + around) + 1)})
    window: list[int | None] = []
    previous = 0
    for n in shown:
        if n - previous > 1:
            window.append(None)
        window.append(n)
        previous = n
    return {"number": current, "total": total, "window": window}


@register.inclusion_tag("forum/includes/pagination.html", takes_context=True)
def pagination(context, pager, around: int = 2) -> dict:
    # {% querystring %} in the template keeps the other parameters (order, author…).
    return {"request": context.get("request"), **pagination_window(pager, around)}
