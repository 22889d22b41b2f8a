"""The index, a board page and a thread page cost a fixed number of queries.

Each test measures its pages with 20 rows, grows the data to 200 rows and measures
again: the counts must be equal, for a guest and for a member. Rows have varied
authors and last posters (a pool of members, cycled), tags, edits, deletions and
hidden blocks, so any per-row query (an N+1 in a view or template) shows up. Some
measurements show every row on one page, where a per-row query would multiply. The
cache is cleared before each measured request so the cached chrome (navigation,
site settings) costs the same in both measurements.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import services
from forum.models import Board, SiteSettings, Thread
from tests.factories import make_board, make_reply, make_thread, make_user

pytestmark = pytest.mark.django_db

SMALL, LARGE = 20, 200


@pytest.fixture
def viewers(db) -> dict[str, Client]:
    SiteSettings.load()  # created once, not inside the first measurement
    member = Client()
    member.force_login(make_user("viewer"))
    return {"guest": Client(), "member": member}


@pytest.fixture
def staff(db):
    return make_user("budget-staff", staff=True)


class People:
    """A pool of members handed out in turn (making 400 users would dominate the run)."""

    def __init__(self, size: int = 12):
        self.users = [make_user() for _ in range(size)]
        self.turn = 0

    def next(self):
        self.turn += 1
        return self.users[self.turn % len(self.users)]


@pytest.fixture
def people(db) -> People:
    return People()


def measure(client: Client, url: str, settings=None, **overrides) -> list[str]:
    for name, value in overrides.items():
        setattr(settings, name, value)
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


def measure_all(viewers, urls: dict[str, tuple[str, dict]], settings) -> dict[str, list[str]]:
    return {
        f"{who} {name}": measure(client, url, settings, **overrides)
        for who, client in viewers.items()
        for name, (url, overrides) in urls.items()
    }


def assert_same_costs(small: dict[str, list[str]], large: dict[str, list[str]]) -> None:
    report = []
    for key, queries in large.items():
        if len(queries) != len(small[key]):
            listing = "\n".join(f"    {i}: {sql[:150]}" for i, sql in enumerate(queries, 1))
            report.append(f"{key}: {len(small[key])} queries with {SMALL} rows, "
                          f"{len(queries)} with {LARGE}:\n{listing}")
    assert not report, "\n".join(report)


# --- index ------------------------------------------------------------------------------

def grow_index(count: int, staff, people: People) -> None:
    """Top-level boards (every fifth with a sub-board), each with a thread and a reply."""
    while (n := Board.objects.filter(parent__isnull=True).count()) < count:
        board = make_board()
        if n % 5 == 0:
            make_board(parent=board)
        thread = make_thread(board=board, author=people.next(), tags=[f"标签{n % 7}"])
        make_reply(thread=thread, author=people.next())
        if n % 9 == 0:
            services.delete_thread(thread=thread, actor=staff)


def test_index_cost_does_not_grow_with_boards(viewers, staff, people, settings):
    urls = {"index": ("/", {})}
    grow_index(SMALL, staff, people)
    small = measure_all(viewers, urls, settings)
    grow_index(LARGE, staff, people)
    assert_same_costs(small, measure_all(viewers, urls, settings))


# --- board ------------------------------------------------------------------------------

def grow_board(board: Board, count: int, staff, people: People) -> None:
    while (n := Thread.objects.filter(board=board).count()) < count:
        thread = make_thread(board=board, author=people.next(), tags=[f"标签{n % 7}"])
        make_reply(thread=thread, author=people.next())
        if n % 10 == 0:
            services.set_thread_flags(thread=thread, actor=staff, sticky=Thread.Sticky.BOARD,
                                      is_digest=True, is_closed=True)
        if n % 13 == 0:
            services.delete_thread(thread=thread, actor=staff)


def test_board_page_cost_does_not_grow_with_threads(viewers, staff, people, settings):
    board = make_board()
    make_board(parent=board)
    url = board.get_absolute_url()
    urls = {
        "page 1": (url, {"FORUM_THREADS_PER_PAGE": 15}),
        "page 2": (url + "?page=2", {"FORUM_THREADS_PER_PAGE": 15}),
        "digest": (url + "?filter=digest", {"FORUM_THREADS_PER_PAGE": 15}),
        # A deep page (clamped to the last one): an id seek, then the rows by key.
        "last page": (url + "?page=999", {"FORUM_THREADS_PER_PAGE": 3}),
        "every thread on one page": (url, {"FORUM_THREADS_PER_PAGE": LARGE}),
    }
    grow_board(board, SMALL, staff, people)
    small = measure_all(viewers, urls, settings)
    grow_board(board, LARGE, staff, people)
    assert_same_costs(small, measure_all(viewers, urls, settings))


# --- thread -----------------------------------------------------------------------------

def grow_thread(thread: Thread, count: int, staff, people: People) -> None:
    """Floors by distinct authors; some edited, some deleted, some with hidden blocks."""
    while (floor := thread.last_floor) < count:
        body = f"第{floor + 1}楼 [hide]隐藏{floor}[/hide]" if floor % 3 == 0 else f"第{floor + 1}楼"
        post = make_reply(thread=thread, author=people.next(), body=body)
        if floor % 5 == 0:
            services.edit_post(post=post, editor=staff, body=body + " 改")
        if floor % 7 == 0:
            services.delete_post(post=post, actor=staff)


def thread_urls(thread: Thread, last_page: int) -> dict[str, tuple[str, dict]]:
    url = thread.get_absolute_url()
    return {
        "page 1": (url, {"FORUM_POSTS_PER_PAGE": 20}),
        # Ten per page: the small thread has a second page too, without the opening post.
        "last page": (url + f"?page={last_page}", {"FORUM_POSTS_PER_PAGE": 10}),
        "newest first": (url + "?order=desc", {"FORUM_POSTS_PER_PAGE": 20}),
        "only the author": (url + f"?author={thread.author_id}", {"FORUM_POSTS_PER_PAGE": 20}),
        "only the author, page 2": (url + f"?author={thread.author_id}&page=2",
                                    {"FORUM_POSTS_PER_PAGE": 2}),
        "read mode": (url + "?mode=read", {"FORUM_POSTS_PER_PAGE": 20}),
        "every floor on one page": (url, {"FORUM_POSTS_PER_PAGE": LARGE}),
        "print": (reverse("forum:print", args=[thread.pk]), {"FORUM_POSTS_PER_PAGE": 20}),
    }


def test_thread_page_cost_does_not_grow_with_floors(viewers, staff, people, settings):
    thread = make_thread(board=make_board(), author=make_user(), tags=["公文", "纪要"],
                         body="公开 [hide]隐藏[/hide] [hide=10]积分[/hide]")
    for _ in range(3):  # the opening author's own floors, for ?author=
        make_reply(thread=thread, author=thread.author)
    grow_thread(thread, SMALL, staff, people)
    small = measure_all(viewers, thread_urls(thread, last_page=2), settings)
    grow_thread(thread, LARGE, staff, people)
    assert_same_costs(small, measure_all(viewers, thread_urls(thread, last_page=20), settings))


def test_thread_page_stays_within_a_small_budget(viewers, staff, people, settings):
    """An absolute ceiling too, so a constant but wasteful page gets noticed."""
    thread = make_thread(board=make_board(), author=make_user(), tags=["公文"],
                         body="公开 [hide]隐藏[/hide]")
    grow_thread(thread, SMALL, staff, people)
    # Measured on a cold cache: a guest's page 7 queries, a member's 10 (the session, the
    # member, the thread with its 收藏 state, the floors with their author cards, "has
    # this member replied" for the hidden block, the tags, and the chrome's cold reads).
    budget = {"guest": 7, "member": 10}
    for who, client in viewers.items():
        queries = measure(client, thread.get_absolute_url())
        assert len(queries) <= budget[who], "\n".join(queries)


# --- profile ----------------------------------------------------------------------------

def test_profile_cost_does_not_grow_with_the_members_posts(viewers, staff, people, settings):
    author = make_user("budget-author")
    board = make_board()

    def grow(count: int) -> None:
        while (n := Thread.objects.filter(author=author).count()) < count:
            thread = make_thread(board=board, author=author, tags=[f"标签{n % 5}"])
            make_reply(thread=thread, author=author, body="回复 [hide]隐藏[/hide]")
            make_reply(thread=thread, author=people.next())

    base = f"/u/{author.get_username()}/"
    urls = {tab: (base + tab, {}) for tab in ("", "replies/", "?page=2")}
    grow(SMALL // 2)
    small = measure_all(viewers, urls, settings)
    grow(LARGE // 2)
    assert_same_costs(small, measure_all(viewers, urls, settings))
