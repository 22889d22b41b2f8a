"""Chinese by default whatever the browser says, English on request, Shanghai time."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from forum import floors
from tests.factories import make_replies, make_thread

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def text(response) -> str:
    return response.content.decode()


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', text(response)).group(1)


def switch_language(client, language: str, next_url: str = "/"):
    return client.post(reverse("set_language"), {"language": language, "next": next_url})


def test_default_page_is_chinese_even_for_an_english_browser(client, thread):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert html_lang(response) == "zh-hans"
    assert response["Content-Language"] == "zh-hans"
    assert "登录" in text(response)


def test_default_thread_page_speaks_chinese(client, thread):
    page = text(client.get(thread.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en"))
    assert "您需要登录后才可以回帖" in page
    assert "立即注册" in page
    assert "发表于" in page


def test_switching_to_english(client, thread):
    response = switch_language(client, "en", thread.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    page = client.get(thread.get_absolute_url())
    assert html_lang(page) == "en"
    assert "You need to log in before you can reply." in text(page)
    assert "您需要登录后才可以回帖" not in text(page)


def test_english_choice_sticks_across_pages(client, board):
    switch_language(client, "en")
    for path in ["/", board.get_absolute_url(), reverse("account_login")]:
        assert html_lang(client.get(path)) == "en", path


def test_switching_back_to_chinese(client, db):
    switch_language(client, "en")
    switch_language(client, "zh-hans")
    assert html_lang(client.get("/", HTTP_ACCEPT_LANGUAGE="en")) == "zh-hans"


def test_unknown_language_cookie_falls_back_to_chinese(client, db):
    client.cookies["django_language"] = "xx"
    assert html_lang(client.get("/")) == "zh-hans"


def test_language_switch_never_redirects_off_site(client, db):
    response = switch_language(client, "en", "https://evil.example/")
    assert not response["Location"].startswith(("http", "//"))


def test_floor_names_are_chinese(client, thread):
    make_replies(thread, 4)
    with translation.override("zh-hans"):
        assert [floors.floor_name(n) for n in range(1, 6)] == ["楼主", "沙发", "板凳", "地板", "5#"]
    page = text(client.get(thread.get_absolute_url()))
    for name in ["沙发", "板凳", "地板", "5#"]:
        assert name in page


def test_floor_names_in_english(client, thread):
    make_replies(thread, 1)
    switch_language(client, "en")
    assert "sofa" in text(client.get(thread.get_absolute_url())).lower()


def test_times_are_shown_in_shanghai_time_discuz_style(client, board, author):
    moment = datetime.datetime(2012, 5, 23, 5, 17, 16, tzinfo=UTC)
    thread = make_thread(board=board, author=author, title="老秘网的帖子", created_at=moment)
    page = text(client.get(thread.get_absolute_url()))
    assert "2012-5-23 13:17:16" in page


def test_times_near_midnight_utc_land_on_the_next_shanghai_day(client, board, author):
    moment = datetime.datetime(2012, 5, 22, 16, 30, 0, tzinfo=UTC)
    thread = make_thread(board=board, author=author, created_at=moment)
    assert "2012-5-23 00:30:00" in text(client.get(thread.get_absolute_url()))
    assert "2012-5-23" in text(client.get(board.get_absolute_url()))


def test_machine_readable_time_carries_the_offset(client, board, author):
    moment = datetime.datetime(2012, 5, 23, 5, 17, 16, tzinfo=UTC)
    thread = make_thread(board=board, author=author, created_at=moment)
    assert 'datetime="2012-05-23T13:17:16+08:00"' in text(client.get(thread.get_absolute_url()))


def test_service_messages_follow_the_language(client_for, thread, member, staff):
    from forum import services

    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    client = client_for(member)
    chinese = text(client.post(reverse("forum:reply", args=[thread.pk]), {"body": "x"}))
    switch_language(client, "en")
    english = text(client.post(reverse("forum:reply", args=[thread.pk]), {"body": "x"}))
    assert "This thread is closed; only moderators can reply." in english
    assert "This thread is closed; only moderators can reply." not in chinese
    assert "本主题已关闭，只有版主可以回复。" in chinese
