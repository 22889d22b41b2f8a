"""Writing the moderation log: one row per operation, inside the operation's transaction."""

from __future__ import annotations

from typing import Any

from django.utils.text import Truncator

from .models import ModerationLog

Action = ModerationLog.Action


def record(*, actor, action: str, target_repr: str, reason: str = "", board=None,
           thread=None, post=None, target_user=None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> ModerationLog:
    """Append one log row; call it inside the transaction of the change it describes."""
    return ModerationLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        board=board,
        thread=thread,
        post=post,
        target_user=target_user,
        target_repr=Truncator(target_repr).chars(200),
        reason=(reason or "").strip()[:200],
        before=before or {},
        after=after or {},
    )


def post_repr(post) -> str:
    """`Title #5` for a post: what a moderator would call it."""
    return f"{post.thread.title} #{post.floor}"
