"""Members' index and board pages from one shared rendering (forum/shared_pages.py).

The page is kept once for every member and each request fills in its own top bar. So:
a page from the shared rendering is the page rendered afresh; no member's name, unread
count, staff link or CSRF token reaches another member (nor a guest); a write shows on
the very next request; flash messages are shown to their member only and never kept.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection

from forum import services, topbar
from forum.views import boards
from tests.factories import make_staff, make_thread, make_user
from tests.page_helpers import get_fresh, get_page, queries_of_a_hit

pytestmark = pytest.mark.django_db

CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _normal(html: str) -> str:
    return CSRF_VALUE.sub('name="csrfmiddlewaretoken" value=""', html)



@pytest.fixture
def client_for(client_for):
    """A member's client whose day's first visit is behind it: that visit grants the
    daily credit, a write that renews every page (the shared ones too)."""

    def make(user=None, **kwargs):
        client = client_for(user, **kwargs)
        if user is not None:
            assert client.get("/tags/").status_code == 200
        return client

    return make


def _top_bar(page: str) -> str:
    return page[page.index('class="topbar-user"'):page.index("</header>")]


@pytest.fixture
def renders(monkeypatch) -> list:
    """Each index or board page the view renders appends the viewer's name."""
    made = []
    index, board = boards._index, boards._board

    def rendering(real):
        def render(request, *args, **kwargs):
            made.append(request.user.get_username())
            return real(request, *args, **kwargs)
        return render

    monkeypatch.setattr(boards, "_index", rendering(index))
    monkeypatch.setattr(boards, "_board", rendering(board))
    return made


@pytest.fixture
def pages(board, thread) -> list[str]:
    return ["/", board.get_absolute_url(), board.get_absolute_url() + "?filter=digest"]


@pytest.mark.parametrize("who", ["member", "staff"])
def test_a_shared_page_equals_the_page_rendered_fresh(
        who, client_for, pages, member, settings, renders):
    viewer = make_staff("站务") if who == "staff" else member
    client = client_for(viewer)
    for i, url in enumerate(pages):
        get_page(client_for(make_user(f"先来的{i}")), url)  # kept by another member
        renders.clear()
        shared = get_page(client, url)
        assert renders == []  # from the shared rendering
        fresh = get_fresh(client, url, settings)
        assert _normal(shared) == _normal(fresh)
        assert viewer.username in _top_bar(shared)
        assert ("/admin/" in _top_bar(shared)) == (who == "staff")


def test_nothing_of_one_member_reaches_another(client_for, board, member, thread, renders):
    staff = make_staff("管理员甲")
    services.create_reply(thread=thread, author=make_user("写信的人"), body="@member 你好")
    member.profile.refresh_from_db()
    url = board.get_absolute_url()
    first = get_page(client_for(staff), url)  # rendered and kept by a staff member
    assert renders == [staff.username]
    page = get_page(client_for(member), url)
    assert renders == [staff.username]  # the member's page came from it
    bar = _top_bar(page)
    assert member.username in bar and staff.username not in page
    assert "/admin/" not in bar and "/admin/" in _top_bar(first)
    mine, theirs = CSRF_VALUE.findall(page), CSRF_VALUE.findall(first)
    assert mine and not set(mine) & set(theirs)


def test_guests_never_get_a_members_page(client, client_for, board, member, thread):
    url = board.get_absolute_url()
    for _ in range(2):
        get_page(client_for(member), url)
    page = get_page(client, url)
    assert member.username not in page
    assert "csrfmiddlewaretoken" not in page
    assert 'href="/accounts/login/' in _top_bar(page)


def test_a_hit_reads_no_board_nor_thread(client_for, board, member, thread):
    sql = " ".join(queries_of_a_hit(client_for(member), board.get_absolute_url()))
    assert not re.search(r'FROM "forum_(board|thread)"', sql)


@pytest.mark.parametrize("url", ["/", "board"])
def test_a_write_shows_on_the_very_next_members_request(
        url, client_for, board, member, author, thread, renders):
    url = board.get_absolute_url() if url == "board" else url
    client = client_for(member)
    for _ in range(2):
        assert "刚刚发布的新主题" not in get_page(client, url)
    assert len(renders) == 1
    make_thread(board=board, author=author, title="刚刚发布的新主题")
    # Its title: in the board's list, and as the board's last post on the index.
    assert "刚刚发布的新主题" in get_page(client_for(make_user("另一位会员")), url)
    assert "刚刚发布的新主题" in get_page(client, url)
    assert len(renders) == 2  # rendered once after the write, then shared again


