"""Board page 1 counts its pages from the stickies it lists (no COUNT query of the
board's stickies); the count must equal the one deeper pages make, whatever mix of
own, category, global and deleted stickies the board has."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum import services
from forum.models import Thread
from tests.factories import fresh, make_board, make_thread, make_user
from tests.test_deep_pages import busy_board  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

PAGES = re.compile(r"/ 共 (\d+) 页")


def page_count(client, url: str) -> int:
    return int(PAGES.search(client.get(url).content.decode()).group(1))


def test_page_one_counts_pages_without_a_sticky_count(client, busy_board):  # noqa: F811
    url = busy_board.get_absolute_url()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts == []
    assert page_count(client, url) == page_count(client, url + "?page=2") == 5


def test_page_one_count_follows_every_kind_of_sticky(client, busy_board):  # noqa: F811
    staff = make_user(staff=True)
    url = busy_board.get_absolute_url()
    same_category = make_board(category=busy_board.category)
    services.set_thread_flags(thread=make_thread(board=same_category), actor=staff,
                              sticky=Thread.Sticky.CATEGORY)
    services.set_thread_flags(thread=make_thread(board=make_board()), actor=staff,
                              sticky=Thread.Sticky.GLOBAL)
    # Other boards' stickies are listed but are not this board's threads.
    assert page_count(client, url) == page_count(client, url + "?page=2") == 5
    # Three more own stickies (one global): 23 -> 20 plain threads, 4 pages of 5.
    plain = Thread.objects.filter(board=busy_board, is_deleted=False, sticky=0)
    first, second, third = plain.order_by("pk")[:3]
    services.set_thread_flags(thread=first, actor=staff, sticky=Thread.Sticky.BOARD)
    services.set_thread_flags(thread=second, actor=staff, sticky=Thread.Sticky.GLOBAL)
    services.set_thread_flags(thread=third, actor=staff, sticky=Thread.Sticky.BOARD)
    assert page_count(client, url) == page_count(client, url + "?page=2") == 4
    # A deleted sticky is neither listed nor counted.
    services.delete_thread(thread=fresh(first), actor=staff)
    assert page_count(client, url) == page_count(client, url + "?page=2") == 4
    # An unstuck thread joins the plain list: 21, 5 pages again.
    services.set_thread_flags(thread=fresh(second), actor=staff, sticky=Thread.Sticky.NONE)
    assert page_count(client, url) == page_count(client, url + "?page=2") == 5
