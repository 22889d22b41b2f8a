"""What the thread page's moderator toolbar shows, loaded by the view (templates never query)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import permissions
from ..models import Board, Thread
from . import forms
from .models import PendingPost, Report


def move_targets(user) -> list[Board]:
    """Boards the user may move a thread into, in index order."""
    boards = Board.objects.select_related("category").order_by(
        "category__position", "category_id", "position", "id"
    )
    if not permissions.is_global_moderator(user):
        boards = boards.filter(pk__in=permissions.moderated_board_ids(user))
    return list(boards)


@dataclass
class Toolbar:
    thread: Thread
    stick: forms.StickForm
    highlight: forms.HighlightForm
    move: forms.MoveForm
    merge: forms.MergeForm
    split: forms.SplitForm
    pending: int  # posts waiting for approval in this board
    reports: int  # open reports on posts of this board


def for_thread(thread: Thread, user) -> Toolbar | None:
    """The toolbar for a moderator of the thread's board; None for everyone else."""
    if not permissions.can_moderate(user, thread.board):
        return None
    common = {"user": user, "thread": thread}
    return Toolbar(
        thread=thread,
        stick=forms.StickForm(**common, auto_id="mod-stick-%s"),
        highlight=forms.HighlightForm(**common, auto_id="mod-hl-%s"),
        move=forms.MoveForm(**common, boards=move_targets(user), auto_id="mod-move-%s"),
        merge=forms.MergeForm(**common, auto_id="mod-merge-%s"),
        split=forms.SplitForm(**common, auto_id="mod-split-%s"),
        pending=PendingPost.objects.filter(
            board_id=thread.board_id, status=PendingPost.Status.PENDING).count(),
        reports=Report.objects.filter(
            post__thread__board_id=thread.board_id, status=Report.Status.OPEN).count(),
    )
