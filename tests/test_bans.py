"""Bans: a banned member is refused every write and reads why; bans lift by themselves;
a site ban logs the member out."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services as people
from forum import services
from forum.models import Ban, ModerationLog, Report, Thread
from forum.moderation import bans, reports
from tests.factories import fresh, make_moderator, make_thread, make_user, opening_post

pytestmark = pytest.mark.django_db

REASON = "多次发布广告"


@pytest.fixture
def banned(db, staff):
    member = make_user("被禁言")
    bans.ban_member(user=member, actor=staff, reason=REASON,
                    expires_at=timezone.now() + datetime.timedelta(days=3))
    return fresh(member)


@pytest.fixture
def banned_client(client_for, banned):
    return client_for(banned)


def assert_says_why(response) -> None:
    page = response.content.decode()
    assert REASON in page, page[:3000]


# --- every write is refused, with the reason ---------------------------------------------

def test_new_thread_page_is_refused_with_the_reason(banned_client, board):
    response = banned_client.get(reverse("forum:new_thread", args=[board.slug]))
    assert response.status_code == 403
    assert_says_why(response)


def test_new_thread_post_is_refused_and_nothing_written(banned_client, board):
    response = banned_client.post(reverse("forum:new_thread", args=[board.slug]),
                                  {"title": "标题", "body": "正文", "tags": ""})
    assert response.status_code == 403
    assert_says_why(response)
    assert not Thread.objects.exists()


def test_reply_is_refused_and_the_text_kept(banned_client, thread):
    response = banned_client.post(reverse("forum:reply", args=[thread.pk]),
                                  {"body": "我还想说一句"})
    assert response.status_code == 403
    assert_says_why(response)
    assert "我还想说一句" in response.content.decode()
    assert fresh(thread).last_floor == 1


def test_thread_page_shows_the_reason_instead_of_the_reply_box(banned_client, thread):
    response = banned_client.get(thread.get_absolute_url())
    assert response.status_code == 200
    assert_says_why(response)
    assert 'id="reply-form"' not in response.content.decode()


def test_quote_is_refused_with_the_reason(banned_client, thread):
    assert_says_why(banned_client.get(reverse("forum:quote", args=[opening_post(thread).pk])))
    posted = banned_client.post(reverse("forum:quote", args=[opening_post(thread).pk]),
                                {"body": "引用"})
    assert posted.status_code == 403
    assert fresh(thread).last_floor == 1


def test_editing_own_post_is_refused(client_for, board, staff):
    member = make_user()
    own = make_thread(board=board, author=member, body="原文")
    bans.ban_member(user=member, actor=staff, reason=REASON)
    client = client_for(member)
    post = opening_post(own)
    assert client.get(reverse("forum:edit", args=[post.pk])).status_code == 403
    response = client.post(reverse("forum:edit", args=[post.pk]),
                           {"title": own.title, "body": "改成广告", "tags": ""})
    assert response.status_code == 403
    assert_says_why(response)
    assert fresh(post).body == "原文"


def test_report_is_refused(banned_client, thread):
    response = banned_client.post(reverse("forum:report", args=[opening_post(thread).pk]),
                                  {"reason": "spam"})
    assert response.status_code == 403
    assert_says_why(response)
    assert not Report.objects.exists()


def test_follow_is_refused(banned_client, banned, author):
    response = banned_client.post(reverse("accounts:follow", args=[author.get_username()]),
                                  follow=True)
    assert_says_why(response)
    assert not people.is_following(banned, author)
    with pytest.raises(PermissionDenied):
        people.follow(follower=banned, followee=author)


def test_services_refuse_a_banned_member_too(banned, board, thread):
    with pytest.raises(PermissionDenied, match=REASON):
        services.create_thread(board=board, author=banned, title="t", body="b")
    with pytest.raises(PermissionDenied, match=REASON):
        services.create_reply(thread=thread, author=banned, body="b")
    with pytest.raises(PermissionDenied, match=REASON):
        reports.report_post(post=opening_post(thread), reporter=banned, reason="spam")


def test_image_upload_is_refused(banned):
    from forum import attachments

    with pytest.raises(PermissionDenied):
        attachments.upload(uploader=banned, file=None)


# --- lifting -----------------------------------------------------------------------------

def test_a_ban_lifts_by_itself_when_it_expires(banned, thread):
    past = timezone.now() - datetime.timedelta(seconds=1)
    Ban.objects.filter(user=banned).update(expires_at=past)
    post = services.create_reply(thread=thread, author=fresh(banned), body="我回来了")
    assert post.floor == 2


def test_lifting_a_ban_is_logged_and_writes_work_again(banned, staff, thread):
    bans.lift_ban(ban=Ban.objects.get(user=banned), actor=staff, reason="已道歉")
    assert ModerationLog.objects.filter(action="lift_ban", reason="已道歉").exists()
    services.create_reply(thread=thread, author=fresh(banned), body="谢谢")


def test_permanent_ban_says_so(staff, client_for, thread):
    member = make_user()
    bans.ban_member(user=member, actor=staff, reason=REASON)
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert REASON in page and "until" not in page


def test_ban_is_logged_and_the_member_notified(staff, django_capture_on_commit_callbacks):
    member = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        bans.ban_member(user=member, actor=staff, reason=REASON)
    row = ModerationLog.objects.get(action="ban")
    assert row.target_user_id == member.pk and row.reason == REASON
    assert member.notifications.filter(data__action="ban").exists()


# --- who may ban whom --------------------------------------------------------------------

def test_board_moderator_may_ban_from_posting_only(board):
    moderator = make_moderator(board)
    member = make_user()
    bans.ban_member(user=member, actor=moderator, reason="刷屏", scope=Ban.Scope.POSTING)
    with pytest.raises(PermissionDenied):
        bans.ban_member(user=member, actor=moderator, reason="刷屏", scope=Ban.Scope.ACCESS)


def test_members_cannot_ban(member):
    with pytest.raises(PermissionDenied):
        bans.ban_member(user=make_user(), actor=member, reason="x")


@pytest.mark.parametrize("target", ["staff", "moderator", "self"])
def test_staff_moderators_and_oneself_cannot_be_banned(staff, board, target):
    victim = {"staff": lambda: make_user(staff=True),
              "moderator": lambda: make_moderator(board),
              "self": lambda: staff}[target]()
    with pytest.raises(ValidationError):
        bans.ban_member(user=victim, actor=staff, reason="x")


def test_a_ban_needs_a_reason_and_a_future_expiry(staff):
    member = make_user()
    with pytest.raises(ValidationError):
        bans.ban_member(user=member, actor=staff, reason="  ")
    with pytest.raises(ValidationError):
        bans.ban_member(user=member, actor=staff, reason="x",
                        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert not Ban.objects.exists()


# --- site bans ---------------------------------------------------------------------------

def test_site_ban_logs_the_member_out_and_says_why(client_for, staff, thread):
    member = make_user()
    client = client_for(member)
    assert client.get(thread.get_absolute_url()).status_code == 200
    bans.ban_member(user=member, actor=staff, reason=REASON, scope=Ban.Scope.ACCESS)
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 403
    assert_says_why(response)
    after = client.get(thread.get_absolute_url())
    assert after.status_code == 200 and not after.wsgi_request.user.is_authenticated


def test_site_banned_member_logging_in_again_is_logged_out(client, staff, thread):
    member = make_user("禁止访问", password="pw-123-abc")
    bans.ban_member(user=member, actor=staff, reason=REASON, scope=Ban.Scope.ACCESS)
    from django.core.cache import cache

    cache.clear()  # nothing about the ban is kept in the cache: the member's row says
    client.post(reverse("account_login"), {"login": "禁止访问", "password": "pw-123-abc"})
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 403
    assert_says_why(response)


def test_site_banned_staff_login_to_admin_is_refused(client, staff):
    # Staff cannot be banned through the service; a ban row made by hand still counts.
    member = make_user("后台", password="pw-123-abc", staff=True)
    Ban.objects.create(user=member, scope=Ban.Scope.ACCESS, reason=REASON)
    response = client.post("/admin/login/", {"username": "后台", "password": "pw-123-abc"})
    assert response.status_code == 200
    assert_says_why(response)


def test_a_site_ban_written_by_hand_logs_out_too(client_for, thread):
    """An imported or hand-made ban row, no service call: the next request sees it."""
    member = make_user()
    client = client_for(member)
    assert client.get(thread.get_absolute_url()).status_code == 200
    Ban.objects.create(user=member, scope=Ban.Scope.ACCESS, reason=REASON)
    assert client.get(thread.get_absolute_url()).status_code == 403


def test_a_member_without_a_ban_costs_no_ban_query(client_for, thread):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(make_user())
    client.get(thread.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        assert client.get(thread.get_absolute_url()).status_code == 200
    ban_table = Ban._meta.db_table
    # Only the member's own row asks (an EXISTS in it): no query of its own.
    assert not [q for q in queries.captured_queries
                if q["sql"].lstrip().startswith("SELECT") and f'FROM "{ban_table}"' in
                q["sql"].split(" WHERE ", 1)[0]]


def test_a_posting_ban_does_not_log_the_member_out(banned_client, thread):
    response = banned_client.get(thread.get_absolute_url())
    assert response.wsgi_request.user.is_authenticated
