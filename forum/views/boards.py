"""Index and board pages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from accounts.credits import rules_for_board

from ..models import Board, Category, Thread
from ..moderation.redirects import moved_stubs
from ..thread_page import parse_page
from ..views_counter import pending_views_many


def index(request):
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
    User = get_user_model()
    stats = {
        "threads": sum(b.thread_count for b in boards),
        "posts": sum(b.post_count for b in boards),
        "today": sum(b.posts_today for b in boards),
        "members": User.objects.filter(is_active=True).count(),
        "newest": User.objects.filter(is_active=True).order_by("-date_joined", "-id").first(),
    }
    return render(request, "forum/index.html", {"categories": categories, "stats": stats})


def board(request, slug: str):
    board = get_object_or_404(Board.objects.select_related("category", "parent"), slug=slug)
    digest = request.GET.get("filter") == "digest"
    children = list(board.children.select_related("last_post__thread", "last_post__author"))
    stickies, moved = [], []
    page_number = parse_page(request.GET.get("page"))
    if page_number == 1 and not digest:
        moved = moved_stubs(board)  # "moved" notices of threads that left (issue 5)
        stickies = list(
            Thread.objects.live()
            .filter(
                Q(board=board, sticky__gt=0)
                | Q(sticky=Thread.Sticky.GLOBAL)
                | Q(sticky=Thread.Sticky.CATEGORY, board__category_id=board.category_id)
            )
            .select_related("author", "last_poster", "board")
            .order_by("-sticky", "-last_post_at")
        )
    threads = Thread.objects.live().filter(board=board)
    if digest:
        threads = threads.filter(is_digest=True)
    else:
        threads = threads.filter(sticky=Thread.Sticky.NONE)
    paginator = Paginator(
        threads.select_related("author", "last_poster").order_by("-last_post_at", "-id"),
        _threads_per_page(),
    )
    page = paginator.get_page(page_number)
    rows = [*stickies, *page.object_list]
    pending = pending_views_many([t.pk for t in rows])
    for t in rows:
        t.views_shown = t.view_count + pending.get(t.pk, 0)
    return render(request, "forum/board.html", {
        "board": board, "children": children, "stickies": stickies, "moved": moved,
        "page": page,
        "digest": digest, "is_paginated": paginator.num_pages > 1,
        "credit_rules": rules_for_board(board.pk),  # 本版积分规则 (cached)
    })


def _threads_per_page() -> int:
    from django.conf import settings

    return settings.FORUM_THREADS_PER_PAGE
