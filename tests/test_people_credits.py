"""Credits: rules and cycles, the ledger (Profile.credits is its sum), reversals,
levels, and the board's 本版积分规则 table."""

from __future__ import annotations

import datetime
import random

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import credits, levels, services
from accounts.models import CreditAction, CreditLog, Level, Notification, Profile
from forum import services as forum
from forum.recount import recount_all
from tests.factories import (
    make_board,
    make_reply,
    make_staff,
    make_thread,
    make_user,
    opening_post,
)
from tests.people_helpers import balance, english, ledger_sum, people_defaults, set_rule  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]
A = CreditAction


def nonzero(changes):
    return {k: v for k, v in changes.items() if v}


# --- earning ------------------------------------------------------------------------------

def test_a_new_thread_and_a_reply_earn_their_rules(board, author, member):
    thread = make_thread(board=board, author=author)
    make_reply(thread=thread, author=member)
    assert balance(author) == 2 and balance(member) == 1
    entry = CreditLog.objects.get(user=member)
    assert (entry.action, entry.kind, entry.amount, entry.balance) == (A.REPLY, "award", 1, 1)
    assert entry.thread_id == thread.pk and entry.board_id == board.pk


def test_a_board_override_replaces_the_site_rule(board, author):
    set_rule(A.NEW_THREAD, amount=7, board=board)
    make_thread(board=board, author=author)
    make_thread(board=make_board(), author=author)
    assert balance(author) == 7 + 2


def test_a_daily_limit_stops_earning_until_the_next_day(board, author, member):
    set_rule(A.REPLY, amount=1, cycle="daily", limit=2)
    thread = make_thread(board=board, author=author)
    today = timezone.now().replace(hour=12) - datetime.timedelta(days=1)
    for minutes in (0, 10, 20):
        make_reply(thread=thread, author=member,
                   created_at=today + datetime.timedelta(minutes=minutes))
    assert balance(member) == 2
    make_reply(thread=thread, author=member, created_at=today + datetime.timedelta(days=1))
    assert balance(member) == 3


def test_live_replies_earn_to_the_daily_limit_and_write_the_ledger_as_they_go(
        board, author, member, django_capture_on_commit_callbacks):
    """Replies written now (PostgreSQL's one-statement path counts the cycle, writes the
    entry and the balance together): the limit holds, each entry carries its balance,
    and crossing a level boundary moves the level and tells the member."""
    set_rule(A.REPLY, amount=3, cycle="daily", limit=2)
    thread = make_thread(board=board, author=author)
    services.adjust_credits(user=member, amount=48, actor=None)  # Newcomer, 2 below 50
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            forum.create_reply(thread=thread, author=member, body=f"今天第 {i} 条")
    entries = list(CreditLog.objects.filter(user=member, action=A.REPLY).order_by("pk")
                   .values_list("amount", "balance", "kind"))
    assert entries == [(3, 51, "award"), (3, 54, "award")]
    profile = Profile.objects.get(user=member)
    assert profile.credits == 54 == ledger_sum(member)
    assert profile.level_id == levels.level_id_for(54)
    assert profile.level_id != levels.level_id_for(48)
    assert Notification.objects.filter(recipient=member, kind="level").count() == 1
    assert nonzero(recount_all()) == {}


def test_a_reply_rule_that_deducts_stops_at_the_floor(settings, board, author, member):
    settings.FORUM_CREDITS_FLOOR = 0
    set_rule(A.REPLY, amount=-5)
    thread = make_thread(board=board, author=author)
    services.adjust_credits(user=member, amount=7, actor=None)
    for i in range(3):
        forum.create_reply(thread=thread, author=member, body=f"扣分 {i}")
    assert list(CreditLog.objects.filter(user=member, action=A.REPLY).order_by("pk")
                .values_list("amount", "balance")) == [(-5, 2), (-2, 0)]
    assert balance(member) == 0 == ledger_sum(member)


def test_an_interval_cycle_counts_the_last_n_minutes(board, author, member):
    set_rule(A.REPLY, amount=5, cycle="interval", minutes=30, limit=1)
    thread = make_thread(board=board, author=author)
    start = timezone.now() - datetime.timedelta(hours=3)
    for minutes in (0, 10, 40):
        make_reply(thread=thread, author=member,
                   created_at=start + datetime.timedelta(minutes=minutes))
    assert balance(member) == 10


def test_a_once_rule_pays_once_ever(member):
    set_rule(A.DAILY_LOGIN, amount=3, cycle="once", limit=1)
    services.record_visit(user=member, daily=True)
    services.record_visit(user=member, daily=True)
    assert balance(member) == 3


def test_no_rule_means_no_credit_and_no_ledger_row(board, author):
    credits.forget_rules()
    from accounts.models import CreditRule

    CreditRule.objects.filter(action=A.NEW_THREAD).delete()
    credits.forget_rules()
    make_thread(board=board, author=author)
    assert balance(author) == 0 and not CreditLog.objects.filter(user=author).exists()


