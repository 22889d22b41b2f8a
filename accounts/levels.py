"""Levels (user groups) by credit ranges, as Discuz!'s 用户组.

A level holds from its `min_credits` up to the next level's. Members move when
their credits cross a boundary (accounts.credits does that inside the credit
write) and when the staff edit the ranges (`reassign_all`, called by the admin and
by recount). The level list is small and read on every credit change, so it is
cached and forgotten when a level is saved or deleted.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_noop

from .models import Level, Profile

CACHE_KEY = "people:levels:v1"

# Discuz!'s defaults. The names are msgids: Level.display_name translates them.
DEFAULT_LEVELS = [
    (gettext_noop("Newcomer"), 0),  # 新手上路
    (gettext_noop("Registered member"), 50),  # 注册会员
    (gettext_noop("Intermediate member"), 200),  # 中级会员
    (gettext_noop("Senior member"), 500),  # 高级会员
    (gettext_noop("Gold member"), 1000),  # 金牌会员
    (gettext_noop("Forum veteran"), 3000),  # 论坛元老
]


def all_levels() -> list[tuple[int, int]]:
    """[(min_credits, level id), …] ascending; cached."""
    levels = cache.get(CACHE_KEY)
    if levels is None:
        levels = list(Level.objects.order_by("min_credits").values_list("min_credits", "pk"))
        cache.set(CACHE_KEY, levels, 3600)
    return levels


def forget() -> None:
    cache.delete(CACHE_KEY)


def level_id_for(credits: int, levels: list[tuple[int, int]] | None = None) -> int | None:
    """The level holding `credits`; below the lowest boundary, the lowest level."""
    levels = all_levels() if levels is None else levels
    if not levels:
        return None
    found = levels[0][1]
    for minimum, pk in levels:
        if credits >= minimum:
            found = pk
        else:
            break
    return found


def level_expression(field: str = "credits"):
    """SQL for the level id of a profile row, as `level_id_for` computes it."""
    levels = all_levels()
    if not levels:
        return Value(None, output_field=IntegerField())
    whens = [When(Q(**{f"{field}__gte": minimum}), then=Value(pk))
             for minimum, pk in reversed(levels)]
    return Case(*whens, default=Value(levels[0][1]), output_field=IntegerField())


def reassign_all() -> int:
    """Put every member in the level their credits fall in; returns members moved.

    Used after the staff change the ranges (no notification: nobody earned or lost
    anything) and by recount; one UPDATE writes only the rows that are wrong.
    """
    forget()
    if not all_levels():
        return Profile.objects.exclude(level=None).update(level=None)
    correct = level_expression()
    return (
        Profile.objects.annotate(
            _current=Coalesce(F("level_id"), Value(0), output_field=IntegerField()),
            _correct=correct,
        )
        .exclude(_current=F("_correct"))
        .update(level_id=correct)
    )


def ensure_defaults() -> None:
    """Create the default levels if there are none (the data migration does this too)."""
    if not Level.objects.exists():
        Level.objects.bulk_create([Level(name=n, min_credits=m) for n, m in DEFAULT_LEVELS])
    forget()
