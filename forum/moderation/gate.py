"""The posting gate: what a request must pass before a post is written.

In order: the member may write (not banned: the reason is shown first), new members
post no links or images, the same text is not posted twice within a minute, the
rate limits, and finally the board's approval queue decides whether the post is
published (forum.services) or waits (moderation.approval). Each refusal is a
ValidationError with a clear message, raised before anything is written, so the
view re-renders the form with the member's text.

This is request-boundary code, called by the posting views only; services and
their bulk callers (imports, benchmarks, the admin) never pass through it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import markup, permissions
from .. import services as forum_services
from ..models import Board, Post, Thread
from . import approval, ratelimit
from .models import PendingPost

# An external link or an image in rendered (sanitized) HTML. Links inside the site
# (mentions, /t/… references) are relative and stay allowed.
_LINK_RE = re.compile(r"<a\s[^>]*href=\"(?:https?:|mailto:|//)|<img\s", re.IGNORECASE)


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


# An address in the source, even where the renderer would not make it a link
# (spammers write "www.example.top" or "https://…" in plain text too).
_ADDRESS_RE = re.compile(r"(?:https?://|www\.)\S", re.IGNORECASE)


def has_links_or_images(body: str) -> bool:
    return bool(_ADDRESS_RE.search(body) or _LINK_RE.search(markup.render(body).html))


def _check_links(user, board: Board, body: str) -> None:
    if not permissions.can_post_links(user, board) and has_links_or_images(body):
        raise ValidationError(
            _("New members cannot post links or images yet (until %(posts)d posts and "
              "%(hours)d hours after joining). Please remove them and submit again.")
            % {"posts": settings.FORUM_NEW_MEMBER_POSTS, "hours": settings.FORUM_NEW_MEMBER_HOURS},
            code="links_not_allowed",
        )


def _duplicate_key(user, body: str) -> str:
    text = " ".join(body.split())
    digest = hashlib.sha256(text.encode()).hexdigest()[:40]
    return f"forum:dup:{user.pk}:{digest}"


_DUPLICATE = gettext_lazy(
    "You posted the same text a moment ago. Please wait a minute or change it."
)


def _check_limits(request, board: Board, body: str, *, new_thread: bool) -> str | None:
    """Run the checks; returns the duplicate-guard key to release if posting fails."""
    user = request.user
    _check_links(user, board, body)
    if permissions.can_moderate(user, board):
        return None  # moderators are neither rate-limited nor duplicate-checked
    window = settings.FORUM_DUPLICATE_SECONDS
    key = _duplicate_key(user, body) if window > 0 else None
    if key:
        posted_at = cache.get(key)
        if posted_at is not None and ratelimit.clock() - posted_at < window:
            raise ValidationError(_DUPLICATE, code="duplicate")
    names = ["thread", "post"] if new_thread else ["post"]
    for name in names:
        ratelimit.check(name, str(user.pk))
    for name in names:
        ratelimit.hit(name, str(user.pk))
    if key:
        cache.set(key, ratelimit.clock(), window + 1)
    return key


def submit_thread(request, *, board: Board, title: str, body: str,
                  tags: Iterable[str] = ()) -> Thread | PendingPost:
    user = request.user
    permissions.ensure_can_start_thread(user, board)
    key = _check_limits(request, board, body, new_thread=True)
    try:
        if permissions.needs_approval(user, board):
            return approval.queue_thread(board=board, author=user, title=title, body=body,
                                         tags=tags, author_ip=_ip(request))
        return forum_services.create_thread(board=board, author=user, title=title, body=body,
                                            tags=tags, author_ip=_ip(request))
    except Exception:
        if key:
            cache.delete(key)
        raise


def submit_reply(request, *, thread: Thread, body: str) -> Post | PendingPost:
    user = request.user
    permissions.ensure_can_reply(user, thread)
    key = _check_limits(request, thread.board, body, new_thread=False)
    try:
        if permissions.needs_approval(user, thread.board):
            return approval.queue_reply(thread=thread, author=user, body=body,
                                        author_ip=_ip(request))
        return forum_services.create_reply(thread=thread, author=user, body=body,
                                           author_ip=_ip(request))
    except Exception:
        if key:
            cache.delete(key)
        raise


def submit_edit(request, *, post: Post, body: str, title: str | None = None,
                tags: Iterable[str] | None = None) -> Post:
    """An edit must not smuggle in the links a new member could not post."""
    permissions.ensure_can_edit_post(request.user, post)
    _check_links(request.user, post.thread.board, body)
    return forum_services.edit_post(post=post, editor=request.user, body=body, title=title,
                                    tags=tags)


PENDING_MESSAGE = gettext_lazy("Thank you! Your post will appear after a moderator approves it.")


def is_pending(result) -> bool:
    return isinstance(result, PendingPost)


def error_status(error: Exception) -> int:
    """HTTP status of a re-rendered form: 429 for a rate limit, 403 for a refusal."""
    if isinstance(error, ratelimit.RateLimited):
        return 429
    if isinstance(error, PermissionDenied):
        return 403
    return 200
