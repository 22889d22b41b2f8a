"""Django's cached_db sessions, read with the request's other cache entries.

Every member's request read its session from Redis in a round trip of its own, before
forum.request_cache fetched what every page needs in another. The prefetch now asks
for the session's cache entry too (one MGET), and `load` takes it from there; a
session the cache does not hold is read from the database and cached by Django's
own code, as before. Writing, expiry and flushing are Django's.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends import cached_db
from django.core.cache import DEFAULT_CACHE_ALIAS

from . import request_cache


class SessionStore(cached_db.SessionStore):
    def load(self):
        data = request_cache.prefetched(self.cache_key)
        if data is not None:
            return data
        return super().load()

    @classmethod
    def cache_key_for(cls, session_key: str) -> str | None:
        """The cache key of the session a cookie names, if it may be one of ours."""
        if settings.SESSION_CACHE_ALIAS != DEFAULT_CACHE_ALIAS:
            return None  # the prefetch reads the default cache
        # Django's own keys: 32 characters of [a-z0-9]. Anything else is not looked up
        # early (the store deals with it as usual); it must not reach the cache as a key.
        if len(session_key) == 32 and session_key.isalnum() and session_key.isascii():
            return cls.cache_key_prefix + session_key
        return None
