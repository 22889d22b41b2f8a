"""Moderator operations on threads and posts: each logged, each told to the author.

Every function takes the acting moderator and an optional reason, checks permission
(through forum.permissions, as forum.services does), changes rows and counters in one
transaction together with its ModerationLog row, and notifies the author after the
commit. The counter rules are forum.recount's: after any of these, `recount_all()`
changes nothing.

Merge and split renumber floors: the merged thread's floors follow the posts' time
order, a split-off thread's floors start at 1, and the thread it was split from closes
its gaps, so page N is still floors (N-1)*size+1 … N*size everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from accounts.models import Notification

from .. import permissions
from .. import services as forum_services
from ..models import Board, Post, Thread
from ..search import index as search_index
from . import log, notify
from .models import PendingPost, ThreadRedirect

Action = log.Action


def _lock(thread: Thread) -> Thread:
    return Thread.objects.select_for_update(no_key=True).select_related("board").get(pk=thread.pk)


# --- flags: stick, digest, highlight, close --------------------------------------------

def _set_flag(*, thread: Thread, actor, action: str, field: str, value, reason: str,
              notice: str) -> bool:
    """Change one flag through forum.services; False (and no log) when nothing changed."""
    with transaction.atomic():
        locked = _lock(thread)
        permissions.ensure_can_moderate(actor, locked.board)
        old = getattr(locked, field)
        if old == value:
            return False
        # Notice first: forum.services reports some changes itself, without a reason;
        # the accounts app folds that second notice into this one.
        notify.notify(recipient=locked.author, actor=actor, action=notice, thread=locked,
                      reason=reason)
        forum_services.set_thread_flags(thread=locked, actor=actor, **{field: value})
        log.record(
            actor=actor, action=action, reason=reason, board=locked.board, thread=locked,
            target_user=locked.author, target_repr=locked.title,
            before={field: old}, after={field: value},
        )
    setattr(thread, field, value)
    return True


def stick_thread(*, thread: Thread, actor, level: int, reason: str = "") -> bool:
    """Stick at board (1), category (2) or global (3) level; 0 unsticks."""
    try:
        level = Thread.Sticky(int(level))
    except (TypeError, ValueError):
        raise ValidationError(_("Unknown sticky level.")) from None
    return _set_flag(thread=thread, actor=actor, action=Action.STICK, field="sticky",
                     value=int(level), reason=reason, notice="stick" if level else "unstick")


def set_digest(*, thread: Thread, actor, digest: bool, reason: str = "") -> bool:
    return _set_flag(thread=thread, actor=actor, action=Action.DIGEST, field="is_digest",
                     value=bool(digest), reason=reason,
                     notice="digest" if digest else "undigest")


def highlight_thread(*, thread: Thread, actor, color: str, reason: str = "") -> bool:
    if color not in Thread.Highlight.values:
        raise ValidationError(_("Unknown highlight colour."))
    return _set_flag(thread=thread, actor=actor, action=Action.HIGHLIGHT, field="highlight",
                     value=color, reason=reason,
                     notice="highlight" if color else "unhighlight")


def close_thread(*, thread: Thread, actor, closed: bool, reason: str = "") -> bool:
    return _set_flag(thread=thread, actor=actor, action=Action.CLOSE, field="is_closed",
                     value=bool(closed), reason=reason, notice="close" if closed else "open")


def set_flags(*, thread: Thread, actor, reason: str = "", sticky: int | None = None,
              is_digest: bool | None = None, is_closed: bool | None = None,
              highlight: str | None = None) -> bool:
    """Several flags at once (the admin's forms): one logged operation per flag changed."""
    changed = False
    with transaction.atomic():
        if sticky is not None:
            changed |= stick_thread(thread=thread, actor=actor, level=sticky, reason=reason)
        if is_digest is not None:
            changed |= set_digest(thread=thread, actor=actor, digest=is_digest, reason=reason)
        if is_closed is not None:
            changed |= close_thread(thread=thread, actor=actor, closed=is_closed, reason=reason)
        if highlight is not None:
            changed |= highlight_thread(thread=thread, actor=actor, color=highlight,
                                        reason=reason)
    return changed


# --- move ------------------------------------------------------------------------------

def move_thread(*, thread: Thread, actor, board: Board, reason: str = "",
                leave_redirect: bool = False) -> bool:
    """Move to another board, optionally leaving a "moved" stub in the old one."""
    with transaction.atomic():
        locked = _lock(thread)
        old_board = locked.board
        permissions.ensure_can_moderate(actor, old_board)
        permissions.ensure_can_moderate(actor, board)
        if board.pk == old_board.pk:
            return False
        notify.notify(recipient=locked.author, actor=actor, action="move", thread=locked,
                      reason=reason, board=board.name)
        forum_services.move_thread(thread=locked, actor=actor, board=board)
        # A stub in the board it comes back to would point at itself.
        ThreadRedirect.objects.filter(thread=locked, board=board).delete()
        if leave_redirect:
            ThreadRedirect.objects.create(thread=locked, board=old_board, title=locked.title)
        log.record(
            actor=actor, action=Action.MOVE, reason=reason, board=board, thread=locked,
            target_user=locked.author, target_repr=locked.title,
            before={"board": old_board.pk, "board_name": old_board.name},
            after={"board": board.pk, "board_name": board.name, "redirect": leave_redirect},
        )
    thread.board = board
    return True


# --- delete and restore --------------------------------------------------------------

def delete_thread(*, thread: Thread, actor, reason: str = "") -> bool:
    with transaction.atomic():
        locked = _lock(thread)
        permissions.ensure_can_moderate(actor, locked.board)
        if locked.is_deleted:
            return False
        notify.notify(recipient=locked.author, actor=actor, action="delete_thread",
                      thread=locked, reason=reason)
        forum_services.delete_thread(thread=locked, actor=actor, reason=reason)
        log.record(
            actor=actor, action=Action.DELETE_THREAD, reason=reason, board=locked.board,
            thread=locked, target_user=locked.author, target_repr=locked.title,
            before={"is_deleted": False}, after={"is_deleted": True},
        )
    thread.is_deleted = True
    return True


def restore_thread(*, thread: Thread, actor, reason: str = "") -> bool:
    with transaction.atomic():
        locked = _lock(thread)
        permissions.ensure_can_moderate(actor, locked.board)
        if not locked.is_deleted:
            return False
        notify.notify(recipient=locked.author, actor=actor, action="restore_thread",
                      thread=locked, reason=reason)
        forum_services.restore_thread(thread=locked, actor=actor)
        log.record(
            actor=actor, action=Action.RESTORE_THREAD, reason=reason, board=locked.board,
            thread=locked, target_user=locked.author, target_repr=locked.title,
            before={"is_deleted": True}, after={"is_deleted": False},
        )
    thread.is_deleted = False
    return True


def _lock_post(post: Post) -> Post:
    return (Post.objects.select_for_update(no_key=True).select_related("thread__board", "author")
            .get(pk=post.pk))


def delete_post(*, post: Post, actor, reason: str = "") -> bool:
    """Soft-delete a reply; the opening post takes its whole thread with it."""
    if post.floor == 1:
        return delete_thread(thread=post.thread, actor=actor, reason=reason)
    with transaction.atomic():
        locked = _lock_post(post)
        permissions.ensure_can_delete_post(actor, locked)
        if locked.is_deleted:
            return False
        thread = locked.thread
        notify.notify(recipient=locked.author, actor=actor, action="delete_post",
                      thread=thread, post=locked, reason=reason)
        forum_services.delete_post(post=locked, actor=actor, reason=reason)
        log.record(
            actor=actor, action=Action.DELETE_POST, reason=reason, board=thread.board,
            thread=thread, post=locked, target_user=locked.author,
            target_repr=log.post_repr(locked),
            before={"is_deleted": False}, after={"is_deleted": True},
        )
    post.is_deleted = True
    return True


def restore_post(*, post: Post, actor, reason: str = "") -> bool:
    if post.floor == 1:
        return restore_thread(thread=post.thread, actor=actor, reason=reason)
    with transaction.atomic():
        locked = _lock_post(post)
        permissions.ensure_can_delete_post(actor, locked)
        if not locked.is_deleted:
            return False
        thread = locked.thread
        notify.notify(recipient=locked.author, actor=actor, action="restore_post",
                      thread=thread, post=locked, reason=reason)
        forum_services.restore_post(post=locked, actor=actor)
        log.record(
            actor=actor, action=Action.RESTORE_POST, reason=reason, board=thread.board,
            thread=thread, post=locked, target_user=locked.author,
            target_repr=log.post_repr(locked),
            before={"is_deleted": True}, after={"is_deleted": False},
        )
    post.is_deleted = False
    return True


# --- merge and split -------------------------------------------------------------------
# Both take the affected threads out of every counter (forum.services' own helper),
# rearrange posts and floors, then put the result back: the counters never need a
# special case for "half a thread moved".

_leave = forum_services.thread_leaves_board  # add (+1) / remove (-1) a live thread's counts


def _renumber(thread_id: int, ordered_ids: list[int]) -> None:
    """Make `ordered_ids` (all the posts the thread will hold) floors 1…n of the thread.

    Two passes keep UniqueConstraint(thread, floor) true after every row, as
    PostgreSQL checks it: first to floors above every floor in use, then down.
    """
    if not ordered_ids:
        return
    in_use = (Post.objects.filter(thread_id=thread_id).aggregate(m=Max("floor"))["m"] or 0)
    moving = (Post.objects.filter(pk__in=ordered_ids).aggregate(m=Max("floor"))["m"] or 0)
    offset = max(in_use, moving, len(ordered_ids))
    Post.objects.bulk_update(
        [Post(pk=pk, thread_id=thread_id, floor=offset + i)
         for i, pk in enumerate(ordered_ids, 1)],
        ["thread", "floor"], batch_size=500,
    )
    Post.objects.filter(thread_id=thread_id, floor__gt=offset).update(floor=F("floor") - offset)


def _reset_from_posts(thread: Thread) -> None:
    """Opening author/time, last floor and reply count of a renumbered thread."""
    first = Post.objects.filter(thread=thread, floor=1).values("author_id", "created_at").get()
    last_floor = Post.objects.filter(thread=thread).count()
    replies = Post.objects.filter(thread=thread, floor__gt=1, is_deleted=False).count()
    thread.author_id, thread.created_at = first["author_id"], first["created_at"]
    thread.last_floor, thread.reply_count = last_floor, replies
    Thread.objects.filter(pk=thread.pk).update(
        author_id=first["author_id"], created_at=first["created_at"],
        last_floor=last_floor, reply_count=replies,
    )
    forum_services.refresh_thread_last_post(thread)


def merge_threads(*, target: Thread, source: Thread, actor, reason: str = "") -> Thread:
    """Merge `source` into `target`: all posts in one thread, floors in time order.

    The target keeps its title, board and flags and gains the source's tags and views;
    the source's address redirects to the target from then on.
    """
    if target.pk == source.pk:
        raise ValidationError(_("A thread cannot be merged into itself."))
    with transaction.atomic():
        first, second = sorted([target.pk, source.pk])
        locked = {t.pk: t for t in Thread.objects.select_for_update(no_key=True)
                  .select_related("board")
                  .filter(pk__in=[first, second]).order_by("pk")}
        if len(locked) != 2:
            raise ValidationError(_("That thread does not exist."))
        target, source = locked[target.pk], locked[source.pk]
        permissions.ensure_can_moderate(actor, target.board)
        permissions.ensure_can_moderate(actor, source.board)
        if target.is_deleted or source.is_deleted:
            raise ValidationError(_("Restore a deleted thread before merging it."))
        ordered = list(
            Post.objects.filter(thread_id__in=[target.pk, source.pk])
            .order_by("created_at", "id").values_list("pk", "is_deleted")
        )
        if ordered[0][1]:
            raise ValidationError(_("The earliest post of the merged thread is deleted; "
                                    "restore it first."))
        before = {
            "source": source.pk, "source_title": source.title, "source_board": source.board_id,
            "source_floors": source.last_floor, "floors": target.last_floor,
            "author": target.author_id,
        }
        source_board, source_author = source.board, source.author
        _leave(source, -1)
        _leave(target, -1)
        _renumber(target.pk, [pk for pk, _deleted in ordered])
        target.tags.add(*source.tags.all())
        Thread.objects.filter(pk=target.pk).update(
            view_count=F("view_count") + source.view_count
        )
        _reset_from_posts(target)
        PendingPost.objects.filter(thread=source).update(thread=target)
        ThreadRedirect.objects.filter(thread=source).update(thread=target)
        # Notices about the source's posts follow them: deleting the source would
        # cascade them away and leave their recipients' unread counts too high.
        Notification.objects.filter(thread=source).update(thread=target)
        source_pk, source_title = source.pk, source.title
        search_index.remove_thread(source_pk)
        source.delete()  # empty now; its address is redirected below
        ThreadRedirect.objects.create(thread=target, old_thread_id=source_pk, title=source_title)
        _leave(target, 1)
        forum_services.refresh_board_last_post(source_board.pk)
        search_index.index_thread(target)
        log.record(
            actor=actor, action=Action.MERGE, reason=reason, board=target.board, thread=target,
            target_user=source_author, target_repr=f"{source_title} → {target.title}",
            before=before, after={"floors": target.last_floor, "author": target.author_id},
        )
        notify.notify(recipient=source_author, actor=actor, action="merge_into", thread=target,
                      reason=reason, title=source_title)
    return target


def split_thread(*, thread: Thread, post_ids: Iterable[int], actor, title: str,
                 board: Board | None = None, reason: str = "") -> Thread:
    """Move the chosen replies to a new thread (floors 1…n in their order).

    The opening post stays; the old thread closes the gaps they leave.
    """
    title = forum_services.clean_title(title)
    try:
        ids = sorted({int(pk) for pk in post_ids})
    except (TypeError, ValueError):
        raise ValidationError(_("Choose the posts to split off.")) from None
    if not ids:
        raise ValidationError(_("Choose the posts to split off."))
    with transaction.atomic():
        locked = _lock(thread)
        board = board or locked.board
        permissions.ensure_can_moderate(actor, locked.board)
        permissions.ensure_can_moderate(actor, board)
        if locked.is_deleted:
            raise ValidationError(_("Restore the thread before splitting it."))
        chosen = list(Post.objects.filter(thread=locked, pk__in=ids)
                      .select_related("author").order_by("floor"))
        if len(chosen) != len(ids):
            raise ValidationError(_("Some of the chosen posts are not in this thread."))
        if any(p.floor == 1 for p in chosen):
            raise ValidationError(_("The opening post cannot be split off; "
                                    "split the replies instead."))
        if any(p.is_deleted for p in chosen):
            raise ValidationError(_("Restore deleted posts before splitting them off."))
        old_floors = [p.floor for p in chosen]
        _leave(locked, -1)
        opener = chosen[0]
        new = Thread.objects.create(
            board=board, author_id=opener.author_id, title=title,
            created_at=opener.created_at, last_post_at=opener.created_at,
            last_poster_id=opener.author_id, last_floor=0,
        )
        _renumber(new.pk, [p.pk for p in chosen])
        remaining = list(Post.objects.filter(thread=locked).order_by("floor")
                         .values_list("pk", flat=True))
        _renumber(locked.pk, remaining)
        _reset_from_posts(locked)
        _reset_from_posts(new)
        _leave(locked, 1)
        _leave(new, 1)
        search_index.index_thread(locked)
        search_index.index_thread(new)
        log.record(
            actor=actor, action=Action.SPLIT, reason=reason, board=locked.board, thread=locked,
            target_user=opener.author, target_repr=f"{locked.title} → {new.title}",
            before={"floors": old_floors, "thread_floors": len(remaining) + len(chosen)},
            after={"new_thread": new.pk, "new_board": board.pk, "thread_floors": len(remaining)},
        )
        first_of = {}
        for p in chosen:
            first_of.setdefault(p.author_id, p)
        for p in first_of.values():  # each author once, pointed at their first moved post
            notify.notify(recipient=p.author, actor=actor, action="split", thread=locked,
                          post=p, reason=reason, new_title=new.title)
    return new
