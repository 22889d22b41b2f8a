"""ThreadPage: everything one thread page shows, in a fixed number of queries.

Permission first, then the floors of one page (an index range on (thread, floor)
for the plain and reversed orders, a seek on the (thread, author, floor) index for
"only this author"), then the per-page extras. Templates get plain attributes and never query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from django.db.models import Q
from django.http import Http404
from django.utils.safestring import SafeString, mark_safe

from accounts.favorites import with_favorite_state

from . import floors, permissions, post_rows, rendered_floors, shared_blocks
from .jammer import jam
from .markup import MARKER_RE, HideRule
from .models import Post, Thread
from .views_counter import pending_views


def parse_page(raw) -> int:
    """?page=abc or ?page=-3 mean page 1; the caller clamps the upper end."""
    try:
        page = int(raw)
    except (TypeError, ValueError):
        return 1
    return max(page, 1)


@dataclass
class Floor:
    post: post_rows.PostRow
    name: str
    body: str  # safe HTML for this viewer
    hidden_notices: int  # how many hidden blocks this viewer cannot read
    html: str = ""  # the whole floor, set by ThreadPage.render_floors


class TagRef(NamedTuple):
    slug: str
    name: str


def get_thread_for(user, thread_id: int, *, favorite_state: bool = False) -> Thread:
    """The thread if `user` may see it, else 404. `favorite_state`: with the 收藏
    button's state in the same query (for a page that shows it, not for writers)."""
    threads = Thread.objects.select_related("board", "board__category", "author")
    if favorite_state:
        threads = with_favorite_state(threads, user)
    try:
        thread = threads.get(pk=thread_id)
    except Thread.DoesNotExist:
        raise Http404 from None
    permissions.ensure_can_see_thread(user, thread)
    return thread


