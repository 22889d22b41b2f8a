"""Index and board listings kept for members (forum/shared_blocks.py): the same for every
viewer, shown at once after every write, never holding anything of one member."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from jinja2 import meta

from forum import services, shared_blocks
from forum.models import SiteSettings
from forum.moderation import services as mod_services
from tests.factories import make_reply, make_thread, make_user, opening_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site_settings_exist(db):
    SiteSettings.load()  # the first page view would create it, bumping the site generation


@pytest.mark.parametrize("kind", sorted(shared_blocks.LISTING_TEMPLATES))
def test_listing_templates_see_no_viewer(kind):
    env = engines["jinja2"].env
    source = env.loader.get_source(env, shared_blocks.LISTING_TEMPLATES[kind])[0]
    names = meta.find_undeclared_variables(env.parse(source))
    assert "user" not in names
    assert "csrf_input" not in names and "csrf_token" not in names
    assert names <= {"board", "children", "stickies", "moved", "page", "digest",
                     "is_paginated", "credit_rules", "categories", "stats", "request",
                     "_", "url"}


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_of", [lambda t: reverse("forum:index"),
                                    lambda t: t.board.get_absolute_url()])
def test_a_members_second_view_reuses_the_listing(client_for, thread, member, url_of):
    client = client_for(member)
    url = url_of(thread)
    first = _queries(client, url)
    assert _queries(client, url) < first


def test_members_see_a_new_thread_reply_and_edit_at_once(client_for, board, author, member):
    client = client_for(member)
    board_url, index_url = board.get_absolute_url(), reverse("forum:index")
    client.get(board_url), client.get(index_url)
    thread = make_thread(board=board, author=author, title="刚开的主题")
    assert "刚开的主题" in client.get(board_url).content.decode()
    assert "刚开的主题" in client.get(index_url).content.decode()  # the board's last post
    replier = make_user("replier-sb")
    make_reply(thread=thread, author=replier)
    assert "replier-sb" in client.get(board_url).content.decode()  # the last poster
    services.edit_post(post=opening_post(thread), editor=author, body="正文", title="改名的主题")
    assert "改名的主题" in client.get(board_url).content.decode()
    mod_services.delete_thread(thread=thread, actor=make_user(staff=True))
    assert "改名的主题" not in client.get(board_url).content.decode()


def test_one_listing_serves_every_member_and_guest_alike(client_for, thread, member, author):
    pages = [client_for(who).get(thread.board.get_absolute_url()).content.decode()
             for who in (member, author, None)]
    listings = [p[p.index('<section class="box board-head">'):p.index("</main>")]
                for p in pages]
    assert listings[0] == listings[1] == listings[2]
    assert member.get_username() not in listings[0]


def test_each_language_and_page_has_its_own_listing(client_for, board, author, member, settings):
    for i in range(3):
        make_thread(board=board, author=author, title=f"主题{i}")
    settings.FORUM_THREADS_PER_PAGE = 2
    client = client_for(member)
    url = board.get_absolute_url()
    chinese = client.get(url).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert "新帖" in chinese or "发帖" in chinese
    assert "New thread" in english and "New thread" not in chinese
    second = client.get(url + "?page=2").content.decode()
    assert "主题0" in second and "主题0" not in english


def test_a_page_past_the_end_shows_the_last_page_title(client_for, board, author, member,
                                                        settings):
    for i in range(3):
        make_thread(board=board, author=author, title=f"主题{i}")
    settings.FORUM_THREADS_PER_PAGE = 2
    client = client_for(member)
    client.get(board.get_absolute_url() + "?page=2")
    page = client.get(board.get_absolute_url() + "?page=99").content.decode()
    assert "第 2 页" in page[page.index("<title>"):page.index("</title>")]


def test_a_threads_tags_change_at_once_for_members(client_for, board, author, member):
    thread = make_thread(board=board, author=author, tags=["旧标签"])
    client = client_for(member)
    assert "旧标签" in client.get(thread.get_absolute_url()).content.decode()
    services.edit_post(post=opening_post(thread), editor=author, body="正文", tags=["新标签"])
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "新标签" in page and "旧标签" not in page
