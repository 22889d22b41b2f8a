"""The index, board and thread pages render with Jinja2 (forum/jinja_env.py) and must
look and behave exactly like the Django-template pages around them: the same chrome,
escaping, translations, CSRF rules and time formats."""

from __future__ import annotations

import datetime
import re

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format

from forum.templatetags.forum_tags import FORUM_DATE_FORMAT, FORUM_TIME_FORMAT, fdate, ftime
from tests.factories import make_reply, make_thread, make_user

pytestmark = pytest.mark.django_db

HOT_PAGES = ("index", "board", "thread")


def hot_urls(thread) -> dict[str, str]:
    return {"index": "/", "board": thread.board.get_absolute_url(),
            "thread": thread.get_absolute_url()}


def chrome(html: str) -> list[str]:
    """The parts base.html draws around a page, with what varies by request masked
    (the CSRF token and the page's own address in next= parameters), whitespace aside."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)
    html = re.sub(r'next=[^"&]*', "next=HERE", html)
    html = re.sub(r'name="next" value="[^"]*"', "NEXT", html)
    html = re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()  # whitespace aside
    head = html[html.index('<link rel="stylesheet"'):html.index("</head>")]
    top = html[html.index("<body>"):html.index('<main id="main"')]
    foot = html[html.index("</main>"):]
    return [head, top, foot]


@pytest.mark.parametrize("who", ["guest", "member", "staff"])
def test_jinja_chrome_is_the_django_chrome(client_for, thread, who):
    viewer = {"guest": None, "member": make_user("读者"), "staff": make_user(staff=True)}[who]
    client = client_for(viewer)
    django_page = client.get("/tags/")  # a Django-template page on templates/base.html
    assert django_page.status_code == 200
    expected = chrome(django_page.content.decode())
    for url in hot_urls(thread).values():
        page = client.get(url)
        assert page.status_code == 200
        assert chrome(page.content.decode()) == expected, url


def test_guest_hot_pages_hold_no_csrf_token(client, thread):
    """A token would set the CSRF cookie and make the page uncacheable (page cache)."""
    for url in hot_urls(thread).values():
        page = client.get(url)
        assert "csrfmiddlewaretoken" not in page.content.decode(), url
        assert settings.CSRF_COOKIE_NAME not in page.cookies, url


def test_member_forms_carry_a_working_csrf_token(thread, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    page = client.get(thread.get_absolute_url()).content.decode()
    token = re.search(r'id="reply-form"[^>]*>\s*<input type="hidden" '
                      r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    follow = re.search(r'<form method="post" action="([^"]+)" class="follow-form', page).group(1)
    answer = client.post(follow, {"csrfmiddlewaretoken": token, "action": "follow",
                                  "next": thread.get_absolute_url()})
    assert answer.status_code == 302
    assert member.following_links.filter(followee=thread.author).exists()


def test_hot_pages_escape_what_members_write(client, board):
    evil = '<script>alert("x")</script>'
    author = make_user("坏人<b>")
    thread = make_thread(board=board, author=author, title=evil, body="正文 " + evil)
    make_reply(thread=thread, author=author, body=evil)
    for url in hot_urls(thread).values():
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "坏人<b>" not in html, url
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in client.get(
        thread.get_absolute_url()).content.decode()


@pytest.mark.parametrize("language, words", [
    ("zh-hans", ["只看该作者", "回复", "发表于"]),
    ("en", ["Only this author", "Replies", "Posted on"]),
])
def test_thread_page_speaks_the_chosen_language(client, thread, language, words):
    make_reply(thread=thread)
    if language != settings.LANGUAGE_CODE:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = client.get(thread.get_absolute_url()).content.decode()
    assert f'<html lang="{language}"' in html
    for word in words:
        assert word in html


def test_plural_and_placeholder_translations_in_jinja(client_for, thread, member, settings):
    settings.FORUM_POSTS_PER_PAGE = 2
    for _ in range(3):
        make_reply(thread=thread)
    html = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert "/ 共 2 页" in html  # "{{ total }} pages", translated
    assert "0 关注 · 0 粉丝" in html  # the author card's counts sentence


@pytest.mark.parametrize("moment", [
    datetime.datetime(2012, 5, 3, 1, 2, 3, tzinfo=datetime.UTC),
    datetime.datetime(2024, 12, 31, 23, 59, 59, tzinfo=datetime.UTC),
    datetime.datetime(1999, 1, 1, 0, 0, 0, tzinfo=datetime.UTC),
])
def test_forum_time_formats_match_django_date_format(moment):
    local = timezone.localtime(moment)
    assert ftime(moment) == date_format(local, FORUM_TIME_FORMAT)
    assert fdate(moment) == date_format(local, FORUM_DATE_FORMAT)
    assert fdate(local.date()) == date_format(local.date(), FORUM_DATE_FORMAT)
    assert ftime(None) == fdate(None) == ""


def jinja_msgids() -> tuple[set[str], set[tuple[str, str]]]:
    """Every string templates/jinja2 translates, by Jinja2's own extractor."""
    from django.template import engines

    env = engines["jinja2"].env
    singles, plurals = set(), set()
    for path in (settings.BASE_DIR / "templates" / "jinja2").rglob("*.html"):
        for _line, _func, msg in env.extract_translations(path.read_text(encoding="utf-8")):
            if isinstance(msg, tuple) and msg[1] is not None:
                plurals.add(msg[:2])
            else:
                singles.add(msg[0] if isinstance(msg, tuple) else msg)
    return singles, plurals


def test_every_jinja_string_is_listed_for_makemessages_and_translated():
    from django.utils import translation

    from forum import jinja_messages

    singles, plurals = jinja_msgids()
    assert singles <= set(jinja_messages.MESSAGES)
    source = (settings.BASE_DIR / "forum" / "jinja_messages.py").read_text(encoding="utf-8")
    for singular, plural in plurals:
        assert f'ngettext_lazy("{singular}", "{plural}", 1)' in source
    with translation.override("zh-hans"):
        untranslated = sorted(m for m in singles if translation.gettext(m) == m)
        untranslated += [s for s, p in plurals if translation.ngettext(s, p, 2) == p]
    assert not untranslated


def test_memoised_urls_are_right_and_bounded(monkeypatch):
    from django.urls import reverse

    from forum import jinja_env

    monkeypatch.setattr(jinja_env, "_MEMO_MAX", 50)
    monkeypatch.setattr(jinja_env, "_urls", {})
    for pk in range(1, 200):
        assert jinja_env.url("forum:thread", pk) == reverse("forum:thread", args=[pk])
        assert len(jinja_env._urls) <= 50
    assert jinja_env.url("accounts:profile", "张 伟") == reverse("accounts:profile",
                                                                 args=["张 伟"])
    assert jinja_env.url("forum:index") == "/"
