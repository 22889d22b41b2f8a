"""gunicorn settings, all from the environment (`make serve` starts gunicorn with it).

WEB_BIND     where to listen (default 127.0.0.1:8000; behind a proxy keep it local)
WEB_WORKERS  processes (default: 2 per core, at least 2)
WEB_THREADS  threads per process (default 4): a forum request mostly waits on the
             database and Redis, so threads add throughput for little memory
WEB_TIMEOUT  seconds before a stuck worker is restarted (default 30)
WEB_MAX_REQUESTS  recycle a worker after this many requests (default 0: never;
             set e.g. 20000 if a library leaks)

Without REDIS_URL the cache (rate limits, view counts, page cache, one-time form
tokens) lives in each process's memory: then one process with threads is the only
correct setup, and this file forces WEB_WORKERS to 1.
"""

import multiprocessing
import os
import sys


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "forum.wsgi:application"
bind = os.environ.get("WEB_BIND", "127.0.0.1:8000").split(",")
workers = _int("WEB_WORKERS", max(2, 2 * multiprocessing.cpu_count()))
threads = _int("WEB_THREADS", 4)
worker_class = "gthread"
timeout = _int("WEB_TIMEOUT", 30)
graceful_timeout = timeout
keepalive = 5
max_requests = _int("WEB_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("WEB_ACCESS_LOG") or None  # "-" for stdout
errorlog = "-"
# Behind a reverse proxy on the same machine: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("WEB_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

if not os.environ.get("REDIS_URL") and workers > 1:
    print(f"gunicorn.conf.py: no REDIS_URL, so one worker ({threads} threads) instead of "
          f"{workers}: the in-process cache is not shared between workers.", file=sys.stderr)
    workers = 1
