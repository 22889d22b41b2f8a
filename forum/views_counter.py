"""Thread view counts without a database write per page view.

Each view is an atomic increment of a cache counter (Redis INCR in production);
every FORUM_VIEW_FLUSH_EVERY views the batch is taken off the counter and written
with one F() update. A hot thread thus costs one UPDATE per batch instead of one
per view, and the page shows the stored count plus what is still buffered, so the
number readers see is exact. `manage.py flush_views` writes out what is left.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

KEY = "forum:views:{}"
PENDING_SET = "forum:views:pending"


def _key(thread_id: int) -> str:
    return KEY.format(thread_id)


def count_view(thread_id: int) -> None:

    key = _key(thread_id)
    if cache.add(key, 1, timeout=None):
        pending = 1
        _remember(thread_id)
    else:
        try:
            pending = cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.add(key, 1, timeout=None)
            pending = 1
    if pending >= settings.FORUM_VIEW_FLUSH_EVERY:
        _flush(thread_id, pending)


def _flush(thread_id: int, amount: int) -> None:
    from .services import record_views

    try:
        cache.decr(_key(thread_id), amount)
    except ValueError:
        return
    record_views(thread_id, amount)


def _remember(thread_id: int) -> None:
    ids = cache.get(PENDING_SET) or set()
    ids.add(thread_id)
    cache.set(PENDING_SET, ids, timeout=None)


def pending_views(thread_id: int) -> int:
    return cache.get(_key(thread_id)) or 0


def pending_views_many(thread_ids) -> dict[int, int]:
    keys = {_key(t): t for t in thread_ids}
    found = cache.get_many(list(keys))
    return {keys[k]: v for k, v in found.items() if v}


def flush_all() -> int:
    total = 0
    for thread_id in cache.get(PENDING_SET) or set():
        amount = pending_views(thread_id)
        if amount:
            _flush(thread_id, amount)
            total += amount
    return total
