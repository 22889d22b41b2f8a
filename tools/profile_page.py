"""Render forum pages in-process N times and say where the time goes.

    DEBUG=1 SQLITE_PATH=/tmp/speed/db.sqlite3 .venv/bin/python tools/profile_page.py grow \
        --floors 20000 --threads 100000              # once: a megathread and a big board
    DEBUG=1 SQLITE_PATH=/tmp/speed/db.sqlite3 .venv/bin/python tools/profile_page.py run \
        -n 200 /t/71/ '/t/71/?page=1000' /b/shuo/ ...  # guest and member, per phase
    ... run --ceiling /tmp/speed-ceiling-sqlite     # the bare-Django ceiling, same way

Phases per request (CPU milliseconds of this process, median over N, so that other
work on a shared machine disturbs the figures less): total through the test client's
handler, view+template (inside BaseHandler._get_response, so total minus this is
middleware), template rendering alone, SQL time and count. No test environment is
set up, so templates are not instrumented (the client only wires the signal).
The member is the first active superuser-less user with a profile; --member NAME
picks another. Not part of the test suite: speed is measured in bench/.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    import django

    django.setup()


class Phases:
    """Wraps the handler's inner response and the template engines' render with timers."""

    def __init__(self):
        self.inner = 0.0
        self.template = 0.0
        self.depth = 0

    def install(self) -> None:
        from django.core.handlers.base import BaseHandler
        from django.template import Template

        phases = self
        inner = BaseHandler._get_response

        def timed_inner(handler, request):
            start = time.process_time()
            try:
                return inner(handler, request)
            finally:
                phases.inner += time.process_time() - start

        BaseHandler._get_response = timed_inner
        render = Template.render

        def timed_render(template, context):
            # Only the outermost render counts: includes render inside it.
            phases.depth += 1
            start = time.process_time()
            try:
                return render(template, context)
            finally:
                phases.depth -= 1
                if phases.depth == 0:
                    phases.template += time.process_time() - start

        Template.render = timed_render
        try:
            from django.template.backends.jinja2 import Template as JinjaTemplate
        except ImportError:
            return
        jrender = JinjaTemplate.render

        def timed_jrender(template, context=None, request=None):
            start = time.process_time()
            try:
                return jrender(template, context, request)
            finally:
                phases.template += time.process_time() - start

        JinjaTemplate.render = timed_jrender


def measure(client, url: str, n: int, phases: Phases) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = []
    for i in range(n + 5):
        phases.inner = phases.template = 0.0
        with CaptureQueriesContext(connection) as ctx:
            start = time.process_time()
            response = client.get(url)
            total = time.process_time() - start
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        if i >= 5:  # warm-up: caches, template loader, connection
            sql = sum(float(q["time"]) for q in ctx.captured_queries)
            rows.append((total, phases.inner, phases.template, sql, len(ctx.captured_queries),
                         len(response.content)))
    med = [statistics.median(col) for col in zip(*rows, strict=True)]
    return {"total": med[0] * 1000, "view": med[1] * 1000, "template": med[2] * 1000,
            "sql": med[3] * 1000, "queries": int(med[4]), "bytes": int(med[5])}


def report(label: str, m: dict) -> None:
    print(f"{label:<44} total {m['total']:6.2f} ms  middleware {m['total'] - m['view']:5.2f}"
          f"  view {m['view'] - m['template'] - m['sql']:5.2f}  template {m['template']:5.2f}"
          f"  sql {m['sql']:5.2f} ({m['queries']:2d} q)  {m['bytes'] // 1024} KB"
          f"  => {1000 / m['total']:6.0f} req/s/core")


def run(args) -> None:
    setup_django()
    from django.contrib.auth import get_user_model
    from django.test import Client

    phases = Phases()
    phases.install()
    clients = {}
    if "guest" in args.who:
        clients["guest"] = Client()
    if "member" in args.who:
        User = get_user_model()  # noqa: N806
        users = User.objects.filter(is_active=True, is_superuser=False, is_staff=False)
        user = users.get(username=args.member) if args.member else users.order_by("pk").first()
        member = Client()
        member.force_login(user)
        clients[f"member {user.get_username()}"] = member
    for url in args.urls:
        for who, client in clients.items():
            report(f"{who} {url}", measure(client, url, args.n, phases))
    if args.profile:
        import cProfile
        import pstats

        client = next(iter(clients.values()))
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.n):
            client.get(args.urls[0])
        prof.disable()
        stats = pstats.Stats(prof).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(args.profile)
        if os.environ.get("PROFILE_CALLERS"):  # e.g. PROFILE_CALLERS='gettext|_bind'
            stats.print_callers(os.environ["PROFILE_CALLERS"])


CEILING_SCRIPT = """
import os, statistics, sys, time
import django
django.setup()
from django.conf import settings
settings.ALLOWED_HOSTS.append("testserver")
from django.db import connection
from django.template import Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
spent = [0.0]
render = Template.render
def timed(t, c):
    s = time.process_time()
    try:
        return render(t, c)
    finally:
        spent[0] += time.process_time() - s
