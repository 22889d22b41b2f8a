"""Time searches over the database generate.py filled; print a Markdown table.

    DEBUG=1 SQLITE_PATH=/tmp/search-bench.sqlite3 .venv/bin/python bench/search/run.py

Each case runs the same code as /search/ (forum.search.query.search: the engine's
title, count and page queries, loading the posts, snippets) `--repeat` times after
two warm-up runs, and reports the median and the 95th percentile; "page" is the
whole /search/ response through Django's test client (middleware, template), median.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
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

from corpus import ENGLISH, HIDDEN_WORD, load  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from forum.models import Board, Post, Thread  # noqa: E402
from forum.search.query import Criteria, search  # noqa: E402
from forum.search.tokenizer import parse_query  # noqa: E402


def cases():
    """(label, query, criteria extras, GET params extras, page)."""
    _sentences, _titles, vocabulary, _weights = load()
    big_board = (Board.objects.annotate(n=Count("threads")).order_by("-n").first())
    small_board = (Board.objects.annotate(n=Count("threads")).order_by("n").first())
    busy_author = (Post.objects.values("author_id").annotate(n=Count("id"))
                   .order_by("-n").values_list("author_id", flat=True).first())
    username = get_user_model().objects.get(pk=busy_author).get_username()
    today = timezone.localdate()
    month_ago = today - datetime.timedelta(days=30)
    return [
        ("common two-character word", "公文", {}, {}, 1),
        ("common two-character word", "秘书", {}, {}, 1),
        ("common two-character word, page 50", "公文", {}, {}, 50),
        ("four-character phrase", "会议纪要", {}, {}, 1),
        ("single character (prefix)", "的", {}, {}, 1),
        ("frequent vocabulary term", vocabulary[3], {}, {}, 1),
        ("mid-frequency term", vocabulary[400], {}, {}, 1),
        ("rare term", vocabulary[4900], {}, {}, 1),
        ("no match", "量子纠缠", {}, {}, 1),
        ("hidden-only word (must find 0)", HIDDEN_WORD, {}, {}, 1),
        ("English word", ENGLISH[0], {}, {}, 1),
        ("mixed Chinese/English", "Excel表格", {}, {}, 1),
        ("two terms", "公文 格式", {}, {}, 1),
        ("two common terms", "领导 材料", {}, {}, 1),
        ("common word, biggest board", "公文", {"board_ids": [big_board.pk]},
         {"board": big_board.slug}, 1),
        ("common word, smallest board", "公文", {"board_ids": [small_board.pk]},
         {"board": small_board.slug}, 1),
        ("common word, busiest author", "公文", {"author_id": busy_author},
         {"author": username}, 1),
        ("author only, no words", "", {"author_id": busy_author}, {"author": username}, 1),
        ("common word, last 30 days", "公文", {"date_from": month_ago, "date_to": today},
         {"date_from": month_ago.isoformat(), "date_to": today.isoformat()}, 1),
        ("common word, one year long ago", "公文",
         {"date_from": today.replace(year=today.year - 6, month=1, day=1),
          "date_to": today.replace(year=today.year - 6, month=12, day=31)},
         {"date_from": f"{today.year - 6}-01-01", "date_to": f"{today.year - 6}-12-31"}, 1),
        ("common word, threads only", "公文", {"threads_only": True}, {"scope": "threads"}, 1),
    ]


def timed(fn, repeat: int) -> list[float]:
    for _ in range(2):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    posts, threads = Post.objects.count(), Thread.objects.count()
    print(f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else connection.cursor().connection.info.server_version}: "  # noqa: E501
          f"{posts:,} posts, {threads:,} threads; {args.repeat} runs per case\n")
    print("| case | query | results | search() median ms | p95 ms | /search/ page median ms |")
    print("|---|---|---:|---:|---:|---:|")
    client = Client()
    for label, q, extra, params, page in cases():
        criteria = Criteria(phrases=parse_query(q), **extra)
        results = search(criteria, page=page)
        times = timed(lambda c=criteria, p=page: search(c, page=p), args.repeat)
        get = {"q": q, "page": page, **params}
        response = client.get("/search/", get)
        assert response.status_code == 200, (label, response.status_code)
        page_times = timed(lambda g=get: client.get("/search/", g), max(5, args.repeat // 3))
        shown = f"{results.count}{'+' if results.more else ''}"
        print(f"| {label} | {q or '—'} | {shown} | {statistics.median(times):.1f} | "
              f"{p95(times):.1f} | {statistics.median(page_times):.1f} |", flush=True)


if __name__ == "__main__":
    main()
