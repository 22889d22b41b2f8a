"""The guest page cache: index, board and thread pages for visitors without a session.

Discourse's anonymous cache, in Django terms. A guest's page is the same for every
guest (same language, host and normalised query), so the first guest's rendering
is kept in the cache (Redis in production) and served to the next ones without
touching the view, the database or the templates.

Correct first:
- Only GET/HEAD requests without a session cookie or Authorization header, to a
  view marked with `guest_page(kind)`, with no query parameter but the page's known
  ones, are served from the cache or stored into it. A signed-in member's request
  never gets here, so a page rendered for a member (hidden blocks opened after a
  reply!) is never stored nor served to anyone else; as a second lock, a response
  is stored only if it is a 200 rendered for an anonymous user, sets no cookie
  (Django's CSRF cookie included), is not private and varies on Cookie only.
- Invalidation by generation counters: every write bumps, after its commit, the
  generation of what it changed (a thread, a board, the index listing, the whole
  site). A cached page remembers the generations it was rendered under and is
  only served while they are all unchanged: one MGET fetches the page and its
  generations together. Nothing is deleted; stale entries just stop matching and
  expire (FORUM_PAGE_CACHE_SECONDS, which also bounds what no write announces:
  author-card counters and board-list view counts).
- Views still count on a hit, and a cached thread page shows the exact count: the
  number in `<em data-views>` is rewritten on every hit from the view counter
  (forum.views_counter: stored count = a constant + the flushed total).

Write paths call `bump_thread`, `bump_board` and `bump_site` (forum.services,
forum.moderation.services, accounts.services; admin saves and settings through
forum.signals). They run after the transaction commits, so a guest who asks right
after sees the new page, and a render racing the commit is stored under the old
generation, which no longer matches.
"""

from __future__ import annotations

import hashlib
import re
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers

from . import redis_native, views_counter
from .db_router import primary
from .middleware import language_for

VERSION = "1"
SITE = "pc:g:site"
INDEX = "pc:g:index"


def _board_gen(slug: str) -> str:
    return f"pc:g:b:{slug}"


def _thread_gen(thread_id: int) -> str:
    return f"pc:g:t:{thread_id}"


# --- marking views ----------------------------------------------------------------------

def guest_page(kind: str):
    """Mark a view as cacheable for guests (kind: "index", "board" or "thread").

    Put it outermost: the middleware finds the mark on the resolved view function.
    """
    if kind not in KNOWN_PARAMS:
        raise ValueError(f"unknown page kind {kind!r}")

    def mark(view):
        view.page_cache_kind = kind
        return view

    return mark


# --- query parameters -------------------------------------------------------------------
# Each known parameter maps a raw value to its normal form (None: the default, left
# out of the key). The views parse them the same way, so two spellings that share a
# key render the same page.

def _page(raw: str) -> str | None:
    from .thread_page import parse_page  # the views' own parsing (imported late: cycles)

    page = parse_page(raw)
    return None if page == 1 else str(page)


def _one_of(*values: str):
    def normal(raw: str) -> str | None:
        return raw if raw in values else None

    return normal


def _id(raw: str) -> str | None:
    try:
        value = int(raw)
    except ValueError:
        return None
    return str(value) if 0 < value < 2**63 else None


KNOWN_PARAMS = {
    "index": {},
    "board": {"page": _page, "filter": _one_of("digest")},
    "thread": {"page": _page, "order": _one_of("desc"), "author": _id,
               "mode": _one_of("read")},
}


# How the default value may be spelled and still count as the normal spelling.
_DEFAULT_SPELLING = {"page": "1", "order": "asc"}


def normal_query(request, kind: str) -> tuple[str, bool] | None:
    """(normal query string, whether the request spelled it so) or None: not cacheable."""
    known = KNOWN_PARAMS[kind]
    parts, exact = [], True
    for name, values in request.GET.lists():
        normal = known.get(name)
        if normal is None or len(values) != 1:
            return None
        raw = values[0]
        value = normal(raw)
        if value is not None:
            parts.append(f"{name}={value}")
        # Only a request in the normal spelling may store: the page echoes the raw
        # query (login and language links), and ?page=<junk> must not end up in the
        # page every guest gets. Other spellings are still served from the cache.
        exact = exact and raw == (value if value is not None else _DEFAULT_SPELLING.get(name))
    parts.sort()
    return "&".join(parts), exact


