"""Bad input never gives a 500, never writes half a post, and never loses the user's text."""

from __future__ import annotations

import html
import re
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from forum import services
from forum.models import Post, Tag, Thread
from tests.factories import make_replies, make_user, opening_post

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"  # what a browser sends for a plain form


def text(response) -> str:
    return response.content.decode()


def rows() -> tuple[int, int, int]:
    return Thread.objects.count(), Post.objects.count(), Tag.objects.count()


def form_post(client, url, data):
    return client.post(url, urlencode(data), content_type=FORM)


def textarea(response, name: str = "body") -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', text(response), re.S)
    assert match, f"no <textarea name={name}> in the page"
    value = html.unescape(match.group(1))
    return value[1:] if value.startswith("\n") else value


def input_value(response, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', text(response))
    assert match, f"no <input name={name}> with a value in the page"
    return html.unescape(match.group(1))


def floors_on(response) -> list[int]:
    ids = [int(i) for i in re.findall(r'<article class="floor[^"]*" id="p(\d+)"', text(response))]
    by_id = dict(Post.objects.filter(pk__in=ids).values_list("pk", "floor"))
    return [by_id[i] for i in ids]


@pytest.fixture
def member_client(client_for, member):
    return client_for(member)


@pytest.fixture
def new_thread_url(board):
    return reverse("forum:new_thread", args=[board.slug])


# --- titles and bodies -------------------------------------------------------------------

def test_empty_title_is_a_form_error_and_keeps_the_body(member_client, new_thread_url):
    before = rows()
    response = form_post(member_client, new_thread_url,
                         {"title": "", "body": "写了很久的正文", "tags": "公文"})
    assert response.status_code == 200
    assert 'class="errorlist' in text(response)
    assert textarea(response) == "写了很久的正文"
    assert input_value(response, "tags") == "公文"
    assert rows() == before


def test_whitespace_title_is_a_form_error(member_client, new_thread_url):
    before = rows()
    response = form_post(member_client, new_thread_url, {"title": "   ", "body": "正文"})
    assert 'class="errorlist' in text(response)
    assert rows() == before


def test_300_character_title_is_a_form_error_and_keeps_the_text(member_client, new_thread_url):
    title = "标" * 300
    before = rows()
    response = form_post(member_client, new_thread_url, {"title": title, "body": "正文内容"})
    assert response.status_code == 200
    assert 'class="errorlist' in text(response)
    assert input_value(response, "title") == title
    assert textarea(response) == "正文内容"
    assert rows() == before


def test_1mb_body_of_a_new_thread_is_a_form_error_and_kept(member_client, new_thread_url):
    body = "word " * 200_000
    before = rows()
    response = form_post(member_client, new_thread_url, {"title": "长文", "body": body})
    assert response.status_code == 200
    assert 'class="errorlist' in text(response)
    assert textarea(response) == body
    assert rows() == before


def test_1mb_reply_is_a_form_error_and_kept(member_client, thread):
    body = "x" * (1024 * 1024)
    before = rows()
    response = form_post(member_client, reverse("forum:reply", args=[thread.pk]),
                         {"body": body, "token": "a1"})
    assert response.status_code == 200
    assert textarea(response) == body
    assert rows() == before


def test_1mb_of_chinese_text_is_a_form_error_and_kept(member_client, thread):
    """A megabyte of UTF-8 Chinese is ~3 MB once a browser URL-encodes it."""
    body = "汉" * (1024 * 1024 // 3)
    before = rows()
    response = form_post(member_client, reverse("forum:reply", args=[thread.pk]),
                         {"body": body, "token": "a2"})
    assert response.status_code == 200
    assert textarea(response) == body
    assert rows() == before


def test_empty_reply_is_a_form_error(member_client, thread):
    before = rows()
    response = form_post(member_client, reverse("forum:reply", args=[thread.pk]),
                         {"body": "   ", "token": "a3"})
    assert response.status_code == 200
    assert 'class="errorlist' in text(response)
    assert rows() == before


def test_too_many_tags_is_a_form_error(member_client, new_thread_url):
    before = rows()
    response = form_post(member_client, new_thread_url,
                         {"title": "标题", "body": "正文", "tags": "一 二 三 四 五 六"})
    assert 'class="errorlist' in text(response)
    assert textarea(response) == "正文"
    assert rows() == before


def test_failed_edit_keeps_the_new_text(client_for, thread, author):
    url = reverse("forum:edit", args=[opening_post(thread).pk])
    response = form_post(client_for(author), url, {"title": "", "body": "新写的正文"})
    assert response.status_code == 200
    assert textarea(response) == "新写的正文"
    assert opening_post(thread).body == "会议纪要的第一段。"


# --- page and id parameters ------------------------------------------------------------------

@pytest.mark.parametrize("page", ["abc", "-1", "0", "", "1.5", "%00", "9" * 5000])
def test_nonsense_thread_page_shows_the_first_page(client, thread, page, settings):
    settings.FORUM_POSTS_PER_PAGE = 5
    make_replies(thread, 6)
    response = client.get(thread.get_absolute_url(), {"page": page})
    assert response.status_code == 200
    assert floors_on(response) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("page", ["999999", "99999999999999999999999"])
def test_page_past_the_end_shows_the_last_page(client, thread, page, settings):
    settings.FORUM_POSTS_PER_PAGE = 5
    make_replies(thread, 6)
    response = client.get(thread.get_absolute_url(), {"page": page})
    assert response.status_code == 200
    assert floors_on(response) == [6, 7]


@pytest.mark.parametrize("query", [
    {"order": "desc", "page": "abc"}, {"order": "desc", "page": "999999"},
    {"order": "sideways"}, {"author": "abc"}, {"author": "-5"}, {"author": "999999"},
    {"author": "99999999999999999999999"}, {"author": "1", "page": "999999"},
    {"mode": "<script>"},
])
def test_odd_thread_parameters_never_fail(client, thread, query):
    make_replies(thread, 3)
    assert client.get(thread.get_absolute_url(), query).status_code == 200


@pytest.mark.parametrize("page", ["abc", "-1", "999999", "99999999999999999999999"])
def test_odd_board_pages_never_fail(client, board, thread, page):
    response = client.get(board.get_absolute_url(), {"page": page})
    assert response.status_code == 200
    assert thread.title in text(response)


@pytest.mark.parametrize("page", ["abc", "-1", "999999"])
def test_odd_print_pages_never_fail(client, thread, page):
    assert client.get(reverse("forum:print", args=[thread.pk]), {"page": page}).status_code == 200


@pytest.mark.parametrize("path", [
    "/t/999999/", "/t/999999/print/", "/t/999999/prev/", "/t/999999/next/",
    "/t/999999/reply/", "/p/999999/", "/p/999999/quote/", "/p/999999/edit/",
    "/t/99999999999999999999999/", "/p/99999999999999999999999/",
    "/b/no-such-board/", "/b/no-such-board/new/",
])
def test_unknown_ids_are_404(member_client, path, db):
    assert member_client.get(path).status_code == 404


def test_reply_post_to_an_unknown_thread_is_404(member_client, db):
    assert form_post(member_client, "/t/999999/reply/", {"body": "x"}).status_code == 404


# --- deleted and closed threads -------------------------------------------------------------

def test_reply_to_a_deleted_thread_is_404_and_keeps_the_text(member_client, thread, staff):
    services.delete_thread(thread=thread, actor=staff)
    before = rows()
    response = form_post(member_client, reverse("forum:reply", args=[thread.pk]),
                         {"body": "删帖前写好的回复", "token": "d1"})
    assert response.status_code == 404
    assert textarea(response) == "删帖前写好的回复"
    assert rows() == before


def test_reply_to_a_closed_thread_is_refused_with_a_reason(member_client, thread, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    before = rows()
    response = form_post(member_client, reverse("forum:reply", args=[thread.pk]),
                         {"body": "关帖前写好的回复", "token": "c1"})
    assert response.status_code == 403
    assert 'class="notice error"' in text(response) or 'class="errorlist' in text(response)
    assert textarea(response) == "关帖前写好的回复"
    assert rows() == before


def test_refused_reply_can_be_submitted_again_with_the_same_token(member_client, thread,
                                                                   staff):
    """A refusal must not burn the one-time token: after reopening, the same form works."""
    url = reverse("forum:reply", args=[thread.pk])
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    form_post(member_client, url, {"body": "再试一次", "token": "c2"})
    services.set_thread_flags(thread=thread, actor=staff, is_closed=False)
    response = form_post(member_client, url, {"body": "再试一次", "token": "c2"})
    assert response.status_code == 302
    assert Post.objects.filter(body="再试一次").count() == 1


# --- CSRF ------------------------------------------------------------------------------------

@pytest.fixture
def csrf_client(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    return client


def test_reply_without_csrf_token_keeps_the_text(csrf_client, thread):
    before = rows()
    response = form_post(csrf_client, reverse("forum:reply", args=[thread.pk]),
                         {"body": "写了一小时的回复"})
    assert response.status_code == 403
    assert textarea(response) == "写了一小时的回复"
    assert f'action="{reverse("forum:reply", args=[thread.pk])}"' in text(response)
    assert rows() == before


def test_new_thread_with_an_expired_csrf_token_keeps_title_and_body(csrf_client,
                                                                    new_thread_url):
    csrf_client.cookies["csrftoken"] = "a" * 32
    before = rows()
    response = form_post(csrf_client, new_thread_url, {
        "title": "过期的标题", "body": "过期的正文", "csrfmiddlewaretoken": "b" * 32,
    })
    assert response.status_code == 403
    assert input_value(response, "title") == "过期的标题"
    assert textarea(response) == "过期的正文"
    assert rows() == before


def test_text_kept_after_csrf_failure_can_be_submitted_again(csrf_client, thread):
    url = reverse("forum:reply", args=[thread.pk])
    failed = form_post(csrf_client, url, {"body": "第二次提交", "token": "f" * 32})
    fresh_token = input_value(failed, "csrfmiddlewaretoken")
    response = form_post(csrf_client, url, {
        "body": textarea(failed), "token": input_value(failed, "token"),
        "csrfmiddlewaretoken": fresh_token,
    })
    assert response.status_code == 302
    assert Post.objects.filter(thread=thread, body="第二次提交").count() == 1


def test_csrf_failure_page_escapes_the_kept_text(csrf_client, thread):
    response = form_post(csrf_client, reverse("forum:reply", args=[thread.pk]),
                         {"body": "</textarea><script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in text(response)
    assert textarea(response) == "</textarea><script>alert(1)</script>"


# --- double submit ----------------------------------------------------------------------------

def test_double_submitted_reply_creates_one_post(member_client, thread):
    url = reverse("forum:reply", args=[thread.pk])
    token = re.search(r'name="token" value="([0-9a-f]+)"',
                      text(member_client.get(thread.get_absolute_url()))).group(1)
    first = form_post(member_client, url, {"body": "只发一次", "token": token})
    second = form_post(member_client, url, {"body": "只发一次", "token": token})
    assert Post.objects.filter(thread=thread, body="只发一次").count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]


def test_double_submitted_new_thread_creates_one_thread(member_client, new_thread_url):
    token = input_value(member_client.get(new_thread_url), "token")
    data = {"title": "只发一次的主题", "body": "正文", "token": token}
    first = form_post(member_client, new_thread_url, data)
    second = form_post(member_client, new_thread_url, data)
    assert Thread.objects.filter(title="只发一次的主题").count() == 1
    assert second["Location"] == first["Location"]


def test_two_different_reply_forms_create_two_posts(member_client, thread):
    url = reverse("forum:reply", args=[thread.pk])
    form_post(member_client, url, {"body": "同样的话", "token": "1" * 32})
    form_post(member_client, url, {"body": "同样的话", "token": "2" * 32})
    assert Post.objects.filter(thread=thread, body="同样的话").count() == 2


def test_one_users_token_does_not_block_another_user(client_for, thread):
    url = reverse("forum:reply", args=[thread.pk])
    form_post(client_for(make_user()), url, {"body": "甲", "token": "same"})
    form_post(client_for(make_user()), url, {"body": "乙", "token": "same"})
    assert Post.objects.filter(thread=thread, floor__gt=1).count() == 2


# --- next= after login ------------------------------------------------------------------------

@pytest.fixture
def login_user(db):
    return make_user("loginuser", password="correct horse battery staple")


def log_in(client, next_url: str):
    return client.post(reverse("account_login"), {
        "login": "loginuser", "password": "correct horse battery staple", "next": next_url,
    })


def test_login_follows_a_local_next(client, login_user, thread):
    response = log_in(client, thread.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()


@pytest.mark.parametrize("next_url", [
    "//evil.example", "//evil.example/path", "/\\evil.example", "\\\\evil.example",
    "https:evil.example", "https://evil.example", "http://evil.example/",
    "https://testserver.evil.example/", "javascript:alert(1)", "///evil.example",
    " //evil.example", "/%2F%2Fevil.example", "\t//evil.example",
])
def test_login_never_redirects_off_site(client, login_user, next_url):
    response = log_in(client, next_url)
    assert response.status_code == 302
    location = response["Location"]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc) == ("", "")
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))
    # Where a browser would go (browsers read "\\" as "/" in URLs).
    landed = urljoin("http://testserver/accounts/login/", location.replace("\\", "/"))
    assert urlsplit(landed).netloc == "testserver"
