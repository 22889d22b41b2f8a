"""Atom feeds: valid Atom, newest threads, public text only, linked from the pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from forum import services
from tests.factories import make_board, make_reply, make_thread

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CANARY = "FEEDCANARY42"


def _feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own response
    assert root.tag == f"{ATOM}feed"
    return root, response.content.decode()


def _entries(root):
    return root.findall(f"{ATOM}entry")


def test_site_feed_is_valid_atom_with_the_required_elements(client, thread):
    root, _ = _feed(client, reverse("forum:feed"))
    for name in ("id", "title", "updated", "link"):
        assert root.find(f"{ATOM}{name}") is not None, name
    (entry,) = _entries(root)
    for name in ("id", "title", "updated", "link", "summary", "author"):
        assert entry.find(f"{ATOM}{name}") is not None, name
    assert entry.find(f"{ATOM}title").text == thread.title
    assert entry.find(f"{ATOM}link").get("href").endswith(thread.get_absolute_url())


def test_site_feed_lists_newest_threads_first(client, board):
    threads = [make_thread(board=board, title=f"主题{i}") for i in range(3)]
    root, _ = _feed(client, reverse("forum:feed"))
    titles = [e.find(f"{ATOM}title").text for e in _entries(root)]
    assert titles == [t.title for t in reversed(threads)]


def test_summary_is_the_public_text_of_the_opening_post(client, board):
    make_thread(board=board, body="**加粗**的公开文字")
    root, _ = _feed(client, reverse("forum:feed"))
    summary = _entries(root)[0].find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert summary.text == "加粗的公开文字"


def test_markup_in_the_text_arrives_escaped(client, board):
    make_thread(board=board, body="比较 a < b & c")
    root, raw = _feed(client, reverse("forum:feed"))
    assert _entries(root)[0].find(f"{ATOM}summary").text == "比较 a &lt; b &amp; c"


def test_hidden_text_never_reaches_the_feeds(client, board):
    make_thread(board=board, title="公开标题",
                body=f"公开开头\n\n[hide]{CANARY}[/hide]\n\n[hide=d3,5]{CANARY}[/hide]")
    for url in (reverse("forum:feed"), reverse("forum:board_feed", args=[board.slug])):
        _root, raw = _feed(client, url)
        assert CANARY not in raw and "公开开头" in raw


def test_jammer_junk_never_reaches_the_feeds(client):
    board = make_board(jammer=True)
    make_thread(board=board, body="第一句话。第二句话。第三句话。")
    root, raw = _feed(client, reverse("forum:board_feed", args=[board.slug]))
    assert _entries(root)[0].find(f"{ATOM}summary").text == "第一句话。第二句话。第三句话。"
    assert "aria-hidden" not in raw


def test_deleted_threads_are_left_out(client, board, moderator):
    gone = make_thread(board=board, title="被删除的主题")
    make_thread(board=board, title="留下的主题")
    services.delete_thread(thread=gone, actor=moderator)
    _root, raw = _feed(client, reverse("forum:feed"))
    assert "被删除的主题" not in raw and "留下的主题" in raw


def test_board_feed_holds_only_that_boards_threads(client, board):
    mine = make_thread(board=board, title="本版主题")
    make_thread(board=make_board(), title="别版主题")
    root, _ = _feed(client, reverse("forum:board_feed", args=[board.slug]))
    assert [e.find(f"{ATOM}title").text for e in _entries(root)] == [mine.title]


def test_unknown_board_feed_is_404(client, db):
    assert client.get("/b/no-such-board/feed.xml").status_code == 404


def test_replies_do_not_make_entries(client, thread):
    make_reply(thread=thread, body="回复")
    root, _ = _feed(client, reverse("forum:feed"))
    assert len(_entries(root)) == 1


def test_tags_and_board_are_entry_categories(client, board):
    make_thread(board=board, tags=["公文"])
    root, _ = _feed(client, reverse("forum:feed"))
    terms = {c.get("term") for c in _entries(root)[0].findall(f"{ATOM}category")}
    assert terms == {board.name, "公文"}


def test_pages_link_their_feeds_in_the_head(client, thread):
    site_feed = '<link rel="alternate" type="application/atom+xml"'
    board_feed = f'href="{reverse("forum:board_feed", args=[thread.board.slug])}"'
    index = client.get("/").content.decode()
    assert site_feed in index and f'href="{reverse("forum:feed")}"' in index
    for url in (thread.board.get_absolute_url(), thread.get_absolute_url()):
        assert board_feed in client.get(url).content.decode()