Template.render = timed
c = Client()
url, n = sys.argv[1], int(sys.argv[2])
rows = []
for i in range(n + 5):
    spent[0] = 0.0
    with CaptureQueriesContext(connection) as ctx:
        s = time.process_time()
        r = c.get(url)
        total = time.process_time() - s
    if i >= 5:
        rows.append((total, spent[0], sum(float(q["time"]) for q in ctx.captured_queries),
                     len(ctx.captured_queries), len(r.content)))
t, tpl, sql, q, b = (statistics.median(col) for col in zip(*rows))
print(f"{'ceiling ' + url:<44} total {t*1000:6.2f} ms  template {tpl*1000:5.2f}  "
      f"sql {sql*1000:5.2f} ({int(q):2d} q)  {int(b)//1024} KB  => {1/t:6.0f} req/s/core")
"""


def ceiling(args) -> None:
    state = Path(args.ceiling)
    here = Path(os.environ.get("CEIL_DIR", ROOT.parent / "shared" / "bench" / "ceiling"))
    env = {**os.environ, "CEIL_STATE": str(state), "PYTHONPATH": str(here),
           "DJANGO_SETTINGS_MODULE": "settings", "PYTHONDONTWRITEBYTECODE": "1"}
    if (state / "ceiling.sqlite3").exists():
        env["CEIL_ENGINE"] = "sqlite"
    for url in args.urls or ["/t/1/?page=8"]:
        subprocess.run([str(state / "venv" / "bin" / "python"), "-c", CEILING_SCRIPT,  # noqa: S603
                        url, str(args.n)], env=env, cwd=here, check=True)


def grow(args) -> None:
    """Make one thread `--floors` long and one board `--threads` long, by bulk inserts."""
    setup_django()
    import random

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from forum.models import Board, Post, Thread

    User = get_user_model()  # noqa: N806
    rng = random.Random(9)
    members = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    samples = list(Post.objects.filter(has_hidden=False, is_deleted=False)
                   .values("body", "html", "html_public", "text_public")[:200])
    mega = Thread.objects.order_by("-last_floor").first()
    now = timezone.now()
    with transaction.atomic():
        start = mega.last_floor + 1
        batch = []
        for floor in range(start, args.floors + 1):
            s = samples[floor % len(samples)]
            batch.append(Post(thread=mega, author_id=rng.choice(members), floor=floor,
                              created_at=now, **s))
            if len(batch) == 2000:
                Post.objects.bulk_create(batch)
                batch = []
        Post.objects.bulk_create(batch)
        last = max(args.floors, mega.last_floor)
        Thread.objects.filter(pk=mega.pk).update(last_floor=last, reply_count=last - 1)
        board = Board.objects.get(slug=args.board) if args.board else (
            Board.objects.filter(parent__isnull=True).order_by("pk").first())
        have = Thread.objects.filter(board=board).count()
        batch = []
        for i in range(have, args.threads):
            when = now - timezone.timedelta(minutes=i)
            batch.append(Thread(board=board, author_id=rng.choice(members), title=f"压测主题 {i}",
                                created_at=when, last_post_at=when,
                                last_poster_id=rng.choice(members), last_floor=rng.randint(1, 90),
                                reply_count=rng.randint(0, 89)))
            if len(batch) == 5000:
                Thread.objects.bulk_create(batch)
                batch = []
        Thread.objects.bulk_create(batch)
        Board.objects.filter(pk=board.pk).update(
            thread_count=Thread.objects.filter(board=board, is_deleted=False).count())
    print(f"thread /t/{mega.pk}/ has {max(args.floors, mega.last_floor)} floors; "
          f"board /b/{board.slug}/ has {max(args.threads, have)} threads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("run")
    p.add_argument("urls", nargs="*")
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--who", default="guest,member")
    p.add_argument("--member")
    p.add_argument("--profile", type=int, default=0, help="cProfile the first URL, top N")
    p.add_argument("--ceiling", help="CEIL_STATE of a set-up ceiling: profile it instead")
    g = sub.add_parser("grow")
    g.add_argument("--floors", type=int, default=20000)
    g.add_argument("--threads", type=int, default=100000)
    g.add_argument("--board", help="slug (default: the first top-level board)")
    args = parser.parse_args()
    if args.cmd == "grow":
        grow(args)
    elif args.ceiling:
        ceiling(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