# --- generations --------------------------------------------------------------------------

def _fresh_generation() -> int:
    # A generation key that was evicted and comes back must never equal a value an
    # old entry remembers: start from the clock, not from 1.
    return time.time_ns()


def _bump_now(keys: list[str]) -> None:
    counted = redis_native.incr_many(keys)  # one round trip on Redis
    if counted is None:
        counted = [views_counter.incr_counter(key) for key in keys]
    for key, value in zip(keys, counted, strict=True):
        if value == 1:  # it was gone: restart from the clock
            cache.set(key, _fresh_generation(), timeout=None)


def _after_commit(bump) -> None:
    """Bump once the transaction commits (at once outside one; never after a rollback).

    After the commit, not before: a guest render that started earlier read the old
    rows and stores them under a generation that no longer matches. And not inside
    the transaction, where it would lengthen the row locks every writer queues on.
    """
    transaction.on_commit(bump)


def bump_thread(*thread_ids: int) -> None:
    """A thread's page changed (a post, its title, flags, tags)."""
    keys = [_thread_gen(t) for t in thread_ids if t]
    _after_commit(lambda: _bump_now(keys))


def bump_board(*board_ids: int) -> None:
    """A board's thread list changed: the board, its parent's sub-board row and the
    index (which counts every board's threads and posts)."""
    ids = [b for b in board_ids if b]
    if not ids:
        return

    def bump() -> None:
        from .models import Board

        slugs = set()
        for slug, parent_slug in Board.objects.filter(pk__in=ids).values_list(
            "slug", "parent__slug"
        ):
            slugs.add(slug)
            if parent_slug:
                slugs.add(parent_slug)
        _bump_now([INDEX, *(_board_gen(s) for s in sorted(slugs))])

    _after_commit(bump)


def bump_reply(thread) -> None:
    """A reply: the thread's page, its board's list (and its parent's) and the index,
    bumped together in one round trip. The slugs come from `thread.board` as the
    caller loaded it (the reply path's thread has its board: no query per reply);
    a thread moved meanwhile never gets here (the reply path re-reads it locked)."""
    board = thread.board
    slugs = [board.slug]
    if board.parent_id:
        slugs.append(board.parent.slug)
    keys = [_thread_gen(thread.pk), INDEX, *(_board_gen(s) for s in sorted(set(slugs)))]
    _after_commit(lambda: _bump_now(keys))


def bump_index() -> None:
    """The index changed but no board page did (members' count, the newest member)."""
    _after_commit(lambda: _bump_now([INDEX]))


def bump_site() -> None:
    """Something every page shows: site settings, boards and categories, a profile on
    author cards, levels, credit rules. Rare, so all pages are re-rendered."""
    _after_commit(lambda: _bump_now([SITE]))


# --- the middleware ---------------------------------------------------------------------

VIEWS_RE = re.compile(rb"<em data-views>(\d+)</em>")


@dataclass
class _Plan:
    kind: str
    key: str
    gen_keys: list[str]
    thread_id: int | None
    may_store: bool


def enabled() -> bool:
    """The page caches: guests' pages, members' shells and shared pages
    (forum/member_pages.py, forum/shared_pages.py)."""
    return getattr(settings, "FORUM_PAGE_CACHE", True)


def _plan(request) -> _Plan | None:
    if request.method not in ("GET", "HEAD") or not enabled():
        return None
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "HTTP_AUTHORIZATION" in request.META:
        return None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    kind = getattr(match.func, "page_cache_kind", None)
    if kind is None:
        return None
    query = normal_query(request, kind)
    if query is None:
        return None
    try:
        host = request.get_host()
    except Exception:  # noqa: BLE001 - DisallowedHost: let Django answer it as usual
        return None
    normal, exact = query
    thread_id = None
    if kind == "thread":
        thread_id = int(match.kwargs["thread_id"])
        ident = str(thread_id)
    else:
        ident = match.kwargs.get("slug", "")
    gens = generation_keys(kind, ident)
    raw = "|".join((VERSION, request.scheme, host, language_for(request), kind, ident, normal))
    key = "pc:p:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
    return _Plan(kind=kind, key=key, gen_keys=gens, thread_id=thread_id, may_store=exact)


