"""Members' index and board pages: one rendering for every member, their top bar filled in.

The index's board list and a board's thread list show nobody anything of their own
(forum/shared_blocks.py keeps them for everyone). Around them, the chrome of a member's
page differs from another member's only in the top bar (forum/topbar.py) and in flash
messages. So the whole page is kept once per place, query and language, under the
page's generations as the guest page cache keeps guests' pages (forum/page_cache.py):
exact after every write, no older than FORUM_PAGE_CACHE_SECONDS (which bounds what no
write announces: the view counts in the list). Each member's request fills in their
own top bar; the chrome template, the board's query and the listing's fetch are spared
(~0.7 ms of a member's board page, docs/performance.md).

A request with flash messages waiting is rendered afresh (the page shows, and uses up,
them), and so is a query in an odd spelling (the page echoes it in its page links).

Per hit: one MGET (the generations, and the page unless this process holds a current
copy: page_cache.LOCAL) and the top bar's small template.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation

from . import page_cache, redis_native, topbar
from .db_router import primary
from .jinja_env import CSRF_FIELD_NAME

VERSION = "1"


def _eligible(request, kind: str) -> tuple[str, bool] | None:
    """(normal query, whether it is spelled so) when this request's page may come from,
    or go to, the members' shared rendering; else None."""
    if request.method not in ("GET", "HEAD") or not page_cache.enabled():
        return None
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return None  # guests have the guest page cache
    query = page_cache.normal_query(request, kind)
    if query is None or len(get_messages(request)):
        return None
    return query


def serve(request, kind: str, ident: str,
          render: Callable[[dict], HttpResponse]) -> HttpResponse:
    """The `kind` page ("index", or "board" with its slug as `ident`) for this request:
    for a member, from the shared rendering when it is current, else rendered by
    `render(extra_context)` and kept; for anyone else, `render({})`."""
    query = _eligible(request, kind)
    if query is None:
        return render({})
    normal, exact = query
    place = "|".join((VERSION, request.scheme, request.get_host(), kind, ident, normal,
                      translation.get_language()))
    key = "mp:p:" + hashlib.blake2b(place.encode(), digest_size=16).hexdigest()
    gen_keys = page_cache.generation_keys(kind, ident)
    entry, _found, generations = page_cache.kept_entry(
        key, gen_keys, lambda keys, _held: redis_native.get_many(keys))
    if entry is not None:
        return HttpResponse(_fill(request, entry["parts"]))
    if not exact:
        return render({})
    # Kept for every member, so as new as its generations: never from a lagging replica.
    with primary():
        response = render(topbar.context())
    if response.streaming or topbar.SLOT.encode() not in response.content:
        return response  # not a page with the slot (a redirect, say): nothing to fill
    parts = response.content.decode().split(topbar.SLOT)
    if len(parts) != 2:
        # The marker somewhere else too (imported text holding it?): which one is the
        # template's is not known, so the page is rendered whole and not kept.
        return render({})
    if response.status_code != 200 or any(CSRF_FIELD_NAME in part for part in parts):
        # Not the page itself, or a form with this member's CSRF token outside the top
        # bar (kept, it would hand their token to every member): theirs alone.
        response.content = _fill(request, parts)
        return response
    entry = {"gens": generations, "parts": parts, "at": time.time()}
    cache.set(key, entry, settings.FORUM_PAGE_CACHE_SECONDS)
    page_cache.LOCAL.put(key, entry)
    response.content = _fill(request, parts)
    return response


def _fill(request, parts: list[str]) -> str:
    before, after = parts
    return before + topbar.render(request) + after
