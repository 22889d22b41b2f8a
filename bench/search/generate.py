"""Fill an empty database with a forum of N posts for the search benchmark, then index it.

    DEBUG=1 SQLITE_PATH=/tmp/search-bench.sqlite3 .venv/bin/python manage.py migrate
    DEBUG=1 SQLITE_PATH=/tmp/search-bench.sqlite3 .venv/bin/python bench/search/generate.py

(or DATABASE_URL=postgres://… for PostgreSQL). Defaults: 1,000,000 posts in 100,000
threads, 10,000 members, 20 boards (one holding 30% of the threads), ten years of
history; post ids grow with time, as on a live forum. Rows are bulk-inserted (this
is a benchmark fixture, not a migration: the services are not used), then the
search index is built with the same code as `manage.py reindex --fresh`, timed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from corpus import Writer  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count, Max  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import escape  # noqa: E402

from forum import markup  # noqa: E402
from forum.markup import HideRule  # noqa: E402
from forum.models import Board, Category, Post, Thread  # noqa: E402
from forum.search import index  # noqa: E402

BATCH = 5000


def say(message: str) -> None:
    print(message, flush=True)


def plan(posts: int, threads: int, seed: int):
    """Which thread each post (in time order) belongs to: ids grow with time."""
    rng = random.Random(seed)
    owner = []  # thread index per post
    floors = []  # post count per thread so far
    opened = 0
    for i in range(posts):
        remaining_threads = threads - opened
        remaining_posts = posts - i
        if opened == 0 or rng.random() < remaining_threads / remaining_posts:
            owner.append(opened)
            floors.append(1)
            opened += 1
        else:
            # Replies go mostly to recent threads, sometimes to old ones.
            if rng.random() < 0.8:
                t = max(0, opened - 1 - int(rng.expovariate(1 / 50)))
            else:
                t = rng.randrange(opened)
            owner.append(t)
            floors[t] += 1
    return owner, floors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=0, help="default: posts / 10")
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--boards", type=int, default=20)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n_threads = args.threads or max(1, args.posts // 10)
    if Post.objects.exists():
        sys.exit("The database already has posts; the benchmark needs an empty forum.")

    started = time.monotonic()
    say(f"{connection.vendor}: {args.posts:,} posts, {n_threads:,} threads, "
        f"{args.members:,} members, {args.boards} boards")
    User = get_user_model()
    User.objects.bulk_create(
        [User(username=f"bench{i}", email=f"bench{i}@example.com",
              password="!")  # noqa: S106 - "!" is Django's unusable password
         for i in range(args.members)], batch_size=BATCH,
    )
    users = list(User.objects.filter(username__startswith="bench").values_list("pk", flat=True))
    category = Category.objects.create(name="基准测试")
    boards = [Board.objects.create(category=category, name=f"测试版块{i}", slug=f"bench-{i}",
                                   position=i) for i in range(args.boards)]

    owner, floors = plan(args.posts, n_threads, args.seed)
    rng = random.Random(args.seed + 2)
    writer = Writer(args.seed)
    end = timezone.now() - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=365 * args.years)
    step = (end - start) / args.posts
    times = [start + step * i for i in range(args.posts)]

    # Threads, in the order their first post appears.
    first_post, last_post = {}, {}
    for i, t in enumerate(owner):
        first_post.setdefault(t, i)
        last_post[t] = i
    thread_board = [boards[0] if rng.random() < 0.3 else rng.choice(boards[1:] or boards)
                    for _ in range(n_threads)]
    thread_author = [rng.choice(users) for _ in range(n_threads)]
    say("threads …")
    rows = []
    for t in range(n_threads):
        created, last = times[first_post[t]], times[last_post[t]]
        rows.append(Thread(
            board=thread_board[t], author_id=thread_author[t], title=writer.title(),
            created_at=created, last_post_at=last, last_poster_id=thread_author[t],
            reply_count=floors[t] - 1, last_floor=floors[t],
        ))
    thread_ids = []
    for i in range(0, len(rows), BATCH):
        with transaction.atomic():
            thread_ids += [t.pk for t in Thread.objects.bulk_create(rows[i:i + BATCH])]
    del rows

    say("posts …")
    marker = HideRule().marker
    next_floor = [0] * n_threads
    t0 = time.monotonic()
    batch = []
    for i, t in enumerate(owner):
        next_floor[t] += 1
        body, public = writer.post()
        has_hidden = body != public
        html_public = f"<p>{escape(public)}</p>" + (marker if has_hidden else "")
        author = thread_author[t] if next_floor[t] == 1 else rng.choice(users)
        batch.append(Post(
            thread_id=thread_ids[t], author_id=author, floor=next_floor[t], body=body,
            html=f"<p>{escape(body)}</p>", html_public=html_public, text_public=public,
            hidden_fragments=[f'<div class="hidden-content">{escape(body[len(public):])}</div>']
            if has_hidden else [],
            has_hidden=has_hidden, render_version=markup.RENDER_VERSION, created_at=times[i],
        ))
        if len(batch) == BATCH or i == len(owner) - 1:
            with transaction.atomic():
                Post.objects.bulk_create(batch)
            batch = []
            if (i + 1) % 100_000 == 0:
                rate = (i + 1) / (time.monotonic() - t0)
                say(f"  {i + 1:,} posts ({rate:,.0f}/s)")

    say("counters …")
    with transaction.atomic():
        for row in (Post.objects.values("thread__board_id")
                    .annotate(n=Count("id"), last=Max("id"))):
            Board.objects.filter(pk=row["thread__board_id"]).update(
                post_count=row["n"], last_post_id=row["last"],
                thread_count=Thread.objects.filter(board_id=row["thread__board_id"]).count(),
            )
    insert_time = time.monotonic() - started

    say("search index (manage.py reindex --fresh) …")
    t0 = time.monotonic()
    done = index.rebuild(fresh=True, batch_size=BATCH,
                         progress=lambda n: n % 100_000 == 0 and say(f"  {n:,} indexed"))
    index_time = time.monotonic() - t0
    say(f"Inserted in {insert_time:.0f} s; indexed {done:,} posts in {index_time:.0f} s "
        f"({done / index_time:,.0f} posts/s).")


if __name__ == "__main__":
    main()
