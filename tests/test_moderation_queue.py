"""The approval queue: new members' posts in boards that ask for it wait for a
moderator; nothing is counted or numbered until approved."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forum.models import Board, ModerationLog, PendingPost, Post, Thread
from forum.moderation import approval
from forum.moderation import services as mod
from forum.recount import recount_all
from tests.factories import fresh, make_board, make_moderator, make_reply, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_board(board, abuse_limits):
    abuse_limits.FORUM_RATE_LIMITS = {}
    Board.objects.filter(pk=board.pk).update(new_member_approval=True)
    return fresh(board)


def test_new_members_reply_waits_and_is_not_counted(client_for, queued_board, thread):
    newbie = make_user()
    response = client_for(newbie).post(reverse("forum:reply", args=[thread.pk]),
                                       {"body": "新人第一帖"})
    assert response.status_code == 302 and response["Location"] == thread.get_absolute_url()
    pending = PendingPost.objects.get()
    assert (pending.thread_id, pending.body, pending.author_id) == (thread.pk, "新人第一帖",
                                                                    newbie.pk)
    assert fresh(thread).last_floor == 1
    assert "新人第一帖" not in client_for(None).get(thread.get_absolute_url()).content.decode()
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_new_members_thread_waits_with_a_message(client_for, queued_board):
    newbie = make_user()
    client = client_for(newbie)
    response = client.post(reverse("forum:new_thread", args=[queued_board.slug]),
                           {"title": "新人报到", "body": "大家好", "tags": "新人"},
                           follow=True)
    assert not Thread.objects.exists()
    assert PendingPost.objects.get().tags == ["新人"]
    assert "approve" in response.content.decode() or "审核" in response.content.decode()


def test_trusted_members_and_moderators_post_directly(client_for, queued_board, thread):
    moderator = make_moderator(queued_board)
    client_for(moderator).post(reverse("forum:reply", args=[thread.pk]), {"body": "版主回复"})
    assert fresh(thread).last_floor == 2
    assert not PendingPost.objects.exists()


def test_boards_without_the_queue_publish_new_members_at_once(client_for, thread, abuse_limits):
    abuse_limits.FORUM_RATE_LIMITS = {}
    client_for(make_user()).post(reverse("forum:reply", args=[thread.pk]), {"body": "直接发"})
    assert fresh(thread).last_floor == 2


def test_approval_posts_with_floors_and_counters_and_notifies(
        queued_board, thread, moderator, django_capture_on_commit_callbacks):
    newbie = make_user()
    pending = approval.queue_reply(thread=thread, author=newbie, body="等待审核")
    make_reply(thread=thread)  # someone else replies meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        post = approval.approve(pending=pending, actor=moderator, reason="欢迎")
    assert post.floor == 3 and post.body == "等待审核" and post.author_id == newbie.pk
    assert fresh(pending).status == PendingPost.Status.APPROVED
    assert ModerationLog.objects.get(action="approve").post_id == post.pk
    assert newbie.notifications.filter(data__action="approve").exists()
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_approving_a_new_thread_creates_it(queued_board, moderator):
    newbie = make_user()
    pending = approval.queue_thread(board=queued_board, author=newbie, title="待审主题",
                                    body="正文", tags=["标签"])
    thread = approval.approve(pending=pending, actor=moderator)
    assert thread.title == "待审主题" and list(thread.tags.values_list("name", flat=True)) == [
        "标签"]
    assert fresh(queued_board).thread_count == 1


def test_rejecting_keeps_the_text_and_tells_why(queued_board, thread, moderator,
                                                django_capture_on_commit_callbacks):
    newbie = make_user()
    pending = approval.queue_reply(thread=thread, author=newbie, body="广告内容")
    with django_capture_on_commit_callbacks(execute=True):
        approval.reject(pending=pending, actor=moderator, reason="广告")
    assert fresh(pending).status == PendingPost.Status.REJECTED
    assert fresh(pending).body == "广告内容"
    notice = newbie.notifications.get(data__action="reject")
    assert notice.data["reason"] == "广告"
    assert not Post.objects.filter(author=newbie).exists()


def test_approving_twice_is_refused(queued_board, thread, moderator):
    pending = approval.queue_reply(thread=thread, author=make_user(), body="一次")
    approval.approve(pending=pending, actor=moderator)
    with pytest.raises(ValidationError):
        approval.approve(pending=pending, actor=moderator)
    assert Post.objects.filter(body="一次").count() == 1


def test_moderator_of_another_board_cannot_approve(queued_board, thread):
    pending = approval.queue_reply(thread=thread, author=make_user(), body="x")
    with pytest.raises(PermissionDenied):
        approval.approve(pending=pending, actor=make_moderator(make_board()))


def test_approving_into_a_thread_closed_meanwhile_is_refused(queued_board, thread, moderator):
    author = make_user()
    pending = approval.queue_reply(thread=thread, author=author, body="晚了")
    mod.delete_thread(thread=thread, actor=moderator)
    with pytest.raises(PermissionDenied):
        approval.approve(pending=pending, actor=author)
    with pytest.raises(PermissionDenied):
        approval.approve(pending=pending, actor=moderator)
    assert fresh(pending).status == PendingPost.Status.PENDING


def test_toolbar_shows_the_waiting_count(client_for, queued_board, thread, moderator):
    approval.queue_reply(thread=thread, author=make_user(), body="等")
    page = client_for(moderator).get(thread.get_absolute_url()).content.decode()
    assert reverse("admin:forum_pendingpost_changelist") in page
