"""Rate limits and posting guards at the request boundary, on a fake clock: they
trigger, say when to come back, keep the member's text, write nothing, and reset."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from forum.models import Post, Thread
from forum.moderation import ratelimit
from tests.factories import fresh, make_moderator, make_reply, make_user, opening_post

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(ratelimit, "clock", fake)
    return fake


@pytest.fixture
def limits(abuse_limits, clock):
    """The production limits, with the new-member rules out of the way."""
    abuse_limits.FORUM_NEW_MEMBER_POSTS = 0
    abuse_limits.FORUM_NEW_MEMBER_HOURS = 0
    return abuse_limits


# --- the limiter -------------------------------------------------------------------------

@pytest.mark.parametrize("text, amount, period", [
    ("5/m", 5, 60), ("10/h", 10, 3600), ("3/15m", 3, 900), ("1/d", 1, 86400), (" 2 / 30s ", 2, 30),
])
def test_rates_are_parsed(text, amount, period):
    assert ratelimit.Rate.parse(text) == ratelimit.Rate(amount, period)


@pytest.mark.parametrize("text", ["5", "five/m", "5/w", "5/m/ip", ""])
def test_bad_rates_are_a_configuration_error(text):
    with pytest.raises(ImproperlyConfigured):
        ratelimit.Rate.parse(text)


def test_limit_triggers_after_the_allowed_hits(settings, clock):
    settings.FORUM_RATE_LIMITS = {"post": "3/m"}
    for _ in range(3):
        ratelimit.hit("post", "7")
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit("post", "7")
    assert refused.value.retry_after == 60
    assert "60" in refused.value.messages[0]


def test_limit_resets_when_the_period_has_passed(settings, clock):
    settings.FORUM_RATE_LIMITS = {"post": "3/m"}
    for _ in range(3):
        ratelimit.hit("post", "7")
    clock.advance(59)
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit("post", "7")
    assert refused.value.retry_after == 1
    clock.advance(1)
    ratelimit.hit("post", "7")


def test_window_slides_one_hit_at_a_time(settings, clock):
    settings.FORUM_RATE_LIMITS = {"post": "2/m"}
    ratelimit.hit("post", "7")
    clock.advance(30)
    ratelimit.hit("post", "7")
    clock.advance(31)  # the first hit has aged out, the second has not
    ratelimit.hit("post", "7")
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.hit("post", "7")
    assert refused.value.retry_after == 29


def test_refused_hits_are_not_counted(settings, clock):
    settings.FORUM_RATE_LIMITS = {"post": "1/m"}
    ratelimit.hit("post", "7")
    for _ in range(5):
        with pytest.raises(ratelimit.RateLimited):
            ratelimit.hit("post", "7")
    clock.advance(60)
    ratelimit.hit("post", "7")


def test_limits_are_per_identity_and_per_name(settings, clock):
    settings.FORUM_RATE_LIMITS = {"post": "1/m", "thread": "1/m"}
    ratelimit.hit("post", "7")
    ratelimit.hit("post", "8")
    ratelimit.hit("thread", "7")


def test_check_records_nothing(settings, clock):
    settings.FORUM_RATE_LIMITS = {"post": "1/m"}
    for _ in range(3):
        ratelimit.check("post", "7")
    ratelimit.hit("post", "7")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.check("post", "7")


def test_an_empty_rate_switches_the_limit_off(settings, clock):
    settings.FORUM_RATE_LIMITS = {"post": ""}
    for _ in range(100):
        ratelimit.hit("post", "7")


# --- replies and threads through the views -----------------------------------------------

def test_reply_over_the_limit_keeps_the_text_and_writes_nothing(client_for, member, thread,
                                                                limits):
    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "post": "2/m"}
    client = client_for(member)
    url = reverse("forum:reply", args=[thread.pk])
    for n in range(2):
        assert client.post(url, {"body": f"第{n}条"}).status_code == 302
    response = client.post(url, {"body": "这一条写得很长，不能丢"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "这一条写得很长，不能丢" in page
    assert "form-errors" in page
    assert fresh(thread).last_floor == 3


def test_reply_is_accepted_again_after_the_wait(client_for, member, thread, limits, clock):
    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "post": "1/m"}
    client = client_for(member)
    url = reverse("forum:reply", args=[thread.pk])
    client.post(url, {"body": "一"})
    assert client.post(url, {"body": "二"}).status_code == 429
    clock.advance(60)
    assert client.post(url, {"body": "二"}).status_code == 302
    assert fresh(thread).last_floor == 3


def test_new_threads_per_hour(client_for, member, board, limits, clock):
    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "thread": "2/h"}
    client = client_for(member)
    url = reverse("forum:new_thread", args=[board.slug])
    for n in range(2):
        assert client.post(url, {"title": f"主题{n}", "body": f"正文{n}"}).status_code == 302
    response = client.post(url, {"title": "第三个主题", "body": "第三个正文"})
    assert response.status_code == 429
    assert "第三个主题" in response.content.decode() and "第三个正文" in response.content.decode()
    assert Thread.objects.count() == 2
    clock.advance(3600)
    assert client.post(url, {"title": "第三个主题", "body": "第三个正文"}).status_code == 302


def test_moderators_are_not_rate_limited_in_their_board(client_for, thread, limits):
    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "post": "1/m"}
    moderator = make_moderator(thread.board)
    client = client_for(moderator)
    for n in range(3):
        response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": f"通知{n}"})
        assert response.status_code == 302
    assert fresh(thread).last_floor == 4


def test_services_are_never_rate_limited(thread, limits, member):
    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "post": "1/m"}
    for _ in range(5):
        make_reply(thread=thread, author=member)
    assert fresh(thread).last_floor == 6


# --- duplicate posts ------------------------------------------------------------------------

def test_the_same_text_twice_within_a_minute_is_refused(client_for, member, thread, limits,
                                                       clock):
    client = client_for(member)
    url = reverse("forum:reply", args=[thread.pk])
    assert client.post(url, {"body": "顶一下"}).status_code == 302
    response = client.post(url, {"body": "  顶一下 "})
    assert response.status_code == 200
    assert "顶一下" in response.content.decode() and "form-errors" in response.content.decode()
    assert fresh(thread).last_floor == 2
    clock.advance(60)
    assert client.post(url, {"body": "顶一下"}).status_code == 302


def test_different_text_is_not_a_duplicate(client_for, member, thread, limits):
    client = client_for(member)
    url = reverse("forum:reply", args=[thread.pk])
    assert client.post(url, {"body": "第一句"}).status_code == 302
    assert client.post(url, {"body": "第二句"}).status_code == 302


def test_a_refused_post_does_not_count_as_a_duplicate(client_for, thread, limits, staff):
    from forum.moderation import services as mod

    member = make_user()
    client = client_for(member)
    mod.close_thread(thread=thread, actor=staff, closed=True)
    client.post(reverse("forum:reply", args=[thread.pk]), {"body": "关闭时写的"})
    mod.close_thread(thread=thread, actor=staff, closed=False)
    assert client.post(reverse("forum:reply", args=[thread.pk]),
                       {"body": "关闭时写的"}).status_code == 302


# --- new members: no links or images -------------------------------------------------------

@pytest.fixture
def new_member_rules(abuse_limits, clock):
    abuse_limits.FORUM_RATE_LIMITS = {}
    return abuse_limits


@pytest.mark.parametrize("body", [
    "看这里 https://spam.example/buy", "[便宜](http://spam.example)", "![图](https://x.example/a.png)",
    "访问 www.spam.example 有惊喜",
])
def test_new_member_cannot_post_links_or_images(client_for, thread, new_member_rules, body):
    newbie = make_user()
    response = client_for(newbie).post(reverse("forum:reply", args=[thread.pk]), {"body": body})
    assert response.status_code == 200
    page = response.content.decode()
    assert "form-errors" in page
    assert fresh(thread).last_floor == 1


def test_new_member_may_post_plain_text(client_for, thread, new_member_rules):
    newbie = make_user()
    response = client_for(newbie).post(reverse("forum:reply", args=[thread.pk]),
                                       {"body": "请教一个问题"})
    assert response.status_code == 302


def test_trusted_member_may_post_links(client_for, thread, new_member_rules):
    veteran = make_user()
    type(veteran).objects.filter(pk=veteran.pk).update(
        date_joined=veteran.date_joined.replace(year=2020))
    for _ in range(3):
        make_reply(thread=thread, author=veteran)
    response = client_for(fresh(veteran)).post(reverse("forum:reply", args=[thread.pk]),
                                               {"body": "参考 https://www.gov.cn/"})
    assert response.status_code == 302


def test_new_member_cannot_edit_links_into_a_post(client_for, thread, new_member_rules):
    newbie = make_user()
    post = make_reply(thread=thread, author=newbie, body="纯文字")
    response = client_for(newbie).post(reverse("forum:edit", args=[post.pk]),
                                       {"body": "改成 https://spam.example"})
    assert response.status_code == 200
    assert fresh(post).body == "纯文字"


def test_moderator_links_are_fine_even_when_new(client_for, thread, new_member_rules):
    moderator = make_moderator(thread.board)
    response = client_for(moderator).post(reverse("forum:reply", args=[thread.pk]),
                                          {"body": "规则见 https://example.com/rules"})
    assert response.status_code == 302


# --- reports -----------------------------------------------------------------------------

def test_reports_per_hour(client_for, board, limits):
    from tests.factories import make_thread

    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "report": "2/h"}
    reporter = make_user()
    client = client_for(reporter)
    posts = [opening_post(make_thread(board=board)) for _ in range(3)]
    for post in posts[:2]:
        assert client.post(reverse("forum:report", args=[post.pk]),
                           {"reason": "spam"}).status_code == 302
    response = client.post(reverse("forum:report", args=[posts[2].pk]),
                           {"reason": "other", "detail": "第三个举报"})
    assert response.status_code == 429
    assert "第三个举报" in response.content.decode()


# --- allauth's own limits: sign-ups and failed logins ------------------------------------

@pytest.fixture
def allauth_clock(monkeypatch):
    fake = FakeClock()
    shim = SimpleNamespace(time=fake, monotonic=time.monotonic, sleep=time.sleep)
    monkeypatch.setattr("allauth.core.internal.ratelimit.time", shim)
    return fake


def _signup(client, n: int):
    return client.post(reverse("account_signup"), {
        "username": f"newcomer{n}", "email": f"newcomer{n}@example.com",
        "password1": "a-long-pass-2024!", "password2": "a-long-pass-2024!",
    })


def test_signups_per_ip_are_limited_and_reset(client, settings, allauth_clock):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "2/h/ip"}
    for n in range(2):
        assert _signup(client, n).status_code == 302
        client.logout()
    refused = _signup(client, 2)
    assert refused.status_code == 429
    assert "forum/moderation/429.html" in [t.name for t in refused.templates]
    allauth_clock.advance(3600)
    assert _signup(client, 2).status_code == 302


def test_failed_logins_lock_the_name_for_a_while(client, settings, allauth_clock):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS,
                                    "login_failed": "10/m/ip,3/5m/key"}
    make_user("登录者", password="right-pass-123")
    url = reverse("account_login")
    for _ in range(3):
        assert client.post(url, {"login": "登录者", "password": "wrong"}).status_code == 200
    locked = client.post(url, {"login": "登录者", "password": "right-pass-123"})
    assert locked.status_code == 200 and "_auth_user_id" not in client.session
    assert "登录者" in locked.content.decode()  # the login name stays in the form
    allauth_clock.advance(300)
    assert client.post(url, {"login": "登录者", "password": "right-pass-123"}).status_code == 302


# --- the Django admin's login ----------------------------------------------------------------

def test_admin_login_failures_are_limited_and_reset(client, limits, clock):
    make_user("管理员", password="right-pass-123", superuser=True)
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "管理员", "password": "wrong"})
        assert response.status_code == 200
    locked = client.post("/admin/login/", {"username": "管理员", "password": "right-pass-123"})
    assert locked.status_code == 200 and "_auth_user_id" not in client.session
    assert "15" in locked.content.decode()  # "wait 15 minutes"
    clock.advance(15 * 60)
    ok = client.post("/admin/login/", {"username": "管理员", "password": "right-pass-123"})
    assert ok.status_code == 302


def test_admin_login_limit_per_ip_covers_many_names(client, limits, clock):
    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "admin_login_ip": "3/h"}
    make_user("管理员", password="right-pass-123", superuser=True)
    for n in range(3):
        client.post("/admin/login/", {"username": f"guess{n}", "password": "x"})
    locked = client.post("/admin/login/", {"username": "管理员", "password": "right-pass-123"})
    assert locked.status_code == 200 and "_auth_user_id" not in client.session


def test_admin_login_success_clears_the_names_failures(client, limits, clock):
    make_user("管理员", password="right-pass-123", superuser=True)
    for _ in range(4):
        client.post("/admin/login/", {"username": "管理员", "password": "wrong"})
    assert client.post("/admin/login/", {"username": "管理员",
                                         "password": "right-pass-123"}).status_code == 302
    client.logout()
    for _ in range(4):
        client.post("/admin/login/", {"username": "管理员", "password": "wrong"})
    assert client.post("/admin/login/", {"username": "管理员",
                                         "password": "right-pass-123"}).status_code == 302


def test_nothing_is_posted_while_limited(client_for, member, thread, limits):
    limits.FORUM_RATE_LIMITS = {**limits.FORUM_RATE_LIMITS, "post": "1/m"}
    client = client_for(member)
    client.post(reverse("forum:reply", args=[thread.pk]), {"body": "一"})
    before = Post.objects.count()
    for n in range(3):
        client.post(reverse("forum:reply", args=[thread.pk]), {"body": f"刷{n}"})
    assert Post.objects.count() == before
