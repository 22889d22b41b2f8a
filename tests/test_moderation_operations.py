"""Moderator operations (forum.moderation.services): each keeps every counter and floor
exact (`recount` changes nothing), writes its ModerationLog row, and tells the author."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import Notification, Profile
from forum.models import Board, ModerationLog, Post, Tag, Thread, ThreadRedirect
from forum.moderation import services as mod
from forum.recount import recount_all
from tests.factories import (
    fresh,
    make_board,
    make_moderator,
    make_reply,
    make_thread,
    make_user,
    opening_post,
)

pytestmark = pytest.mark.django_db


def assert_recount_changes_nothing() -> None:
    assert {k: v for k, v in recount_all().items() if v} == {}


def floors_of(thread) -> list[int]:
    return list(Post.objects.filter(thread=thread).order_by("floor")
                .values_list("floor", flat=True))


def last_log() -> ModerationLog:
    return ModerationLog.objects.order_by("-id").first()


def notices_for(user, action: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="moderation",
                                            data__action=action))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the after-commit notifications as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- flags -------------------------------------------------------------------------------

@pytest.mark.parametrize("level", [Thread.Sticky.BOARD, Thread.Sticky.CATEGORY])
def test_board_moderator_sticks_at_board_and_category_level(thread, moderator, level):
    mod.stick_thread(thread=thread, actor=moderator, level=level, reason="置顶说明")
    assert fresh(thread).sticky == level
    row = last_log()
    assert (row.action, row.thread_id, row.actor_id) == ("stick", thread.pk, moderator.pk)
    assert (row.before, row.after) == ({"sticky": 0}, {"sticky": int(level)})
    assert row.reason == "置顶说明"


def test_only_staff_stick_a_thread_everywhere(thread, moderator, staff):
    with pytest.raises(ValidationError):
        mod.stick_thread(thread=thread, actor=moderator, level=Thread.Sticky.GLOBAL)
    assert not ModerationLog.objects.exists()
    mod.stick_thread(thread=thread, actor=staff, level=Thread.Sticky.GLOBAL)
    assert fresh(thread).sticky == Thread.Sticky.GLOBAL


def test_global_sticky_thread_is_listed_in_every_board(client, thread, staff):
    mod.stick_thread(thread=thread, actor=staff, level=Thread.Sticky.GLOBAL)
    elsewhere = make_board()
    assert thread.title in client.get(elsewhere.get_absolute_url()).content.decode()


def test_stick_notifies_the_author_with_the_reason(thread, author, moderator, committed):
    with committed():
        mod.stick_thread(thread=thread, actor=moderator, level=1, reason="好文章")
    (notice,) = notices_for(author, "stick")
    assert notice.data["reason"] == "好文章"
    assert notice.thread_id == thread.pk


def test_unchanged_flag_writes_no_log_row(thread, moderator):
    assert mod.set_digest(thread=thread, actor=moderator, digest=False) is False
    assert not ModerationLog.objects.exists()


@pytest.mark.parametrize("operation, field, value, action, notice", [
    (lambda t, a: mod.set_digest(thread=t, actor=a, digest=True), "is_digest", True,
     "digest", "digest"),
    (lambda t, a: mod.close_thread(thread=t, actor=a, closed=True), "is_closed", True,
     "close", "close"),
    (lambda t, a: mod.highlight_thread(thread=t, actor=a, color="red"), "highlight", "red",
     "highlight", "highlight"),
])
def test_flag_operation_is_logged_and_notified(thread, author, moderator, committed,
                                               operation, field, value, action, notice):
    with committed():
        operation(thread, moderator)
    assert getattr(fresh(thread), field) == value
    assert last_log().action == action
    assert last_log().after == {field: value}
    assert notices_for(author, notice)
    assert_recount_changes_nothing()


def test_reopening_a_closed_thread_lets_members_reply(thread, moderator, member):
    mod.close_thread(thread=thread, actor=moderator, closed=True)
    with pytest.raises(PermissionDenied):
        make_reply(thread=fresh(thread), author=member)
    mod.close_thread(thread=thread, actor=moderator, closed=False)
    make_reply(thread=fresh(thread), author=member)
    assert [r.after for r in ModerationLog.objects.order_by("id")] == [
        {"is_closed": True}, {"is_closed": False}]


def test_unknown_highlight_colour_is_refused(thread, moderator):
    with pytest.raises(ValidationError):
        mod.highlight_thread(thread=thread, actor=moderator, color="<script>")


def test_moderator_of_another_board_may_not_touch_the_thread(thread):
    outsider = make_moderator(make_board())
    with pytest.raises(PermissionDenied):
        mod.set_digest(thread=thread, actor=outsider, digest=True)
    with pytest.raises(PermissionDenied):
        mod.delete_thread(thread=thread, actor=outsider)
    assert not fresh(thread).is_digest and not fresh(thread).is_deleted
    assert not ModerationLog.objects.exists()


# --- move ----------------------------------------------------------------------------------

def test_move_keeps_counters_and_logs_both_boards(thread, staff, committed, author):
    make_reply(thread=thread)
    old, target = thread.board, make_board()
    with committed():
        mod.move_thread(thread=thread, actor=staff, board=target, reason="归类")
    assert fresh(thread).board_id == target.pk
    assert (fresh(target).thread_count, fresh(target).post_count) == (1, 2)
    assert (fresh(old).thread_count, fresh(old).post_count) == (0, 0)
    row = last_log()
    assert row.action == "move" and row.before["board"] == old.pk
    assert row.after["board"] == target.pk
    assert notices_for(author, "move")
    assert_recount_changes_nothing()


def test_move_with_redirect_leaves_a_moved_notice_in_the_old_board(client, thread, staff):
    old = thread.board
    target = make_board(name="新版块")
    mod.move_thread(thread=thread, actor=staff, board=target, leave_redirect=True)
    page = client.get(old.get_absolute_url()).content.decode()
    assert "badge-moved" in page and thread.get_absolute_url() in page and "新版块" in page
    assert_recount_changes_nothing()


def test_move_without_redirect_leaves_no_notice(client, thread, staff):
    old = thread.board
    mod.move_thread(thread=thread, actor=staff, board=make_board(), leave_redirect=False)
    assert "badge-moved" not in client.get(old.get_absolute_url()).content.decode()


def test_moving_back_removes_the_stub_that_would_point_at_itself(thread, staff):
    old, target = thread.board, make_board()
    mod.move_thread(thread=thread, actor=staff, board=target, leave_redirect=True)
    mod.move_thread(thread=thread, actor=staff, board=old, leave_redirect=True)
    assert list(ThreadRedirect.objects.values_list("board_id", flat=True)) == [target.pk]


def test_board_moderator_cannot_move_into_a_board_they_do_not_moderate(thread, moderator):
    with pytest.raises(PermissionDenied):
        mod.move_thread(thread=thread, actor=moderator, board=make_board())
    assert fresh(thread).board_id == thread.board_id


# --- delete and restore -----------------------------------------------------------------

def test_delete_and_restore_thread_are_logged_and_counted(thread, moderator, author,
                                                          committed):
    make_reply(thread=thread)
    with committed():
        mod.delete_thread(thread=thread, actor=moderator, reason="违规")
    assert fresh(thread).is_deleted
    assert_recount_changes_nothing()
    with committed():
        mod.restore_thread(thread=thread, actor=moderator, reason="误删")
    assert not fresh(thread).is_deleted
    assert_recount_changes_nothing()
    actions = list(ModerationLog.objects.order_by("id").values_list("action", "reason"))
    assert actions == [("delete_thread", "违规"), ("restore_thread", "误删")]
    assert notices_for(author, "delete_thread")[0].data["reason"] == "违规"
    assert notices_for(author, "restore_thread")


def test_delete_and_restore_post_keep_its_floor(thread, moderator, committed):
    replier = make_user()
    first, second = make_reply(thread=thread, author=replier), make_reply(thread=thread)
    with committed():
        mod.delete_post(post=first, actor=moderator, reason="灌水")
    assert fresh(first).is_deleted and floors_of(thread) == [1, 2, 3]
    assert last_log().post_id == first.pk and last_log().reason == "灌水"
    assert notices_for(replier, "delete_post")
    assert_recount_changes_nothing()
    mod.restore_post(post=first, actor=moderator)
    assert not fresh(first).is_deleted and fresh(second).floor == 3
    assert last_log().action == "restore_post"
    assert_recount_changes_nothing()


def test_deleting_the_opening_post_deletes_the_thread_and_logs_that(thread, moderator):
    mod.delete_post(post=opening_post(thread), actor=moderator)
    assert fresh(thread).is_deleted
    assert last_log().action == "delete_thread"


# --- merge ---------------------------------------------------------------------------------

def _at(minutes: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=5) + datetime.timedelta(minutes=minutes)


@pytest.fixture
def two_threads(board):
    """Interleaved in time: A at 0, B at 5, A's reply at 10, B's reply at 15, A's at 20."""
    a_author, b_author = make_user("甲"), make_user("乙")
    a = make_thread(board=board, author=a_author, title="甲的主题", tags=["公文"],
                    created_at=_at(0))
    b = make_thread(board=make_board(), author=b_author, title="乙的主题", tags=["纪要"],
                    created_at=_at(5))
    a1 = make_reply(thread=a, body="A1", created_at=_at(10))
    b1 = make_reply(thread=b, body="B1", created_at=_at(15))
    a2 = make_reply(thread=a, body="A2", created_at=_at(20))
    return a, b, (a1, b1, a2)


