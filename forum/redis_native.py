"""Redis itself, under Django's cache, for the few hot paths that need more than the
cache API: atomic INCR/SADD and Lua for view counts, a cheaper MGET for the guest
page cache. Every use of django.core.cache.backends.redis internals is here.

Django builds a new redis.Redis object for every cache call (~0.15 ms of Python on
a page that is otherwise served in a fraction of a millisecond); these helpers reuse
one per connection pool. A client is a handle, not data: pools and clients are
thread-safe and the data stays in Redis.
"""

from __future__ import annotations

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache

_clients: dict[int, tuple] = {}


def backend() -> RedisCache | None:
    found = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy, not the backend
    return found if isinstance(found, RedisCache) else None


def client_for(redis_cache: RedisCache):
    pool = redis_cache._cache._get_connection_pool(True)
    known = _clients.get(id(pool))
    if known is None or known[0] is not pool:
        known = _clients[id(pool)] = (pool, redis_cache._cache._client(connection_pool=pool))
    return known[1]


def client(key: str):
    """(client, the key as stored) when the cache is Redis, else None."""
    redis_cache = backend()
    if redis_cache is None:
        return None
    return client_for(redis_cache), redis_cache.make_and_validate_key(key)


def get_many(keys: list[str]) -> dict:
    """cache.get_many(keys), in one MGET without building a client."""
    redis_cache = backend()
    if redis_cache is None:
        return cache.get_many(keys)
    full = [redis_cache.make_and_validate_key(k) for k in keys]
    loads = redis_cache._cache._serializer.loads
    values = client_for(redis_cache).mget(full)
    return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}
