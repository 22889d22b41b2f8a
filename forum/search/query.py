"""One page of search results: title matches first, then every other match, newest first.

The index holds only live posts (the services remove a post or thread from it in the
same transaction that deletes it), so nothing deleted is found or counted; the posts
of the page are loaded with the same rule again, so nothing deleted is shown even if
the index were stale. Snippets come from `Post.text_public` and the thread title.
Counting stops at SEARCH_MAX_RESULTS (Discuz! stops at 500): every query costs at
most that many index entries whatever the size of the forum, and nobody reads past
page 50.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.utils.safestring import SafeString

from ..models import Post, Thread
from .backends import Match, engine
from .documents import date_tokens
from .snippets import highlight, pattern_for, snippet
from .tokenizer import Phrase

PER_PAGE = 20


def max_results() -> int:
    return getattr(settings, "FORUM_SEARCH_MAX_RESULTS", 1000)


@dataclass
class Criteria:
    """What to look for. With no phrases, every post that passes the filters matches."""

    phrases: Sequence[Phrase] = ()
    board_ids: Sequence[int] = ()
    author_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None  # inclusive
    threads_only: bool = False

    def match(self) -> Match:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            dates = ("never",)  # an empty range: a token no post has
        else:
            dates = tuple(date_tokens(self.date_from, self.date_to))
        return Match(
            phrases=tuple(self.phrases),
            board_ids=tuple(self.board_ids),
            author_id=self.author_id,
            opening_only=self.threads_only,
            dates=dates,
        )


@dataclass
class Hit:
    post: Post
    thread: Thread
    title_html: SafeString
    snippet_html: SafeString
    in_title: bool


@dataclass
class Results:
    hits: list[Hit] = field(default_factory=list)
    count: int = 0  # at most max_results()
    more: bool = False  # more matches exist than were counted
    page: int = 1
    page_count: int = 1
    per_page: int = PER_PAGE

    @property
    def first_number(self) -> int:
        return (self.page - 1) * self.per_page + 1


def search(criteria: Criteria, *, page: int = 1, per_page: int = PER_PAGE) -> Results:
    eng = engine()
    cap = max_results()
    base = criteria.match()
    with eng.session():
        titles, in_titles = replace(base, part="title"), 0
        rest = base
        if criteria.phrases:
            in_titles = min(eng.count(titles, cap=cap + 1), cap + 1)
            rest = replace(base, part="rest")  # any other match: not in the title
        # Titles alone may fill every page: then the rest need not be counted.
        others = eng.count(rest, cap=cap - in_titles + 1) if in_titles <= cap else 0
        total = in_titles + others
        count = min(total, cap)
        page_count = max(1, -(-count // per_page))
        page = min(max(page, 1), page_count)
        offset = (page - 1) * per_page
        limit = max(0, min(per_page, count - offset))
        title_ids: list[int] = []
        if offset < in_titles:
            title_ids = eng.ids(titles, offset=offset, limit=min(limit, in_titles - offset))
        ids = title_ids + eng.ids(rest, offset=max(0, offset - in_titles),
                                  limit=limit - len(title_ids))
    return Results(
        hits=_hits(ids, criteria.phrases, set(title_ids)),
        count=count, more=total > cap, page=page, page_count=page_count, per_page=per_page,
    )


def _hits(ids: list[int], phrases: Sequence[Phrase], title_ids: set[int]) -> list[Hit]:
    # Checked again here: a post deleted since the index answered is not shown.
    posts = Post.objects.filter(
        pk__in=ids, is_deleted=False, thread__is_deleted=False
    ).select_related("thread__board", "author").only(
        "pk", "floor", "created_at", "text_public", "thread_id", "author_id",
        "thread__title", "thread__board_id", "thread__reply_count", "thread__is_deleted",
        "thread__board__name", "thread__board__slug", "author__username",
    )
    by_id = {p.pk: p for p in posts}
    pattern = pattern_for(phrases)
    hits = []
    for pk in ids:
        post = by_id.get(pk)
        if post is None:
            continue
        hits.append(Hit(
            post=post, thread=post.thread,
            title_html=highlight(post.thread.title, pattern),
            snippet_html=snippet(post.text_public, pattern),
            in_title=pk in title_ids,
        ))
    return hits
