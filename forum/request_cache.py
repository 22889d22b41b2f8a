"""One MGET for the cache entries every page read by a member needs.

A member's page read its session, the site settings (twice), the board navigation and
the people sidebar as five cache round trips. The middleware fetches them together at
the start of a GET and the readers look here first (`get`, and `set` after a miss;
forum.sessions for the session); anything not prefetched, and every request that may
write, goes to the cache as before. Only for the request that fetched them (a context
variable, reset at its end): nothing outlives it.
"""

from __future__ import annotations

from contextvars import ContextVar

from django.core.cache import cache

from . import redis_native

_MISSING = object()
_found: ContextVar[dict | None] = ContextVar("forum_request_cache", default=None)


def get(key: str):
    """cache.get(key), from the request's prefetch when it holds the key."""
    found = _found.get()
    if found is not None:
        value = found.get(key, _MISSING)
        if value is not _MISSING:
            return value
    return cache.get(key)


def prefetched(key: str):
    """The value fetched for this request under `key`, or None (missing, not fetched)."""
    found = _found.get()
    return None if found is None else found.get(key)


def set(key: str, value, timeout) -> None:  # noqa: A001 - the cache API's name
    """cache.set(), and this request's later get() sees the new value too."""
    cache.set(key, value, timeout)
    found = _found.get()
    if found is not None and key in found:
        found[key] = value


def page_keys() -> list[str]:
    from accounts.sidebar import CACHE_KEY as SIDEBAR

    from .signals import NAV_CACHE_KEY, SITE_CACHE_KEY

    return [SITE_CACHE_KEY, NAV_CACHE_KEY, SIDEBAR]


class PrefetchMiddleware:
    """After the session middleware, which names the session (and has not loaded it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        from .sessions import SessionStore

        keys = page_keys()
        session = getattr(request, "session", None)
        if isinstance(session, SessionStore) and session.session_key:
            session_key = SessionStore.cache_key_for(session.session_key)
            if session_key:
                keys.append(session_key)
        values = redis_native.get_many(keys)
        # A key the cache does not hold is remembered as None (what cache.get says).
        token = _found.set({key: values.get(key) for key in keys})
        try:
            return self.get_response(request)
        finally:
            _found.reset(token)
