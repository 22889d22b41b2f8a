"""Fill an empty, migrated database with a Discuz!-sized forum, fast and consistent.

`generate(posts=1_000_000)` writes, by default: 1,000,000 posts, 10,000 members, a
big board of 100,000 threads, 9 small boards of 1,000 threads each, one megathread
of 100,000 floors (in the big board; every 50th floor by its author, for
只看该作者), tags, follows and a credit ledger. Everything else scales with
`posts` (see `Sizes`).

Rows are written in bulk (COPY on PostgreSQL, executemany on SQLite) with explicit
ids, in time order, so post ids grow with time as on a live forum. The services are
not used (too slow for a million rows), so this module computes every counter the
services keep (boards, threads, tags, profiles, follows, credits, levels) from its
own plan; `manage.py recount` must change nothing afterwards, and
tests/test_bench_generator.py checks that. Post bodies are rendered through
forum.markup (a few hundred distinct bodies rendered once and reused), so the public
HTML, the public text and the hidden fragments are what the services would store.
The search index is built with forum.search's own rebuild.
"""

from __future__ import annotations

import datetime
import json
import random
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from accounts import levels
from accounts.models import CreditAction, CreditLog, Follow, Profile
from forum import markup
from forum.models import Board, Category, Post, Tag, Thread
from forum.search import index as search_index

from .search.corpus import Writer

# Every generated member can sign in with this password (the load runner does).
PASSWORD = "bench-password-1"  # noqa: S105 - a benchmark fixture, never a real account
MEMBER_PREFIX = "bench"
BIG_BOARD_SLUG = "bench-big"
MEGATHREAD_AUTHOR_EVERY = 50  # the megathread's author writes every 50th floor
POOL_SIZE = 400  # distinct rendered bodies
BATCH = 20_000

ENGLISH_BODIES = [
    "Does anyone have a **template** for the annual work report? Ours must follow "
    "GB/T 9704-2012 and I keep getting the margins wrong in Word.",
    "Tip: in Excel, `Ctrl+Shift+L` toggles filters. It saves me an hour a week when "
    "I clean up the meeting minutes spreadsheet.",
    "I wrote the speech draft in English first and translated it; the leader said the "
    "structure was clearer than usual.\n\n- opening\n- three points\n- a short close",
    "Thanks for sharing! The PDF link works for me, see https://example.com/guide.pdf",
]


@dataclass(frozen=True)
class Sizes:
    posts: int
    members: int
    big_threads: int  # threads of the big board, the megathread included
    small_boards: int
    small_threads: int  # threads per small board
    mega_floors: int
    tags: int = 30

    @property
    def threads(self) -> int:
        return self.big_threads + self.small_boards * self.small_threads

    @classmethod
    def for_posts(cls, posts: int) -> Sizes:
        posts = max(posts, 200)
        return cls(
            posts=posts, members=max(20, posts // 100), big_threads=max(10, posts // 10),
            small_boards=9, small_threads=max(1, posts // 1000),
            mega_floors=max(30, posts // 10),
        )


@dataclass
class Report:
    sizes: Sizes
    stages: list[tuple[str, int, float]] = field(default_factory=list)
    member_username: str = ""
    megathread_id: int = 1
    big_board_slug: str = BIG_BOARD_SLUG

    @property
    def seconds(self) -> float:
        return sum(s for _n, _r, s in self.stages)


# --- bulk writing --------------------------------------------------------------------


class Rows:
    """Row tuples for one model's table: every concrete column, defaults filled in.

    `row(values)` takes the values of `columns` (already prepared for the database,
    see `prep`) and returns the full row, so a field added to the model later gets
    its default instead of breaking the generator.
    """

    def __init__(self, model: type[models.Model], columns: Iterable[str]):
        fields = model._meta.concrete_fields
        self.model = model
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.by_name = {f.attname: f for f in fields} | {f.name: f for f in fields}
        self.template = [
            None if f.primary_key else self.prep(f.attname, f.get_default()) for f in fields
        ]
        where = {f.column: i for i, f in enumerate(fields)}
        self.slots = [where[self.by_name[name].column] for name in columns]

    def prep(self, name: str, value):
        f = self.by_name[name]
        if isinstance(f, models.JSONField):
            return json.dumps(value, ensure_ascii=False)
        if value is None:
            return None
        return f.get_db_prep_save(value, connection)

    def row(self, values) -> list:
        out = self.template[:]
        for slot, value in zip(self.slots, values, strict=True):
            out[slot] = value
        return out


def write(rows: Rows, data: Iterable) -> int:
    """Insert `data` (value tuples for `rows`) in bulk; returns the row count."""
    n = 0
    cursor = connection.cursor()
    raw = cursor.cursor
    cols = ", ".join(connection.ops.quote_name(c) for c in rows.columns)
    table = connection.ops.quote_name(rows.table)
    if connection.vendor == "postgresql":
        with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for values in data:
                copy.write_row(rows.row(values))
                n += 1
        return n
    sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(rows.columns))})"  # noqa: S608
    batch = []
    for values in data:
        batch.append(rows.row(values))
        if len(batch) == BATCH:
            raw.executemany(sql, batch)
            n += len(batch)
            batch = []
    if batch:
        raw.executemany(sql, batch)
        n += len(batch)
    return n


