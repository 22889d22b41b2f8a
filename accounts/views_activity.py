"""Leaderboards, notifications and the follow feed (关注动态)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from forum.models import Post
from forum.thread_page import parse_page

from . import notifications as notices
from . import ranking, services
from .models import Follow, Notification

PER_PAGE = 20


def rank(request):
    by = request.GET.get("by", "credits")
    period = request.GET.get("period", "all")
    by = by if by in ranking.BOARDS else "credits"
    period = period if period in ranking.PERIODS else "all"
    return render(request, "accounts/rank.html", {
        "rows": ranking.leaderboard(by, period), "by": by, "period": period,
        "boards": ranking.BOARDS, "periods": ranking.PERIODS,
    })


@login_required
def notifications(request):
    rows = (Notification.objects.filter(recipient=request.user)
            .select_related("actor", "thread", "post").order_by("-created_at", "-id"))
    page = Paginator(rows, PER_PAGE).get_page(parse_page(request.GET.get("page")))
    items = [(n, notices.describe(n)) for n in page.object_list]
    return render(request, "accounts/notifications.html", {"page": page, "items": items})


@login_required
@require_POST
def mark_read(request):
    services.mark_notifications_read(user=request.user)
    return redirect("accounts:notifications")


@login_required
def notification_go(request, pk: int):
    """Open what a notification is about; opening it marks it read."""
    n = get_object_or_404(
        Notification.objects.select_related("actor", "recipient"), pk=pk, recipient=request.user
    )
    if n.read_at is None:
        services.mark_notifications_read(user=request.user, ids=[n.pk])
    return redirect(notices.target_url(n))


@login_required
def feed(request):
    followed = Follow.objects.filter(follower=request.user).values("followee_id")
    posts = (Post.objects.live().filter(author_id__in=followed)
             .select_related("author", "author__profile", "thread", "thread__board")
             .order_by("-created_at", "-id"))
    page = Paginator(posts, PER_PAGE).get_page(parse_page(request.GET.get("page")))
    return render(request, "accounts/feed.html", {"page": page})
