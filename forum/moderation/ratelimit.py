"""Rate limits at the request boundary, kept in the cache (Redis in production).

A rate is "N/period" with period s, m, h or d and an optional count: "5/m",
"10/h", "5/15m". Limits are named in settings.FORUM_RATE_LIMITS, so deployments
tune them without code. Each limit keeps, per identity (a member id, an IP), the
times of its recent hits: a sliding window, exact to the second, so "try again in
N seconds" is true. A short cache lock makes check-and-record one step, so parallel
requests cannot slip past the limit together.

Views and forms call `hit()` (or `check()` + `hit()` for limits that count only
failures); services never do: imports, benchmarks and the admin call the services
directly and in bulk. Tests replace `clock` to move time.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

clock: Callable[[], float] = time.time

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    amount: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE_RE.match(text or "")
        if not match:
            raise ImproperlyConfigured(f"Bad rate {text!r}: use N/period, e.g. 5/m or 3/10m.")
        amount, count, unit = match.groups()
        return cls(int(amount), int(count or 1) * _UNITS[unit])


class RateLimited(ValidationError):
    """A limit was exceeded; the message says when to try again."""

    def __init__(self, name: str, retry_after: int):
        self.name, self.retry_after = name, retry_after
        super().__init__(limit_message(name, retry_after), code="rate_limited")


def rate_for(name: str) -> Rate | None:
    """The configured rate of a named limit; None (or "") switches the limit off."""
    text = getattr(settings, "FORUM_RATE_LIMITS", {}).get(name)
    return Rate.parse(text) if text else None


def _key(name: str, ident: str) -> str:
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:32]
    return f"forum:rl:{name}:{digest}"


@contextmanager
def _locked(key: str):
    """A best-effort lock in the cache; after a second it goes ahead anyway."""
    lock = key + ":lock"
    deadline = time.monotonic() + 1.0
    while not cache.add(lock, 1, timeout=5):
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    try:
        yield
    finally:
        cache.delete(lock)


def _recent(key: str, now: float, rate: Rate) -> list[float]:
    return [t for t in cache.get(key, []) if t > now - rate.period]


def _retry_after(hits: list[float], now: float, rate: Rate) -> int:
    # The hit that has to age out before one more fits.
    oldest_needed = sorted(hits)[len(hits) - rate.amount]
    return max(1, math.ceil(oldest_needed + rate.period - now))


def check(name: str, ident: str) -> None:
    """Raise RateLimited if one more hit would exceed the limit; record nothing."""
    rate = rate_for(name)
    if rate is None:
        return
    now = clock()
    hits = _recent(_key(name, ident), now, rate)
    if len(hits) >= rate.amount:
        raise RateLimited(name, _retry_after(hits, now, rate))


def hit(name: str, ident: str) -> None:
    """Record one hit, or raise RateLimited (recording nothing) if it would exceed."""
    rate = rate_for(name)
    if rate is None:
        return
    key = _key(name, ident)
    with _locked(key):
        now = clock()
        hits = _recent(key, now, rate)
        if len(hits) >= rate.amount:
            raise RateLimited(name, _retry_after(hits, now, rate))
        hits.append(now)
        cache.set(key, hits, rate.period + 1)


def reset(name: str, ident: str) -> None:
    cache.delete(_key(name, ident))


def limit_message(name: str, seconds: int) -> str:
    if seconds >= 120:
        minutes = math.ceil(seconds / 60)
        wait = ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    else:
        wait = ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    messages = {
        "post": _("You are posting too fast. Please wait %(wait)s and submit again; "
                  "your text is kept below."),
        "thread": _("You have started too many threads for now. Please wait %(wait)s "
                    "and submit again; your text is kept below."),
        "report": _("You have sent many reports in a short time. Please wait %(wait)s."),
        "admin_login": _("Too many failed login attempts. Please wait %(wait)s."),
    }
    text = messages.get(name) or _("Too many requests. Please wait %(wait)s.")
    return text % {"wait": wait}


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"
