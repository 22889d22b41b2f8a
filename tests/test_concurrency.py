"""Many writers at once on PostgreSQL: floors stay 1..N and counters stay exact.

Each worker thread has its own database connection, so these tests need real
transactions (transaction=True) and a server that takes row locks. SQLite
serialises writers on its database lock instead; these tests are skipped there.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Profile
from forum import services
from forum.models import Board, Post, Thread
from forum.recount import recount_all
from tests.factories import make_board, make_thread, make_user

WORKERS = 8
PER_WORKER = 12

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"),
    pytest.mark.django_db(transaction=True),
]


def run_together(work, count: int = WORKERS) -> list[BaseException]:
    """Run work(i) in `count` threads released at the same moment; return their errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    return errors


@pytest.mark.parametrize("credit_rule", [True, False],
                         ids=["replies earn credits", "one-statement path"])
def test_simultaneous_replies_get_floors_without_gaps_or_duplicates(credit_rule):
    """Without a reply credit rule every writer takes the one-statement path that
    commits by itself (forum.services._create_reply_postgresql)."""
    from accounts import credits
    from accounts.models import CreditRule, Notification

    if not credit_rule:
        CreditRule.objects.filter(action="reply").delete()
        credits.forget_rules()
    board = make_board()
    opener = make_user()
    thread = make_thread(board=board, author=opener)
    repliers = [make_user() for _ in range(WORKERS)]

    def reply_many(i: int) -> None:
        own = Thread.objects.get(pk=thread.pk)
        for k in range(PER_WORKER):
            services.create_reply(thread=own, author=repliers[i], body=f"{i}-{k}")

    assert run_together(reply_many) == []

    total = WORKERS * PER_WORKER
    floors = list(Post.objects.filter(thread=thread).order_by("floor")
                  .values_list("floor", flat=True))
    assert floors == list(range(1, total + 2))
    thread = Thread.objects.get(pk=thread.pk)
    assert (thread.reply_count, thread.last_floor) == (total, total + 1)
    last = Post.objects.get(thread=thread, floor=total + 1)
    assert (thread.last_poster_id, thread.last_post_at) == (last.author_id, last.created_at)
    board = Board.objects.get(pk=board.pk)
    assert (board.post_count, board.thread_count, board.last_post_id) == (total + 1, 1, last.pk)
    assert board.posts_today == total + 1
    for user in repliers:
        assert Profile.objects.get(user=user).post_count == PER_WORKER
    assert Notification.objects.filter(thread=thread, recipient=opener).count() == total
    assert Profile.objects.get(user=opener).unread_notification_count == total
    assert {k: v for k, v in recount_all().items() if v} == {}
    assert Profile.objects.get(user=opener).post_count == 1
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_simultaneous_new_threads_keep_board_and_profile_counters_exact():
    board = make_board()
    authors = [make_user() for _ in range(WORKERS)]

    def post_threads(i: int) -> None:
        for k in range(PER_WORKER // 2):
            services.create_thread(board=board, author=authors[i], title=f"并发{i}-{k}",
                                   body="正文", tags=["并发"])

    assert run_together(post_threads) == []

    total = WORKERS * (PER_WORKER // 2)
    board = Board.objects.get(pk=board.pk)
    assert (board.thread_count, board.post_count) == (total, total)
    assert Thread.objects.get(tags__name="并发", pk=board.last_post.thread_id)
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_replies_racing_moderation_keep_counters_exact():
    """Replies, deletions and restores of the same thread's posts at the same time."""
    board = make_board()
    thread = make_thread(board=board)
    staff = make_user(staff=True)
    repliers = [make_user() for _ in range(WORKERS)]
    early = [services.create_reply(thread=thread, author=repliers[i], body="早")
             for i in range(WORKERS)]

    def work(i: int) -> None:
        own = Thread.objects.get(pk=thread.pk)
        for k in range(PER_WORKER // 2):
            if i % 2:
                services.create_reply(thread=own, author=repliers[i], body=f"{i}-{k}")
            else:
                post = Post.objects.get(pk=early[(i + k) % WORKERS].pk)
                if post.is_deleted:
                    services.restore_post(post=post, actor=staff)
                else:
                    services.delete_post(post=post, actor=staff)

    assert run_together(work) == []

    floors = list(Post.objects.filter(thread=thread).order_by("floor")
                  .values_list("floor", flat=True))
    assert floors == list(range(1, len(floors) + 1))
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_replies_to_the_threads_of_one_board_keep_its_last_post_the_newest():
    """Writers on different threads meet on their board's row: the posts are stamped
    in the order they take it, so the board's last post is the newest one (recount
    compares it with the newest by time)."""
    board = make_board()
    threads = [make_thread(board=board) for _ in range(4)]
    repliers = [make_user() for _ in range(WORKERS)]

    def reply_many(i: int) -> None:
        own = Thread.objects.get(pk=threads[i % len(threads)].pk)
        for k in range(PER_WORKER):
            services.create_reply(thread=own, author=repliers[i], body=f"{i}-{k}")

    assert run_together(reply_many) == []

    newest = Post.objects.filter(thread__board=board).order_by("-created_at", "-id").first()
    assert Board.objects.get(pk=board.pk).last_post_id == newest.pk
    for thread in threads:
        floors = list(Post.objects.filter(thread=thread).order_by("floor")
                      .values_list("floor", "created_at"))
        assert [f for f, _at in floors] == list(range(1, len(floors) + 1))
        times = [at for _f, at in floors]
        assert times == sorted(times)  # floor order is time order
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_a_reply_that_earns_no_credit_is_one_statement_committing_by_itself(settings):
    """Out of a transaction, with no credit due (here: the day's cycle is full), the
    reply is the one locking statement and nothing else until after its commit: the
    post, the counters, the notice and its mail, the search entry, the page cache."""
    from django.core import mail
    from django.test.utils import CaptureQueriesContext

    from accounts import credits
    from accounts.models import CreditLog, CreditRule, Notification
    from forum import page_cache
    from forum.search.backends import TABLE as SEARCH_TABLE

    credits.ensure_default_rules()
    CreditRule.objects.filter(action="reply", board=None).update(limit=1)
    credits.forget_rules()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    board = make_board()
    opener = make_user()
    opener.email = "opener@example.com"
    opener.save()
    thread = make_thread(board=board, author=opener)
    member = make_user()
    services.create_reply(thread=thread, author=member, body="第一条: 积分")
    services.create_reply(thread=thread, author=member, body="第二条: 满了")  # notes it
    mail.outbox.clear()
    bumped = []
    original = page_cache._bump_now
    page_cache._bump_now = lambda keys: bumped.extend(keys) or original(keys)
    try:
        with CaptureQueriesContext(connection) as queries:
            post = services.create_reply(thread=thread, author=member, body="第三条 搜索词")
    finally:
        page_cache._bump_now = original
    sqls = [q["sql"].lstrip() for q in queries.captured_queries]
    reply = next(i for i, sql in enumerate(sqls) if sql.startswith("WITH lt AS"))
    # Before it only reads (cached rules, the mention lookup): no transaction, no write;
    # after it the mail sender's own transaction and the page cache's board lookup.
    assert all(sql.upper().startswith("SELECT") for sql in sqls[:reply])
    assert post.floor == 4 and Post.objects.get(pk=post.pk).floor == 4
    notice = Notification.objects.get(post=post)
    assert (notice.recipient_id, notice.kind, notice.email_pending) == (opener.pk, "reply", False)
    assert [m.to for m in mail.outbox] == [["opener@example.com"]]
    assert Profile.objects.get(user=opener).unread_notification_count == 3
    assert CreditLog.objects.filter(user=member, action="reply").count() == 1
    assert f"pc:g:t:{thread.pk}" in bumped
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {SEARCH_TABLE} WHERE post_id = %s",  # noqa: S608
                       [post.pk])
        assert cursor.fetchone()[0] == 1
    assert {k: v for k, v in recount_all().items() if v} == {}