def test_deductions_stop_at_the_credit_floor(settings, board, author, staff):
    settings.FORUM_CREDITS_FLOOR = 0
    set_rule(A.POST_DELETED, amount=-50)
    thread = make_thread(board=board)
    reply = make_reply(thread=thread, author=author)
    forum.delete_post(post=reply, actor=staff)
    assert balance(author) == 0
    assert ledger_sum(author) == 0


def test_a_negative_floor_lets_credits_go_below_zero(settings, board, author, staff):
    settings.FORUM_CREDITS_FLOOR = -10
    set_rule(A.POST_DELETED, amount=-50)
    reply = make_reply(thread=make_thread(board=board), author=author)
    forum.delete_post(post=reply, actor=staff)
    assert balance(author) == -10


# --- undoing ----------------------------------------------------------------------------

def test_a_deleted_reply_loses_its_credit_and_a_penalty_is_written(settings, board, author,
                                                                    staff):
    settings.FORUM_CREDITS_FLOOR = -100
    reply = make_reply(thread=make_thread(board=board), author=author)
    forum.delete_post(post=reply, actor=staff, reason="灌水")
    rows = list(CreditLog.objects.filter(user=author).order_by("pk")
                .values_list("action", "kind", "amount"))
    assert rows == [(A.REPLY, "award", 1), (A.REPLY, "reversal", -1),
                    (A.POST_DELETED, "award", -3)]
    assert balance(author) == -3 == ledger_sum(author)


def test_restore_gives_back_exactly_what_was_taken(settings, board, author, staff):
    settings.FORUM_CREDITS_FLOOR = -100
    reply = make_reply(thread=make_thread(board=board), author=author)
    forum.delete_post(post=reply, actor=staff)
    assert balance(author) == 1 - 1 - 3
    forum.restore_post(post=reply, actor=staff)
    assert balance(author) == 1
    forum.delete_post(post=reply, actor=staff)
    forum.restore_post(post=reply, actor=staff)
    assert balance(author) == 1


def test_deleting_a_thread_takes_the_credits_of_all_its_live_posts(settings, board, staff):
    settings.FORUM_CREDITS_FLOOR = -100
    op, a, b = make_user(), make_user(), make_user()
    thread = make_thread(board=board, author=op)
    make_reply(thread=thread, author=a)
    gone = make_reply(thread=thread, author=b)
    forum.delete_post(post=gone, actor=staff)  # b already lost it and got a penalty
    forum.set_thread_flags(thread=thread, actor=staff, is_digest=True)
    assert (balance(op), balance(a), balance(b)) == (12, 1, -3)
    forum.delete_thread(thread=thread, actor=staff)
    assert (balance(op), balance(a), balance(b)) == (-3, 0, -3)
    forum.restore_thread(thread=thread, actor=staff)
    assert (balance(op), balance(a), balance(b)) == (12, 1, -3)


def test_removing_a_digest_reverses_its_credit(board, author, staff):
    thread = make_thread(board=board, author=author)
    forum.set_thread_flags(thread=thread, actor=staff, is_digest=True)
    assert balance(author) == 12
    forum.set_thread_flags(thread=thread, actor=staff, is_digest=True)  # no change
    assert balance(author) == 12
    forum.set_thread_flags(thread=thread, actor=staff, is_digest=False)
    assert balance(author) == 2
    forum.set_thread_flags(thread=thread, actor=staff, is_digest=True)
    assert balance(author) == 12
    assert CreditLog.objects.filter(user=author, action=A.DIGEST, kind="award").count() == 1


def test_a_moderator_deleting_their_own_post_is_not_penalised(board, moderator):
    reply = make_reply(thread=make_thread(board=board), author=moderator)
    forum.delete_post(post=reply, actor=moderator)
    assert not CreditLog.objects.filter(user=moderator, action=A.POST_DELETED).exists()


def test_staff_adjustments_are_ledger_entries(member):
    admin = make_user(superuser=True)
    services.adjust_credits(user=member, amount=40, actor=admin, note="活动奖励")
    entry = CreditLog.objects.get(user=member)
    assert (entry.action, entry.amount, entry.related_user_id, entry.note) == (
        A.ADJUST, 40, admin.pk, "活动奖励")
    assert balance(member) == 40


def test_a_board_moderator_may_not_adjust_credits(member, moderator):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.adjust_credits(user=member, amount=40, actor=moderator)
    assert balance(member) == 0


# --- the ledger is the truth --------------------------------------------------------------

