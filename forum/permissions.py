"""Who may see, post, edit and moderate: `can_*` answers, `ensure_*` raises.

A thread a user may not know about is a 404 (Http404); one they know but may not
act on is a PermissionDenied with a reason.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .markup import HideRule


def is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def with_member_flags(users, *, now=None):
    """A user queryset that also says, per user, whether they moderate any board and
    whether a ban is in force: the request's user is loaded this way
    (accounts.backends), so most members, who neither moderate nor are banned, cost
    no query for `moderated_board_ids` or `ban_refusal` (two fewer on a thread page).

    Spelt as SQL: the same two EXISTS built from ORM expressions cost ~0.7 ms of
    Python per request to compile, more than the queries they spare. `now`: the time
    a ban must outlast (default: this moment)."""
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL
    from django.utils import timezone

    from .models import Board
    from .moderation.models import Ban

    user_col = f"{users.model._meta.db_table}.{users.model._meta.pk.column}"
    moderators = Board.moderators.through._meta.db_table
    ban = Ban._meta.db_table
    # Table names from the models' metadata, the only value a parameter: no input
    # reaches the SQL. Ban.objects.active(): not lifted and not yet expired.
    return users.annotate(
        forum_moderates_any=RawSQL(  # noqa: S611
            f"EXISTS (SELECT 1 FROM {moderators} WHERE {moderators}.user_id = {user_col})",  # noqa: S608
            (), output_field=BooleanField()),
        forum_banned=RawSQL(  # noqa: S611
            f"EXISTS (SELECT 1 FROM {ban} WHERE {ban}.user_id = {user_col}"  # noqa: S608
            f" AND {ban}.lifted_at IS NULL"
            f" AND ({ban}.expires_at IS NULL OR {ban}.expires_at > %s))",
            (now or timezone.now(),), output_field=BooleanField()),
    )


def moderated_board_ids(user) -> frozenset[int]:
    """Ids of the boards the user moderates, cached on the user for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_moderated_board_ids", None)
    if cached is None and getattr(user, "forum_moderates_any", None) in (False, 0):
        cached = user._moderated_board_ids = frozenset()  # known at load: none
    if cached is None:
        cached = frozenset(user.moderated_boards.values_list("id", flat=True))
        user._moderated_board_ids = cached
    return cached


def is_global_moderator(user) -> bool:
    """Staff moderate every board, except board moderators (see forum.moderation.staff):
    a non-superuser who moderates some board has is_staff only to reach the admin."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or not moderated_board_ids(user)


def can_moderate(user, board) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return board.pk in moderated_board_ids(user) or is_global_moderator(user)


# --- bans ---------------------------------------------------------------------------

def ban_refusal(user) -> str | None:
    """Why a banned member may not write, or None; one query, cached for the request."""
    if not user.is_authenticated:
        return None
    cached = getattr(user, "_forum_ban_refusal", False)
    if cached is False and getattr(user, "forum_banned", None) in (False, 0):
        cached = user._forum_ban_refusal = None  # known at load: no ban in force
    if cached is False:
        from .moderation.bans import refusal_for

        cached = refusal_for(user)
        user._forum_ban_refusal = cached
    return cached


def ensure_can_write(user) -> None:
    """Every write by a member checks this once: signed in, active, not banned.

    For writes outside the forum's own (follow, profile edits, …) too.
    """
    if not user.is_authenticated:
        raise PermissionDenied(_("You need to log in first."))
    if not user.is_active:
        raise PermissionDenied(_("Your account is disabled."))
    reason = ban_refusal(user)
    if reason:
        raise PermissionDenied(reason)


def can_see_thread(user, thread) -> bool:
    return not thread.is_deleted or can_moderate(user, thread.board)


def ensure_can_see_thread(user, thread) -> None:
    if not can_see_thread(user, thread):
        raise Http404(_("This thread does not exist or has been deleted."))


def can_start_thread(user, board) -> bool:
    return bool(user.is_authenticated and user.is_active) and not ban_refusal(user)


def ensure_can_start_thread(user, board) -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("You need to log in before posting."))
    ensure_can_write(user)


def reply_refusal(user, thread) -> str | None:
    """Why the user may not reply to the thread, or None if they may."""
    if not user.is_authenticated:
        return _("You need to log in before replying.")
    if not user.is_active:
        return _("Your account is disabled.")
    banned = ban_refusal(user)
    if banned:
        return banned
    if thread.is_deleted:
        return _("This thread has been deleted.")
    if thread.is_closed and not can_moderate(user, thread.board):
        return _("This thread is closed; only moderators can reply.")
    return None


def can_reply(user, thread) -> bool:
    return reply_refusal(user, thread) is None


def ensure_can_reply(user, thread) -> None:
    reason = reply_refusal(user, thread)
    if reason:
        raise PermissionDenied(reason)


def can_edit_post(user, post) -> bool:
    if not user.is_authenticated or not user.is_active or ban_refusal(user):
        return False
    if can_moderate(user, post.thread.board):
        return True
    return post.author_id == user.pk and not post.is_deleted and not post.thread.is_deleted


def ensure_can_edit_post(user, post) -> None:
    ensure_can_write(user)
    if not can_edit_post(user, post):
        raise PermissionDenied(_("You may not edit this post."))


def can_delete_post(user, post) -> bool:
    return can_moderate(user, post.thread.board)


def ensure_can_delete_post(user, post) -> None:
    if not can_delete_post(user, post):
        raise PermissionDenied(_("Only moderators may delete posts."))


def ensure_can_moderate(user, board) -> None:
    if not can_moderate(user, board):
        raise PermissionDenied(_("Only moderators of this board may do that."))


# --- reports, new members, approval ---------------------------------------------------

def can_report(user, post) -> bool:
    return bool(user.is_authenticated and user.is_active and not post.is_deleted
                and post.author_id != user.pk)


def ensure_can_report(user, post) -> None:
    ensure_can_write(user)
    ensure_can_see_thread(user, post.thread)
    if post.is_deleted:
        raise PermissionDenied(_("This post has been deleted already."))
    if post.author_id == user.pk:
        raise PermissionDenied(_("You cannot report your own post."))


def is_new_member(user) -> bool:
    """Under FORUM_NEW_MEMBER_POSTS live posts or FORUM_NEW_MEMBER_HOURS old."""
    from django.conf import settings

    if not user.is_authenticated:
        return True
    if user.is_staff or moderated_board_ids(user):
        return False
    young = user.date_joined > timezone.now() - timedelta(hours=settings.FORUM_NEW_MEMBER_HOURS)
    profile = getattr(user, "profile", None)
    few = (getattr(profile, "post_count", 0) or 0) < settings.FORUM_NEW_MEMBER_POSTS
    return young or few


def can_post_links(user, board) -> bool:
    """New members may not post links or images until trusted (spam resistance)."""
    return can_moderate(user, board) or not is_new_member(user)


def needs_approval(user, board) -> bool:
    """A new member's post in a board with an approval queue waits for a moderator."""
    return bool(board.new_member_approval and not can_moderate(user, board)
                and is_new_member(user))


