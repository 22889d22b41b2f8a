"""A board's thread list, one page at a time, at the same cost on page 1 and page 2,000.

Two things made deep pages slow on a board of 100,000 threads: counting the live
threads on every request, and an OFFSET that fetched (and joined) every skipped
row. The count comes from the board's own counter (live threads) minus its few
live stickies; the page first picks its ids from the narrow index
`thread_board_live_order` (the OFFSET steps along the index, with no sort and no
join) and then loads
those rows with their authors by primary key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property

from django.core.cache import cache
from django.core.paginator import Page, Paginator

from .models import Board, Thread

# From this page on, a page's thread ids are kept in the cache (see _page_ids).
DEEP_PAGE = 50
IDS_TTL = 600


class ListingPaginator(Paginator):
    """A Paginator whose count is given and whose pages are an id seek, then a fetch."""

    @cached_property
    def count(self) -> int:
        if self._given_count is not None:
            return max(self._given_count, 0)
        return self.object_list.count()

    def __init__(self, queryset, per_page: int, *, count: int | None = None,
                 ids_key: Callable[[], str] | None = None):
        super().__init__(queryset, per_page)
        self._given_count = count
        self._ids_key = ids_key

    def page(self, number) -> Page:
        number = self.validate_number(number)
        ids = self._page_ids(number)
        rows = self.object_list.model.objects.select_related("author", "last_poster").in_bulk(ids)
        return self._get_page([rows[i] for i in ids if i in rows], number, self)

    def _page_ids(self, number: int) -> list[int]:
        bottom = (number - 1) * self.per_page
        seek = self.object_list.values_list("pk", flat=True)[bottom:bottom + self.per_page]
        if number < DEEP_PAGE or self._ids_key is None:
            return list(seek)
        # Deep down the OFFSET walk is long (PostgreSQL: ~10 ms at 40,000 entries): the
        # ids are kept under the board's page-cache generation, which every change of
        # its list bumps, so a kept list is never stale (the rows are read fresh).
        key = f"{self._ids_key()}:{number}"
        ids = cache.get(key)
        if ids is None:
            ids = list(seek)
            cache.set(key, ids, IDS_TTL)
        return ids


def _ids_key(board: Board, per_page: int) -> str:
    from . import page_cache

    generation_key = page_cache._board_gen(board.slug)
    # A generation that was never bumped (or was evicted) starts from the clock, as
    # page_cache does, so it never equals one that lists were kept under before.
    generation = cache.get_or_set(generation_key, time.time_ns, timeout=None)
    return f"forum:board-ids:{board.pk}:{per_page}:{generation}"


def listing(board: Board, *, digest: bool, per_page: int,
            own_stickies: int | None = None) -> ListingPaginator:
    """`own_stickies`: the board's live stickies when the caller has them already
    (page 1 lists them), which spares the count."""
    threads = Thread.objects.live().filter(board=board).order_by("-last_post_at", "-id")
    if digest:
        # Digest threads are few; their count is a short walk of thread_board_digest.
        return ListingPaginator(threads.filter(is_digest=True), per_page)
    if own_stickies is None:
        own_stickies = Thread.objects.live().filter(board=board, sticky__gt=0).count()
    return ListingPaginator(threads.filter(sticky=Thread.Sticky.NONE), per_page,
                            count=board.thread_count - own_stickies,
                            ids_key=lambda: _ids_key(board, per_page))


def stickies(board: Board) -> list[Thread]:
    """Page 1's stickies: the board's own, its category's and the global ones.

    Two short queries on their own indexes (one query OR-ing the three made SQLite
    walk the board's whole listing index); category and global stickies are few in
    the whole forum, so they are fetched together and picked here. `sticky > 0` is
    spelt out so the partial indexes apply (SQLite matches their condition term by term).
    """
    live = Thread.objects.live().filter(sticky__gt=0).select_related(
        "author", "last_poster", "board")
    own = list(live.filter(board=board))
    wide = [
        t for t in live.filter(sticky__gte=Thread.Sticky.CATEGORY)
        if t.board_id != board.pk
        and (t.sticky == Thread.Sticky.GLOBAL or t.board.category_id == board.category_id)
    ]
    return sorted(own + wide, key=lambda t: (t.sticky, t.last_post_at), reverse=True)
