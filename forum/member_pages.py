"""Members' thread pages assembled from a shared shell around per-viewer slots.

A member's thread page cost ~5.8 ms of CPU against the bare-Django ceiling's 2.1
(docs/performance.md): four ORM queries, twenty floors and the chrome template, nearly
all of it the same for every member who reads the page. So the page is rendered once
per distinct *viewer signature* and kept, like the guest page cache (forum.page_cache),
under the thread's and the site's generations: exact after every write, expiring after
FORUM_PAGE_CACHE_SECONDS (which bounds what no write announces: author-card counters).

What differs between members is either in the signature or a slot:

- Signature (part of the shell's key): which floors of the page the viewer wrote, which
  of their authors the viewer follows, whether the thread is in the viewer's favorites,
  and why the viewer may not reply (None: they may). Members who share all four get the
  same HTML around the slots; most members of a page share the empty signature.
- Slots, filled per request, never stored: the top bar (name, unread count, staff link,
  forms with the CSRF token), every CSRF token, the reply form's one-time token, the view
  count, and the body of each floor with hidden blocks (what this viewer may read, from
  forum.thread_page.viewer_body with their own HiddenAccess).

Who never gets a shell: guests (the guest page cache has theirs), moderators and staff
(IPs, moderation forms), a request with flash messages waiting, a query that is not
in its normal spelling. A page holding a slot marker in something a member wrote only
ever shows the viewer their own slot values (markers are NUL-delimited; forms refuse NUL).

Per hit: one round trip for the thread's facts and generations and the view count
(forum.views_counter.fetch_and_count), one query for the member's
relation to the page (forum/viewer_facts.py: favourite, follows, a live reply), the
shell (from this process's copy while current, as forum.page_cache.LOCAL keeps guest
pages; else one GET), the top bar's small template. Before it: the
session and the member's own row, as for every page.
"""

from __future__ import annotations

import copy
import hashlib
import re
import time
import uuid

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import translation
from markupsafe import Markup

from accounts.favorites import is_favorite

from . import page_cache, permissions, rendered_floors, topbar, viewer_facts, views_counter
from .jinja_env import CSRF_FIELD_NAME, csrf_field
from .models import Thread
from .thread_page import viewer_body

VERSION = "1"
TOKEN_SLOT = "\x00token\x00"  # noqa: S105 - a slot marker, not a secret
VIEWS_SLOT = "\x00views\x00"
CSRF_SLOT = rendered_floors.CSRF_SLOT
_SLOT_RE = re.compile("\x00(topbar|token|views|csrf|body:[0-9]+)\x00")


def body_slot(index: int) -> str:
    return f"\x00body:{index}\x00"


def _may_share(user) -> bool:
    """A member whose page is the same as others' around the slots: no moderator or
    staff member (their floors carry IPs and moderation forms)."""
    if not (user.is_authenticated and user.is_active) or user.is_staff or user.is_superuser:
        return False
    return not permissions.moderated_board_ids(user)


