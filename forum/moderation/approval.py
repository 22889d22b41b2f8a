"""The approval queue: new members' posts in boards that ask for it wait here.

A waiting post is only a PendingPost row: no floor, no counter, invisible to others.
Approving posts it through forum.services (so floors and counters are the same as
for any post, stamped at approval time); rejecting keeps the text and tells the
author why.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
from .. import services as forum_services
from ..models import Board, Thread
from ..tags import normalize_tag_names
from . import log, notify
from .models import PendingPost

Action = log.Action


def queue_thread(*, board: Board, author, title: str, body: str, tags: Iterable[str] = (),
                 author_ip: str | None = None) -> PendingPost:
    permissions.ensure_can_start_thread(author, board)
    return PendingPost.objects.create(
        board=board, author=author, title=forum_services.clean_title(title),
        body=forum_services.clean_body(body), tags=normalize_tag_names(tags),
        author_ip=author_ip,
    )


def queue_reply(*, thread: Thread, author, body: str,
                author_ip: str | None = None) -> PendingPost:
    permissions.ensure_can_reply(author, thread)
    return PendingPost.objects.create(
        board=thread.board, thread=thread, author=author,
        body=forum_services.clean_body(body), author_ip=author_ip,
    )


def _lock(pending: PendingPost) -> PendingPost:
    # Lock only the queue row: the thread is an outer join (empty for a new thread).
    return (PendingPost.objects.select_for_update(of=("self",))
            .select_related("board", "thread__board", "author").get(pk=pending.pk))


def approve(*, pending: PendingPost, actor, reason: str = ""):
    """Publish a waiting post; returns the new Thread or Post."""
    with transaction.atomic():
        locked = _lock(pending)
        board = locked.thread.board if locked.thread_id else locked.board
        permissions.ensure_can_moderate(actor, board)
        if locked.status != PendingPost.Status.PENDING:
            raise ValidationError(_("This post has been handled already."))
        if locked.thread_id:
            post = forum_services.create_reply(
                thread=locked.thread, author=locked.author, body=locked.body,
                author_ip=locked.author_ip,
            )
            thread, result = locked.thread, post
        else:
            thread = forum_services.create_thread(
                board=locked.board, author=locked.author, title=locked.title,
                body=locked.body, tags=locked.tags, author_ip=locked.author_ip,
            )
            post, result = thread.posts.get(floor=1), thread
        locked.status, locked.handled_by, locked.handled_at = (
            PendingPost.Status.APPROVED, actor, timezone.now())
        locked.post, locked.reason = post, (reason or "").strip()[:200]
        locked.save(update_fields=["status", "handled_by", "handled_at", "post", "reason"])
        log.record(
            actor=actor, action=Action.APPROVE, reason=reason, board=thread.board, thread=thread,
            post=post, target_user=locked.author, target_repr=log.post_repr(post),
            before={"pending": locked.pk}, after={"post": post.pk},
        )
        notify.notify(recipient=locked.author, actor=actor, action="approve", thread=thread,
                      post=post, reason=reason)
    pending.status = PendingPost.Status.APPROVED
    return result


def reject(*, pending: PendingPost, actor, reason: str = "") -> bool:
    with transaction.atomic():
        locked = _lock(pending)
        board = locked.thread.board if locked.thread_id else locked.board
        if not permissions.can_moderate(actor, board):
            raise PermissionDenied(_("Only moderators of this board may do that."))
        if locked.status != PendingPost.Status.PENDING:
            return False
        reason = (reason or "").strip()[:200]
        locked.status, locked.handled_by, locked.handled_at = (
            PendingPost.Status.REJECTED, actor, timezone.now())
        locked.reason = reason
        locked.save(update_fields=["status", "handled_by", "handled_at", "reason"])
        title = locked.title or locked.thread.title
        log.record(
            actor=actor, action=Action.REJECT, reason=reason, board=board,
            thread=locked.thread, target_user=locked.author, target_repr=title,
            before={"pending": locked.pk}, after={"status": PendingPost.Status.REJECTED},
        )
        notify.notify(recipient=locked.author, actor=actor, action="reject",
                      thread=locked.thread, reason=reason, title=title)
    pending.status = PendingPost.Status.REJECTED
    return True