def test_merge_renumbers_floors_in_time_order(two_threads, staff):
    a, b, (a1, b1, a2) = two_threads
    merged = mod.merge_threads(target=b, source=a, actor=staff, reason="重复")
    order = list(Post.objects.filter(thread=merged).order_by("floor")
                 .values_list("floor", "body"))
    assert [f for f, _b in order] == [1, 2, 3, 4, 5]
    assert [body for _f, body in order][2:] == ["A1", "B1", "A2"]
    # The earliest post (A's opening) is floor 1: the merged thread starts with it.
    assert fresh(merged).author.get_username() == "甲"
    assert fresh(merged).title == "乙的主题"


def test_merge_keeps_every_counter_exact(two_threads, staff):
    a, b, _replies = two_threads
    for t in (a, b):
        Thread.objects.filter(pk=t.pk).update(view_count=10)
    mod.delete_post(post=Post.objects.get(thread=a, body="A1"), actor=staff)
    mod.merge_threads(target=b, source=a, actor=staff)
    assert not Thread.objects.filter(pk=a.pk).exists()
    merged = fresh(b)
    assert (merged.last_floor, merged.reply_count, merged.view_count) == (5, 3, 20)
    assert set(merged.tags.values_list("name", flat=True)) == {"公文", "纪要"}
    assert Tag.objects.get(name="公文").thread_count == 1
    assert fresh(a.board).thread_count == 0 and fresh(a.board).post_count == 0
    assert Profile.objects.get(user__username="甲").thread_count == 1
    assert Profile.objects.get(user__username="乙").thread_count == 0
    assert_recount_changes_nothing()