def generation_keys(kind: str, ident: str) -> list[str]:
    """The generations a page of `kind` ("index", "board" with a slug, "thread" with
    an id) depends on: what has to be unchanged for a kept rendering to be current."""
    if kind == "thread":
        return [SITE, _thread_gen(int(ident))]
    if kind == "board":
        return [SITE, _board_gen(ident)]
    return [SITE, INDEX]


def generations(gen_keys: list[str], found: dict) -> tuple[int, ...]:
    """The current generations of `gen_keys` (`found`: what an MGET returned); missing
    ones (a cold or evicted cache) are started."""
    missing = [key for key in gen_keys if found.get(key) is None]
    if missing:
        for key in missing:
            cache.add(key, _fresh_generation(), timeout=None)
        found = {**found, **cache.get_many(missing)}
    return tuple(int(found.get(key) or 0) for key in gen_keys)


def kept_entry(key: str, gen_keys: list[str], fetch) -> tuple[dict | None, dict, tuple]:
    """(the entry kept under `key` if it was rendered under the current generations of
    `gen_keys`, else None; what was fetched; those generations). `fetch(keys, held)`
    reads `keys` in one round trip: the generations, after `key` itself unless this
    process holds a copy (`held`, LOCAL), when only the generations travel."""
    held = LOCAL.get(key) is not None
    found = fetch(gen_keys if held else [key, *gen_keys], held)
    current = generations(gen_keys, found)
    entry = LOCAL.current(key, current, lambda: cache.get(key) if held else found.get(key))
    return entry, found, current


def _etag(plan: _Plan, generations) -> str:
    digest = hashlib.blake2b(f"{plan.key}{generations}".encode(), digest_size=8).hexdigest()
    return f'W/"{digest}"'


def _guest_headers(response, etag: str | None) -> None:
    # Browsers may keep the page but must ask again each time (content changes with
    # every reply); the ETag makes asking cheap.
    response["Cache-Control"] = "max-age=0, must-revalidate"
    if etag:
        response["ETag"] = etag
    patch_vary_headers(response, ("Cookie",))


class GuestPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        plan = _plan(request)
        if plan is None:
            return self.get_response(request)
        total = None

        def fetch(keys: list[str], held: bool) -> dict:
            nonlocal total
            if plan.thread_id is None:
                return redis_native.get_many(keys)  # the page and its generations
            # The same, and a view counted if the page exists: one round trip.
            found, total = views_counter.fetch_and_count(
                request, plan.thread_id, [*keys, views_counter.flushed_key(plan.thread_id)],
                if_found=not held)
            return found

        entry, found, current = kept_entry(plan.key, plan.gen_keys, fetch)
        if entry is not None:
            response = self._serve(request, plan, entry, found, current, total)
            if response is not None:
                return response
        if plan.may_store:
            # A page about to be shared must be as new as its generations, which the
            # primary's commits bump: never render it from a lagging replica.
            with primary():
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if plan.may_store and _storable(request, response):
            self._store(plan, response, current)
            _guest_headers(response, _etag(plan, current))
        response["X-Cache"] = "miss"
        return response

    # --- hit ------------------------------------------------------------------------
    def _serve(self, request, plan: _Plan, entry: dict, found: dict, generations,
               counted: int | None):
        content = entry["content"]
        if plan.thread_id is not None:
            flushed = found.get(views_counter.flushed_key(plan.thread_id))
            if flushed is None or counted is None or entry.get("views_base") is None:
                return None  # cannot show an exact count: render afresh
            shown = entry["views_base"] + counted
            content = b"%s<em data-views>%d</em>%s" % (content[0], shown, content[1])
        etag = _etag(plan, generations)
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponseNotModified()
        else:
            response = HttpResponse(content, status=200)
            for name, value in entry["headers"]:
                response[name] = value
            response["Content-Length"] = str(len(content))
        _guest_headers(response, etag)
        response["X-Cache"] = "hit"
        return response

    # --- miss -----------------------------------------------------------------------
    def _store(self, plan: _Plan, response, generations) -> None:
        content = response.content
        entry = {
            "gens": generations, "at": time.time(),
            "headers": [(k, v) for k, v in response.items()
                        if k.lower() not in {"content-length", "x-cache", "etag",
                                             "cache-control", "set-cookie"}],
            "content": content,
        }
        if plan.thread_id is not None:
            found = VIEWS_RE.search(content)
            if found is None:
                return  # no view count to keep exact: do not cache this page
            # The page shows stored + pending as the view rendered it: the constant
            # part of that is what a hit adds the cache's counted total to.
            rendered = int(found.group(1))
            entry["views_base"] = rendered - views_counter.counted_total(plan.thread_id)
            entry["content"] = (content[:found.start()], content[found.end():])
        cache.set(plan.key, entry, settings.FORUM_PAGE_CACHE_SECONDS)
        LOCAL.put(plan.key, entry)


