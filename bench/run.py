"""The load runner (`make bench`): the forum against the bare-Django ceiling, with wrk.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/forum_bench .venv/bin/python bench/run.py
    SQLITE_PATH=/tmp/bench.sqlite3 .venv/bin/python bench/run.py --engine sqlite

The database must have been filled by bench/generate.py. The runner

0. fills the database with bench/generate.py's generator if it is empty (--size);
1. sets up ../shared/bench/ceiling/ as its README says (its state in $BENCH_STATE,
   default /tmp/forum-bench, outside the repository), on the same engine;
2. serves the ceiling (start.sh) and the forum (gunicorn.conf.py) with the same
   gunicorn settings: 4 sync workers on loopback ports;
3. drives both with `wrk --latency` in interleaved rounds (the ceiling's thread page
   between the forum's pages, in every round), guest and signed-in member, and takes
   the median of the rounds: req/s, p50, p99, and the ratio to the ceiling measured
   in the same rounds. The machine is shared, so only the ratio means much;
4. counts each page's queries in-process (CaptureQueriesContext, second request);
5. measures a worker's RSS after 1,000 and 20,000 requests (one worker);
6. runs bench/writes.py (concurrent writers through the service layer);
7. saves the figures to bench/results/<engine>.json and rewrites bench/results.md
   from every engine's figures.
"""

# The runner starts local programs (wrk, gunicorn, the ceiling's scripts) with fixed
# arguments, and keeps its state in /tmp (outside the repository) by default.
# ruff: noqa: S603, S607, S108

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CEILING = (ROOT / ".." / "shared" / "bench" / "ceiling").resolve()
RESULTS = ROOT / "bench" / "results"
CEIL_PORT = 8100
FORUM_PORT = 8200
MEMORY_PORT = 8201
WORKERS = 4
REDIS_URL = "redis://127.0.0.1:6379/4"


def say(message: str) -> None:
    print(message, flush=True)


# --- the two servers --------------------------------------------------------------


