"""Index and board pages."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.shortcuts import get_object_or_404, render

from accounts.credits import rules_for_board

from .. import board_page, page_cache, shared_blocks, shared_pages
from ..models import Board, Category
from ..moderation.redirects import moved_stubs
from ..thread_page import parse_page
from ..views_counter import pending_views_many


@page_cache.guest_page("index")  # served to guests from the cache (forum/page_cache.py)
def index(request):
    # Members share one rendering, each with their own top bar (forum/shared_pages.py).
    return shared_pages.serve(request, "index", "", lambda extra: _index(request, extra))


def _index(request, extra: dict):
    # The board list is the same for every viewer: kept for members too.
    listing, _facts = shared_blocks.listing(request, "index", "", _index_listing)
    return render(request, "forum/index.html", {"listing": listing, **extra}, using="jinja2")


def _index_listing() -> tuple[dict, dict]:
    boards = list(Board.objects.select_related("last_post__thread", "last_post__author"))
    categories = list(Category.objects.all())
    children: dict[int, list[Board]] = {}
    for b in boards:
        if b.parent_id:
            children.setdefault(b.parent_id, []).append(b)
    for category in categories:
        category.board_list = [
            b for b in boards if b.category_id == category.pk and not b.parent_id
        ]
        for b in category.board_list:
            b.child_list = children.get(b.pk, [])
    stats = {
        "threads": sum(b.thread_count for b in boards),
        "posts": sum(b.post_count for b in boards),
        "today": sum(b.posts_today for b in boards),
        **_member_stats(),
    }
    return {"categories": categories, "stats": stats}, {}


def _member_stats() -> dict:
    """How many members and the newest one's name: a COUNT over every member and a sort
    by join date, so kept in the cache under the index's page-cache generation (bumped
    when a member joins) and for a minute at most."""
    generation = cache.get_or_set(page_cache.INDEX, time.time_ns, timeout=None)
    key = f"forum:index-members:{generation}"
    stats = cache.get(key)
    if stats is None:
        User = get_user_model()  # noqa: N806
        members = User.objects.filter(is_active=True)
        newest = members.order_by("-date_joined", "-id").first()
        stats = {"members": members.count(), "newest": newest.get_username() if newest else ""}
        cache.set(key, stats, 60)
    return stats


@page_cache.guest_page("board")
def board(request, slug: str):
    return shared_pages.serve(request, "board", slug, lambda extra: _board(request, slug, extra))


def _board(request, slug: str, extra: dict):
    board = get_object_or_404(Board.objects.select_related("category", "parent"), slug=slug)
    digest = request.GET.get("filter") == "digest"
    page_number = parse_page(request.GET.get("page"))
    # The listing is the same for every viewer: kept for members too.
    listing, facts = shared_blocks.listing(
        request, "board", board.slug,
        lambda: _board_listing(board, digest=digest, page_number=page_number))
    return render(request, "forum/board.html", using="jinja2", context={
        "board": board, "digest": digest, "listing": listing,
        "page_number": facts["page_number"], **extra,
    })


def _board_listing(board: Board, *, digest: bool, page_number: int) -> tuple[dict, dict]:
    children = list(board.children.select_related("last_post__thread", "last_post__author"))
    stickies, moved, own_stickies = [], [], None
    if page_number == 1 and not digest:
        moved = moved_stubs(board)  # "moved" notices of threads that left (issue 5)
        stickies = board_page.stickies(board)
        own_stickies = sum(1 for t in stickies if t.board_id == board.pk)
    paginator = board_page.listing(board, digest=digest, per_page=_threads_per_page(),
                                   own_stickies=own_stickies)
    page = paginator.get_page(page_number)
    rows = [*stickies, *page.object_list]
    pending = pending_views_many([t.pk for t in rows])
    for t in rows:
        t.views_shown = t.view_count + pending.get(t.pk, 0)
    context = {
        "board": board, "children": children, "stickies": stickies, "moved": moved,
        "page": page, "digest": digest, "is_paginated": paginator.num_pages > 1,
        "credit_rules": rules_for_board(board.pk),  # 本版积分规则 (cached)
    }
    return context, {"page_number": page.number}


def _threads_per_page() -> int:
    from django.conf import settings

    return settings.FORUM_THREADS_PER_PAGE
