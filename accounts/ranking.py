"""排行榜: members by credits, posts or followers, all time or the last 7 / 30 days.

All-time boards read the profile counters (indexed); period boards add up the
ledger, the live posts or the follows of the period. Ties share a rank ("1, 2, 2,
4") and are listed oldest member first. Results are cached briefly as plain dicts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CreditLog, Follow, Profile

LIMIT = 50
TTL = 300

BOARDS = {
    "credits": _("Credits"),
    "posts": _("Posts"),
    "followers": _("Followers"),
}
PERIODS = {
    "all": _("All time"),
    "7": _("Last 7 days"),
    "30": _("Last 30 days"),
}
_PROFILE_FIELD = {"credits": "credits", "posts": "post_count", "followers": "follower_count"}


@dataclass
class Row:
    rank: int
    user_id: int
    username: str
    url: str
    avatar: str
    initial: str
    level: str  # the stored name; templates translate it (people_tags.level_name)
    value: int


def _since(period: str) -> datetime.datetime | None:
    if period == "all":
        return None
    return timezone.now() - datetime.timedelta(days=int(period))


def _period_totals(by: str, since: datetime.datetime) -> list[tuple[int, int]]:
    """[(user id, total)] for the period, best first, ties by user id."""
    from forum.models import Post

    if by == "credits":
        rows = CreditLog.objects.filter(created_at__gte=since, user__is_active=True)
        member, total = "user_id", Sum("amount")
    elif by == "posts":
        rows = Post.objects.live().filter(created_at__gte=since, author__is_active=True)
        member, total = "author_id", Count("id")
    else:
        rows = Follow.objects.filter(created_at__gte=since, followee__is_active=True)
        member, total = "followee_id", Count("id")
    return list(
        rows.values(member).annotate(total=total).filter(total__gt=0)
        .order_by("-total", member).values_list(member, "total")[:LIMIT]
    )


def _rank(values: list[int]) -> list[int]:
    """Competition ranking: equal values share the rank of the first of them."""
    ranks, previous = [], None
    for position, value in enumerate(values, 1):
        ranks.append(ranks[-1] if value == previous else position)
        previous = value
    return ranks


def _key(by: str, period: str) -> str:
    return f"people:rank:v1:{by}:{period}"


def forget() -> None:
    """Drop the cached boards (their rows carry avatar URLs, which change)."""
    cache.delete_many([_key(b, p) for b in BOARDS for p in PERIODS])


def leaderboard(by: str, period: str) -> list[Row]:
    by = by if by in BOARDS else "credits"
    period = period if period in PERIODS else "all"
    key = _key(by, period)
    rows = cache.get(key)
    if rows is None:
        rows = _compute(by, period)
        cache.set(key, rows, TTL)
    return rows


def _compute(by: str, period: str) -> list[Row]:
    since = _since(period)
    if since is None:
        field = _PROFILE_FIELD[by]
        profiles = list(
            Profile.objects.filter(user__is_active=True, **{f"{field}__gt": 0})
            .select_related("user", "level").order_by(f"-{field}", "user_id")[:LIMIT]
        )
        pairs = [(p, getattr(p, field)) for p in profiles]
    else:
        totals = _period_totals(by, since)
        by_user = {
            p.user_id: p for p in Profile.objects.filter(user_id__in=[u for u, _t in totals])
            .select_related("user", "level")
        }
        pairs = [(by_user[u], total) for u, total in totals if u in by_user]
    ranks = _rank([value for _p, value in pairs])
    return [
        Row(rank=rank, user_id=p.user_id, username=p.user.get_username(),
            url=p.get_absolute_url(), avatar=p.avatar_48, initial=p.initial,
            level=p.level.name if p.level_id else "", value=value)
        for rank, (p, value) in zip(ranks, pairs, strict=True)
    ]