class _LocalPages:
    """The guest pages this process served last, by key, up to a number of bytes.

    A hot page (the index, a busy thread) was fetched from Redis on every hit: ~40 KB
    through Redis, the socket and the unpickler for a thread page, a quarter of a hit's
    cost. Here a kept entry is used only while its generations are the current ones,
    which every hit reads from Redis anyway, and no longer than the shared copy lives
    (FORUM_PAGE_CACHE_SECONDS from its rendering): as exact as the shared cache, and
    nothing another worker needs lives only here. Bounded by
    FORUM_PAGE_CACHE_LOCAL_BYTES (least recently used out first); 0 turns it off."""

    def __init__(self):
        self._pages: OrderedDict[str, dict] = OrderedDict()
        self._bytes = 0

    @staticmethod
    def _size(entry: dict) -> int:
        # A guest page's content (bytes, or two around the view count), or the parts of
        # a page kept for members (forum/member_pages.py, forum/shared_pages.py).
        content = entry["content"] if "content" in entry else entry["parts"]
        if isinstance(content, bytes):
            return len(content)
        return sum(map(sys.getsizeof, content))  # str parts: what they take in memory

    def get(self, key: str) -> dict | None:
        entry = self._pages.get(key)
        if entry is None:
            return None
        # No older than the shared copy may be: FORUM_PAGE_CACHE_SECONDS bounds what
        # no generation announces (author-card counters, view counts in lists).
        if time.time() - entry.get("at", 0) >= settings.FORUM_PAGE_CACHE_SECONDS:
            self._bytes -= self._size(self._pages.pop(key))
            return None
        self._pages.move_to_end(key)
        return entry

    def current(self, key: str, generations, shared) -> dict | None:
        """The entry under `key` rendered under `generations`: this process's copy, else
        `shared()` (the shared cache's), which is then kept here; None if neither is."""
        entry = self.get(key)
        if entry is not None and entry["gens"] == generations:
            return entry
        entry = shared()
        if entry is None or entry["gens"] != generations:
            return None
        self.put(key, entry)
        return entry

    def put(self, key: str, entry: dict) -> None:
        limit = settings.FORUM_PAGE_CACHE_LOCAL_BYTES
        old = self._pages.pop(key, None)
        if old is not None:
            self._bytes -= self._size(old)
        size = self._size(entry)
        if size > limit:
            return
        self._pages[key] = entry
        self._bytes += size
        while self._bytes > limit:
            _key, dropped = self._pages.popitem(last=False)
            self._bytes -= self._size(dropped)

    def clear(self) -> None:
        self._pages.clear()
        self._bytes = 0


LOCAL = _LocalPages()


_VARY_OK = {"cookie"}  # the language cookie is in the key; anything else is not


def _storable(request, response) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # the page holds a CSRF token
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    control = response.get("Cache-Control", "").lower()
    if any(word in control for word in ("private", "no-store", "no-cache")):
        return False
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
    return vary <= _VARY_OK