class RandomPeople:
    """Random follows, posts, deletions, restorations and digests through the services."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.board = make_board()
        self.staff = make_staff()
        self.people = [make_user() for _ in range(5)]

    def step(self):
        rng, User = self.rng, get_user_model()  # noqa: N806
        a, b = rng.sample(self.people, 2)
        threads = list(forum.Thread.objects.all())
        choice = rng.random()
        if choice < 0.2 or not threads:
            make_thread(board=self.board, author=a)
        elif choice < 0.45:
            thread = rng.choice(threads)
            if not thread.is_deleted and not thread.is_closed:
                make_reply(thread=thread, author=a)
        elif choice < 0.55:
            services.follow(follower=User.objects.get(pk=a.pk), followee=b)
        elif choice < 0.62:
            services.unfollow(follower=a, followee=b)
        elif choice < 0.72:
            posts = list(forum.Post.objects.all())
            forum.delete_post(post=rng.choice(posts), actor=self.staff)
        elif choice < 0.82:
            posts = list(forum.Post.objects.filter(is_deleted=True))
            if posts:
                forum.restore_post(post=rng.choice(posts), actor=self.staff)
        elif choice < 0.9:
            thread = rng.choice(threads)
            forum.restore_thread(thread=thread, actor=self.staff)
        else:
            thread = rng.choice(threads)
            forum.set_thread_flags(thread=thread, actor=self.staff,
                                   is_digest=rng.random() < 0.6)


@pytest.mark.parametrize("seed", [1, 2])
def test_credits_equal_the_ledger_after_random_operations(seed, settings):
    settings.FORUM_CREDITS_FLOOR = -1000  # nothing clipped: every entry is the rule's
    world = RandomPeople(seed)
    for _ in range(120):
        world.step()
    for profile in Profile.objects.all():
        assert profile.credits == ledger_sum(profile.user)
    assert nonzero(recount_all()) == {}


def test_recount_rebuilds_credits_from_the_ledger(board, author):
    make_thread(board=board, author=author)
    veteran = Level.objects.order_by("-min_credits").first()
    Profile.objects.filter(user=author).update(credits=999, level=veteran)
    assert nonzero(recount_all()) == {"profile.credits": 1, "profile.level": 1}
    assert balance(author) == 2
    assert Profile.objects.get(user=author).level.name == "Newcomer"


# --- levels -----------------------------------------------------------------------------

def test_new_members_start_at_the_lowest_level(member):
    assert Profile.objects.get(user=member).level.name == "Newcomer"


def test_crossing_a_boundary_moves_the_member_and_tells_them(
        django_capture_on_commit_callbacks, member, staff):
    with django_capture_on_commit_callbacks(execute=True):
        services.adjust_credits(user=member, amount=60, actor=None)
    profile = Profile.objects.get(user=member)
    assert profile.level.name == "Registered member"
    note = Notification.objects.get(recipient=member)
    assert note.kind == "level" and note.data["promoted"] is True
    assert profile.unread_notification_count == 1


def test_changing_the_ranges_in_the_admin_moves_members(client_for, member, staff):
    services.adjust_credits(user=member, amount=60, actor=None)
    superuser = make_user(superuser=True)
    level = Level.objects.get(name="Registered member")
    client = client_for(superuser)
    response = client.post(f"/admin/accounts/level/{level.pk}/change/",
                           {"name": level.name, "min_credits": 100})
    assert response.status_code == 302
    assert Profile.objects.get(user=member).level.name == "Newcomer"


def test_level_of_a_balance_below_every_level_is_the_lowest():
    table = levels.all_levels()
    assert levels.level_id_for(-20, table) == table[0][1]
    assert levels.level_id_for(10_000, table) == table[-1][1]


def test_author_card_shows_the_level(client_for, board, author, staff):
    thread = make_thread(board=board, author=author)
    services.adjust_credits(user=author, amount=500, actor=None)
    page = english(client_for()).get(thread.get_absolute_url()).content.decode()
    assert '<div class="author-level">Senior member</div>' in page


# --- 本版积分规则 -------------------------------------------------------------------------

def test_board_page_lists_its_credit_rules_with_overrides(client_for, board):
    set_rule(A.REPLY, amount=4, cycle="daily", limit=10, board=board)
    page = english(client_for()).get(board.get_absolute_url()).content.decode()
    assert "Credit rules of this board" in page
    table = page[page.index('id="credit-rules"'):]
    assert "Reply" in table and "+4" in table and "Daily" in table
    assert "Post deleted by a moderator" in table and "-3" in table


def test_a_rule_for_a_board_action_only_may_name_a_board(board):
    from django.core.exceptions import ValidationError

    from accounts.models import CreditRule

    with pytest.raises(ValidationError):
        CreditRule(action=A.DAILY_LOGIN, board=board, amount=1).full_clean()
    with pytest.raises(ValidationError):
        CreditRule(action=A.REPLY, amount=1, cycle="interval", interval_minutes=0).full_clean()


def test_credit_history_is_for_the_member_and_staff_only(client_for, board, author, member):
    make_thread(board=board, author=author)
    url = f"/u/{author.username}/credits/"
    assert client_for(member).get(url).status_code == 403
    assert client_for().get(url).status_code == 403
    page = english(client_for(author)).get(url).content.decode()
    assert "New thread" in page and "+2" in page
    assert client_for(make_staff()).get(url).status_code == 403  # staff without the permission
    assert client_for(make_user(superuser=True)).get(url).status_code == 200


def test_opening_post_of_a_deleted_thread_restored_by_post_restores_credits(board, author, staff):
    thread = make_thread(board=board, author=author)
    forum.delete_post(post=opening_post(thread), actor=staff)
    assert balance(author) == 0
    forum.restore_post(post=opening_post(thread), actor=staff)
    assert balance(author) == 2
