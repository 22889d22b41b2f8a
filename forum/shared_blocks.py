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


def kept(kind: str, ident: str, name: str, build: Callable[[], object]):
    """`build()`, kept under the generations of the `kind` page `ident` (see
    page_cache.generation_keys) and reused while they are unchanged. `name` tells
    apart what is kept for the same page; the value must not depend on the viewer."""
    if not getattr(settings, "FORUM_PAGE_CACHE", True):
        return build()
    raw = "|".join((VERSION, kind, ident, name))
    key = "sb:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()
    gen_keys = page_cache.generation_keys(kind, ident)
    found = redis_native.get_many([key, *gen_keys])
    current = page_cache.generations(gen_keys, found)
    entry = found.get(key)
    if entry is not None and entry[0] == current:
        return entry[1]
    # Kept for everyone, so as new as its generations: never from a lagging replica.
    with primary():
        value = build()
    cache.set(key, (current, value), settings.FORUM_PAGE_CACHE_SECONDS)
    return value


def listing(request, kind: str, ident: str,
            build: Callable[[], tuple[dict, dict]]) -> tuple[Markup, dict]:
    """(the listing of the `kind` page, its facts for the chrome) for this request's
    query and language: "index", or "board" with its slug as `ident`. `build()` returns
    (the listing template's context, facts such as the page number shown) when the kept
    listing is missing or out of date."""

    def render() -> tuple[str, dict]:
        context, facts = build()
        return str(render_listing(kind, context, request)), facts

    query = page_cache.normal_query(request, kind)
    if query is None or not query[1]:
        # Unknown parameters, or an odd spelling: the listing echoes the query (page
        # links), so only the normal spelling is kept.
        html, facts = render()
    else:
        html, facts = kept(kind, ident, f"listing|{translation.get_language()}|{query[0]}",
                           render)
    return Markup(html), facts  # noqa: S704 - rendered by render_listing
