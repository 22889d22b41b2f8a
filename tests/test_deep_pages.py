"""Deep pages by index seeks (forum/board_page.py, ThreadPage._author_floors): the
same rows, in the same order, as the plain OFFSET listing they replace."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from forum import services
from forum.models import Thread
from tests.factories import fresh, make_board, make_reply, make_thread, make_user

pytestmark = pytest.mark.django_db


def thread_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/t/(\d+)/" class="title', html)]


def floor_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="floor[^"]*" id="p(\d+)"', html)]


@pytest.fixture
def busy_board(db, settings):
    """23 live threads (two sharing a last-post time), 2 stickies, 2 deleted."""
    settings.FORUM_THREADS_PER_PAGE = 5
    staff = make_user(staff=True)
    board = make_board()
    start = timezone.now() - datetime.timedelta(days=1)
    threads = []
    for i in range(27):
        t = make_thread(board=board, author=make_user())
        when = start + datetime.timedelta(minutes=i if i != 7 else 6)  # a tie with #6
        Thread.objects.filter(pk=t.pk).update(last_post_at=when)
        threads.append(t)
    for t in threads[:2]:
        services.set_thread_flags(thread=t, actor=staff, sticky=Thread.Sticky.BOARD)
    for t in threads[2:4]:
        services.delete_thread(thread=t, actor=staff)
    return fresh(board)


def expected_order(board) -> list[int]:
    return list(Thread.objects.filter(board=board, is_deleted=False, sticky=0)
                .order_by("-last_post_at", "-id").values_list("pk", flat=True))


def test_board_pages_list_every_live_thread_once_in_order(client, busy_board):
    listed, stickies = [], None
    for page in range(1, 6):
        html = client.get(f"{busy_board.get_absolute_url()}?page={page}").content.decode()
        rows = thread_ids(html)
        if page == 1:
            stickies, rows = rows[:2], rows[2:]
        listed += rows
    assert listed == expected_order(busy_board)  # 23 threads, 5 pages, ties by id
    assert set(stickies) == set(Thread.objects.filter(board=busy_board, sticky__gt=0)
                                .values_list("pk", flat=True))


def test_board_page_count_and_clamping(client, busy_board):
    url = busy_board.get_absolute_url()
    last = client.get(url + "?page=5").content.decode()
    assert "/ 共 5 页" in last
    assert thread_ids(client.get(url + "?page=999").content.decode()) == thread_ids(last)
    assert thread_ids(client.get(url + "?page=-1").content.decode()) == thread_ids(
        client.get(url).content.decode())


def test_board_page_shows_other_boards_global_and_category_stickies(client, busy_board):
    staff = make_user(staff=True)
    same_category = make_board(category=busy_board.category)
    elsewhere = make_board()
    cat = make_thread(board=same_category)
    glob = make_thread(board=elsewhere)
    other = make_thread(board=elsewhere)
    services.set_thread_flags(thread=cat, actor=staff, sticky=Thread.Sticky.CATEGORY)
    services.set_thread_flags(thread=glob, actor=staff, sticky=Thread.Sticky.GLOBAL)
    services.set_thread_flags(thread=other, actor=staff, sticky=Thread.Sticky.CATEGORY)
    rows = thread_ids(client.get(busy_board.get_absolute_url()).content.decode())
    assert rows[:2] == [glob.pk, cat.pk]  # global first, then category, then the board's
    assert other.pk not in rows


def test_digest_filter_pages(client, busy_board):
    staff = make_user(staff=True)
    digest = list(Thread.objects.filter(board=busy_board, is_deleted=False, sticky=0)
                  .order_by("pk")[:7])
    for t in digest:
        services.set_thread_flags(thread=t, actor=staff, is_digest=True)
    url = busy_board.get_absolute_url() + "?filter=digest"
    shown = thread_ids(client.get(url).content.decode()) + thread_ids(
        client.get(url + "&page=2").content.decode())
    assert sorted(shown) == sorted(t.pk for t in digest)


@pytest.fixture
def long_thread(db, settings):
    """The opening author writes every third floor; two of theirs are deleted."""
    settings.FORUM_POSTS_PER_PAGE = 4
    staff = make_user(staff=True)
    op = make_user("楼主")
    thread = make_thread(author=op)
    others = [make_user() for _ in range(3)]
    mine = []
    for i in range(30):
        if i % 3 == 0:
            mine.append(make_reply(thread=thread, author=op))
        else:
            make_reply(thread=thread, author=others[i % 3])
    for post in (mine[1], mine[4]):
        services.delete_post(post=post, actor=staff)
    return thread


def author_pages(client, thread) -> list[int]:
    url = f"{thread.get_absolute_url()}?author={thread.author_id}"
    shown = []
    for page in range(1, 6):
        shown += floor_ids(client.get(f"{url}&page={page}").content.decode())
    return shown


def test_only_this_author_pages_hide_deleted_floors_from_readers(client, long_thread):
    from forum.models import Post

    expected = list(Post.objects.filter(thread=long_thread, author=long_thread.author,
                                        is_deleted=False).order_by("floor")
                    .values_list("pk", flat=True))
    assert len(expected) == 9  # opening + 10 replies - 2 deleted
    shown = author_pages(client, long_thread)
    assert shown[:9] == expected  # pages 1-3, then page 4 and 5 clamp to page 3
    page3 = floor_ids(client.get(
        f"{long_thread.get_absolute_url()}?author={long_thread.author_id}&page=3")
        .content.decode())
    assert page3 == expected[8:]


def test_only_this_author_pages_show_moderators_the_deleted_floors(client_for, long_thread):
    from forum.models import Post

    staff = make_user(staff=True)
    expected = list(Post.objects.filter(thread=long_thread, author=long_thread.author)
                    .order_by("floor").values_list("pk", flat=True))
    assert author_pages(client_for(staff), long_thread)[:11] == expected


def test_only_this_author_loads_its_floors_by_a_range(client, long_thread):
    """An IN list of floors became, as a prepared statement's generic plan on
    PostgreSQL, a walk over every floor of a megathread (0.3 s a page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{long_thread.get_absolute_url()}?author={long_thread.author_id}&page=2"
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    floors = [q["sql"] for q in queries.captured_queries if '"html"' in q["sql"]]
    assert floors and all("BETWEEN" in sql and " IN (" not in sql for sql in floors)


def test_only_this_author_with_a_stranger_or_junk_id(client, long_thread):
    url = long_thread.get_absolute_url()
    assert floor_ids(client.get(f"{url}?author={make_user().pk}").content.decode()) == []
    for junk in ("abc", "-1", str(2**70)):
        page = client.get(f"{url}?author={junk}&page=2")
        assert page.status_code == 200


def test_deep_board_pages_kept_in_the_cache_follow_every_change(client, busy_board, monkeypatch):
    """Deep pages keep their ids under the board's page-cache generation: a reply that
    moves a thread off page 3, a new thread and a deletion all show at once."""
    from forum import board_page

    monkeypatch.setattr(board_page, "DEEP_PAGE", 2)
    url = f"{busy_board.get_absolute_url()}?page=3"
    listed = thread_ids(client.get(url).content.decode())
    assert listed == expected_order(busy_board)[10:15]
    make_reply(thread=Thread.objects.get(pk=listed[0]))  # bumped to the top of page 1
    assert thread_ids(client.get(url).content.decode()) == expected_order(busy_board)[10:15]
    assert listed[0] not in thread_ids(client.get(url).content.decode())
    make_thread(board=busy_board)
    assert thread_ids(client.get(url).content.decode()) == expected_order(busy_board)[10:15]
    services.delete_thread(thread=Thread.objects.get(pk=expected_order(busy_board)[11]),
                           actor=make_user(staff=True))
    assert thread_ids(client.get(url).content.decode()) == expected_order(busy_board)[10:15]


def test_index_member_stats_kept_in_the_cache_follow_a_new_member(client_for, board):
    def stats(html: str) -> tuple[str, str]:
        members = re.search(r"会员: <em>(\d+)</em>", html).group(1)
        newest = re.search(r"欢迎新会员: <em>([^<]*)</em>", html).group(1)
        return members, newest

    viewer = client_for(make_user("看客"))
    before = stats(viewer.get("/").content.decode())
    assert stats(viewer.get("/").content.decode()) == before  # from the cache now
    make_user("新来的")
    members, newest = stats(viewer.get("/").content.decode())
    assert (int(members), newest) == (int(before[0]) + 1, "新来的")
