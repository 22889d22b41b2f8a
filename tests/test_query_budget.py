"""The index, a board page and a thread page cost a fixed number of queries.

Each test measures a page with 20 rows, grows the data to 200 rows and measures
again: the counts must be equal. Rows have distinct authors, last posters, tags,
edits and deletions, so any per-row query (an N+1 in a template) shows up. The cache
is cleared before each measured request so the cached chrome (navigation, site
settings) costs the same in both measurements.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forum import services
from forum.models import Thread
from tests.factories import make_board, make_reply, make_thread, make_user, opening_post

pytestmark = pytest.mark.django_db

SMALL, LARGE = 20, 200


def measure(client, url: str) -> list[str]:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


def assert_same_cost(small: list[str], large: list[str], what: str) -> None:
    if len(small) != len(large):
        listing = "\n".join(f"  {i}: {sql[:160]}" for i, sql in enumerate(large, 1))
        pytest.fail(f"{what}: {len(small)} queries with {SMALL} rows, {len(large)} with "
                    f"{LARGE} rows. Queries with {LARGE} rows:\n{listing}")


@pytest.fixture(params=["guest", "member"])
def viewer(request, client_for, db):
    if request.param == "guest":
        return client_for()
    user = make_user("viewer")
    return client_for(user)


@pytest.fixture
def staff_user(db):
    return make_user("budget-staff", staff=True)


# --- index ------------------------------------------------------------------------------

def grow_index(count: int, staff) -> None:
    """Boards (some with sub-boards), each with a thread and a reply by new people."""
    while (n := _board_count()) < count:
        board = make_board(parent=None)
        if n % 5 == 0:
            make_board(parent=board)
        thread = make_thread(board=board, author=make_user(), tags=[f"标签{n % 7}"])
        make_reply(thread=thread, author=make_user())
        if n % 4 == 0:
            services.set_thread_flags(thread=thread, actor=staff, is_digest=True)


def _board_count() -> int:
    from forum.models import Board

    return Board.objects.filter(parent__isnull=True).count()


def test_index_cost_does_not_grow_with_boards(viewer, staff_user):
    grow_index(SMALL, staff_user)
    small = measure(viewer, "/")
    grow_index(LARGE, staff_user)
    large = measure(viewer, "/")
    assert_same_cost(small, large, "index")


# --- board ------------------------------------------------------------------------------

def grow_board(board, count: int, staff) -> None:
    while (n := Thread.objects.filter(board=board).count()) < count:
        thread = make_thread(board=board, author=make_user(), tags=[f"标签{n % 7}"])
        make_reply(thread=thread, author=make_user())
        if n % 10 == 0:
            services.set_thread_flags(thread=thread, actor=staff, sticky=Thread.Sticky.BOARD,
                                      is_digest=True, is_closed=True)
        if n % 13 == 0:
            services.delete_thread(thread=thread, actor=staff)


@pytest.mark.parametrize("query", ["", "?page=2", "?filter=digest"])
def test_board_page_cost_does_not_grow_with_threads(viewer, staff_user, settings, query):
    settings.FORUM_THREADS_PER_PAGE = 15
    board = make_board()
    make_board(parent=board)
    grow_board(board, SMALL, staff_user)
    small = measure(viewer, board.get_absolute_url() + query)
    grow_board(board, LARGE, staff_user)
    large = measure(viewer, board.get_absolute_url() + query)
    assert_same_cost(small, large, f"board page {query}")


def test_board_page_cost_does_not_grow_with_rows_shown(viewer, staff_user, settings):
    """All threads on one page: a per-row query would multiply here."""
    settings.FORUM_THREADS_PER_PAGE = LARGE
    board = make_board()
    grow_board(board, SMALL, staff_user)
    small = measure(viewer, board.get_absolute_url())
    grow_board(board, LARGE, staff_user)
    large = measure(viewer, board.get_absolute_url())
    assert_same_cost(small, large, "board page, every thread shown")


# --- thread -----------------------------------------------------------------------------

@pytest.fixture
def big_thread(db, staff_user):
    board = make_board()
    return make_thread(board=board, author=make_user(), tags=["公文", "纪要"],
                       body="公开 [hide]隐藏[/hide] [hide=10]积分[/hide]")


def grow_thread(thread, count: int, staff) -> None:
    """Floors by distinct authors, some edited, some deleted, some with hidden blocks."""
    while (floor := thread.last_floor) < count:
        body = f"第{floor + 1}楼 [hide]隐藏{floor}[/hide]" if floor % 3 == 0 else f"第{floor + 1}楼"
        post = make_reply(thread=thread, author=make_user(), body=body)
        if floor % 5 == 0:
            services.edit_post(post=post, editor=staff, body=body + " 改")
        if floor % 7 == 0:
            services.delete_post(post=post, actor=staff)


@pytest.mark.parametrize("query", ["", "?page=last", "?order=desc", "?author=op",
                                   "?mode=read"])
def test_thread_page_cost_does_not_grow_with_floors(viewer, big_thread, staff_user, query):
    def url():
        q = query.replace("last", str(big_thread.page_count)).replace(
            "op", str(big_thread.author_id))
        return big_thread.get_absolute_url() + q

    grow_thread(big_thread, SMALL, staff_user)
    small = measure(viewer, url())
    grow_thread(big_thread, LARGE, staff_user)
    large = measure(viewer, url())
    assert_same_cost(small, large, f"thread page {query}")


def test_thread_page_cost_does_not_grow_with_floors_shown(viewer, big_thread, staff_user,
                                                          settings):
    """Every floor on one page: a per-floor query would multiply here."""
    settings.FORUM_POSTS_PER_PAGE = LARGE
    grow_thread(big_thread, SMALL, staff_user)
    small = measure(viewer, big_thread.get_absolute_url())
    grow_thread(big_thread, LARGE, staff_user)
    large = measure(viewer, big_thread.get_absolute_url())
    assert_same_cost(small, large, "thread page, every floor shown")


def test_print_view_cost_does_not_grow_with_floors(viewer, big_thread, staff_user):
    url = reverse("forum:print", args=[big_thread.pk])
    grow_thread(big_thread, SMALL, staff_user)
    small = measure(viewer, url)
    grow_thread(big_thread, LARGE, staff_user)
    large = measure(viewer, url)
    assert_same_cost(small, large, "print view")


def test_thread_page_stays_within_a_small_budget(client_for, big_thread, staff_user):
    """An absolute ceiling, so a fixed-but-wasteful page is noticed too."""
    grow_thread(big_thread, SMALL, staff_user)
    replier = make_user()
    make_reply(thread=big_thread, author=replier)
    assert len(measure(client_for(), big_thread.get_absolute_url())) <= 10
    assert len(measure(client_for(replier), big_thread.get_absolute_url())) <= 14
    assert opening_post(big_thread).has_hidden