def test_merged_thread_address_redirects_to_the_target(client, two_threads, staff):
    a, b, _replies = two_threads
    mod.merge_threads(target=b, source=a, actor=staff)
    response = client.get(f"/t/{a.pk}/?page=1")
    assert response.status_code == 301
    assert response["Location"] == f"/t/{b.pk}/?page=1"
    assert client.get(f"/t/{a.pk}/print/")["Location"] == f"/t/{b.pk}/print/"


def test_merge_is_logged_and_the_source_author_notified(two_threads, staff, committed):
    a, b, _replies = two_threads
    with committed():
        mod.merge_threads(target=b, source=a, actor=staff, reason="同一话题")
    row = last_log()
    assert (row.action, row.thread_id, row.reason) == ("merge", b.pk, "同一话题")
    assert row.before["source"] == a.pk and row.after["floors"] == 5
    (notice,) = notices_for(a.author, "merge_into")
    assert notice.thread_id == b.pk and notice.data["title"] == "甲的主题"


def test_merge_refuses_a_thread_into_itself_and_deleted_threads(thread, staff):
    with pytest.raises(ValidationError):
        mod.merge_threads(target=thread, source=thread, actor=staff)
    other = make_thread(board=thread.board)
    mod.delete_thread(thread=other, actor=staff)
    with pytest.raises(ValidationError):
        mod.merge_threads(target=thread, source=fresh(other), actor=staff)
    assert Thread.objects.filter(pk=other.pk).exists()


def test_board_moderator_cannot_merge_in_a_thread_from_another_board(two_threads):
    a, b, _replies = two_threads
    moderator = make_moderator(a.board)
    with pytest.raises(PermissionDenied):
        mod.merge_threads(target=a, source=b, actor=moderator)
    assert floors_of(a) == [1, 2, 3]


# --- split -----------------------------------------------------------------------------------

