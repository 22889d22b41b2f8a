"""Old Discuz! addresses: a 301 to the same thread page, floor, board or member, else 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discuz.models import ImportedObject
from forum import services
from tests.factories import make_board, make_category, make_replies, make_thread, make_user

Kind = ImportedObject.Kind


def mapped(kind: str, old_id: int, new_id: int) -> None:
    ImportedObject.objects.create(kind=kind, old_id=old_id, new_id=new_id)


@pytest.fixture(autouse=True)
def _page_sizes(settings):
    # Discuz showed 10 floors a page, we show 20: Discuz page 3 (floors 21-30) is our 2.
    settings.DISCUZ_POSTS_PER_PAGE = 10
    settings.FORUM_POSTS_PER_PAGE = 20
    settings.DISCUZ_THREADS_PER_PAGE = 20
    settings.FORUM_THREADS_PER_PAGE = 30


@pytest.fixture
def thread(db):
    thread = make_thread(board=make_board("bangong"))
    make_replies(thread, 25)  # floors 1..26
    mapped(Kind.THREAD, 1006, thread.pk)
    return thread


def moved_to(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 301, (path, response.status_code)
    return response["Location"]


# --- threads -------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "page"), [
    ("/forum.php?mod=viewthread&tid=1006", 1),
    ("/forum.php?mod=viewthread&tid=1006&page=1", 1),
    ("/forum.php?mod=viewthread&tid=1006&page=2", 1),  # floors 11-20: our page 1
    ("/forum.php?mod=viewthread&tid=1006&page=3", 2),  # floors 21-30: our page 2
    ("/forum.php?mod=viewthread&tid=1006&extra=page%3D1&page=3", 2),
    ("/forum.php?mod=viewthread&tid=1006&page=abc", 1),  # Discuz reads it as page 1
    ("/thread-1006-1-1.html", 1),
    ("/thread-1006-3-1.html", 2),
    ("/thread-1006-5-2.html", 3),  # past the end: our thread page clamps it, as for any link
    ("/archiver/?tid-1006.html", 1),
    ("/archiver/?tid-1006.html&page=3", 2),
])
def test_thread_forms_lead_to_the_page_holding_the_discuz_page_s_first_floor(client, thread,
                                                                             path, page):
    expected = f"/t/{thread.pk}/" + (f"?page={page}" if page > 1 else "")
    assert moved_to(client, path) == expected


def test_the_redirect_target_is_the_thread_page(client, thread):
    response = client.get("/thread-1006-3-1.html", follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="p{thread.posts.get(floor=21).pk}"' in page  # Discuz page 3's first floor
    assert f'id="p{thread.posts.get(floor=20).pk}"' not in page


@pytest.mark.parametrize(("floor", "imported_floor", "query"), [
    (26, 26, "?page=2"),
    (26, 47, "?page=3"),  # imported floors keep Discuz's gaps: 47 is on our page 3
    (1, 1, ""),  # the opening post: page 1 needs no ?page
])
def test_findpost_leads_to_the_floor_s_page_and_anchor(client, thread, floor, imported_floor,
                                                        query):
    post = thread.posts.get(floor=floor)
    type(post).objects.filter(pk=post.pk).update(floor=imported_floor)
    mapped(Kind.POST, 2729, post.pk)
    location = moved_to(client, "/forum.php?mod=redirect&goto=findpost&pid=2729&ptid=1006")
    assert location == f"/t/{thread.pk}/{query}#p{post.pk}"


def test_findpost_of_a_post_never_imported_falls_back_to_its_thread(client, thread):
    location = moved_to(client, "/forum.php?mod=redirect&goto=findpost&pid=999&ptid=1006")
    assert location == f"/t/{thread.pk}/"


def test_lastpost_leads_to_the_last_page(client, thread):
    location = moved_to(client, "/forum.php?mod=redirect&tid=1006&goto=lastpost")
    assert location == f"/t/{thread.pk}/?page=2"


def test_a_deleted_thread_behaves_as_its_own_address_does(client, thread):
    services.delete_thread(thread=thread, actor=make_user(staff=True), reason="spam")
    location = moved_to(client, "/forum.php?mod=viewthread&tid=1006")
    assert location == f"/t/{thread.pk}/"
    assert client.get(location).status_code == client.get(thread.get_absolute_url()).status_code
    assert client.get(location).status_code == 404


# --- boards and members --------------------------------------------------------------------------

@pytest.fixture
def board(db):
    board = make_board("xingzheng")
    mapped(Kind.BOARD, 5, board.pk)
    return board


@pytest.mark.parametrize(("path", "page"), [
    ("/forum.php?mod=forumdisplay&fid=5", 1),
    ("/forum.php?mod=forumdisplay&fid=5&page=2", 1),  # threads 21-40: our page 1 (30 a page)
    ("/forum.php?mod=forumdisplay&fid=5&page=3", 2),  # threads 41-60: our page 2
    ("/forum-5-1.html", 1),
    ("/forum-5-4.html", 3),  # threads 61-80: our page 3
    ("/archiver/?fid-5.html", 1),
])
def test_board_forms_lead_to_the_board_page(client, board, path, page):
    expected = "/b/xingzheng/" + (f"?page={page}" if page > 1 else "")
    assert moved_to(client, path) == expected


def test_a_discuz_category_leads_to_the_index(client, db):
    mapped(Kind.CATEGORY, 1, make_category().pk)
    assert moved_to(client, "/forum.php?mod=forumdisplay&fid=1") == "/"


def test_a_board_deleted_after_the_import_is_a_404(client, db):
    mapped(Kind.BOARD, 7, 123456)
    assert client.get("/forum-7-1.html").status_code == 404


@pytest.mark.parametrize("path", [
    "/home.php?mod=space&uid=2", "/home.php?mod=space&uid=2&do=profile", "/space-uid-2.html",
])
def test_member_forms_lead_to_the_profile(client, db, path):
    mapped(Kind.MEMBER, 2, make_user("张伟").pk)
    assert moved_to(client, path) == "/u/%E5%BC%A0%E4%BC%9F/"


@pytest.mark.parametrize("path", ["/forum.php", "/forum.php?mod=index", "/archiver/"])
def test_discuz_home_pages_lead_to_the_index(client, db, path):
    assert moved_to(client, path) == "/"


# --- cheap, and 404 for everything else ---------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/forum.php?mod=viewthread&tid=1006&page=3",
    "/thread-1006-3-1.html",
    "/forum.php?mod=redirect&goto=findpost&pid=2729&ptid=1006",
    "/forum.php?mod=redirect&tid=1006&goto=lastpost",
    "/forum-5-3.html",
    "/space-uid-2.html",
])
def test_each_redirect_costs_one_query(client, thread, board, path):
    mapped(Kind.POST, 2729, thread.posts.get(floor=26).pk)
    mapped(Kind.MEMBER, 2, make_user().pk)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 301
    assert len(queries) == 1, [q["sql"] for q in queries]


@pytest.mark.parametrize("path", [
    "/forum.php?mod=viewthread&tid=1007",  # never imported
    "/thread-1007-1-1.html",
    "/forum.php?mod=redirect&goto=findpost&pid=999&ptid=1007",
    "/forum.php?mod=redirect&goto=findpost&pid=999",
    "/forum.php?mod=forumdisplay&fid=99",
    "/forum-99-1.html",
    "/home.php?mod=space&uid=99",
    "/space-uid-99.html",
    "/archiver/?tid-1007.html",
    "/archiver/?fid-99.html",
    # malformed
    "/forum.php?mod=viewthread",
    "/forum.php?mod=viewthread&tid=abc",
    "/forum.php?mod=viewthread&tid=-5",
    "/forum.php?mod=viewthread&tid=0",
    "/forum.php?mod=viewthread&tid=1e3",
    "/forum.php?mod=viewthread&tid=%EF%BC%91",  # a full-width digit one
    "/forum.php?mod=viewthread&tid=%201006",
    "/forum.php?mod=viewthread&tid=99999999999999999999999999",
    "/forum.php?mod=viewthread&tid=9223372036854775807",
    "/thread-99999999999999999999999999-1-1.html",
    "/thread-abc-1-1.html",
    "/forum.php?mod=redirect&goto=findpost&pid=abc&ptid=1006",
    "/forum.php?mod=redirect&goto=findpost&pid=1&ptid=x",
    "/forum.php?mod=forumdisplay&fid=",
    "/forum.php?mod=nosuchmod",
    "/home.php?mod=spacecp",
    "/home.php?mod=space&uid=%00",
    "/space-uid-0.html",
    "/archiver/?tid-abc.html",
    "/archiver/?something-else",
])
def test_unknown_and_malformed_addresses_are_our_normal_404(client, thread, board, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]


def test_only_reads_are_redirected(client, thread):
    assert client.post("/forum.php?mod=viewthread&tid=1006").status_code == 405
    assert client.head("/forum.php?mod=viewthread&tid=1006").status_code == 301
