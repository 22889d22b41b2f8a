"""forum.permissions: who may moderate, see, reply, edit, and read hidden blocks."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from forum import permissions, services
from forum.context_processors import site_settings
from forum.models import Post, Thread
from tests.factories import (
    fresh,
    make_board,
    make_moderator,
    make_reply,
    make_staff,
    make_thread,
    make_user,
    opening_post,
)

pytestmark = pytest.mark.django_db

GUEST = AnonymousUser()


@pytest.fixture
def hidden_thread(board, author):
    return make_thread(board=board, author=author, title="内部资料",
                       body="公开 [hide]只给回复者[/hide] 结尾")


# --- moderation -------------------------------------------------------------------------

def test_board_moderator_moderates_their_board(board, moderator):
    assert permissions.can_moderate(moderator, board)


def test_board_moderator_does_not_moderate_other_boards(moderator):
    assert not permissions.can_moderate(moderator, make_board())


def test_staff_moderates_every_board(staff):
    assert permissions.can_moderate(staff, make_board())


def test_inactive_staff_moderates_nothing(board):
    assert not permissions.can_moderate(make_staff(active=False), board)


def test_member_and_guest_moderate_nothing(board, member):
    assert not permissions.can_moderate(member, board)
    assert not permissions.can_moderate(GUEST, board)


def test_ensure_can_moderate_raises_permission_denied(board, member):
    with pytest.raises(PermissionDenied):
        permissions.ensure_can_moderate(member, board)


# --- seeing threads ---------------------------------------------------------------------

def test_deleted_thread_is_a_404_for_members(thread, member, staff):
    services.delete_thread(thread=thread, actor=staff)
    with pytest.raises(Http404):
        permissions.ensure_can_see_thread(member, fresh(thread))


def test_deleted_thread_stays_visible_to_its_moderators(thread, moderator, staff):
    services.delete_thread(thread=thread, actor=staff)
    assert permissions.can_see_thread(moderator, fresh(thread))
    assert permissions.can_see_thread(staff, fresh(thread))


def test_visible_to_filters_deleted_threads_in_sql(board, thread, member, moderator, staff):
    gone = make_thread(board=board)
    services.delete_thread(thread=gone, actor=staff)
    assert list(Thread.objects.visible_to(GUEST)) == [thread]
    assert list(Thread.objects.visible_to(member)) == [thread]
    assert set(Thread.objects.visible_to(moderator)) == {thread, fresh(gone)}
    assert set(Thread.objects.visible_to(staff)) == {thread, fresh(gone)}


# --- replying and editing ----------------------------------------------------------------

def test_reply_refusal_explains_each_case(thread, member, staff):
    assert permissions.reply_refusal(member, thread) is None
    assert permissions.reply_refusal(GUEST, thread)
    assert permissions.reply_refusal(make_user(active=False), thread)
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    closed = fresh(thread)
    assert permissions.reply_refusal(member, closed)
    assert permissions.reply_refusal(staff, closed) is None


def test_author_may_edit_own_post_but_not_others(thread, author, member):
    reply = make_reply(thread=thread, author=member)
    assert permissions.can_edit_post(author, opening_post(thread))
    assert not permissions.can_edit_post(author, reply)
    assert not permissions.can_edit_post(GUEST, reply)


def test_author_may_not_edit_own_deleted_post(thread, member, staff):
    reply = make_reply(thread=thread, author=member)
    services.delete_post(post=reply, actor=staff)
    assert not permissions.can_edit_post(member, fresh(reply))


def test_moderator_may_edit_any_post_on_their_board(thread, moderator):
    assert permissions.can_edit_post(moderator, opening_post(thread))
    assert not permissions.can_edit_post(moderator, opening_post(make_thread()))


def test_only_moderators_may_delete_posts(thread, author, moderator):
    post = opening_post(thread)
    assert not permissions.can_delete_post(author, post)
    assert permissions.can_delete_post(moderator, post)


# --- hidden content ----------------------------------------------------------------------

def test_guest_cannot_see_hidden(hidden_thread):
    assert not permissions.can_see_hidden(GUEST, opening_post(hidden_thread))


def test_member_who_has_not_replied_cannot_see_hidden(hidden_thread, member):
    assert not permissions.can_see_hidden(member, opening_post(hidden_thread))


def test_member_who_replied_can_see_hidden(hidden_thread, member):
    make_reply(thread=hidden_thread, author=member)
    assert permissions.can_see_hidden(member, opening_post(hidden_thread))


def test_reply_in_another_thread_does_not_count(hidden_thread, board, member):
    make_reply(thread=make_thread(board=board), author=member)
    assert not permissions.can_see_hidden(member, opening_post(hidden_thread))


def test_deleted_reply_hides_content_again(hidden_thread, member, staff):
    reply = make_reply(thread=hidden_thread, author=member)
    services.delete_post(post=reply, actor=staff)
    assert not permissions.can_see_hidden(member, opening_post(hidden_thread))


def test_author_always_sees_own_hidden_content(hidden_thread, author):
    assert permissions.can_see_hidden(author, opening_post(hidden_thread))


def test_board_moderator_and_staff_see_hidden_content(hidden_thread, moderator, staff):
    post = opening_post(hidden_thread)
    assert permissions.can_see_hidden(moderator, post)
    assert permissions.can_see_hidden(staff, post)


def test_moderator_of_another_board_does_not_see_hidden_content(hidden_thread):
    other = make_moderator(make_board())
    assert not permissions.can_see_hidden(other, opening_post(hidden_thread))


def test_credit_hide_needs_enough_credits(board, author):
    thread = make_thread(board=board, author=author, body="[hide=50]高级资料[/hide]")
    post = opening_post(thread)
    poor, rich = make_user(credits=49), make_user(credits=50)
    make_reply(thread=thread, author=poor)  # replying is not enough for [hide=N]
    assert not permissions.can_see_hidden(poor, post)
    assert permissions.can_see_hidden(rich, post)


def test_day_limited_hide_opens_to_everyone_after_the_days(board, author):
    old = timezone.now() - datetime.timedelta(days=4)
    thread = make_thread(board=board, author=author, body="[hide=d3]过期[/hide]", created_at=old)
    fresh_thread = make_thread(board=board, author=author, body="[hide=d3]未过期[/hide]")
    assert permissions.can_see_hidden(GUEST, opening_post(thread))
    assert not permissions.can_see_hidden(GUEST, opening_post(fresh_thread))


def test_post_without_hidden_blocks_is_visible_to_all(thread):
    assert permissions.can_see_hidden(GUEST, opening_post(thread))


def test_hidden_access_costs_at_most_one_query_per_page(hidden_thread, member,
                                                        django_assert_max_num_queries):
    posts = list(Post.objects.filter(thread=hidden_thread))
    member = type(member).objects.select_related("profile").get(pk=member.pk)
    site_settings()  # cached for every page by the context processor
    with django_assert_max_num_queries(2):  # has-replied, plus moderated boards
        access = permissions.HiddenAccess(member, hidden_thread)
        for post in posts:
            access.sees_all(post)