def forum_env(engine: str, args) -> dict[str, str]:
    """Production settings for the forum under test (the bench's own Redis db)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update({
        "DEBUG": "0", "SECRET_KEY": "bench-" + "k" * 50, "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0", "REDIS_URL": args.redis_url, "CACHE_PREFIX": "bench",
        # The reply benchmark posts as fast as it can: the per-member rate limit and
        # the duplicate guard would turn it into a benchmark of the refusal page.
        "FORUM_RATE_POSTS": "", "FORUM_RATE_THREADS": "", "FORUM_DUPLICATE_SECONDS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    if engine == "postgresql":
        env["DATABASE_URL"] = args.database_url
    else:
        env["SQLITE_PATH"] = args.sqlite_path
    return env


def ceiling_env(engine: str, args) -> dict[str, str]:
    return {**os.environ, "CEIL_STATE": str(Path(args.state) / f"ceiling-{engine}"),
            "CEIL_ENGINE": engine, "CEIL_DB": "bench_ceiling", "CEIL_PORT": str(CEIL_PORT),
            "WORKERS": str(WORKERS)}


def setup_ceiling(engine: str, args) -> None:
    say(f"ceiling: setup ({engine}) in {args.state}")
    subprocess.run(["bash", str(CEILING / "setup.sh")], env=ceiling_env(engine, args),
                   check=True, cwd=args.state)


def wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                response.read()
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


class Servers:
    """The ceiling and the forum, stopped on exit whatever happens."""

    def __init__(self, engine: str, args):
        self.engine, self.args = engine, args
        self.forum: subprocess.Popen | None = None

    def __enter__(self) -> Servers:
        subprocess.run(["bash", str(CEILING / "start.sh")], check=True, cwd=self.args.state,
                       env=ceiling_env(self.engine, self.args))
        self.forum = start_forum(self.engine, self.args, FORUM_PORT, WORKERS)
        wait_up(f"http://127.0.0.1:{CEIL_PORT}/hello/")
        wait_up(f"http://127.0.0.1:{FORUM_PORT}/healthz")
        return self

    def __exit__(self, *exc) -> None:
        subprocess.run(["bash", str(CEILING / "stop.sh")], check=False, cwd=self.args.state,
                       env=ceiling_env(self.engine, self.args))
        stop(self.forum)


def start_forum(engine: str, args, port: int, workers: int) -> subprocess.Popen:
    log = open(Path(args.state) / f"forum-{engine}-{port}.log", "ab")  # noqa: SIM115
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-b", f"127.0.0.1:{port}",
               "-w", str(workers), "-k", "sync", "--error-logfile", "-"]
    if (ROOT / "gunicorn.conf.py").exists():
        command[1:1] = ["-c", str(ROOT / "gunicorn.conf.py")]
    else:
        command.append("forum.wsgi")
    # The command line overrides the config file: same worker model as the ceiling.
    return subprocess.Popen(command, cwd=ROOT, env=forum_env(engine, args), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


# --- the pages ------------------------------------------------------------------


def django_setup(engine: str, args) -> None:
    os.environ.update(forum_env(engine, args))
    os.environ["DJANGO_SETTINGS_MODULE"] = "forum.settings"
    import django

    django.setup()


def pages(args) -> dict:
    """The URLs to measure, from the generated data; and a member's session."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.generator import BIG_BOARD_SLUG
    from forum import floors
    from forum.models import Board, Thread

    mega = Thread.objects.get(pk=1)
    board = Board.objects.get(slug=BIG_BOARD_SLUG)
    board_pages = -(-board.thread_count // settings.FORUM_THREADS_PER_PAGE)
    author_floors = mega.posts.filter(author_id=mega.author_id).count()
    reply_thread = Thread.objects.exclude(board=board).order_by("-pk").first()
    member = get_user_model().objects.get(username="bench1")
    client = Client()
    client.force_login(member)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = secrets.token_hex(16)  # an unmasked 32-character secret: cookie and form agree
    urls = {
        "index": "/",
        "board p1": f"/b/{board.slug}/",
        f"board p{min(2000, board_pages):,}": f"/b/{board.slug}/?page={min(2000, board_pages)}",
        "thread p1 (megathread)": "/t/1/",
        f"megathread last page (p{mega.page_count:,})": f"/t/1/?page={mega.page_count}",
        "只看该作者 p1": f"/t/1/?author={mega.author_id}",
        f"只看该作者 last (p{floors.page_count(author_floors):,})":
            f"/t/1/?author={mega.author_id}&page={floors.page_count(author_floors)}",
        "profile": f"/u/{mega.author.username}/",
        "search 公文": "/search/?q=%E5%85%AC%E6%96%87",
    }
    return {
        "urls": urls, "session": session, "csrf": csrf, "member": member.username,
        "reply": f"/t/{reply_thread.pk}/reply/", "reply_thread": reply_thread.pk,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={session}; csrftoken={csrf}",
    }


def count_queries(page_set: dict) -> dict:
    """{(label, role): (queries, status)}: the second request of each page, in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = {}
    for role in ("guest", "member"):
        client = Client(HTTP_HOST="127.0.0.1")
        if role == "member":
            client.cookies["sessionid"] = page_set["session"]
        for label, url in page_set["urls"].items():
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            out[f"{label}|{role}"] = (len(ctx.captured_queries), response.status_code)
    return out


def fetch(url: str, cookie: str | None = None, data: bytes | None = None) -> tuple[int, int]:
    request = urllib.request.Request(url, data=data)  # noqa: S310 - loopback only
    if cookie:
        request.add_header("Cookie", cookie)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())


# --- wrk -------------------------------------------------------------------------


LUA_REPLY = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "%(cookie)s"
local n = 0
request = function()
  n = n + 1
  local body = "csrfmiddlewaretoken=%(csrf)s&body=" ..
    "bench+reply+" .. n .. "+" .. math.random(1, 1000000000) .. "+%%E5%%9B%%9E%%E5%%A4%%8D"
  return wrk.format(nil, nil, nil, body)
end
"""


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is missing: installing the Debian package")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
        found = shutil.which("wrk")
    if not found:
        sys.exit("make bench needs wrk (Debian: apt-get install wrk)")
    return found


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, args, *, cookie: str | None = None, script: str | None = None) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--latency", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script:
        command += ["-s", script]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    p50, p99 = (_ms(*re.match(r"([\d.]+)(\w+)", lat[k]).groups()) for k in ("50", "99"))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*timeout (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(bad.group(1)) if bad else 0,
            "timeouts": int(errors.group(1)) if errors else 0}


