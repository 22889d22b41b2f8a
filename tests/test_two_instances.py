"""Two gunicorn instances on one PostgreSQL and one Redis behave as one site.

Nothing another instance needs may live in a process: floors and counters come from
the database, sessions, rate limits and the guest page cache's generations from
Redis. The test starts two real servers (gunicorn.conf.py) on loopback ports against
pytest-django's test database, writes through both at once, and checks the result.
Runs in the PostgreSQL + Redis pass of .ci/run.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test import Client

from forum.models import Post, Thread
from forum.recount import recount_all
from tests.factories import make_board, make_thread, make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL (set DATABASE_URL=postgres://…)"),
    pytest.mark.skipif("redis" not in settings.CACHES["default"]["BACKEND"].lower(),
                       reason="needs Redis (set REDIS_URL=redis://…)"),
    pytest.mark.django_db(transaction=True),  # the servers must see committed rows
]

ROOT = Path(__file__).resolve().parent.parent
PORTS = range(8300, 8350)  # this test's loopback range
WRITERS, REPLIES_EACH = 8, 12
THREAD_LIMIT = 3  # new threads per member per hour, shared by both instances


# --- the servers ---------------------------------------------------------------------------

def _free_ports(count: int) -> list[int]:
    found = []
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    pytest.skip("no free loopback ports in 8300-8349")


def _database_url() -> str:
    db = connection.settings_dict
    auth = urllib.parse.quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    return (f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def _server_env(port: int) -> dict[str, str]:
    cache = settings.CACHES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "WEB_"))}
    env.update({
        "DATABASE_URL": _database_url(),
        "REDIS_URL": cache["LOCATION"],
        "CACHE_PREFIX": cache.get("KEY_PREFIX", ""),
        "SECRET_KEY": settings.SECRET_KEY,  # sessions are signed with it
        "FORUM_TESTING": "1",  # plain static files, no HTTPS redirect
        "DEBUG": "0",
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "2",
        "WEB_THREADS": "4",
        "FORUM_RATE_POSTS": "100000/m",
        "FORUM_RATE_THREADS": f"{THREAD_LIMIT}/h",
        "FORUM_DUPLICATE_SECONDS": "0",
        "FORUM_NEW_MEMBER_POSTS": "0",
        "FORUM_NEW_MEMBER_HOURS": "0",
    })
    return env


class Servers:
    def __init__(self):
        self.ports = _free_ports(2)
        self.procs: list[subprocess.Popen] = []
        self.logs = []

    def start(self) -> None:
        for port in self.ports:
            log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
            self.logs.append(log)
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                cwd=ROOT, env=_server_env(port), stdout=log, stderr=subprocess.STDOUT,
            ))
        deadline = time.monotonic() + 90
        for port, proc in zip(self.ports, self.procs, strict=True):
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"server on {port} died:\n{self.output()}")
                try:
                    if Browser(port).get("/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"server on {port} did not start:\n{self.output()}")
                time.sleep(0.3)

    def output(self) -> str:
        text = []
        for log in self.logs:
            log.seek(0)
            text.append(log.read().decode(errors="replace")[-4000:])
        return "\n---\n".join(text)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


@pytest.fixture
def servers():
    running = Servers()
    try:
        running.start()
        yield running
    finally:
        running.stop()


# --- a browser on loopback -------------------------------------------------------------------

class Browser:
    """Cookies and CSRF over plain http.client; `port` may be changed between requests."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.port = port
        self.cookies = dict(cookies or {})

    def _request(self, method: str, path: str, body: str | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            all_headers = {"Host": "127.0.0.1", **(headers or {})}
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            content = response.read().decode(errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value and "Max-Age=0" not in header:
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            return response.status, response.headers, content
        finally:
            conn.close()

    def get(self, path: str):
        return self._request("GET", path)

    def post(self, path: str, data: dict):
        token = self.cookies.get("csrftoken", "")
        return self._request(
            "POST", path, body=urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )


def session_cookies_for(user) -> dict[str, str]:
    """A session made by this process (cached_db: the database and Redis)."""
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def reply(browser: Browser, thread_id: int, body: str) -> int:
    status, headers, _ = browser.post(f"/t/{thread_id}/reply/",
                                      {"body": body, "token": secrets.token_hex(16)})
    return status


# --- the test ------------------------------------------------------------------------------

def test_two_instances_share_database_sessions_limits_and_cache(servers):
    a, b = servers.ports
    board = make_board("shared", name="共享版块")
    thread = make_thread(board=board, title="两个实例", body="第一楼")
    url = f"/t/{thread.pk}/"

    # A session created on A (a real login) works on B.
    password = "two-instances-pw"
    member = make_user("twin")
    member.password = PBKDF2PasswordHasher().encode(password, "saltsalt", iterations=1000)
    member.save(update_fields=["password"])
    browser = Browser(a)
    assert browser.get("/accounts/login/")[0] == 200
    status, headers, _ = browser.post("/accounts/login/",
                                      {"login": "twin", "password": password})
    assert status == 302, servers.output()
    assert settings.SESSION_COOKIE_NAME in browser.cookies
    browser.port = b
    status, _headers, page = browser.get("/notifications/")
    assert status == 200 and "twin" in page

    # The guest page cache is invalidated across instances: cached on B, reply on A.
    guest_b = Browser(b)
    assert guest_b.get(url)[1]["X-Cache"] == "miss"
    assert guest_b.get(url)[1]["X-Cache"] == "hit"
    browser.port = a
    browser.get(url)  # the CSRF cookie
    assert reply(browser, thread.pk, "在A上写的回复") == 302
    status, headers, page = Browser(b).get(url)
    assert "在A上写的回复" in page and headers["X-Cache"] == "miss"

    # Writers through both instances, alternately and at the same time.
    writers = [Browser(a if i % 2 else b, session_cookies_for(make_user(f"writer{i}")))
               for i in range(WRITERS)]
    for w in writers:
        assert w.get(url)[0] == 200 and "csrftoken" in w.cookies

    def write(i: int) -> list[int]:
        w, statuses = writers[i], []
        for n in range(REPLIES_EACH):
            w.port = (a, b)[(i + n) % 2]
            statuses.append(reply(w, thread.pk, f"写手 {i} 的第 {n} 条回复"))
        return statuses

    with ThreadPoolExecutor(WRITERS) as pool:
        statuses = [s for batch in pool.map(write, range(WRITERS)) for s in batch]
    assert statuses == [302] * (WRITERS * REPLIES_EACH), servers.output()

    total = 1 + 1 + WRITERS * REPLIES_EACH  # opening post, A's reply, the writers'
    floors = list(Post.objects.filter(thread=thread).order_by("floor")
                  .values_list("floor", flat=True))
    assert floors == list(range(1, total + 1))
    thread = Thread.objects.get(pk=thread.pk)
    assert (thread.last_floor, thread.reply_count) == (total, total - 1)
    assert not any(recount_all().values())  # every counter exact

    # A rate limit counted in Redis holds across both: THREAD_LIMIT new threads in all.
    poster = Browser(a, session_cookies_for(make_user("poster")))
    poster.get(f"/b/{board.slug}/new/")
    results = []
    for n in range(THREAD_LIMIT + 1):
        poster.port = (a, b)[n % 2]
        status, _headers, page = poster.post(f"/b/{board.slug}/new/", {
            "title": f"限流主题 {n}", "body": f"正文 {n}", "tags": "",
            "token": secrets.token_hex(16),
        })
        results.append(status)
    assert results == [302] * THREAD_LIMIT + [429], results
    assert Thread.objects.filter(title__startswith="限流主题").count() == THREAD_LIMIT

    # And a guest on A sees the writers' last page as B left it.
    last = re.findall(r"写手 \d+ 的第 \d+ 条回复", Browser(a).get(
        f"{url}?page={-(-total // settings.FORUM_POSTS_PER_PAGE)}")[2])
    assert last
