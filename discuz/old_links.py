"""Where a Discuz! address leads now: old id -> our URL, in one indexed query each.

Each function takes Discuz ids and page numbers already checked by the view and
returns our URL, or None when nothing was imported under that id. The mapping table
(`ImportedObject`, unique on kind + old id) is read in the same query as the row it
points at, as a subquery, so a redirect costs one query.

Floors are Discuz's own `position`s (the importer keeps them), so a Discuz page is a
floor range: its first floor is on our page `floors.page_of_floor(first)`. Discuz's
page sizes are settings (`DISCUZ_POSTS_PER_PAGE`, `DISCUZ_THREADS_PER_PAGE`, default
20 and 20: `postperpage` and `topicperpage` in `pre_common_setting`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.urls import reverse

from forum import floors
from forum.models import Board, Post, Thread
from forum.views.threads import post_url

from .models import ImportedObject

Kind = ImportedObject.Kind


def discuz_posts_per_page() -> int:
    return getattr(settings, "DISCUZ_POSTS_PER_PAGE", 20)


def discuz_threads_per_page() -> int:
    return getattr(settings, "DISCUZ_THREADS_PER_PAGE", 20)


def _new_id(kind: str, old_id: int) -> Subquery:
    return Subquery(
        ImportedObject.objects.filter(kind=kind, old_id=old_id).values("new_id")[:1]
    )


def _with_page(url: str, page: int) -> str:
    return f"{url}?page={page}" if page > 1 else url


def thread_url(tid: int, page: int = 1) -> str | None:
    """Discuz page `page` of thread `tid` -> our page holding that page's first floor.

    The thread itself is not read: a deleted, merged or hidden thread answers at its
    own address as it does for any visitor.
    """
    new_id = ImportedObject.new_id_for(Kind.THREAD, tid)
    if new_id is None:
        return None
    first_floor = (page - 1) * discuz_posts_per_page() + 1
    url = reverse("forum:thread", args=[new_id])
    return _with_page(url, floors.page_of_floor(first_floor))


def last_post_url(tid: int) -> str | None:
    """goto=lastpost: the last page of the thread."""
    thread = (
        Thread.objects.filter(pk=_new_id(Kind.THREAD, tid)).only("pk", "last_floor").first()
    )
    if thread is None:
        return None
    return _with_page(thread.get_absolute_url(), floors.page_count(thread.last_floor))


def post_url_for(pid: int) -> str | None:
    """goto=findpost: the page of the post's floor, with the floor's anchor."""
    post = Post.objects.filter(pk=_new_id(Kind.POST, pid)).only("pk", "floor", "thread_id").first()
    return post_url(post) if post is not None else None


def board_url(fid: int, page: int = 1) -> str | None:
    """A board's Discuz page -> our page holding that page's first thread.

    A Discuz category (forum type 'group') has no page of its own here: the index.
    """
    found = (
        ImportedObject.objects.filter(kind__in=[Kind.BOARD, Kind.CATEGORY], old_id=fid)
        .annotate(slug=Subquery(Board.objects.filter(pk=OuterRef("new_id")).values("slug")[:1]))
        .values_list("kind", "slug")
        .first()
    )
    if found is None:
        return None
    kind, slug = found
    if kind == Kind.CATEGORY:
        return reverse("forum:index")
    if slug is None:  # the board was deleted after the import
        return None
    first_row = (page - 1) * discuz_threads_per_page()
    our_page = first_row // settings.FORUM_THREADS_PER_PAGE + 1
    return _with_page(reverse("forum:board", args=[slug]), our_page)


def member_url(uid: int) -> str | None:
    User = get_user_model()
    username = (
        User.objects.filter(pk=_new_id(Kind.MEMBER, uid))
        .values_list(User.USERNAME_FIELD, flat=True)
        .first()
    )
    if username is None:
        return None
    return reverse("accounts:profile", args=[username])