def load_rounds(page_set: dict, args) -> dict:
    ceiling_url = f"http://127.0.0.1:{CEIL_PORT}/t/1/?page=8"
    forum = f"http://127.0.0.1:{FORUM_PORT}"
    script = Path(args.state) / "reply.lua"
    script.write_text(LUA_REPLY % {"cookie": page_set["cookie"], "csrf": page_set["csrf"]})
    cases = []  # (key, url, cookie, script)
    for label, url in page_set["urls"].items():
        cases.append((f"{label}|guest", forum + url, None, None))
        cases.append((f"{label}|member", forum + url, page_set["cookie"], None))
    cases.append(("reply POST|member", forum + page_set["reply"], None, str(script)))
    if args.only:  # a quick probe of some pages (their keys contain one of the words)
        cases = [case for case in cases if any(word in case[0] for word in args.only)]
    runs: dict[str, list[dict]] = {key: [] for key, *_ in cases}
    runs["ceiling"] = []
    every = max(1, len(cases) // 3)
    for r in range(args.rounds):
        say(f"round {r + 1}/{args.rounds}")
        for n, (key, url, cookie, lua) in enumerate(cases):
            if n % every == 0:
                runs["ceiling"].append(wrk(ceiling_url, args))
                say(f"  ceiling thread page       {runs['ceiling'][-1]['rps']:8.1f} req/s")
            runs[key].append(wrk(url, args, cookie=cookie, script=lua))
            say(f"  {key:<40} {runs[key][-1]['rps']:8.1f} req/s")
    return runs


def median_of(samples: list[dict]) -> dict:
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]} | {
        "rounds": [round(s["rps"], 1) for s in samples]}


