"""forum.services: floors, counters, permission and validation errors, atomicity."""

from __future__ import annotations

import datetime
import random

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from accounts.models import CreditLog, Notification, Profile
from forum import services
from forum.models import Board, Post, Tag, Thread
from forum.recount import recount_all
from forum.search.backends import TABLE as SEARCH_TABLE
from tests.factories import (
    fresh,
    make_board,
    make_category,
    make_moderator,
    make_replies,
    make_reply,
    make_staff,
    make_thread,
    make_user,
    opening_post,
)
from tests.people_helpers import people_defaults  # noqa: F401

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        "threads": Thread.objects.count(),
        "posts": Post.objects.count(),
        "tags": Tag.objects.count(),
        "thread_tags": Thread.tags.through.objects.count(),
    }


def counter_snapshot() -> dict:
    return {
        "boards": list(Board.objects.order_by("pk").values(
            "pk", "thread_count", "post_count", "today_post_count", "last_post_id")),
        "threads": list(Thread.objects.order_by("pk").values(
            "pk", "reply_count", "last_floor", "last_post_at", "last_poster_id")),
        "profiles": list(Profile.objects.order_by("pk").values(
            "pk", "post_count", "thread_count")),
        "tags": list(Tag.objects.order_by("pk").values("pk", "thread_count")),
    }


def nonzero(changes: dict[str, int]) -> dict[str, int]:
    return {key: n for key, n in changes.items() if n}


# --- floors ---------------------------------------------------------------------------

def test_floors_are_numbered_one_to_n(thread):
    make_replies(thread, 5)
    floors = list(Post.objects.filter(thread=thread).order_by("floor")
                  .values_list("floor", flat=True))
    assert floors == [1, 2, 3, 4, 5, 6]
    assert fresh(thread).last_floor == 6


def test_opening_post_is_floor_one_by_the_thread_author(thread, author):
    post = opening_post(thread)
    assert post.author == author
    assert post.is_opening


def test_deleted_reply_keeps_its_floor(thread, staff):
    first, second, third = make_replies(thread, 3)
    services.delete_post(post=second, actor=staff)
    assert fresh(second).floor == 3
    assert fresh(second).is_deleted
    assert [fresh(first).floor, fresh(third).floor] == [2, 4]


def test_reply_after_a_deletion_takes_the_next_floor_not_the_freed_one(thread, staff):
    *_, last = make_replies(thread, 3)
    services.delete_post(post=last, actor=staff)
    newer = make_reply(thread=thread)
    assert newer.floor == 5


def test_restored_reply_gets_its_old_floor_back(thread, staff):
    reply = make_reply(thread=thread)
    make_reply(thread=thread)
    services.delete_post(post=reply, actor=staff)
    services.restore_post(post=reply, actor=staff)
    reply = fresh(reply)
    assert (reply.floor, reply.is_deleted) == (2, False)


# --- counters -------------------------------------------------------------------------

def test_reply_moves_every_counter_it_touches(board, thread, author, member):
    before_board = fresh(board)
    post = make_reply(thread=thread, author=member)
    b, t = fresh(board), fresh(thread)
    assert (b.post_count, b.thread_count) == (before_board.post_count + 1, 1)
    assert b.last_post_id == post.pk
    assert b.posts_today == before_board.posts_today + 1
    assert (t.reply_count, t.last_floor, t.last_poster_id) == (1, 2, member.pk)
    assert t.last_post_at == post.created_at
    assert member.profile.__class__.objects.get(user=member).post_count == 1
    assert Profile.objects.get(user=author).post_count == 1  # the opening post


def test_new_thread_counts_for_board_author_and_tags(board, author):
    make_thread(board=board, author=author, tags=["公文", "纪要"])
    make_thread(board=board, author=author, tags=["公文"])
    b = fresh(board)
    assert (b.thread_count, b.post_count) == (2, 2)
    profile = Profile.objects.get(user=author)
    assert (profile.thread_count, profile.post_count) == (2, 2)
    assert dict(Tag.objects.values_list("name", "thread_count")) == {"公文": 2, "纪要": 1}


def test_tag_names_differing_in_case_are_one_tag(board):
    make_thread(board=board, tags=["PPT"])
    make_thread(board=board, tags=["ppt"])
    assert list(Tag.objects.values_list("name", "thread_count")) == [("PPT", 2)]


def test_tags_whose_names_slugify_alike_are_two_tags(board):
    make_thread(board=board, tags=["C++"])
    make_thread(board=board, tags=["C"])
    tags = Tag.objects.order_by("name")
    assert [t.name for t in tags] == ["C", "C++"]
    assert len({t.slug for t in tags}) == 2