# --- the plan: who wrote what, where, when ---------------------------------------------


@dataclass
class Plan:
    sizes: Sizes
    post_thread: array  # thread index per post (post i has id i + 1, in time order)
    post_floor: array
    post_author: array  # member index (user id - 1)
    thread_board: array  # board index (0 = the big board)
    thread_first: array  # index of the thread's first and last post
    thread_last: array
    thread_floors: array
    tags_of: dict[int, list[int]]
    follows: list[tuple[int, int]]


def make_plan(sizes: Sizes, seed: int) -> Plan:
    rng = random.Random(seed)
    P, T, M = sizes.posts, sizes.threads, sizes.members
    post_thread, post_floor, post_author = array("l", [0]) * P, array("l", [0]) * P, \
        array("l", [0]) * P
    thread_first, thread_last = array("l", [0]) * T, array("l", [0]) * T
    thread_floors, thread_author = array("l", [0]) * T, array("l", [0]) * T

    # Thread 0 is the megathread; the others open in time order. Each step picks the
    # megathread, a new thread or a reply with the probability that lands every
    # count exactly (remaining items / remaining posts).
    mega_left = sizes.mega_floors - 1
    opened = 1
    thread_author[0] = rng.randrange(M)
    thread_floors[0] = 1
    post_author[0] = thread_author[0]
    post_floor[0] = 1
    for i in range(1, P):
        left = P - i
        if rng.random() * left < mega_left:
            t = 0
            mega_left -= 1
        elif opened == 1 or rng.random() * (left - mega_left) < T - opened:
            t = opened
            opened += 1
            thread_first[t] = i
            thread_author[t] = rng.randrange(M)
        elif rng.random() < 0.8:  # replies go mostly to recent threads
            t = max(1, opened - 1 - int(rng.expovariate(1 / 50)))
        else:
            t = rng.randrange(1, opened)
        floor = thread_floors[t] + 1
        thread_floors[t] = floor
        thread_last[t] = i
        post_thread[i] = t
        post_floor[i] = floor
        if floor == 1 or (t == 0 and floor % MEGATHREAD_AUTHOR_EVERY == 0):
            post_author[i] = thread_author[t]
        else:
            post_author[i] = rng.randrange(M)
    assert opened == T and mega_left == 0, (opened, mega_left)

    # The big board holds the megathread and big_threads - 1 others; the small
    # boards share the rest evenly.
    boards = [0] * (sizes.big_threads - 1)
    for b in range(sizes.small_boards):
        boards += [b + 1] * sizes.small_threads
    rng.shuffle(boards)
    thread_board = array("l", [0] + boards)

    tags_of = {}
    for t in range(T):
        if rng.random() < 0.3:
            tags_of[t] = rng.sample(range(sizes.tags), rng.randint(1, 3))

    follows = set()
    for follower in range(M):
        for followee in rng.sample(range(M), min(6, M)):
            if followee != follower:
                follows.add((follower, followee))
    return Plan(sizes, post_thread, post_floor, post_author, thread_board, thread_first,
                thread_last, thread_floors, tags_of, sorted(follows))


# --- text ------------------------------------------------------------------------------


def body_pool(seed: int, size: int = POOL_SIZE) -> list[tuple[str, markup.RenderedBody]]:
    """(source, rendering) pairs: Chinese corpus text, some English, some hidden blocks."""
    writer = Writer(seed)
    rng = random.Random(seed + 3)
    pool = []
    for n in range(size):
        if n % 25 == 0:
            body = rng.choice(ENGLISH_BODIES)
        else:
            body, _public = writer.post()
        if n % 20 == 7:  # ~5% hidden for members who replied, a few by credits
            body += "\n\n[hide]回复后可见：" + rng.choice(writer.sentences) + "[/hide]"
        elif n % 50 == 13:
            body += "\n\n[hide=50]积分达到 50 可见：" + rng.choice(writer.sentences) + "[/hide]"
        pool.append((body, markup.render(body)))
    return pool


# --- generation ------------------------------------------------------------------------


def _stage(report: Report, say: Callable[[str], None], name: str, fn: Callable[[], int]):
    t0 = time.monotonic()
    with transaction.atomic():
        rows = fn()
    seconds = time.monotonic() - t0
    report.stages.append((name, rows, seconds))
    rate = f"{rows / seconds:,.0f} rows/s" if seconds > 0 and rows else ""
    say(f"  {name:<22} {rows:>10,} rows {seconds:7.1f} s  {rate}")


