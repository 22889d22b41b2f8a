"""Reading a thread: the page, print view, neighbours and the jump to a floor."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.favorites import is_favorite
from accounts.sidebar import people_sidebar

from .. import floors, member_pages, page_cache, permissions, views_counter
from ..db_router import primary
from ..forms import ReplyForm
from ..jinja_env import csrf_field
from ..models import Post, Thread
from ..moderation import toolbar
from ..moderation.redirects import follow_merged
from ..thread_page import ThreadPage, get_thread_for


@page_cache.guest_page("thread")  # served to guests from the cache (forum/page_cache.py)
@follow_merged
def thread(request, thread_id: int):
    # Members: from a shell shared with members who see the same page (member_pages).
    shell = member_pages.shell_for(request, thread_id)
    if shell is not None:
        served = shell.serve()
        if served is not None:
            return served
        with primary():  # a page about to be shared must be as new as its generations
            return _thread(request, thread_id, shell)
    return _thread(request, thread_id, None)


def _thread(request, thread_id: int, shell: member_pages.Shell | None):
    thread = get_thread_for(request.user, thread_id, favorite_state=True)
    page = ThreadPage(
        thread, request.user, page=request.GET.get("page"),
        order=request.GET.get("order", "asc"), author_id=request.GET.get("author"),
    )
    if not views_counter.counted(request, thread.pk):  # a page cache counted it already
        views_counter.count_view(thread.pk)
    if shell is not None:
        shell.hold_bodies(page)
        csrf = member_pages.CSRF_SLOT
    else:
        # Guests get no CSRF token: it would set a cookie and make the page uncacheable.
        csrf = csrf_field(request) if request.user.is_authenticated else ""
    page.render_floors(here=request.get_full_path(), csrf=csrf)
    reply_form = None
    if page.can_reply:
        reply_form = ReplyForm(initial={"token": member_pages.TOKEN_SLOT} if shell else None)
    response = render(request, "forum/thread.html", using="jinja2", context={
        "thread": thread, "tp": page, "reply_form": reply_form,
        "read_mode": request.GET.get("mode") == "read",
        "favorited": is_favorite(request.user, thread),  # 收藏: from the thread's query
        "people_sidebar": people_sidebar(),  # 排行榜 top 5, 作者专栏 (cached)
        "mod": toolbar.for_thread(thread, request.user) if page.can_moderate else None,
        **(shell.context() if shell is not None else {}),
    })
    return shell.finish(response, thread, page) if shell is not None else response


@follow_merged
def thread_print(request, thread_id: int):
    thread = get_thread_for(request.user, thread_id)
    page = ThreadPage(thread, request.user, page=request.GET.get("page"), size=100)
    return render(request, "forum/print.html", {"thread": thread, "tp": page})


@follow_merged
def thread_neighbour(request, thread_id: int, direction: str):
    thread = get_thread_for(request.user, thread_id)
    siblings = Thread.objects.live().filter(board_id=thread.board_id)
    if direction == "prev":
        other = siblings.filter(pk__lt=thread.pk).order_by("-pk").only("pk").first()
        missing = _("There is no earlier thread in this board.")
    else:
        other = siblings.filter(pk__gt=thread.pk).order_by("pk").only("pk").first()
        missing = _("There is no later thread in this board.")
    if other is None:
        messages.info(request, missing)
        return redirect(thread)
    return redirect(other)


def post_url(post: Post) -> str:
    page = floors.page_of_floor(post.floor)
    url = reverse("forum:thread", args=[post.thread_id])
    if page > 1:
        url += f"?page={page}"
    return f"{url}#p{post.pk}"


def post_jump(request, post_id: int):
    post = get_object_or_404(Post.objects.select_related("thread__board"), pk=post_id)
    permissions.ensure_can_see_thread(request.user, post.thread)
    return redirect(post_url(post))