def test_deleting_a_reply_takes_it_out_of_the_counters(board, thread, member, staff):
    keep = make_reply(thread=thread, author=member)
    gone = make_reply(thread=thread, author=member)
    services.delete_post(post=gone, actor=staff)
    t, b = fresh(thread), fresh(board)
    assert (t.reply_count, t.last_floor) == (1, 3)
    assert t.last_post_at == keep.created_at
    assert b.post_count == 2
    assert b.last_post_id == keep.pk
    assert Profile.objects.get(user=member).post_count == 1


def test_deleting_a_thread_takes_it_out_of_board_profile_and_tag_counters(board, author, staff):
    thread = make_thread(board=board, author=author, tags=["公文"])
    replier = make_user()
    make_reply(thread=thread, author=replier)
    services.delete_thread(thread=thread, actor=staff)
    b = fresh(board)
    assert (b.thread_count, b.post_count, b.last_post_id) == (0, 0, None)
    assert Profile.objects.get(user=author).thread_count == 0
    assert Profile.objects.get(user=replier).post_count == 0
    assert Tag.objects.get(name="公文").thread_count == 0
    assert nonzero(recount_all()) == {}


def test_moving_a_thread_moves_its_counts(board, thread, staff):
    make_replies(thread, 2)
    other = make_board()
    services.move_thread(thread=thread, actor=staff, board=other)
    assert (fresh(board).thread_count, fresh(board).post_count) == (0, 0)
    assert (fresh(other).thread_count, fresh(other).post_count) == (1, 3)
    assert nonzero(recount_all()) == {}


def test_recount_reports_a_counter_the_services_got_wrong(thread):
    """Guard for the random test below: the oracle does notice a wrong counter."""
    Thread.objects.filter(pk=thread.pk).update(reply_count=7)
    assert nonzero(recount_all()) == {"thread.reply_count": 1}


def test_moderator_deleting_a_reply_inside_a_deleted_thread_keeps_counters_exact(
        thread, staff):
    reply = make_reply(thread=thread)
    services.delete_thread(thread=thread, actor=staff)
    services.delete_post(post=reply, actor=staff)
    services.restore_thread(thread=thread, actor=staff)
    assert nonzero(recount_all()) == {}
    assert fresh(thread).reply_count == 0


