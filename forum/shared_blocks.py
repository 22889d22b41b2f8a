"""The part of an index or board page that is the same for every viewer, kept for members too.

A board's thread list and the index's board list show nobody anything of their own:
a member's page differs from a guest's only in the chrome around them (their name,
notifications, CSRF tokens). So the listing is rendered once and kept under the same
generations as the guest page cache (forum/page_cache.py): any write that changes the
board or the index bumps them after its commit, and a kept listing is used only while
they are unchanged. A render that started before a write is stored under the old
generations, read before rendering, so it never matches after the bump. What no
write announces (view counts in the list) is at most FORUM_PAGE_CACHE_SECONDS old,
as for guests.

The listing templates see no `user` (a test parses them): they could not show one
member's data to another by accident.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.template import engines
from django.utils import translation
from markupsafe import Markup

from . import page_cache, redis_native
from .db_router import primary

VERSION = "1"
LISTING_TEMPLATES = {"board": "forum/includes/board_listing.html",
                     "index": "forum/includes/index_listing.html"}


class _Query:
    """What a listing may read of the request: its query string (page links)."""

    __slots__ = ("GET",)

    def __init__(self, request):
        self.GET = request.GET


def render_listing(kind: str, context: dict, request) -> Markup:
    return Markup(engines["jinja2"].env.get_template(LISTING_TEMPLATES[kind])  # noqa: S704
                  .render({**context, "request": _Query(request)}))


def listing(request, kind: str, ident: str,
            build: Callable[[], tuple[dict, dict]]) -> tuple[Markup, dict]:
    """(the listing of the `kind` page, its facts for the chrome) for this request's
    query and language: "index", or "board" with its slug as `ident`. `build()` returns
    (the listing template's context, facts such as the page number shown) when the kept
    listing is missing or out of date."""
    query = page_cache.normal_query(request, kind)
    if query is None or not getattr(settings, "FORUM_PAGE_CACHE", True):
        context, facts = build()
        return render_listing(kind, context, request), facts
    normal, exact = query
    raw = "|".join((VERSION, kind, ident, translation.get_language(), normal))
    key = "sb:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
    gen_keys = page_cache.generation_keys(kind, ident)
    found = redis_native.get_many([key, *gen_keys])
    current = page_cache.generations(gen_keys, found)
    entry = found.get(key)
    if entry is not None and entry[0] == current:
        return Markup(entry[1]), entry[2]  # noqa: S704 - rendered by render_listing
    if not exact:  # the listing echoes the query (page links): keep only the normal spelling
        context, facts = build()
        return render_listing(kind, context, request), facts
    # Kept for everyone, so as new as its generations: never from a lagging replica.
    with primary():
        context, facts = build()
        html = render_listing(kind, context, request)
    cache.set(key, (current, str(html), facts), settings.FORUM_PAGE_CACHE_SECONDS)
    return html, facts