# --- memory --------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def memory(engine: str, page_set: dict, args) -> dict:
    """One worker; a mix of pages (a quarter as member); RSS after 1,000 and N requests."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor

    process = start_forum(engine, args, MEMORY_PORT, 1)
    try:
        wait_up(f"http://127.0.0.1:{MEMORY_PORT}/healthz")
        (worker,) = worker_pids(process.pid)
        urls = list(page_set["urls"].values())
        # Many different thread and board pages, so caches that grow with the number
        # of distinct pages would show.
        urls += [f"/t/{t}/" for t in range(2, 400)] + \
            [f"/b/bench-big/?page={p}" for p in range(1, 200)]

        def client(start: int, count: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", MEMORY_PORT, timeout=60)
            for n in range(start, start + count):
                headers = {"Cookie": page_set["cookie"]} if n % 4 == 0 else {}
                connection.request("GET", urls[(n * 7919) % len(urls)], headers=headers)
                connection.getresponse().read()
            connection.close()

        def batch(start: int, count: int) -> None:
            per = count // 4
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda k: client(start + k * per, per), range(4)))

        batch(0, 1000)
        after_1k = rss_kb(worker)
        batch(1000, args.memory_requests - 1000)
        after_n = rss_kb(worker)
        return {"after_1000_kb": after_1k, "after_n_kb": after_n,
                "requests": args.memory_requests, "growth": after_n / after_1k - 1}
    finally:
        stop(process)


# --- environment -----------------------------------------------------------------


def machine(engine: str) -> dict:
    import django
    from django.db import connection

    def cmd(*c: str) -> str:
        try:
            return subprocess.run(c, capture_output=True, text=True, check=False).stdout.strip()
        except FileNotFoundError:
            return "?"

    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    ram = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    import sqlite3

    import gunicorn

    with connection.cursor() as cursor:
        if engine == "postgresql":
            cursor.execute("SHOW server_version")
            db = "PostgreSQL " + cursor.fetchone()[0]
        else:
            db = "SQLite " + sqlite3.sqlite_version
    return {
        "nproc": os.cpu_count(), "ram_gb": round(int(ram.group(1)) / 1024 / 1024, 1),
        "cpu": cpu.group(1) if cpu else platform.processor(),
        "python": platform.python_version(), "django": django.get_version(), "database": db,
        "gunicorn": gunicorn.__version__, "redis": cmd("redis-server", "--version").split(" ")[2]
        if cmd("redis-server", "--version") else "?",
        "wrk": cmd("wrk", "-v").split("\n")[0] if shutil.which("wrk") else "?",
        "kernel": platform.release(), "load_before": os.getloadavg()[0],
        # The tree others work in may hold uncommitted changes: say what was measured.
        "code": cmd("git", "-C", str(ROOT), "describe", "--always", "--dirty"),
    }


def data_sizes() -> dict:
    from django.contrib.auth import get_user_model

    from forum.models import Board, Post, Thread

    big = Board.objects.order_by("-thread_count").first()
    return {"posts": Post.objects.count(), "threads": Thread.objects.count(),
            "members": get_user_model().objects.count(), "big_board_threads": big.thread_count,
            "megathread_floors": Thread.objects.get(pk=1).last_floor}


# --- main ------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite"],
                        default="postgresql" if os.environ.get("DATABASE_URL") else "sqlite")
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/forum_bench"))
    parser.add_argument("--sqlite-path", default=os.environ.get("SQLITE_PATH",
                                                                "/tmp/forum-bench.sqlite3"))
    parser.add_argument("--redis-url", default=REDIS_URL)
    parser.add_argument("--state", default=os.environ.get("BENCH_STATE", "/tmp/forum-bench"))
    parser.add_argument("--size", type=int, default=1_000_000,
                        help="posts to generate if the database is empty")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    # Five: a run of a page that answers in ~0.3 ms can land in a state where one sync
    # worker serves every connection (bench/findings.md, 5); the median of five is not
    # decided by one or two such runs.
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=8, help="wrk -c")
    parser.add_argument("--memory-requests", type=int, default=20_000)
    parser.add_argument("--only", nargs="*", default=[],
                        help="run only the pages whose key ('label|role') holds a word")
    parser.add_argument("--skip", nargs="*", default=[], choices=["load", "memory", "writes"])
    parser.add_argument("--label", default="",
                        help="a variant's name: saved as results/<engine>-<label>.json")
    parser.add_argument("--note", default="", help="a sentence for results.md")
    parser.add_argument("--writers", type=int, default=0, help="default: 8 PG, 4 SQLite")
    parser.add_argument("--write-seconds", type=int, default=30)
    args = parser.parse_args()
    Path(args.state).mkdir(parents=True, exist_ok=True)
    ensure_wrk()
    engine = args.engine
    django_setup(engine, args)
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)
    from forum.models import Post

    if not Post.objects.exists():
        from bench.generator import generate

        say(f"empty database: generating {args.size:,} posts first")
        generate(posts=args.size, say=say)
    cache.clear()  # the bench's own Redis db: no page cached from an earlier data set
    result = {"engine": engine, "label": args.label, "note": args.note,
              "machine": machine(engine), "data": data_sizes(),
              "settings": {"duration": args.duration, "rounds": args.rounds,
                           "wrk": f"-t{args.threads} -c{args.connections}",
                           "workers": WORKERS},
              "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    say(json.dumps(result, ensure_ascii=False))
    page_set = pages(args)
    result["pages"] = {**page_set["urls"], "reply POST": page_set["reply"]}
    result["queries"] = count_queries(page_set)
    if "load" not in args.skip:
        setup_ceiling(engine, args)
        with Servers(engine, args):
            forum = f"http://127.0.0.1:{FORUM_PORT}"
            result["bytes"] = {}
            for label, url in page_set["urls"].items():
                for role, cookie in (("guest", None), ("member", page_set["cookie"])):
                    status, size = fetch(forum + url, cookie)
                    if status != 200:
                        raise RuntimeError(f"{url} as {role}: HTTP {status}")
                    result["bytes"][f"{label}|{role}"] = size
            status, _size = fetch(forum + page_set["reply"], page_set["cookie"],
                                  f"csrfmiddlewaretoken={page_set['csrf']}&body=warm-up reply"
                                  .encode())
            if status != 302:
                raise RuntimeError(f"the reply POST answered {status}, not a redirect")
            status, size = fetch(f"http://127.0.0.1:{CEIL_PORT}/t/1/?page=8")
            result["bytes"]["ceiling"] = size
            runs = load_rounds(page_set, args)
        result["load"] = {key: median_of(samples) for key, samples in runs.items()}
        save(result)
    if "memory" not in args.skip:
        say(f"memory: one worker, {args.memory_requests:,} requests")
        result["memory"] = memory(engine, page_set, args)
        say(json.dumps(result["memory"]))
        save(result)
    if "writes" not in args.skip:
        writers = args.writers or (8 if engine == "postgresql" else 4)
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "writes.py"), "--writers", str(writers),
             "--seconds", str(args.write_seconds), "--json"],
            env=forum_env(engine, args), cwd=ROOT, capture_output=True, text=True, check=False)
        sys.stderr.write(out.stderr)
        result["writes"] = json.loads(out.stdout.strip().splitlines()[-1])
        say(json.dumps(result["writes"], ensure_ascii=False))
        save(result)
    say("wrote bench/results/*.json and bench/results.md")


def save(result: dict) -> None:
    from bench.report import write_markdown

    RESULTS.mkdir(exist_ok=True)
    name = result["engine"] + (f"-{result['label']}" if result.get("label") else "")
    path = RESULTS / f"{name}.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    # A run that skipped a part keeps that part's previous figures.
    merged = {**previous, **result}
    path.write_text(json.dumps(merged, ensure_ascii=False, indent=1) + "\n")
    write_markdown()


if __name__ == "__main__":
    main()
