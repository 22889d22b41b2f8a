"""The thread page's people widgets: 排行榜 top five and 作者专栏 (featured authors).

Both come from one query, cached for a few minutes as plain dicts (a page never
waits for it twice, and a template never queries); saving a featured author
forgets the cache.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db.models import Q

from forum import request_cache

from .models import Profile

CACHE_KEY = "people:sidebar:v1"
TTL = 300
TOP = 5


def forget() -> None:
    cache.delete(CACHE_KEY)


def _card(profile: Profile) -> dict:
    user = profile.user
    featured = getattr(user, "featured", None)
    return {
        "username": user.get_username(),
        "url": profile.get_absolute_url(),
        "avatar": profile.avatar_48,
        "initial": profile.initial,
        "level": profile.level.name if profile.level_id else "",  # translated when shown
        "credits": profile.credits,
        "posts": profile.post_count,
        "followers": profile.follower_count,
        "blurb": featured.blurb if featured else "",
        "position": featured.position if featured else 0,
    }


def _rank_key(profile: Profile):
    return (-profile.credits, profile.user_id)


def people_sidebar() -> dict:
    data = request_cache.get(CACHE_KEY)
    if data is not None:
        return data
    top_ids = (
        Profile.objects.filter(user__is_active=True, credits__gt=0)
        .order_by("-credits", "user_id").values("pk")[:TOP]
    )
    rows = list(
        Profile.objects.filter(Q(pk__in=top_ids) | Q(user__featured__isnull=False))
        .filter(user__is_active=True)
        .select_related("user", "level", "user__featured")
    )
    # The top five are the best of the rows fetched (a featured author who ranks is
    # among them anyway), in the subquery's own order.
    ranked = sorted((p for p in rows if p.credits > 0), key=_rank_key)[:TOP]
    featured = sorted((p for p in rows if getattr(p.user, "featured", None) is not None),
                      key=lambda p: (p.user.featured.position, p.user.featured.pk))
    data = {"top": [_card(p) for p in ranked], "featured": [_card(p) for p in featured]}
    request_cache.set(CACHE_KEY, data, TTL)
    return data