def test_split_moves_chosen_floors_to_a_new_thread_numbered_from_one(thread, moderator):
    replies = [make_reply(thread=thread, body=f"第{n}楼") for n in range(2, 7)]
    chosen = [replies[1], replies[3]]  # floors 3 and 5
    new = mod.split_thread(thread=thread, post_ids=[p.pk for p in chosen], actor=moderator,
                           title="拆出来的主题", reason="跑题")
    assert list(Post.objects.filter(thread=new).order_by("floor")
                .values_list("floor", "body")) == [(1, "第3楼"), (2, "第5楼")]
    assert fresh(new).author_id == chosen[0].author_id
    # The old thread closes the gaps: floors 1..4 with the remaining posts in order.
    assert list(Post.objects.filter(thread=thread).order_by("floor")
                .values_list("floor", "body")) == [
        (1, "会议纪要的第一段。"), (2, "第2楼"), (3, "第4楼"), (4, "第6楼")]
    assert (fresh(thread).last_floor, fresh(thread).reply_count) == (4, 3)
    assert (fresh(new).last_floor, fresh(new).reply_count) == (2, 1)
    assert fresh(thread.board).thread_count == 2
    assert_recount_changes_nothing()


def test_split_is_logged_and_moved_authors_notified(thread, moderator, committed):
    replier = make_user()
    post = make_reply(thread=thread, author=replier)
    with committed():
        new = mod.split_thread(thread=thread, post_ids=[post.pk], actor=moderator,
                               title="新主题", reason="另开一帖")
    row = last_log()
    assert (row.action, row.thread_id, row.reason) == ("split", thread.pk, "另开一帖")
    assert row.after["new_thread"] == new.pk and row.before["floors"] == [2]
    assert notices_for(replier, "split")


@pytest.mark.parametrize("which", ["opening", "deleted", "foreign", "none"])
def test_split_refuses_bad_selections_and_writes_nothing(thread, moderator, which):
    reply = make_reply(thread=thread)
    if which == "opening":
        ids = [opening_post(thread).pk, reply.pk]
    elif which == "deleted":
        mod.delete_post(post=reply, actor=moderator)
        ids = [reply.pk]
    elif which == "foreign":
        ids = [reply.pk, make_reply(thread=make_thread(board=thread.board)).pk]
    else:
        ids = []
    before = Thread.objects.count()
    with pytest.raises(ValidationError):
        mod.split_thread(thread=thread, post_ids=ids, actor=moderator, title="新主题")
    assert Thread.objects.count() == before
    assert floors_of(thread) == [1, 2]


def test_split_into_another_board_counts_there(thread, staff):
    other = make_board()
    reply = make_reply(thread=thread)
    new = mod.split_thread(thread=thread, post_ids=[reply.pk], actor=staff, title="移到别处",
                           board=other)
    assert new.board_id == other.pk
    assert (fresh(other).thread_count, fresh(other).post_count) == (1, 1)
    assert_recount_changes_nothing()


def test_a_sequence_of_operations_leaves_counters_exact(board, staff):
    """Move, merge, split, delete and restore in a row: recount still has nothing to do."""
    other = make_board()
    a = make_thread(board=board, tags=["甲"])
    b = make_thread(board=other, tags=["乙"])
    for _ in range(3):
        make_reply(thread=a)
        make_reply(thread=b)
    mod.move_thread(thread=a, actor=staff, board=other, leave_redirect=True)
    mod.merge_threads(target=b, source=fresh(a), actor=staff)
    replies = list(Post.objects.filter(thread=b, floor__gt=1).order_by("floor"))
    new = mod.split_thread(thread=fresh(b), post_ids=[p.pk for p in replies[:2]], actor=staff,
                           title="拆分", board=board)
    mod.delete_post(post=replies[3], actor=staff)
    mod.delete_thread(thread=new, actor=staff)
    mod.restore_thread(thread=fresh(new), actor=staff)
    assert Board.objects.get(pk=board.pk).thread_count == 1
    assert_recount_changes_nothing()
    assert ModerationLog.objects.count() == 6


def test_a_reply_to_a_merged_away_thread_lands_in_the_merged_thread(client_for, two_threads,
                                                                    staff, member):
    a, b, _replies = two_threads
    mod.merge_threads(target=b, source=a, actor=staff)
    response = client_for(member).post(f"/t/{a.pk}/reply/", {"body": "合并时正在写的回复"})
    assert response.status_code == 302
    assert Post.objects.get(body="合并时正在写的回复").thread_id == b.pk