def test_flash_messages_reach_their_member_only_and_are_never_kept(
        client_for, board, member, thread, renders):
    url = board.get_absolute_url()
    other = make_user("旁观者")
    get_page(client_for(other), url)  # kept
    client = client_for(member)
    # The only thread of its board has no later one: the view says so on the next page.
    client.get(f"/t/{thread.pk}/next/")
    renders.clear()
    page = get_page(client, url)
    assert 'class="msg msg-info"' in page
    assert renders == [member.username]  # rendered afresh, not from the kept page
    assert 'class="msg msg-info"' not in get_page(client, url)  # used up
    assert 'class="msg msg-info"' not in get_page(client_for(other), url)


def test_an_odd_spelling_is_served_but_never_kept(client_for, board, member, settings,
                                                  renders):
    settings.FORUM_THREADS_PER_PAGE = 1
    for i in range(3):
        make_thread(board=board, author=member, title=f"第{i}个主题")
    url = board.get_absolute_url()
    client = client_for(member)
    get_page(client, url + "?page=02")
    assert renders == [member.username]
    get_page(client, url + "?page=02")
    assert renders == [member.username] * 2  # not kept under the odd spelling
    get_page(client, url + "?page=2")
    get_page(client, url + "?page=02")
    assert renders == [member.username] * 3  # the normal spelling's page serves both


def test_a_marker_in_a_title_is_text_and_stops_sharing(client_for, board, member, renders):
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL refuses NUL in text: no title can hold the marker there")
    make_thread(board=board, author=member, title=f"标题里有{topbar.SLOT}记号")
    url = board.get_absolute_url()
    other = make_user("另一位")
    for reader in (member, other, member):
        renders.clear()
        page = get_page(client_for(reader), url)
        assert reader.username in _top_bar(page)
        assert page.count('class="who"') == 1
        # Never kept: rendered with the slot, found twice, rendered whole.
        assert renders == [reader.username] * 2


def test_each_language_has_its_own_page(client_for, board, member, settings, renders):
    url = board.get_absolute_url()
    client = client_for(member)
    chinese = get_page(client, url)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = get_page(client, url)
    assert 'lang="en"' in english and 'lang="zh-hans"' in chinese
    assert len(renders) == 2


def test_a_board_that_is_not_there_is_a_404_for_members(client_for, member):
    client = client_for(member)
    for _ in range(2):
        assert client.get("/b/no-such-board/").status_code == 404


def test_head_requests(client_for, board, member):
    client = client_for(member)
    url = board.get_absolute_url()
    for _ in range(2):
        assert client.head(url).status_code == 200


def test_a_page_with_a_token_outside_the_top_bar_is_never_shared(
        monkeypatch, client_for, board, member):
    """A safety lock for templates to come: a form with the member's CSRF token
    anywhere but the top bar keeps the page theirs alone."""
    from django.template.backends.utils import csrf_input

    real, made = boards._board, []

    def with_a_form(request, slug, extra):
        made.append(request.user.username)
        response = real(request, slug, extra)
        response.content = response.content.replace(
            b"</main>", f"<form method=post>{csrf_input(request)}</form></main>".encode())
        return response

    monkeypatch.setattr(boards, "_board", with_a_form)
    url = board.get_absolute_url()
    other = make_user("第二位")
    first = [get_page(client_for(member), url) for _ in range(2)]
    page = get_page(client_for(other), url)
    assert made == [member.username, member.username, other.username]
    theirs = {token for html in first for token in CSRF_VALUE.findall(html)}
    assert CSRF_VALUE.findall(page) and not set(CSRF_VALUE.findall(page)) & theirs


def test_a_page_that_is_not_a_200_is_filled_but_never_kept(monkeypatch, client_for, board,
                                                            member):
    real, made = boards._board, []

    def refused(request, slug, extra):
        made.append(request.user.username)
        response = real(request, slug, extra)
        response.status_code = 403
        return response

    monkeypatch.setattr(boards, "_board", refused)
    client = client_for(member)
    for _ in range(2):
        response = client.get(board.get_absolute_url())
        assert response.status_code == 403
        page = response.content.decode()
        assert "\x00" not in page and member.username in _top_bar(page)
    assert made == [member.username] * 2
