"""Rendered floors: each floor's HTML kept in the shared cache, keyed by everything it shows.

A member's thread page spent most of its time rendering twenty floors with their author
cards (docs/performance.md), the same HTML for every member who reads the page. So a
floor is rendered once per distinct set of inputs and memoised:

- The key is a digest of every input of templates/jinja2/forum/includes/floor.html:
  the template sources, the language, the post's fields, the author card's fields, the
  tags of an opening post, the page's flags and the viewer's relation to the floor
  (signed in? the author? following the author?). A changed input is a different key:
  nothing is invalidated and nothing can be stale; old entries expire.
- What belongs to one viewer never enters the cache. The body (what this viewer may
  read of hidden blocks, decided by ThreadPage) and the CSRF token are slots, filled
  in after the cache, per request. The template gets no `user` and no `request`.
- A moderator's floors (IPs, moderation forms) are rendered for them alone, uncached.

One MGET per page fetches the floors; the misses are rendered and stored with one
pipelined SET.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template import engines
from django.utils import translation
from markupsafe import Markup

FLOOR_TEMPLATE = "forum/includes/floor.html"
SECONDS = 24 * 3600  # a bound on what nobody reads any more; the key is never stale

# Slots: markers no rendered input can contain (form fields and usernames refuse NUL).
BODY_SLOT = "\x00body\x00"
CSRF_SLOT = "\x00csrf\x00"


def _sources_digest() -> str:
    """Deploying a changed floor template (or author card) changes every key."""
    root = Path(settings.BASE_DIR) / "templates" / "jinja2" / "forum" / "includes"
    digest = hashlib.blake2b(digest_size=8)
    for name in ("floor.html", "macros.html"):
        digest.update((root / name).read_bytes())
    digest.update(settings.MEDIA_URL.encode())  # avatar URLs
    return digest.hexdigest()


_VERSION: str | None = None


def _version() -> str:
    global _VERSION
    if _VERSION is None:
        _VERSION = _sources_digest()
    return _VERSION


def _template():
    return engines["jinja2"].env.get_template(FLOOR_TEMPLATE)


def floor_inputs(floor, page, viewer) -> tuple:
    """Everything floor.html shows of one floor, in a fixed order (the key's source)."""
    post = floor.post
    is_member = viewer["is_member"]
    return (
        post.pk, post.floor, post.is_deleted, post.created_at, post.edited_at,
        post.edited_by.username if post.edited_by else None,
        post.author_id, post.author.key(),
        tuple((t.slug, t.name) for t in page.tags) if post.floor == 1 else (),
        page.only_author, page.can_reply, is_member,
        is_member and viewer["pk"] == post.author_id,
        post.author_followed,
    )


def floor_key(inputs: tuple, language: str, here: str) -> str:
    digest = hashlib.blake2b(repr((_version(), language, here, inputs)).encode(),
                             digest_size=16).hexdigest()
    return f"floor:{inputs[0]}:{digest}"


def _render(floor, page, *, is_member: bool, is_own: bool, here: str, body, csrf) -> str:
    post = floor.post
    return _template().render({
        "p": post, "name": floor.name, "body": body,
        "tags": page.tags if post.floor == 1 else (),
        "only_author": page.only_author, "can_reply": page.can_reply,
        "can_moderate": page.can_moderate,
        "is_member": is_member, "is_own": is_own,
        "followed": post.author_followed,
        "here": here, "csrf": csrf,
    })


def render(page, user, *, here: str, csrf: str) -> list[Markup]:
    """The HTML of each floor of `page` (a ThreadPage) for `user`, in order."""
    is_member = user.is_authenticated
    viewer = {"is_member": is_member, "pk": user.pk}
    floors = page.floors
    if page.can_moderate:
        return [Markup(_render(f, page, is_member=is_member,  # noqa: S704 - autoescaped
                               is_own=f.post.author_id == user.pk, here=here,
                               body=f.body, csrf=csrf)) for f in floors]

    language = translation.get_language()
    keys = [floor_key(floor_inputs(f, page, viewer), language, here) for f in floors]
    found = cache.get_many(keys) if keys else {}
    missing = {}
    out = []
    slots = {"body": Markup(BODY_SLOT), "csrf": Markup(CSRF_SLOT)}  # noqa: S704 - constants
    for key, f in zip(keys, floors, strict=True):
        html = found.get(key)
        if html is None:
            html = _render(f, page, is_member=is_member,
                           is_own=is_member and f.post.author_id == user.pk,
                           here=here, **slots)
            missing[key] = html
        # The CSRF token first, then the body: text from a post is never scanned for slots.
        out.append(Markup(html.replace(CSRF_SLOT, csrf).replace(BODY_SLOT, f.body)))  # noqa: S704
    if missing:
        cache.set_many(missing, SECONDS)
    return out
