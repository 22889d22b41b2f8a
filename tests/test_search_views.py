"""/search/ and the header search box: results, filters, bad input, no leaks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import services
from tests.factories import make_board, make_reply, make_thread, make_user, opening_post

pytestmark = pytest.mark.django_db

URL = reverse("forum:search")
CANARY = "隐藏暗号QZ7"


def test_results_show_highlighted_title_snippet_and_link(client, board):
    thread = make_thread(board=board, title="公文写作要点", body="一篇好的公文要简洁")
    response = client.get(URL, {"q": "公文"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<mark>公文</mark>写作要点" in html
    assert "一篇好的<mark>公文</mark>要简洁" in html
    assert reverse("forum:post", args=[opening_post(thread).pk]) in html


def test_result_count_is_shown(client, thread):
    for i in range(3):
        make_reply(thread=thread, body=f"总结{i}")
    response = client.get(URL, {"q": "总结"})
    assert response.context["results"].count == 3


def test_first_visit_shows_the_form_without_errors(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["results"] is None
    assert not response.context["form"].errors


def test_empty_search_asks_for_words(client, db):
    response = client.get(URL, {"q": "   ", "scope": "all"})
    assert response.status_code == 200
    assert response.context["form"].has_error("q", "empty")


def test_punctuation_only_query_explains_and_keeps_the_text(client, db):
    response = client.get(URL, {"q": "？？！"})
    assert response.context["form"].has_error("q", "no_words")
    assert 'value="？？！"' in response.content.decode()


def test_too_long_query_is_refused_with_the_text_kept(client, db):
    q = "公" * 101
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    assert response.context["form"].has_error("q")
    assert q in response.content.decode()


def test_unknown_author_is_a_form_error(client, db):
    response = client.get(URL, {"q": "公文", "author": "nobody-here"})
    assert response.context["form"].has_error("author", "no_such_author")


def test_bad_dates_are_form_errors_not_500(client, db):
    response = client.get(URL, {"q": "公文", "date_from": "2024-13-45"})
    assert response.status_code == 200
    assert response.context["form"].has_error("date_from")


def test_reversed_dates_are_a_form_error(client, db):
    response = client.get(URL, {"q": "公文", "date_from": "2024-05-02", "date_to": "2024-05-01"})
    assert response.context["form"].has_error("date_to", "date_order")


def test_unknown_board_is_a_form_error(client, db):
    response = client.get(URL, {"q": "公文", "board": "no-such-board"})
    assert response.context["form"].has_error("board")


def test_garbage_page_number_shows_page_one(client, thread):
    make_reply(thread=thread, body="总结")
    response = client.get(URL, {"q": "总结", "page": "abc"})
    assert response.status_code == 200 and response.context["results"].page == 1


def test_board_filter_by_slug(client):
    one, two = make_board(), make_board()
    hit = make_thread(board=one, body="范文")
    make_thread(board=two, body="范文")
    response = client.get(URL, {"q": "范文", "board": one.slug})
    assert [h.post.pk for h in response.context["results"].hits] == [opening_post(hit).pk]


def test_author_filter_by_username(client, thread):
    who = make_user("写手")
    mine = make_reply(thread=thread, author=who, body="总结")
    make_reply(thread=thread, body="总结")
    response = client.get(URL, {"q": "总结", "author": "写手"})
    assert [h.post.pk for h in response.context["results"].hits] == [mine.pk]


def test_threads_only_scope(client, thread):
    make_reply(thread=thread, body="会议纪要的回复")
    response = client.get(URL, {"q": "会议纪要", "scope": "threads"})
    assert [h.post.floor for h in response.context["results"].hits] == [1]


@pytest.mark.parametrize("who", ["guest", "member", "replier", "author", "moderator", "staff"])
def test_hidden_text_is_absent_from_search_for_everyone(client_for, board, author, member,
                                                        moderator, staff, who):
    thread = make_thread(board=board, author=author, title="公开标题",
                         body=f"公开的总结\n\n[hide]{CANARY} 总结[/hide]")
    replier = make_user()
    make_reply(thread=thread, author=replier, body="谢谢")
    user = {"guest": None, "member": member, "replier": replier, "author": author,
            "moderator": moderator, "staff": staff}[who]
    client = client_for(user)
    for q in ("总结", "公开", "公开的总结"):
        response = client.get(URL, {"q": q})
        assert response.context["results"].count == 1
        assert CANARY not in response.content.decode()
    # Probing for the hidden words finds nothing (the query itself is echoed back).
    probe = client.get(URL, {"q": CANARY}).context["results"]
    assert probe.count == 0 and probe.hits == []


def test_deleted_thread_is_absent_from_results_and_counts(client, board, moderator):
    thread = make_thread(board=board, title="删除的秘书帖", body="秘书")
    services.delete_thread(thread=thread, actor=moderator)
    response = client.get(URL, {"q": "秘书"})
    assert response.context["results"].count == 0
    assert "删除的秘书帖" not in response.content.decode()


def test_search_box_is_in_the_header_of_every_page(client, thread):
    for url in ("/", thread.board.get_absolute_url(), thread.get_absolute_url()):
        html = client.get(url).content.decode()
        assert f'action="{URL}"' in html and 'name="q"' in html


def test_search_page_asks_crawlers_not_to_index_it(client, db):
    assert 'name="robots" content="noindex' in client.get(URL).content.decode()


def test_search_costs_the_same_queries_for_few_or_many_hits(client, thread):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(q):
        with CaptureQueriesContext(connection) as ctx:
            client.get(URL, {"q": q})
        return len(ctx.captured_queries)

    make_reply(thread=thread, body="稀有词")
    for i in range(30):
        make_reply(thread=thread, body=f"总结{i}")
    queries("warm")  # the page chrome's caches (navigation, site settings)
    # PostgreSQL: each index query also sets its planner flags (and resets them in a test).
    assert queries("总结") == queries("稀有词") <= 24