def ensure_empty() -> None:
    User = get_user_model()
    if Post.objects.exists() or Thread.objects.exists() or User.objects.exists() or \
            Board.objects.exists():
        raise RuntimeError("The database is not empty: the generator needs a freshly "
                           "migrated database (no users, boards, threads or posts).")


def generate(*, posts: int = 1_000_000, seed: int = 7, index: bool = True,
             say: Callable[[str], None] = lambda _m: None) -> Report:
    """Fill the (empty, migrated) default database; returns what was written and how fast."""
    ensure_empty()
    sizes = Sizes.for_posts(posts)
    report = Report(sizes=sizes, member_username=f"{MEMBER_PREFIX}1")
    User = get_user_model()
    P, T, M = sizes.posts, sizes.threads, sizes.members
    say(f"{connection.vendor}: {P:,} posts, {T:,} threads ({sizes.big_threads:,} in the "
        f"big board), {M:,} members, megathread of {sizes.mega_floors:,} floors")

    t0 = time.monotonic()
    plan = make_plan(sizes, seed)
    pool = body_pool(seed)
    report.stages.append(("plan + render pool", P, time.monotonic() - t0))
    say(f"  {'plan + render pool':<22} {P:>10,} posts {time.monotonic() - t0:7.1f} s")

    # Post i is written at times[i]; everything before today, so that the boards'
    # today counters are 0 and recount agrees whatever day it runs.
    end = timezone.make_aware(datetime.datetime.combine(
        timezone.localdate() - datetime.timedelta(days=1), datetime.time(22, 0)))
    start = end - datetime.timedelta(days=365 * 5)
    step = (end - start) / P
    post_rows = Rows(Post, ["id", "thread_id", "author_id", "floor", "body", "html",
                            "html_public", "text_public", "hidden_fragments", "has_hidden",
                            "render_version", "created_at"])
    times = [post_rows.prep("created_at", start + step * i) for i in range(P)]

    # Per-member counters, as the services would have kept them.
    post_count, thread_count = [0] * M, [0] * M
    for i in range(P):
        post_count[plan.post_author[i]] += 1
    thread_author = [plan.post_author[plan.thread_first[t]] for t in range(T)]
    for a in thread_author:
        thread_count[a] += 1
    follower_count, following_count = [0] * M, [0] * M
    for a, b in plan.follows:
        following_count[a] += 1
        follower_count[b] += 1
    rule = {CreditAction.NEW_THREAD: 2, CreditAction.REPLY: 1}
    credits = [thread_count[u] * rule[CreditAction.NEW_THREAD]
               + (post_count[u] - thread_count[u]) * rule[CreditAction.REPLY]
               for u in range(M)]

    def users() -> int:
        password = make_password(PASSWORD)
        rows = Rows(User, ["id", "username", "email", "password", "date_joined"])
        joined = rows.prep("date_joined", start - datetime.timedelta(days=30))
        return write(rows, ((u + 1, f"{MEMBER_PREFIX}{u + 1}",
                             f"{MEMBER_PREFIX}{u + 1}@example.com", password, joined)
                            for u in range(M)))

    def profiles() -> int:
        levels.forget()
        ranges = levels.all_levels()  # before COPY: the connection is busy during it
        rows = Rows(Profile, ["id", "user_id", "post_count", "thread_count", "follower_count",
                              "following_count", "credits", "level_id"])
        return write(rows, ((u + 1, u + 1, post_count[u], thread_count[u], follower_count[u],
                             following_count[u], credits[u],
                             levels.level_id_for(credits[u], ranges)) for u in range(M)))

    def ledger() -> int:
        rows = Rows(CreditLog, ["id", "user_id", "action", "kind", "amount", "balance",
                                "created_at", "note"])
        at = rows.prep("created_at", end)
        return write(rows, ((u + 1, u + 1, CreditAction.ADJUST, CreditLog.Kind.ADJUSTMENT,
                             credits[u], credits[u], at, "opening balance (bench generator)")
                            for u in range(M) if credits[u]))

    def follows() -> int:
        rows = Rows(Follow, ["id", "follower_id", "followee_id", "created_at"])
        at = rows.prep("created_at", end)
        return write(rows, ((n + 1, a + 1, b + 1, at) for n, (a, b) in enumerate(plan.follows)))

    board_ids: list[int] = []

    def boards() -> int:
        big = Category.objects.create(name="公文写作区", position=0)
        small = Category.objects.create(name="Office & English", position=1)
        board_ids.append(Board.objects.create(
            category=big, name="公文写作", slug=BIG_BOARD_SLUG, position=0,
            description="工作总结、讲话稿、会议纪要 — the big board").pk)
        for b in range(sizes.small_boards):
            board_ids.append(Board.objects.create(
                category=small if b % 2 else big, name=f"版块 {b + 1} Board", position=b + 1,
                slug=f"bench-{b + 1}", description="Chinese and English posts").pk)
        return len(board_ids)

    def threads() -> int:
        rows = Rows(Thread, ["id", "board_id", "author_id", "title", "created_at",
                             "last_post_at", "last_poster_id", "reply_count", "view_count",
                             "last_floor"])
        writer = Writer(seed + 5)
        rng = random.Random(seed + 6)

        def data() -> Iterator[tuple]:
            for t in range(T):
                title = "【百万楼】工作总结接龙，每人一楼" if t == 0 else writer.title()
                if t % 40 == 3:
                    title = f"How to format the {rng.choice(['report', 'minutes', 'notice'])} " \
                            f"in Word ({t})"
                last = plan.thread_last[t]
                yield (t + 1, board_ids[plan.thread_board[t]], thread_author[t] + 1,
                       title[:80], times[plan.thread_first[t]], times[last],
                       plan.post_author[last] + 1, plan.thread_floors[t] - 1,
                       plan.thread_floors[t] * 3 + rng.randrange(50), plan.thread_floors[t])
        return write(rows, data())

    def posts_() -> int:
        rng = random.Random(seed + 7)
        prepared = [(body, post_rows.prep("html", r.html), r.html_public, r.text_public,
                     post_rows.prep("hidden_fragments", r.hidden_fragments), r.has_hidden)
                    for body, r in pool]
        version = markup.RENDER_VERSION
        n = len(prepared)

        def data() -> Iterator[tuple]:
            for i in range(P):
                body, html, html_public, text_public, fragments, hidden = \
                    prepared[rng.randrange(n)]
                yield (i + 1, plan.post_thread[i] + 1, plan.post_author[i] + 1,
                       plan.post_floor[i], body, html, html_public, text_public, fragments,
                       hidden, version, times[i])
        return write(post_rows, data())

    def tags() -> int:
        counts = [0] * sizes.tags
        for names in plan.tags_of.values():
            for g in names:
                counts[g] += 1
        rows = Rows(Tag, ["id", "name", "slug", "thread_count"])
        words = ["公文", "总结", "讲话稿", "会议纪要", "Excel", "Word", "材料", "通知", "调研",
                 "汇报"]
        n = write(rows, ((g + 1, f"{words[g % len(words)]}{g // len(words) or ''}",
                          f"tag-{g + 1}", counts[g]) for g in range(sizes.tags)))
        through = Thread.tags.through
        link = Rows(through, ["id", "thread_id", "tag_id"])
        pairs = ((t + 1, g + 1) for t, gs in sorted(plan.tags_of.items()) for g in gs)
        return n + write(link, ((k + 1, t, g) for k, (t, g) in enumerate(pairs)))

    def board_counters() -> int:
        per_board_threads = [0] * len(board_ids)
        per_board_posts = [0] * len(board_ids)
        last_post = [0] * len(board_ids)
        for t in range(T):
            per_board_threads[plan.thread_board[t]] += 1
        for i in range(P):
            b = plan.thread_board[plan.post_thread[i]]
            per_board_posts[b] += 1
            last_post[b] = i + 1  # ids grow with time: the last one seen is the latest
        for b, pk in enumerate(board_ids):
            Board.objects.filter(pk=pk).update(
                thread_count=per_board_threads[b], post_count=per_board_posts[b],
                last_post_id=last_post[b] or None)
        return len(board_ids)

    say("writing:")
    _stage(report, say, "members", users)
    _stage(report, say, "profiles", profiles)
    _stage(report, say, "credit ledger", ledger)
    _stage(report, say, "follows", follows)
    _stage(report, say, "boards", boards)
    _stage(report, say, "threads", threads)
    _stage(report, say, "posts", posts_)
    _stage(report, say, "tags", tags)
    _stage(report, say, "board counters", board_counters)
    _stage(report, say, "sequences", reset_sequences)
    if index:
        _stage(report, say, "search index", lambda: search_index.rebuild(
            fresh=True, batch_size=5000,
            progress=lambda n: n % 200_000 == 0 and say(f"    {n:,} indexed")))
    _stage(report, say, "analyze", analyze)
    return report


def reset_sequences() -> int:
    """Explicit ids leave PostgreSQL's sequences behind; move them past the rows."""
    written = [get_user_model(), Profile, CreditLog, Follow, Category, Board, Thread, Post,
               Tag, Thread.tags.through]
    statements = connection.ops.sequence_reset_sql(no_style(), written)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    return len(statements)


def analyze() -> int:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return 0
