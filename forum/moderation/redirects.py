"""Where threads went: "moved" stubs in old boards, merged threads' old addresses."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.utils import timezone

from ..models import Board, Thread
from .models import ThreadRedirect


def moved_stubs(board: Board) -> list[ThreadRedirect]:
    """Recent "moved" notices to list in a board (one query, thread and board joined)."""
    since = timezone.now() - timedelta(days=settings.FORUM_MOVED_STUB_DAYS)
    return list(
        ThreadRedirect.objects.filter(board=board, created_at__gte=since,
                                      thread__is_deleted=False)
        .exclude(thread__board=board)
        .select_related("thread__board")
        .order_by("-created_at", "-id")[:20]
    )


def follow_merged(view):
    """A thread merged away answers with a permanent redirect to the one it joined.

    Costs nothing on the normal path: the lookup runs only when the thread is gone.
    """

    @wraps(view)
    def wrapper(request, thread_id: int, *args, **kwargs):
        try:
            return view(request, thread_id, *args, **kwargs)
        except Http404:
            if Thread.objects.filter(pk=thread_id).exists():
                raise
            target = (ThreadRedirect.objects.filter(old_thread_id=thread_id)
                      .values_list("thread_id", flat=True).first())
            if target is None:
                raise
            path = request.path.replace(f"/t/{thread_id}/", f"/t/{target}/", 1)
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(path + (f"?{query}" if query else ""))

    return wrapper


def get_thread_following_merges(queryset, thread_id: int) -> Thread:
    """The thread, or the one it was merged into (a reply written meanwhile lands there)."""
    thread = queryset.filter(pk=thread_id).first()
    if thread is None:
        target = (ThreadRedirect.objects.filter(old_thread_id=thread_id)
                  .values_list("thread_id", flat=True).first())
        thread = queryset.filter(pk=target).first() if target else None
    if thread is None:
        raise Http404
    return thread
