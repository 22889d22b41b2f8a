"""Reads from a replica, everything else from the primary (DATABASE_REPLICA_URL).

A replica lags behind the primary by some milliseconds to seconds, so a read goes
to it only when nothing needs the newest rows:
- writes, and every query inside a transaction (a service reads what it locks and
  writes), go to the primary;
- a browser that wrote something (any POST, PUT, PATCH or DELETE) reads from the
  primary for FORUM_REPLICA_STICKY_SECONDS afterwards, through a cookie, so a member
  sees their own reply on the page they are sent back to;
- a guest page rendered to be stored in the page cache reads from the primary
  (forum.page_cache): the cache keys pages by generations bumped on the primary's
  commit, and a page read from a lagging replica would be stored as current.
Everything else — pages for members who did not just write, profiles, search —
reads from the replica. Migrations run on the primary only.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
STICKY_COOKIE = "forum_primary"
_pinned: ContextVar[bool] = ContextVar("forum_primary_pinned", default=False)


@contextmanager
def primary():
    """Read from the primary inside this block (this thread or task only)."""
    token = _pinned.set(True)
    try:
        yield
    finally:
        _pinned.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        if REPLICA not in settings.DATABASES:
            return None
        if _pinned.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies of it

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class PrimaryAfterWriteMiddleware:
    """Pin a browser to the primary for a while after it wrote (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = request.method in _UNSAFE
        if not (writes or STICKY_COOKIE in request.COOKIES):
            return self.get_response(request)
        with primary():
            response = self.get_response(request)
        if writes:
            response.set_cookie(
                STICKY_COOKIE, "1", max_age=settings.FORUM_REPLICA_STICKY_SECONDS,
                httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