class RandomForum:
    """Drives the services with a seeded random sequence of writes."""

    TAGS = ["公文", "纪要", "通知", "报告", "讲话稿", "python"]
    BODIES = [
        "正文", "**加粗** 与 [链接](https://example.com)", "公开 [hide]隐藏[/hide] 公开",
        "[hide=50]积分[/hide]", "> 引用\n\n- 一\n- 二", "多行\n文字\n" * 3,
    ]

    def __init__(self, seed: int, steps: int):
        self.rng = random.Random(seed)
        self.steps = steps
        category = make_category()
        self.boards = [make_board(category=category) for _ in range(3)]
        self.staff = make_staff()
        self.mods = {b.pk: make_moderator(b) for b in self.boards}
        self.members = [make_user() for _ in range(6)]
        # A clock that starts two days ago and crosses midnight (in Asia/Shanghai)
        # on its way to now, so "today's posts" sees posts of several days.
        self.now = timezone.now() - datetime.timedelta(days=2)
        self.tick = datetime.timedelta(days=2) / (steps + 1)

    # helpers -------------------------------------------------------------------------
    def clock(self):
        self.now += self.tick
        return self.now

    def pick(self, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        return queryset.model.objects.get(pk=self.rng.choice(ids)) if ids else None

    def moderator_of(self, board_id: int):
        return self.rng.choice([self.staff, self.mods[board_id]])

    def tags(self):
        return self.rng.sample(self.TAGS, self.rng.randint(0, 3))

    def body(self):
        return self.rng.choice(self.BODIES)

    # operations ------------------------------------------------------------------------
    def create_thread(self):
        services.create_thread(
            board=self.rng.choice(self.boards), author=self.rng.choice(self.members),
            title=f"主题{self.rng.randint(1, 10**6)}", body=self.body(), tags=self.tags(),
            created_at=self.clock(),
        )

    def create_reply(self):
        thread = self.pick(Thread.objects.all())
        if thread is None:
            return
        author = self.rng.choice([*self.members, self.mods[thread.board_id]])
        before = counter_snapshot()
        try:
            services.create_reply(thread=thread, author=author, body=self.body(),
                                  created_at=self.clock())
        except PermissionDenied:
            # Deleted thread, or a closed one for a non-moderator: nothing written.
            assert thread.is_deleted or thread.is_closed
            assert counter_snapshot() == before

    def edit_post(self):
        post = self.pick(Post.objects.all())
        if post is None:
            return
        editor = self.rng.choice([post.author, self.moderator_of(post.thread.board_id)])
        try:
            services.edit_post(
                post=post, editor=editor, body=self.body(),
                title=f"改{self.rng.randint(1, 999)}" if post.floor == 1 else None,
                tags=self.tags() if post.floor == 1 and self.rng.random() < 0.7 else None,
            )
        except PermissionDenied:
            assert editor == post.author and (post.is_deleted or post.thread.is_deleted)

    def delete_post(self):
        post = self.pick(Post.objects.filter(is_deleted=False))
        if post is not None:
            services.delete_post(post=post, actor=self.moderator_of(post.thread.board_id))

    def restore_post(self):
        post = self.pick(Post.objects.filter(is_deleted=True))
        if post is not None:
            services.restore_post(post=post, actor=self.moderator_of(post.thread.board_id))

    def delete_thread(self):
        thread = self.pick(Thread.objects.filter(is_deleted=False))
        if thread is not None:
            services.delete_thread(thread=thread, actor=self.moderator_of(thread.board_id))

    def restore_thread(self):
        thread = self.pick(Thread.objects.filter(is_deleted=True))
        if thread is not None:
            services.restore_thread(thread=thread, actor=self.moderator_of(thread.board_id))

    def move_thread(self):
        thread = self.pick(Thread.objects.all())
        if thread is not None:
            services.move_thread(thread=thread, actor=self.staff,
                                 board=self.rng.choice(self.boards))

    def close_or_open(self):
        thread = self.pick(Thread.objects.all())
        if thread is not None:
            services.set_thread_flags(thread=thread, actor=self.staff,
                                      is_closed=self.rng.random() < 0.5)

    WEIGHTS = {
        "create_thread": 12, "create_reply": 40, "edit_post": 10, "delete_post": 10,
        "restore_post": 6, "delete_thread": 4, "restore_thread": 4, "move_thread": 6,
        "close_or_open": 3,
    }

    def run(self, check_every: int = 50):
        names, weights = zip(*self.WEIGHTS.items(), strict=True)
        self.create_thread()
        for step in range(1, self.steps + 1):
            name = self.rng.choices(names, weights)[0]
            getattr(self, name)()
            if step % check_every == 0:
                assert nonzero(recount_all()) == {}, f"counters drifted by step {step}"


def assert_floors_are_contiguous() -> None:
    per_thread = (
        Post.objects.values("thread").order_by()
        .annotate(n=Count("*"), lo=Min("floor"), hi=Max("floor"))
    )
    for row in per_thread:
        assert (row["lo"], row["hi"]) == (1, row["n"]), f"thread {row['thread']}"
        assert Thread.objects.get(pk=row["thread"]).last_floor == row["n"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_recount_after_random_operations(seed):
    RandomForum(seed, steps=200).run()
    assert nonzero(recount_all()) == {}


def test_floors_stay_contiguous_and_unique_after_random_operations():
    RandomForum(7, steps=120).run(check_every=10**6)
    assert_floors_are_contiguous()


# --- permissions ----------------------------------------------------------------------

def test_closed_thread_refuses_a_members_reply(thread, member, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=thread, author=member, body="还能回复吗")


def test_closed_thread_refuses_the_authors_own_reply(thread, author, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=thread, author=author, body="我自己的主题")


def test_closed_thread_accepts_a_board_moderators_reply(thread, moderator, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    post = services.create_reply(thread=thread, author=moderator, body="版主回复")
    assert post.floor == 2


def test_closed_thread_accepts_a_staff_reply(thread, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    assert services.create_reply(thread=thread, author=staff, body="管理员回复").floor == 2


def test_moderator_of_another_board_cannot_reply_to_a_closed_thread(thread, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    elsewhere = make_moderator(make_board())
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=thread, author=elsewhere, body="别的版主")


def test_guest_cannot_reply(thread):
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=thread, author=AnonymousUser(), body="游客回复")


def test_guest_cannot_start_a_thread(board):
    with pytest.raises(PermissionDenied):
        services.create_thread(board=board, author=AnonymousUser(), title="游客", body="正文")


def test_inactive_user_cannot_reply(thread):
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=thread, author=make_user(active=False), body="停用")


def test_inactive_user_cannot_start_a_thread(board):
    with pytest.raises(PermissionDenied):
        services.create_thread(board=board, author=make_user(active=False),
                               title="停用", body="正文")


def test_nobody_replies_to_a_deleted_thread(thread, staff):
    services.delete_thread(thread=thread, actor=staff)
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=thread, author=staff, body="已删除")


def test_member_cannot_edit_someone_elses_post(thread, member):
    with pytest.raises(PermissionDenied):
        services.edit_post(post=opening_post(thread), editor=member, body="篡改")
    assert opening_post(thread).body == "会议纪要的第一段。"


def test_author_edits_own_post_and_the_edit_is_recorded(thread, author):
    post = services.edit_post(post=opening_post(thread), editor=author, body="改过的正文",
                              title="新标题")
    post = fresh(post)
    assert (post.body, post.edit_count, post.edited_by) == ("改过的正文", 1, author)
    assert "改过的正文" in post.html
    assert fresh(thread).title == "新标题"


def test_board_moderator_edits_someone_elses_post(thread, moderator):
    services.edit_post(post=opening_post(thread), editor=moderator, body="版主修改")
    assert opening_post(thread).body == "版主修改"


def test_member_cannot_delete_a_post(thread, member):
    reply = make_reply(thread=thread, author=member)
    with pytest.raises(PermissionDenied):
        services.delete_post(post=reply, actor=member)
    assert not fresh(reply).is_deleted


def test_moderator_of_another_board_cannot_delete_a_post(thread):
    reply = make_reply(thread=thread)
    with pytest.raises(PermissionDenied):
        services.delete_post(post=reply, actor=make_moderator(make_board()))


def test_deleting_the_opening_post_deletes_the_thread(thread, moderator):
    services.delete_post(post=opening_post(thread), actor=moderator)
    assert fresh(thread).is_deleted


def test_moving_needs_moderation_rights_on_the_target_board(thread, moderator):
    with pytest.raises(PermissionDenied):
        services.move_thread(thread=thread, actor=moderator, board=make_board())
    assert fresh(thread).board_id == thread.board_id


# --- validation and atomicity ---------------------------------------------------------

@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
def test_empty_title_is_a_validation_error(board, author, title):
    before = row_counts()
    with pytest.raises(ValidationError):
        services.create_thread(board=board, author=author, title=title, body="正文")
    assert row_counts() == before


def test_title_longer_than_the_limit_is_a_validation_error(board, author, settings):
    before = row_counts()
    with pytest.raises(ValidationError):
        services.create_thread(board=board, author=author,
                               title="长" * (settings.FORUM_TITLE_MAX_LENGTH + 1), body="正文")
    assert row_counts() == before


def test_title_at_the_limit_is_accepted(board, author, settings):
    title = "长" * settings.FORUM_TITLE_MAX_LENGTH
    assert make_thread(board=board, author=author, title=title).title == title


@pytest.mark.parametrize("body", ["", "   \n  ", "\x00"])
def test_empty_body_is_a_validation_error_for_a_thread(board, author, body):
    before = row_counts()
    with pytest.raises(ValidationError):
        services.create_thread(board=board, author=author, title="标题", body=body)
    assert row_counts() == before


def test_empty_reply_is_a_validation_error(thread, member):
    before = (row_counts(), counter_snapshot())
    with pytest.raises(ValidationError):
        services.create_reply(thread=thread, author=member, body="  ")
    assert (row_counts(), counter_snapshot()) == before


def test_too_long_body_is_a_validation_error(thread, member, settings):
    before = (row_counts(), counter_snapshot())
    with pytest.raises(ValidationError):
        services.create_reply(thread=thread, author=member,
                              body="字" * (settings.FORUM_BODY_MAX_LENGTH + 1))
    assert (row_counts(), counter_snapshot()) == before


def test_too_long_edit_leaves_the_post_as_it_was(thread, author, settings):
    post = opening_post(thread)
    with pytest.raises(ValidationError):
        services.edit_post(post=post, editor=author,
                           body="字" * (settings.FORUM_BODY_MAX_LENGTH + 1))
    post = opening_post(thread)
    assert (post.body, post.edit_count) == ("会议纪要的第一段。", 0)


def test_too_many_tags_is_a_validation_error(board, author, settings):
    before = row_counts()
    with pytest.raises(ValidationError):
        services.create_thread(board=board, author=author, title="标题", body="正文",
                               tags=[f"t{i}" for i in range(settings.FORUM_MAX_TAGS + 1)])
    assert row_counts() == before


def test_refused_reply_writes_nothing(thread, member, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    before = (row_counts(), counter_snapshot())
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=thread, author=member, body="关闭了")
    assert (row_counts(), counter_snapshot()) == before


def test_a_reply_through_an_out_of_date_copy_of_the_thread_sees_the_thread_as_it_is(
        thread, member, staff, people_defaults):  # noqa: F811
    """The caller's copy may be older than the thread: the reply is checked and written
    against the thread's row as it is when the reply locks it."""
    stale = Thread.objects.get(pk=thread.pk)
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    before = (row_counts(), counter_snapshot())
    with pytest.raises(PermissionDenied):
        services.create_reply(thread=stale, author=member, body="已经关了")
    assert (row_counts(), counter_snapshot()) == before

    closed = Thread.objects.get(pk=thread.pk)
    services.set_thread_flags(thread=thread, actor=staff, is_closed=False)
    post = services.create_reply(thread=closed, author=member, body="又开了")
    assert (post.floor, post.thread_id) == (2, thread.pk)
    assert (closed.last_floor, closed.reply_count) == (2, 1)

    old_title = Thread.objects.get(pk=thread.pk)
    Thread.objects.filter(pk=thread.pk).update(title="改过的标题")
    post = services.create_reply(thread=old_title, author=member, body="标题改了")
    assert post.floor == 3
    assert Notification.objects.get(post=post).data == {"title": "改过的标题"}
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_a_reply_moves_every_counter_it_touches(thread, author, member, people_defaults):  # noqa: F811
    """Floor, thread, board (today too), the author's posts and credit, the notified
    member's unread count, the notice and the search entry: one reply, each once."""
    other = make_user("other")
    before = Board.objects.get(pk=thread.board_id)
    post = services.create_reply(thread=thread, author=member,
                                 body=f"回复 @{other.username} 看看")
    post = Post.objects.get(pk=post.pk)
    thread = Thread.objects.get(pk=thread.pk)
    board = Board.objects.get(pk=thread.board_id)
    assert post.floor == 2 and post.author_id == member.pk and post.html
    assert (thread.last_floor, thread.reply_count, thread.last_post_at,
            thread.last_poster_id) == (2, 1, post.created_at, member.pk)
    assert (board.post_count, board.posts_today, board.last_post_id) == (
        before.post_count + 1, before.posts_today + 1, post.pk)
    assert timezone.localdate(post.created_at) == board.today_date
    assert Profile.objects.get(user=member).post_count == 1
    assert CreditLog.objects.get(user=member, action="reply").post_id == post.pk
    assert Profile.objects.get(user=member).credits == CreditLog.objects.filter(
        user=member).aggregate(s=Sum("amount"))["s"]
    assert sorted(Notification.objects.filter(post=post).values_list("recipient_id", "kind")) \
        == sorted([(author.pk, "reply"), (other.pk, "mention")])
    for user in (author, other):
        assert Profile.objects.get(user=user).unread_notification_count == 1
    assert search_count() == Post.objects.count()
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_failure_midway_through_create_thread_leaves_nothing_behind(board, author, monkeypatch):
    """The thread and its opening post are rolled back with the failed tag write."""
    def broken_set_tags(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "set_tags", broken_set_tags)
    before = (row_counts(), counter_snapshot())
    with pytest.raises(RuntimeError):
        services.create_thread(board=board, author=author, title="标题", body="正文",
                               tags=["公文"])
    assert (row_counts(), counter_snapshot()) == before


def search_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {SEARCH_TABLE}")  # noqa: S608 - a constant
        return cursor.fetchone()[0]


@pytest.mark.parametrize(("step", "engines"), [
    # Before PostgreSQL's one statement, which writes the search entry and notices.
    ((services.search_index, "reply_documents"), {"postgresql"}),
    ((services.people, "reply_notice_values"), {"postgresql"}),
    ((services.people, "reply_credit"), {"postgresql"}),  # after that statement
    ((services.search_index, "index_new_post"), {"sqlite"}),
    ((services.people, "reply_created"), {"sqlite"}),  # credit and notices
    ((services.page_cache, "bump_reply"), {"postgresql", "sqlite"}),  # the last step
])
def test_failure_midway_through_create_reply_leaves_nothing_behind(
        thread, member, author, monkeypatch, step, engines, people_defaults):  # noqa: F811
    if connection.vendor not in engines:
        pytest.skip(f"not a step of the {connection.vendor} reply path")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(*step, broken)
    author.email = "author@example.com"  # the reply notifies and mails the thread's author
    author.save()
    written = (Notification, CreditLog)

    def everything():
        return (row_counts(), counter_snapshot(), [m.objects.count() for m in written],
                search_count())

    before = everything()
    with pytest.raises(RuntimeError):
        services.create_reply(thread=thread, author=member, body="半截")
    assert everything() == before