def _digest(*parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


class _Viewer:
    """What viewer_body needs of a page, for the floors filled from a shell."""

    can_moderate = False

    def __init__(self, user, thread, *, has_replied: bool | None):
        self.user = user
        self.access = permissions.HiddenAccess(user, thread, has_replied=has_replied)
        self.jammed = bool(thread.board.jammer and thread.board.jammer_for_members)


class Shell:
    """One member's request for one thread page: serve it from a kept shell, or render
    it with slots (the view calls `context()` and `finish()`) and keep that."""

    def __init__(self, request, thread_id: int):
        self.request = request
        self.user = request.user
        self.thread_id = thread_id
        path = request.get_full_path()
        place = (VERSION, request.scheme, request.get_host(), thread_id, path)
        self.meta_key = "mp:m:" + _digest(*place)
        self.place = place
        self.gen_keys = page_cache.generation_keys("thread", str(thread_id))
        self.generations: tuple[int, ...] | None = None
        self._held_bodies: list | None = None

    # --- serving ------------------------------------------------------------------
    def serve(self) -> HttpResponse | None:
        """The page from kept parts, or None (render it: `context()`, `finish()`)."""
        flushed_key = views_counter.flushed_key(self.thread_id)
        # The page's facts and generations, and this view counted if the page is known.
        found, counted = views_counter.fetch_and_count(
            self.request, self.thread_id, [self.meta_key, *self.gen_keys, flushed_key])
        self.generations = page_cache.generations(self.gen_keys, found)
        meta = found.get(self.meta_key)
        if (meta is None or meta["gens"] != self.generations or flushed_key not in found
                or counted is None):
            return None
        thread = meta["thread"]
        permissions.ensure_can_see_thread(self.user, thread)  # a 404 as the view gives
        me = self.user.pk
        known = viewer_facts.facts(
            me, thread.pk, authors=self._may_follow(meta["authors"]),
            # Whether a hidden block that opens on replying opens for this member.
            replied=any(post.author_id != me for post in meta["hidden"].values()))
        signature = self._signature(
            meta["authors"], followed=known.followed, favorited=known.favorited,
            refusal=permissions.reply_refusal(self.user, thread),
        )
        key = self._shell_key(signature)
        # This process's copy if it is current, as the guest page cache does (LOCAL).
        shell = page_cache.LOCAL.current(key, self.generations, lambda: cache.get(key))
        if shell is None:
            return None
        viewer = _Viewer(self.user, thread, has_replied=known.replied)
        bodies = {index: viewer_body(post, viewer)[0] for index, post in meta["hidden"].items()}
        views = shell["views_base"] + counted
        return HttpResponse(self._fill(shell["parts"], bodies, views))

    def _may_follow(self, authors: list[int]) -> set[int]:
        """The page's authors this member might follow (none if they follow nobody)."""
        profile = getattr(self.user, "profile", None)
        if profile is not None and not profile.following_count:
            return set()
        return set(authors) - {self.user.pk}

    def _signature(self, authors: list[int], *, followed, favorited: bool, refusal) -> tuple:
        """Which floors the member wrote, whose authors they follow, their favourite and
        why they may not reply: what the shared part of the page shows of them."""
        me = self.user.pk
        return (
            tuple(i for i, author in enumerate(authors) if author == me),
            tuple(i for i, author in enumerate(authors) if author != me and author in followed),
            bool(favorited),
            None if refusal is None else str(refusal),
        )

    def _shell_key(self, signature: tuple) -> str:
        return "mp:s:" + _digest(*self.place, translation.get_language(), signature)

    def _fill(self, parts: list[str], bodies: dict[int, str], views: int) -> str:
        request = self.request
        values = {"topbar": topbar.render(request), "csrf": csrf_field(request),
                  "token": uuid.uuid4().hex,
                  "views": str(views)}
        out = []
        for i, part in enumerate(parts):
            if i % 2 == 0:
                out.append(part)
            elif part.startswith("body:"):
                out.append(bodies[int(part[5:])])
            else:
                out.append(values[part])
        return "".join(out)

    # --- rendering with slots -----------------------------------------------------------
    def hold_bodies(self, page) -> None:
        """Before the floors are rendered: each body becomes a slot."""
        self._held_bodies = [floor.body for floor in page.floors]
        for index, floor in enumerate(page.floors):
            floor.body = Markup(body_slot(index))  # noqa: S704 - a constant marker

    def context(self) -> dict:
        """What the thread template needs to leave the slots in place."""
        return {"csrf_slot": Markup(CSRF_SLOT), **topbar.context()}  # noqa: S704

    def finish(self, response, thread: Thread, page) -> HttpResponse:
        """Keep the page just rendered with slots, and fill them for this viewer."""
        if response.status_code != 200 or self.generations is None:
            return response
        content = response.content
        seen = page_cache.VIEWS_RE.search(content)
        if seen is None:
            return response  # no view count to keep exact: nothing kept (as page_cache)
        shown = int(seen.group(1))
        html = (content[:seen.start(1)] + VIEWS_SLOT.encode() + content[seen.end(1):]).decode()
        authors = [floor.post.author_id for floor in page.floors]
        hidden = {i: floor.post for i, floor in enumerate(page.floors)
                  if floor.post.has_hidden and not floor.post.is_deleted}
        bodies = self._held_bodies or []
        parts = self._parts(html, {i: body for i, body in enumerate(bodies) if i not in hidden})
        if any(CSRF_FIELD_NAME in part for part in parts[::2]):
            # A form with this member's own CSRF token outside the slots: never shared
            # (it would hand their token to other members). The page is theirs alone.
            response.content = self._fill(parts, {i: bodies[i] for i in hidden}, shown)
            return response
        signature = self._signature(
            authors,
            followed={floor.post.author_id for floor in page.floors
                      if floor.post.author_followed},
            favorited=is_favorite(self.user, thread), refusal=page.reply_refusal,
        )
        kept = _shareable(thread)
        shell = {"gens": self.generations, "parts": parts, "at": time.time(),
                 "views_base": shown - views_counter.counted_total(self.thread_id)}
        key = self._shell_key(signature)
        cache.set_many({
            self.meta_key: {"gens": self.generations, "thread": kept, "authors": authors,
                            "hidden": hidden},
            key: shell,
        }, settings.FORUM_PAGE_CACHE_SECONDS)
        page_cache.LOCAL.put(key, shell)
        response.content = self._fill(parts, {i: bodies[i] for i in hidden}, shown)
        return response

    @staticmethod
    def _parts(html: str, shared_bodies: dict[int, str]) -> list[str]:
        """[text, slot, text, slot, …, text]: bodies every viewer reads become text."""
        pieces = _SLOT_RE.split(html)
        parts = [pieces[0]]
        for i in range(1, len(pieces), 2):
            name, text = pieces[i], pieces[i + 1]
            if name.startswith("body:") and int(name[5:]) in shared_bodies:
                parts[-1] += shared_bodies[int(name[5:])] + text
            else:
                parts += [name, text]
        return parts


def _shareable(thread: Thread) -> Thread:
    """The thread as a shell's facts keep it: with its board (permissions, the jammer),
    without this viewer's favourite state or the author's row (a password hash and an
    e-mail address have no business in the cache; serving never reads the author)."""
    kept = copy.copy(thread)
    kept.__dict__.pop("viewer_favorited", None)
    kept._state = copy.copy(thread._state)
    kept._state.fields_cache = {name: value for name, value in thread._state.fields_cache.items()
                                if name != "author"}
    return kept


def shell_for(request, thread_id: int) -> Shell | None:
    """A Shell when this request's page may be shared with other members, else None."""
    if request.method not in ("GET", "HEAD") or not page_cache.enabled():
        return None
    if not _may_share(request.user):
        return None
    query = page_cache.normal_query(request, "thread")
    if query is None or not query[1]:
        return None
    if len(get_messages(request)):  # the page would show (and use up) them
        return None
    return Shell(request, thread_id)
