"""A new post's notices are written with it; their emails are sent once, after the
commit, and what the commit path missed is sent by `manage.py send_notification_mail`.
Also the cost of a reply: a fixed number of queries, however long the thread."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import credits
from accounts import notifications as notices
from accounts.models import CreditLog, CreditRule, Notification, Profile
from forum import services as forum
from forum.models import Post
from tests import test_people_notifications
from tests.factories import make_board, make_thread, make_user
from tests.people_helpers import people_defaults  # noqa: F401

live = test_people_notifications.live  # the fixture: what on_commit scheduled runs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]


@pytest.fixture
def mailed_author(author):
    author.email = "author@example.com"
    author.save()
    return author


def test_the_mail_is_sent_once_after_the_commit(live, thread, mailed_author, member):
    live(forum.create_reply, thread=thread, author=member, body="第一条回复")
    assert [m.to for m in mail.outbox] == [["author@example.com"]]
    assert not Notification.objects.filter(email_pending=True).exists()
    assert notices.send_pending() == 0  # nothing left: a second sender sends nothing
    call_command("send_notification_mail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == 1


def test_a_rolled_back_reply_leaves_no_notice_and_sends_no_mail(
        django_capture_on_commit_callbacks, thread, mailed_author, member):
    with (django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError),
          transaction.atomic()):
        forum.create_reply(thread=thread, author=member, body="会回滚")
        raise RuntimeError("the request failed after the reply")
    assert not Notification.objects.exists()
    assert not Post.objects.filter(body="会回滚").exists()
    assert Profile.objects.get(user=mailed_author).unread_notification_count == 0
    assert mail.outbox == []


def test_refused_mail_stays_pending_and_the_command_sends_it_once(live, settings, thread,
                                                                  mailed_author, member):
    settings.EMAIL_BACKEND = "tests.test_people_notifications.BrokenBackend"
    live(forum.create_reply, thread=thread, author=member, body="邮件服务器拒收")
    n = Notification.objects.get(recipient=mailed_author)
    assert n.email_pending  # the reply went through; its mail waits
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("send_notification_mail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("send_notification_mail", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert [m.to for m in mail.outbox] == [["author@example.com"]]
    n.refresh_from_db()
    assert not n.email_pending


def test_an_opted_out_kind_is_settled_without_mail(live, thread, mailed_author, member):
    Profile.objects.filter(user=mailed_author).update(email_muted=["reply"])
    live(forum.create_reply, thread=thread, author=member, body="不要邮件")
    assert mail.outbox == []
    assert not Notification.objects.filter(email_pending=True).exists()


def test_muted_writes_leave_no_notice_and_no_pending_mail(live, thread, author, member):
    with notices.muted():
        live(forum.create_reply, thread=thread, author=member, body="静默导入")
    assert not Notification.objects.exists()


@pytest.mark.parametrize("replies", [1, 30])
def test_a_reply_costs_a_fixed_number_of_queries(django_assert_max_num_queries, thread,
                                                 author, member, replies):
    for i in range(replies):
        forum.create_reply(thread=thread, author=member, body=f"垫楼 {i}")
    # Before any lock: the mention (for its link and for the notice). SQLite: the
    # lock (thread and board in one statement), post, thread, board, profiles lock,
    # cycle limit, ledger, balance, notice, unread count, post count, search index
    # (deleting from its two index tables first): 19 with the test's savepoint pair
    # and the board slugs for the page cache. PostgreSQL: the post's id, search entry
    # and notice, then one statement locking and writing the rest, and the credit
    # (cycle limit, ledger, balance): 12.
    with django_assert_max_num_queries(20):
        forum.create_reply(thread=thread, author=member, body=f"@{author.username} 第 N 楼")


def test_a_full_credit_cycle_is_not_counted_again(thread, member):
    """The reply that finds the day full notes it; later replies read no ledger."""
    CreditRule.objects.filter(action="reply", board=None).update(limit=2)
    credits.forget_rules()
    for i in range(3):
        forum.create_reply(thread=thread, author=member, body=f"赚积分 {i}")
    assert CreditLog.objects.filter(user=member, action="reply").count() == 2
    with CaptureQueriesContext(connection) as queries:
        forum.create_reply(thread=thread, author=member, body="满了")
    assert not [q for q in queries.captured_queries if "accounts_creditlog" in q["sql"]]
    assert CreditLog.objects.filter(user=member, action="reply").count() == 2
    profile = Profile.objects.get(user=member)
    assert profile.credits == 2 and profile.post_count == 4


def test_a_new_limit_is_a_new_cycle(thread, member):
    """What is noted is "full at this limit": raising the limit pays again the same day."""
    CreditRule.objects.filter(action="reply", board=None).update(limit=1)
    credits.forget_rules()
    for i in range(2):
        forum.create_reply(thread=thread, author=member, body=f"赚积分 {i}")
    assert Profile.objects.get(user=member).credits == 1
    rule = CreditRule.objects.get(action="reply", board=None)
    rule.limit = 2
    rule.save()  # forgets the cached rules
    forum.create_reply(thread=thread, author=member, body="限额提高了")
    forum.create_reply(thread=thread, author=member, body="又满了")
    assert Profile.objects.get(user=member).credits == 2
    assert CreditLog.objects.filter(user=member, action="reply").count() == 2


def test_notices_follow_a_merged_thread_and_the_unread_count_stays_exact(board, author,
                                                                         member, staff):
    from forum.moderation import services as mod
    from forum.recount import recount_all

    source = make_thread(board=board, author=author, title="被合并")
    target = make_thread(board=board, author=member, title="保留")
    post = forum.create_reply(thread=source, author=member, body="回复会跟着走")
    mod.merge_threads(target=target, source=source, actor=staff)
    notice = Notification.objects.get(recipient=author, kind="reply")
    assert (notice.thread_id, notice.post_id) == (target.pk, post.pk)
    assert Profile.objects.get(user=author).unread_notification_count == 1
    assert recount_all()["profile.unread_notifications"] == 0


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_members_notifying_each_other_at_once_never_deadlock():
    """A replies in B's thread while B replies in A's, in different boards: each
    transaction locks both profiles, in id order, so they queue."""
    a, b = make_user("alice"), make_user("bob")
    thread_of = {a.pk: make_thread(board=make_board(), author=a),
                 b.pk: make_thread(board=make_board(), author=b)}
    pairs = [(a, thread_of[b.pk]), (b, thread_of[a.pk])] * 4
    barrier = threading.Barrier(len(pairs))
    errors = []

    def work(i):
        who, where = pairs[i]
        try:
            barrier.wait(timeout=30)
            for k in range(10):
                forum.create_reply(thread=where, author=who,
                                   body=f"@{a.username} @{b.username} {k}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(i,)) for i in range(len(pairs))]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors
    assert Profile.objects.get(user=a).unread_notification_count == 40
    assert Profile.objects.get(user=b).unread_notification_count == 40


@pytest.mark.django_db(transaction=True)
def test_the_background_sender_takes_the_notices_waiting_together(settings, monkeypatch):
    """Out of tests the mail goes to a background thread after the commit; ids that
    arrive while it gathers are sent in the same transaction, each exactly once."""
    credits.ensure_default_rules()
    settings.NOTIFICATION_EMAIL_SYNC = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The sender's thread is busy until the three replies have committed.
    busy = threading.Event()
    monkeypatch.setattr(notices, "_executor", ThreadPoolExecutor(max_workers=1))
    notices._executor.submit(busy.wait, 30)
    calls = []
    real_send = notices.send_pending
    monkeypatch.setattr(notices, "send_pending",
                        lambda **kw: calls.append(sorted(kw["ids"])) or real_send(**kw))
    author = make_user("mailed")
    author.email = "mailed@example.com"
    author.save()
    thread = make_thread(board=make_board(), author=author)
    members = [make_user(f"m{i}") for i in range(3)]
    for member in members:
        forum.create_reply(thread=thread, author=member, body=f"{member.username} 回复")
    assert calls == []
    busy.set()
    # When the sender is done, its thread's connection goes (the test database is
    # dropped at the end of the run).
    notices._executor.submit(lambda: connection.close()).result(timeout=30)
    notices._executor.shutdown()

    ids = sorted(Notification.objects.filter(recipient=author).values_list("pk", flat=True))
    assert len(ids) == 3 and calls == [ids]
    assert sorted(m.body.split("\n")[2] for m in mail.outbox) == sorted(
        f"> {m.username} 回复" for m in members)
    assert [m.to for m in mail.outbox] == [["mailed@example.com"]] * 3
    assert not Notification.objects.filter(email_pending=True).exists()
