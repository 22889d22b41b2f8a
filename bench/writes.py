"""Concurrent writers replying to one thread through the service layer.

    DATABASE_URL=postgres://… .venv/bin/python bench/writes.py --writers 8 --seconds 30
    SQLITE_PATH=/tmp/bench.sqlite3 .venv/bin/python bench/writes.py --writers 4

Each writer is a process (not a thread: the GIL would serialise them) with its own
database connection, signed in as its own generated member, calling
forum.services.create_reply on the same new thread as fast as it can. Afterwards
the thread's floors must be 1..N without a gap or a duplicate and every counter the
replies touched must be exact (thread, board, each writer's profile, credits =
ledger). Prints a summary; `--json` prints it as one JSON line (bench/run.py reads
it). Run it against the generated database (bench/generate.py): it needs the
members bench1..bench<writers+1>.

Where the time goes is reported too: the load average when the run started (other
work on the machine moves the figure a lot), the CPU each reply cost in the writer
processes (their background e-mail thread included) and, when PostgreSQL runs on
this machine, in the server processes serving them.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()


def _backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL server process, if it runs here."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None  # a server on another machine


def writer(username: str, thread_id: int, start_at: float, deadline: float, queue) -> None:
    _setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from forum import services

    # Reply notifications are emailed when the transaction commits; delivery is the
    # mail server's speed, not the forum's, so it is left out of this measurement.
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    # Production runs DEBUG=0: with DEBUG=1 (which only spares the bench a SECRET_KEY)
    # Django logs every query with its parameters spelled out, ~10% of a writer's CPU.
    settings.DEBUG = False
    from forum.models import Thread

    author = get_user_model().objects.select_related("profile").get(username=username)
    thread = Thread.objects.get(pk=thread_id)
    ok, errors = 0, Counter()
    time.sleep(max(0.0, start_at - time.time()))
    cpu_start, server_start = time.process_time(), _backend_cpu_seconds()
    n = 0
    while time.time() < deadline:
        n += 1
        try:
            services.create_reply(thread=thread, author=author,
                                  body=f"{username} 第 {n} 次回复 reply {n}")
            ok += 1
        except Exception as error:  # noqa: BLE001 - every failure is counted and reported
            errors[f"{type(error).__name__}: {str(error)[:80]}"] += 1
    time.sleep(0.5)  # e-mail handed to the background thread at the last commits
    server_end = _backend_cpu_seconds()
    server = None if server_start is None or server_end is None else server_end - server_start
    queue.put((username, ok, dict(errors), time.process_time() - cpu_start, server))


def run(*, writers: int, seconds: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, connections
    from django.db.models import Count, Max, Min, Sum

    from accounts.models import CreditLog, Notification, Profile
    from forum import services
    from forum.models import Board, Post

    User = get_user_model()
    names = [f"bench{k + 2}" for k in range(writers)]
    starter = User.objects.get(username="bench1")
    board = Board.objects.exclude(slug="bench-big").order_by("pk").first()
    thread = services.create_thread(board=board, author=starter, title="并发写入测试 writes",
                                    body="concurrent writers start here")
    before_board = Board.objects.values("post_count", "thread_count").get(pk=board.pk)
    before_posts = dict(Profile.objects.filter(user__username__in=names)
                        .values_list("user__username", "post_count"))
    connections.close_all()

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 8  # time for every process to start Django
    deadline = start_at + seconds
    load_at_start = os.getloadavg()
    processes = [context.Process(target=writer, args=(name, thread.pk, start_at, deadline, queue))
                 for name in names]
    for p in processes:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in processes]
    for p in processes:
        p.join()

    ok = sum(r[1] for r in results)
    python_cpu = sum(r[3] for r in results)
    server_cpu = (None if any(r[4] is None for r in results)
                  else sum(r[4] for r in results))
    errors = Counter()
    for r in results:
        errors.update(r[2])
    floors = Post.objects.filter(thread=thread).aggregate(n=Count("id"), lo=Min("floor"),
                                                          hi=Max("floor"))
    thread.refresh_from_db()
    after_board = Board.objects.values("post_count", "thread_count").get(pk=board.pk)
    after_posts = dict(Profile.objects.filter(user__username__in=names)
                       .values_list("user__username", "post_count"))
    per_writer = {r[0]: r[1] for r in results}
    credits_exact = all(
        p.credits == (CreditLog.objects.filter(user_id=p.user_id)
                      .aggregate(s=Sum("amount"))["s"] or 0)
        for p in Profile.objects.filter(user__username__in=names))
    checks = {
        "floors contiguous": floors == {"n": ok + 1, "lo": 1, "hi": ok + 1},
        "thread counters": (thread.reply_count, thread.last_floor) == (ok, ok + 1),
        "board post count": after_board["post_count"] - before_board["post_count"] == ok,
        "profile post counts": all(after_posts[n] - before_posts[n] == per_writer[n]
                                   for n in names),
        "credits = ledger": credits_exact,
        # Each reply notifies the thread's author; the writers' background senders
        # have mailed every notice (the dummy backend) before they stopped.
        "notices mailed": (Notification.objects.filter(thread=thread).count() == ok
                           and not Notification.objects.filter(thread=thread,
                                                               email_pending=True).exists()),
    }
    return {
        "engine": connection.vendor, "writers": writers, "seconds": seconds, "replies": ok,
        "replies_per_s": round(ok / seconds, 1), "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(5)),
        "database_is_locked": sum(v for k, v in errors.items() if "database is locked" in k),
        "per_writer": per_writer, "checks": checks, "all_exact": all(checks.values()),
        "thread": thread.pk,
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "cpu_ms_per_reply": {
            "writers": round(1000 * python_cpu / max(ok, 1), 2),
            "server": None if server_cpu is None else round(1000 * server_cpu / max(ok, 1), 2),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _setup()
    summary = run(writers=args.writers, seconds=args.seconds)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        for key, value in summary.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