class ThreadPage:
    def __init__(self, thread: Thread, user, *, page=1, order: str = "asc",
                 author_id=None, size: int | None = None):
        self.thread = thread
        self.user = user
        self.size = size or floors.per_page()
        self.order = "desc" if order == "desc" else "asc"
        self.author_id = _parse_id(author_id)
        self.requested_page = parse_page(page)
        self.can_moderate = permissions.can_moderate(user, thread.board)
        self.access = permissions.HiddenAccess(user, thread)
        board = thread.board
        self.jammed = board.jammer and (board.jammer_for_members or not user.is_authenticated)
        self.opening: post_rows.PostRow | None = None
        self._load()

    # --- loading ---------------------------------------------------------------------
    def _base(self):
        # Callers add a LIMIT although the floor range bounds the rows already: without
        # it PostgreSQL multiplies "this thread" by "floor <= 20" as if independent,
        # expects ~90,000 rows on a 100,000-floor thread, plans a parallel hash join and
        # JIT-compiles it (1-2 s a page, bench/results.md); with it, 2 ms on the index.
        # Plain rows with the author cards and the viewer's follow state (forum.post_rows).
        return post_rows.annotated(Post.objects.filter(thread=self.thread), self.user)

    def _load(self) -> None:
        last = self.thread.last_floor
        if self.author_id is not None:
            posts = self._author_floors()
        elif self.order == "desc":
            # Replies newest first; the opening post stays on top of page 1.
            replies = max(last - 1, 0)
            self.page_count = max(1, -(-replies // self.size))
            self.page = min(self.requested_page, self.page_count)
            hi = last - (self.page - 1) * self.size
            lo = max(2, hi - self.size + 1)
            span = Q(floor__range=(lo, hi))
            if self.page == 1:
                span |= Q(floor=1)
            rows = post_rows.load(self._base().filter(span).order_by("-floor")
                                  [: self.size + 1], self.user)  # see _base
            posts = sorted(rows, key=lambda p: (p.floor != 1, -p.floor))
        else:
            self.page_count = floors.page_count(last, self.size)
            self.page = min(self.requested_page, self.page_count)
            lo, hi = floors.floor_range(self.page, self.size)
            posts = post_rows.load(self._base().filter(floor__range=(lo, hi))
                                   .order_by("floor")[: self.size], self.user)
        self.posts = posts
        self.floors = [self._floor(p) for p in posts]
        for f in self.floors:
            if f.post.floor == 1:
                self.opening = f.post

    def _author_floors(self) -> list[post_rows.PostRow]:
        """只看该作者: the author's floors of this page, picked on the (thread, author,
        floor) index (post_thread_author_live for readers, who do not see deleted
        floors; post_thread_author for moderators), then loaded with their authors.
        The OFFSET walks that narrow index only, never the posts' rows."""
        mine = Post.objects.filter(thread=self.thread, author_id=self.author_id)
        if not self.can_moderate:
            mine = mine.filter(is_deleted=False)
        self.page_count = max(1, -(-mine.count() // self.size))
        self.page = min(self.requested_page, self.page_count)
        start = (self.page - 1) * self.size
        # Two queries, not one with a subquery: given `floor IN (SELECT … OFFSET n)`,
        # PostgreSQL plans a merge semi join that walks every floor of the thread
        # (0.45 s on the last author page of a 100,000-floor thread, bench/findings.md).
        page_floors = list(mine.order_by("floor").values_list("floor", flat=True)
                           [start:start + self.size])
        if not page_floors:
            return []
        # The same rows as `floor IN page_floors`, as a range on the same index: a
        # prepared statement's generic plan for the IN list expected an average thread
        # and walked all 100,000 floors of the megathread (0.3 s, bench/findings.md).
        span = mine.filter(floor__range=(page_floors[0], page_floors[-1]))
        return post_rows.load(post_rows.annotated(span, self.user).order_by("floor")
                              [: self.size], self.user)

    def _floor(self, post: post_rows.PostRow) -> Floor:
        body, hidden = viewer_body(post, self)
        return Floor(post=post, name=floors.floor_name(post.floor), body=body,
                     hidden_notices=hidden)

    def render_floors(self, *, here: str, csrf: str) -> None:
        """Each floor's HTML for this viewer (forum/rendered_floors.py keeps what is
        shared between viewers in the cache)."""
        rendered = rendered_floors.render(self, self.user, here=here, csrf=csrf)
        for floor, html in zip(self.floors, rendered, strict=True):
            floor.html = html

    # --- view helpers -----------------------------------------------------------------
    @property
    def view_count(self) -> int:
        return self.thread.view_count + pending_views(self.thread.pk)

    @property
    def only_author(self) -> bool:
        return self.author_id is not None

    @cached_property
    def tags(self) -> list[TagRef]:
        # Kept under the thread's page-cache generation, which every tag change bumps
        # (their order, by how many threads use each, may lag FORUM_PAGE_CACHE_SECONDS).
        return shared_blocks.kept("thread", str(self.thread.pk), "tags", lambda: [
            TagRef(slug, name) for slug, name in self.thread.tags.values_list("slug", "name")])

    @cached_property
    def can_reply(self) -> bool:  # asked once per floor
        return permissions.can_reply(self.user, self.thread)

    @property
    def reply_refusal(self) -> str | None:
        return permissions.reply_refusal(self.user, self.thread)


def viewer_body(post, page) -> tuple[SafeString, int]:
    """What `page.user` may read of one post's body (safe HTML) and how many hidden
    blocks it holds back. `page`: a ThreadPage, or anything with its `user`, `access`,
    `can_moderate` and `jammed` (forum.member_pages fills bodies from a shared shell)."""
    hidden = 0
    if post.is_deleted and not page.can_moderate:
        body = ""
    elif not post.has_hidden or page.access.sees_all(post):
        body = post.html
    else:
        body, hidden = _public_body(post, page.user, page.access)
    if page.jammed and body:
        body = jam(body)
    return mark_safe(body), hidden  # noqa: S308 - cleaned when stored


def _public_body(post, user, access) -> tuple[str, int]:
    """Interleave the viewer's allowed hidden blocks and notices, fragment by fragment.

    The stored public HTML holds one marker per hidden block between whole
    cleaned fragments, and `hidden_fragments` the same blocks rendered, in order.
    """
    from .hidden import notice_html

    public_parts = MARKER_RE.split(post.html_public)
    hidden_blocks = post.hidden_fragments or []
    out: list[str] = []
    notices = 0
    # MARKER_RE.split yields [html, credits, days, html, credits, days, html, ...]
    for i in range(0, len(public_parts), 3):
        out.append(public_parts[i])
        if i + 2 < len(public_parts):
            rule = HideRule(credits=int(public_parts[i + 1]), days=int(public_parts[i + 2]))
            index = i // 3
            if access.allows(post, rule) and index < len(hidden_blocks):
                out.append(hidden_blocks[index])
            else:
                notices += 1
                out.append(notice_html(rule, user, access))
    return "".join(out), notices


_MAX_ID = 2**63 - 1


def _parse_id(raw) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    # Ids are 64-bit: a larger number would overflow the database driver (a 500).
    return value if 0 < value <= _MAX_ID else None
