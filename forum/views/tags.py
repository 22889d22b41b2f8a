"""Tag pages: /tags/ (the cloud, biggest first) and /tags/<slug>/ (its threads)."""

from __future__ import annotations

import math
from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from ..models import Tag, Thread
from ..thread_page import parse_page
from ..views_counter import pending_views_many

TAGS_PER_PAGE = 200
CLOUD_LEVELS = 5


class CountedPaginator(Paginator):
    """A paginator told its count: Tag.thread_count is kept exact by the services."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def tag_cloud(request):
    tags = Tag.objects.filter(thread_count__gt=0).order_by("-thread_count", "name")
    page = Paginator(tags, TAGS_PER_PAGE).get_page(parse_page(request.GET.get("page")))
    tag_list = list(page.object_list)
    _add_levels(tag_list)
    return render(request, "forum/tags.html", {
        "page": page, "tags": tag_list, "is_paginated": page.paginator.num_pages > 1,
    })


def _add_levels(tags: list[Tag]) -> None:
    """Font-size level 1..5: where a tag's count sits between the page's least and most
    used tags, on a log scale (a few huge tags do not flatten all the others)."""
    if not tags:
        return
    low = math.log(min(t.thread_count for t in tags))
    high = math.log(max(t.thread_count for t in tags))
    for t in tags:
        share = (math.log(t.thread_count) - low) / (high - low) if high > low else 1
        t.level = 1 + round(share * (CLOUD_LEVELS - 1))


def tag(request, slug: str):
    tag = get_object_or_404(Tag, slug=slug)
    threads = (
        Thread.objects.live().filter(tags=tag)
        .select_related("author", "last_poster", "board")
        .order_by("-last_post_at", "-id")
    )
    paginator = CountedPaginator(threads, settings.FORUM_THREADS_PER_PAGE,
                                 count=tag.thread_count)
    page = paginator.get_page(parse_page(request.GET.get("page")))
    rows = list(page.object_list)
    pending = pending_views_many([t.pk for t in rows])
    for t in rows:
        t.views_shown = t.view_count + pending.get(t.pk, 0)
    return render(request, "forum/tags_detail.html", {
        "tag": tag, "page": page, "threads": rows, "is_paginated": paginator.num_pages > 1,
    })
