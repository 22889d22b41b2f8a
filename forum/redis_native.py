"""Redis itself, under Django's cache, for the few hot paths that need more than the
cache API: atomic INCR/SADD and Lua for view counts, a cheaper MGET for the guest
page cache. Every use of django.core.cache.backends.redis internals is here.

The cache backend (forum.cache_backend) keeps one redis.Redis client per connection
pool; these helpers use the same one.
"""

from __future__ import annotations

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache


def backend() -> RedisCache | None:
    found = caches[DEFAULT_CACHE_ALIAS]  # `cache` is a proxy, not the backend
    return found if isinstance(found, RedisCache) else None


def client_for(redis_cache: RedisCache):
    return redis_cache._cache.get_client(write=True)


def client(key: str):
    """(client, the key as stored) when the cache is Redis, else None."""
    redis_cache = backend()
    if redis_cache is None:
        return None
    return client_for(redis_cache), redis_cache.make_and_validate_key(key)


def loader(redis_cache: RedisCache):
    """How the cache unpickles what it stored (for values read by other commands)."""
    return redis_cache._cache._serializer.loads


def get_many(keys: list[str]) -> dict:
    """cache.get_many(keys), in one MGET without building a client."""
    redis_cache = backend()
    if redis_cache is None:
        return cache.get_many(keys)
    full = [redis_cache.make_and_validate_key(k) for k in keys]
    loads = loader(redis_cache)
    values = client_for(redis_cache).mget(full)
    return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}


def incr_many(keys: list[str]) -> list[int] | None:
    """INCR each key (a missing one counts from zero) in one pipelined round trip; the
    new values in order. None when the cache is not Redis."""
    redis_cache = backend()
    if redis_cache is None:
        return None
    pipe = client_for(redis_cache).pipeline(transaction=False)
    for key in keys:
        pipe.incr(redis_cache.make_and_validate_key(key))
    return [int(value) for value in pipe.execute()]
