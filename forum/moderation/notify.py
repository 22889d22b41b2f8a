"""Telling members what moderators did: the one call into the accounts app.

Contract: `accounts.notifications.moderation(*, recipient_id, actor_id, action,
thread_id=None, post_id=None, reason="", **data)` stores one in-site notification
of kind "moderation" (and emails it to members who opted in) after the current
transaction commits, never notifies a member of their own action, and folds a
second notice of the same action on the same target within two minutes into the
first, adding the reason. The accounts app renders the text from `action`:

    stick unstick digest undigest highlight unhighlight close open move merge_into split
    delete_thread restore_thread delete_post restore_post
    ban ban_site lift_ban report_resolved report_dismissed approve reject

`data` carries what the text needs besides the thread (`title` when there is no
thread row, `board` for a move). Only public data goes in: titles, board names and
the moderator's reason, never post bodies. forum.services already reports some of
these (delete, restore, flags, move) without a reason; the notice sent from here
then only adds the reason to it.

If the accounts app is missing (or predates this API) a notice is only logged, so
moderation never fails for want of notifications.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def notify(*, recipient, actor, action: str, thread=None, post=None, reason: str = "",
           **data) -> None:
    """Queue a moderation notice to `recipient` for after the transaction commits."""
    if recipient is None or getattr(recipient, "pk", None) is None:
        return
    try:
        from accounts import notifications
    except ImportError:
        notifications = None
    send = getattr(notifications, "moderation", None)
    if send is None:
        logger.info("moderation notice %s for member %s (no notifications app)",
                    action, recipient.pk)
        return
    send(
        recipient_id=recipient.pk,
        actor_id=getattr(actor, "pk", None),
        action=action,
        thread_id=getattr(thread, "pk", None),
        post_id=getattr(post, "pk", None),
        reason=(reason or "").strip()[:200],
        **data,
    )