def can_ban(user, scope: str) -> bool:
    """Staff may ban from the site; board moderators only from posting."""
    if is_global_moderator(user):
        return True
    return bool(user.is_authenticated and user.is_active and moderated_board_ids(user)
                and scope == "posting")


# --- hidden content -------------------------------------------------------------------

class HiddenAccess:
    """What one viewer may read of the hidden blocks on one thread page.

    At most one query (does the viewer have a live reply in the thread?), made the
    first time a block needs it: a page with no hidden block, or only blocks the viewer
    reads anyway, makes none; the page decides every floor without further queries.
    """

    def __init__(self, user, thread, *, has_replied: bool | None = None):
        self.user = user
        self.thread = thread
        self.privileged = can_moderate(user, thread.board)
        self._has_replied = has_replied
        self.credits = _credits(user)
        from .context_processors import site_settings

        self.site_open_days = site_settings().get("hide_open_after_days") or 0

    @property
    def has_replied(self) -> bool:
        if self._has_replied is None:
            self._has_replied = _has_live_reply(self.user, self.thread)
        return self._has_replied

    def sees_all(self, post) -> bool:
        if not post.has_hidden:
            return True
        is_author = self.user.is_authenticated and post.author_id == self.user.pk
        return bool(self.privileged or is_author)

    def allows(self, post, rule: HideRule) -> bool:
        if self.sees_all(post):
            return True
        if self._opened_by_time(post, rule):
            return True
        if not self.user.is_authenticated:
            return False
        if rule.credits:
            return self.credits >= rule.credits
        return self.has_replied


    def _opened_by_time(self, post, rule: HideRule) -> bool:
        """[hide=dD] and the site-wide setting make a block public after some days."""
        windows = [d for d in (rule.days, self.site_open_days) if d]
        if not windows:
            return False
        return timezone.now() >= post.created_at + timedelta(days=min(windows))


def _has_live_reply(user, thread) -> bool:
    if not user.is_authenticated:
        return False
    from .models import Post

    return Post.objects.filter(
        thread=thread, author=user, is_deleted=False, floor__gt=1
    ).exists()


def _credits(user) -> int:
    if not user.is_authenticated:
        return 0
    profile = getattr(user, "profile", None)
    return getattr(profile, "credits", 0) or 0


def can_see_hidden(user, post) -> bool:
    """May the user read every hidden block of this post?"""
    from .markup import MARKER_RE

    access = HiddenAccess(user, post.thread)
    return all(
        access.allows(post, HideRule(credits=int(c), days=int(d)))
        for c, d in MARKER_RE.findall(post.html_public)
    )
