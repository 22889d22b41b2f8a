"""Thread view counts without a database write per page view.

Each view is an atomic increment of a cache counter (Redis INCR in production);
every FORUM_VIEW_FLUSH_EVERY views the batch is taken off the counter and written
with one F() update. A hot thread thus costs one UPDATE per batch instead of one
per view, and the page shows the stored count plus what is still buffered, so the
number readers see is exact. `manage.py flush_views` writes out what is left.

A second, never decreasing counter per thread (`flushed_key`) adds up what the
flushes wrote, so pending + flushed is the number of views counted through the
cache, and it only ever grows by one per view (a flush moves views from one to the
other in one atomic step). The stored count minus the flushed total is therefore a
constant, which lets the guest page cache (forum.page_cache) show the exact count on
a cached page without asking the database: constant + (pending + flushed).

On Redis the counters and the set of threads with pending views use Redis' own
atomic INCR and SADD: several workers count at once, and a read-modify-write of a
set kept under one key would lose thread ids between workers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import ResponseError

from . import redis_native

KEY = "forum:views:{}"
FLUSHED_KEY = "forum:views:flushed:{}"
PENDING_SET = "forum:views:pending"


def _key(thread_id: int) -> str:
    return KEY.format(thread_id)


pending_key = _key


def flushed_key(thread_id: int) -> str:
    return FLUSHED_KEY.format(thread_id)


def _redis(key: str):
    """(client, full key) when the cache is Redis, else None (in-process cache)."""
    return redis_native.client(key)


# INCR the pending views and read the flushed total in one atomic step, one round trip.
_COUNT_SCRIPT = (
    "local p = redis.call('INCR', KEYS[1]) "
    "return {p, tonumber(redis.call('GET', KEYS[2]) or '0')}"
)


def incr_counter(key: str, amount: int = 1) -> int:
    """Add to a counter, creating it at zero: one atomic round trip on Redis.
    (forum.page_cache counts its generations with it too.)"""
    native = _redis(key)
    if native is not None:
        client, full = native
        return int(client.incrby(full, amount))
    if cache.add(key, amount, timeout=None):
        return amount
    try:
        return cache.incr(key, amount)
    except ValueError:  # evicted between add and incr
        cache.add(key, amount, timeout=None)
        return amount


def count_view(thread_id: int) -> int:
    """Count one view; returns pending + flushed right after it (see above)."""
    native = _redis(_key(thread_id))
    if native is not None:
        client, full = native
        pending, flushed = client.eval(
            _COUNT_SCRIPT, 2, full, cache.make_and_validate_key(flushed_key(thread_id)))
        pending, flushed = int(pending), int(flushed)
    else:
        pending = incr_counter(_key(thread_id))
        flushed = int(cache.get(flushed_key(thread_id)) or 0)
    _after_count(thread_id, pending)
    return pending + flushed


def _after_count(thread_id: int, pending: int) -> None:
    if pending == 1:
        _remember(thread_id)
    if pending >= settings.FORUM_VIEW_FLUSH_EVERY:
        _flush(thread_id, pending)


# Fetch cached entries and count a view (if ARGV[1] is "1": only when the first of
# them is there), in one round trip.
_FETCH_AND_COUNT_SCRIPT = (
    "local values = redis.call('MGET', unpack(KEYS, 2)) "
    "local pending = false "
    "if ARGV[1] == '0' or values[1] then pending = redis.call('INCR', KEYS[1]) end "
    "return {pending, values}"
)


def fetch_and_count(request, thread_id: int, keys: list[str], *,
                    if_found: bool = True) -> tuple[dict, int | None]:
    """cache.get_many(keys) and one view counted: (found, pending + flushed after it),
    or (found, None) when nothing was counted. With `if_found`, only when `keys[0]` (a
    cached page of the thread) is found; without, the caller knows the thread exists.
    The flushed total must be among `keys` for the count to be known.

    For the page caches, whose hits count a view: fetching and counting in one round
    trip, and counting only what is known to be a page of a thread that exists (an
    id made up by a guest adds no counter). The request remembers the view was
    counted, so that rendering the page after all does not count it again (`counted`)."""
    flushed = flushed_key(thread_id)
    native = _redis(_key(thread_id))
    if native is None:
        found = cache.get_many(keys)
        if if_found and keys[0] not in found:
            return found, None
        pending = incr_counter(_key(thread_id))
    else:
        client, full = native
        loads = redis_native.loader(redis_native.backend())
        raw_pending, values = client.eval(
            _FETCH_AND_COUNT_SCRIPT, len(keys) + 1, full,
            *(cache.make_and_validate_key(k) for k in keys), "1" if if_found else "0")
        found = {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}
        if raw_pending is None:
            return found, None
        pending = int(raw_pending)
    _after_count(thread_id, pending)
    request._forum_view_counted = thread_id
    return found, pending + int(found.get(flushed) or 0)


def counted(request, thread_id: int) -> bool:
    """Was this request's view of the thread counted already (fetch_and_count)?"""
    return getattr(request, "_forum_view_counted", None) == thread_id


def counted_total(thread_id: int) -> int:
    """pending + flushed now, the flushed total started at zero if it is missing."""
    cache.add(flushed_key(thread_id), 0, timeout=None)
    found = cache.get_many([_key(thread_id), flushed_key(thread_id)])  # one MGET
    return int(found.get(_key(thread_id)) or 0) + int(found.get(flushed_key(thread_id)) or 0)


def _flush(thread_id: int, amount: int) -> None:
    from .services import record_views

    # Taking the batch off the counter is the claim: two workers passing the
    # threshold together each write what they took, and stored + pending stays exact.
    native = _redis(_key(thread_id))
    if native is not None:
        client, full = native
        pipe = client.pipeline(transaction=True)  # both moves or neither, seen at once
        pipe.decrby(full, amount)
        pipe.incrby(cache.make_and_validate_key(flushed_key(thread_id)), amount)
        pipe.execute()
    else:
        incr_counter(_key(thread_id), -amount)
        incr_counter(flushed_key(thread_id), amount)
    record_views(thread_id, amount)


def _remember(thread_id: int) -> None:
    native = _redis(PENDING_SET)
    if native is not None:
        client, full = native
        try:
            client.sadd(full, thread_id)
        except ResponseError:  # a set pickled under this key by an older version
            older = cache.get(PENDING_SET) or set()
            cache.delete(PENDING_SET)
            client.sadd(full, thread_id, *older)
        return
    ids = cache.get(PENDING_SET) or set()
    ids.add(thread_id)
    cache.set(PENDING_SET, ids, timeout=None)


def _pending_ids() -> set[int]:
    native = _redis(PENDING_SET)
    if native is not None:
        client, full = native
        try:
            return {int(i) for i in client.smembers(full)}
        except ResponseError:  # still the pickled set of an older version
            pass
    return set(cache.get(PENDING_SET) or set())


def pending_views(thread_id: int) -> int:
    return int(cache.get(_key(thread_id)) or 0)


def pending_views_many(thread_ids) -> dict[int, int]:
    keys = {_key(t): t for t in thread_ids}
    found = cache.get_many(list(keys))
    return {keys[k]: int(v) for k, v in found.items() if v}


def flush_all() -> int:
    total = 0
    for thread_id in _pending_ids():
        amount = pending_views(thread_id)
        if amount > 0:
            _flush(thread_id, amount)
            total += amount
    return total
