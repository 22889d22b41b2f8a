"""Every write of the people features: follows, profiles, avatars, visits, credits.

Each function takes keyword-only arguments, writes in one transaction together
with the counters it moves (F() updates) and raises PermissionDenied or
ValidationError with a translated message, leaving nothing half-written.
Notifications are created after commit, except a new post's, which are written
with it; emails always go out after commit (accounts.notifications).

The second half are the hooks `forum.services` calls inside its own transactions,
so credits and notices follow every thread, reply, deletion, restoration and digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from forum import page_cache

from . import avatars, credits, notifications, ranking, sidebar
from .models import CreditAction, Follow, Notification, Profile

# --- follows -------------------------------------------------------------------------------


def _check_follow(follower, followee) -> None:
    if not follower.is_authenticated:
        raise PermissionDenied(_("You need to log in to follow members."))
    if not follower.is_active:
        raise PermissionDenied(_("Your account is disabled."))
    from forum.permissions import ensure_can_write

    ensure_can_write(follower)  # a banned member is refused every write (issue 5)
    if follower.pk == followee.pk:
        raise ValidationError(_("You cannot follow yourself."), code="self_follow")


def follow(*, follower, followee, at=None) -> bool:
    """Follow a member; True if this made a new follow (following twice is a no-op)."""
    _check_follow(follower, followee)
    if not followee.is_active:
        raise ValidationError(_("This member's account is closed."), code="inactive")
    with transaction.atomic():
        # Both profile rows, in id order: concurrent follow/unfollow of one pair queue
        # here, so the existence check below and the counters agree.
        credits.lock_profiles([follower.pk, followee.pk])
        if Follow.objects.filter(follower=follower, followee=followee).exists():
            return False
        Follow.objects.create(follower=follower, followee=followee,
                              created_at=at or timezone.now())
        Profile.objects.filter(user_id=follower.pk).update(
            following_count=F("following_count") + 1)
        Profile.objects.filter(user_id=followee.pk).update(
            follower_count=F("follower_count") + 1)
        credits.grant(followee.pk, CreditAction.FOLLOWED, at=at, related_user_id=follower.pk)
        if at is None:
            notifications.followed(follower_id=follower.pk, followee_id=followee.pk)
    return True


def unfollow(*, follower, followee) -> bool:
    """Stop following; True if there was a follow to remove."""
    _check_follow(follower, followee)
    with transaction.atomic():
        credits.lock_profiles([follower.pk, followee.pk])
        deleted, _rows = Follow.objects.filter(follower=follower, followee=followee).delete()
        if not deleted:
            return False
        Profile.objects.filter(user_id=follower.pk).update(
            following_count=F("following_count") - 1)
        Profile.objects.filter(user_id=followee.pk).update(
            follower_count=F("follower_count") - 1)
        # The credit for being followed goes with the follow.
        credits.revoke(CreditAction.FOLLOWED,
                       key={"user_id": followee.pk, "related_user_id": follower.pk})
    return True


def is_following(follower, followee) -> bool:
    if not follower.is_authenticated or follower.pk == followee.pk:
        return False
    return Follow.objects.filter(follower=follower, followee=followee).exists()


# --- profile -------------------------------------------------------------------------------

def render_short(text: str) -> str:
    """Bio and signature through the post pipeline, without hidden blocks."""
    from forum import markup

    source = markup.public_source(text) if text.strip() else ""
    return markup.render_fragment(source) if source.strip() else ""


def save_profile(*, user, bio: str, signature: str, email_muted: list[str] | None = None,
                 avatar=None, remove_avatar: bool = False,
                 custom_title: str | None = None) -> Profile:
    """Bio, signature, custom title (None: unchanged), email choices and avatar, all or
    nothing.

    The avatar is checked and re-encoded before anything is written: a bad image
    leaves the old avatar and the old texts in place (the form keeps the new ones).
    """
    limit = Profile._meta.get_field("bio").max_length
    bio = _clean_text(bio)
    signature = _clean_text(signature)
    for label, value in ((_("Bio"), bio), (_("Signature"), signature)):
        if len(value) > limit:
            raise ValidationError(
                _("%(field)s: at most %(limit)d characters (it has %(count)d).")
                % {"field": label, "limit": limit, "count": len(value)}
            )
    fields = {}
    if custom_title is not None:
        fields["custom_title"] = _clean_title(custom_title)
    valid = {k for k, _label in Notification.Kind.choices}
    muted = sorted({k for k in (email_muted or []) if k in valid})
    fields.update({"bio": bio, "signature": signature, "bio_html": render_short(bio),
                   "signature_html": render_short(signature), "email_muted": muted})
    new_name = ""
    if avatar is not None:
        ext, files = avatars.encode(avatars.open_image(avatar))
        new_name = avatars.store(ext, files)
    try:
        with transaction.atomic():
            profile = Profile.objects.select_for_update(no_key=True).get(user=user)
            old_name = profile.avatar.name
            if new_name or (remove_avatar and old_name):
                fields["avatar"] = new_name
                transaction.on_commit(_forget_avatar_caches)
                if old_name:
                    transaction.on_commit(lambda: avatars.delete_files(old_name))
            Profile.objects.filter(pk=profile.pk).update(**fields)
            page_cache.bump_site()  # avatar, signature and bio are on author cards
    except BaseException:
        if new_name:
            avatars.delete_files(new_name)  # nothing points at the new files
        raise
    return Profile.objects.select_related("user").get(user=user)


def _forget_avatar_caches() -> None:
    """The cached sidebar and leaderboards hold avatar URLs; the old files go away."""
    ranking.forget()
    sidebar.forget()


def _clean_title(title: str) -> str:
    """One line of plain text (the card escapes it), at most the column's length."""
    title = " ".join((title or "").replace("\x00", "").split())
    limit = Profile._meta.get_field("custom_title").max_length
    if len(title) > limit:
        raise ValidationError(
            _("%(field)s: at most %(limit)d characters (it has %(count)d).")
            % {"field": _("Custom title"), "limit": limit, "count": len(title)},
            code="custom_title_length",
        )
    return title


def _clean_text(text: str) -> str:
    return (text or "").replace("\r\n", "\n").replace("\x00", "").strip()


def remove_avatar(*, user) -> None:
    with transaction.atomic():
        profile = Profile.objects.select_for_update(no_key=True).get(user=user)
        old = profile.avatar.name
        if not old:
            return
        Profile.objects.filter(pk=profile.pk).update(avatar="")
        page_cache.bump_site()
        transaction.on_commit(_forget_avatar_caches)
        transaction.on_commit(lambda: avatars.delete_files(old))


def record_visit(*, user, daily: bool, at=None) -> None:
    """Last active time, and on the first visit of a day the daily-login credit."""
    if not user.is_authenticated:
        return
    now = at or timezone.now()
    with transaction.atomic():
        Profile.objects.filter(user_id=user.pk).update(last_seen_at=now)
        if daily:
            credits.grant(user.pk, CreditAction.DAILY_LOGIN, at=now)


def adjust_credits(*, user, amount: int, actor, note: str = "") -> int:
    """A manual ledger entry by the staff (or an importer's opening balance)."""
    if actor is not None and not (actor.is_active and actor.has_perm("accounts.change_profile")):
        raise PermissionDenied(_("Only staff may adjust credits."))
    with transaction.atomic():
        page_cache.bump_site()  # credits and the level they give are on author cards
        return credits.adjust(user_id=user.pk, amount=amount, note=note,
                              actor_id=actor.pk if actor is not None else None)


def mark_notifications_read(*, user, ids=None) -> int:
    return notifications.mark_read(user=user, ids=ids)


# --- hooks called by forum.services inside its transactions ---------------------------------

@dataclass(frozen=True)
class PostPlan:
    """What a new post's hooks need, worked out before forum.services takes its locks:
    who it notifies, and whether the author's credit cycle is already full."""

    recipients: dict[int, str] = field(default_factory=dict)
    credit_full: tuple | None = None
    # False when no credit can come of the post: no rule, a zero amount, or a cycle
    # known to be full (the writer then needs no profile state and no transaction
    # after its own statement).
    credit_due: bool = True


def plan_post(*, post, author, thread_author_id: int, board_id: int, opening: bool,
              at=None) -> PostPlan:
    """`at`: the post's time when it is backdated (imports, demo data: nobody is
    notified), else None."""
    action = CreditAction.NEW_THREAD if opening else CreditAction.REPLY
    recipients = (notifications.post_recipients(post=post, author_id=author.pk,
                                                thread_author_id=thread_author_id)
                  if at is None else {})
    rule = credits.rule_for(action, board_id)
    if rule is None or not rule.amount:
        return PostPlan(recipients, None, credit_due=False)
    full = credits.cycle_full(author.pk, action, board_id=board_id, at=at, rule=rule)
    return PostPlan(recipients, full, credit_due=full is None)


def _post_written(*, post, title: str, plan: PostPlan | None, credit: dict) -> None:
    plan = plan or PostPlan()
    # The author's profile and the recipients', in id order, before anything else
    # touches them: two members notifying each other queue instead of deadlocking.
    state = credits.lock_profiles([post.author_id, *plan.recipients])
    credits.grant(post.author_id, state=state, full=plan.credit_full, **credit)
    notifications.post_created(post=post, title=title, recipients=plan.recipients)


def thread_created(*, thread, post, at, plan: PostPlan | None = None) -> None:
    _post_written(post=post, title=thread.title, plan=plan,
                  credit={"action": CreditAction.NEW_THREAD, "board_id": thread.board_id,
                          "at": at, "thread_id": thread.pk})


def reply_created(*, post, thread, at, plan: PostPlan | None = None) -> None:
    _post_written(post=post, title=thread.title, plan=plan,
                  credit={"action": CreditAction.REPLY, "board_id": thread.board_id,
                          "at": at, "thread_id": thread.pk, "post_id": post.pk})


# forum.services' reply path on PostgreSQL splits reply_created in two: its one
# statement, which locks the thread, the board and the author's and recipients'
# profiles in that order, writes the notices and moves the counters; then, if one
# may be due, the author's credit.

def reply_notice_values(*, post, title: str, plan: PostPlan) -> tuple:
    """What that statement inserts as the reply's notices (notifications.post_notices)."""
    return notifications.post_notices(post=post, title=title, recipients=plan.recipients)


def reply_mail(ids: list[int]) -> None:
    """The mail of the notices that statement wrote, once it has committed."""
    notifications.mail_after_commit(ids)


def reply_credit(*, post, thread, at, plan: PostPlan, state: dict) -> None:
    """The author's credit for a reply, under the caller's lock of the author's profile
    (`state`: {user_id: [credits, level_id]} as locked)."""
    credits.grant_locked(post.author_id, CreditAction.REPLY, state=state,
                         full=plan.credit_full, board_id=thread.board_id, at=at,
                         thread_id=thread.pk, post_id=post.pk)


def post_deleted(*, post, thread, actor, reason: str = "") -> None:
    """A reply was deleted: its credit goes (if it counted), a moderator's penalty comes."""
    refs = {"board_id": thread.board_id, "thread_id": thread.pk}
    if not thread.is_deleted:
        credits.revoke(CreditAction.REPLY, key={"post_id": post.pk}, refs=refs)
    if actor.pk != post.author_id:
        credits.grant(post.author_id, CreditAction.POST_DELETED, board_id=thread.board_id,
                      thread_id=thread.pk, post_id=post.pk)
    notifications.moderation(recipient_id=post.author_id, actor_id=actor.pk,
                             action="delete_post", thread_id=thread.pk, post_id=post.pk,
                             reason=reason)


def post_restored(*, post, thread, actor) -> None:
    refs = {"board_id": thread.board_id, "thread_id": thread.pk}
    if not thread.is_deleted:
        credits.reinstate(CreditAction.REPLY, key={"post_id": post.pk}, refs=refs)
    credits.revoke(CreditAction.POST_DELETED, key={"post_id": post.pk}, refs=refs)
    notifications.moderation(recipient_id=post.author_id, actor_id=actor.pk,
                             action="restore_post", thread_id=thread.pk, post_id=post.pk)


def _live_reply_ids(thread) -> list[int]:
    from forum.models import Post

    return list(Post.objects.filter(thread_id=thread.pk, is_deleted=False, floor__gt=1)
                .values_list("pk", flat=True))


def _thread_key(thread) -> dict:
    return {"thread_id": thread.pk, "post_id": None}


def thread_deleted(*, thread, actor, reason: str = "") -> None:
    """The whole thread left the forum: its author's and repliers' credits go with it."""
    refs = {"board_id": thread.board_id, "thread_id": thread.pk}
    credits.revoke(CreditAction.REPLY, key={"post_id": _live_reply_ids(thread)}, refs=refs)
    credits.revoke(CreditAction.NEW_THREAD, key=_thread_key(thread), refs=refs)
    credits.revoke(CreditAction.DIGEST, key=_thread_key(thread), refs=refs)
    if actor.pk != thread.author_id:
        credits.grant(thread.author_id, CreditAction.POST_DELETED, board_id=thread.board_id,
                      thread_id=thread.pk)
    notifications.moderation(recipient_id=thread.author_id, actor_id=actor.pk,
                             action="delete_thread", thread_id=thread.pk, reason=reason)


def thread_restored(*, thread, actor) -> None:
    refs = {"board_id": thread.board_id, "thread_id": thread.pk}
    credits.reinstate(CreditAction.REPLY, key={"post_id": _live_reply_ids(thread)}, refs=refs)
    credits.reinstate(CreditAction.NEW_THREAD, key=_thread_key(thread), refs=refs)
    if thread.is_digest:
        _settle_digest(thread)
    credits.revoke(CreditAction.POST_DELETED, key=_thread_key(thread), refs=refs)
    notifications.moderation(recipient_id=thread.author_id, actor_id=actor.pk,
                             action="restore_thread", thread_id=thread.pk)


def _settle_digest(thread) -> None:
    """Digest credit for a digest thread: given back if it was earned before, else earned."""
    key = _thread_key(thread)
    if credits.has_earned(thread.author_id, CreditAction.DIGEST, key=key):
        credits.reinstate(CreditAction.DIGEST, key={**key, "user_id": thread.author_id},
                          refs={"board_id": thread.board_id})
    else:
        credits.grant(thread.author_id, CreditAction.DIGEST, board_id=thread.board_id,
                      thread_id=thread.pk)


_FLAG_ACTIONS = {
    ("is_digest", True): "digest", ("is_digest", False): "undigest",
    ("is_closed", True): "close", ("is_closed", False): "open",
}


def thread_flags_changed(*, thread, actor, before: dict, after: dict) -> None:
    """Digest credit follows the digest flag; the author hears of every change.

    `before` holds the flags as they were under the thread's row lock, with is_deleted.
    """
    deleted = before.get("is_deleted", thread.is_deleted)
    for name, value in after.items():
        if name not in before or before[name] == value:
            continue
        if name == "is_digest" and not deleted:
            if value:
                _settle_digest(thread)
            else:
                credits.revoke(CreditAction.DIGEST, key=_thread_key(thread),
                               refs={"board_id": thread.board_id})
        action = _FLAG_ACTIONS.get((name, bool(value)))
        if name == "sticky":
            action = "stick" if value else "unstick"
        if action:
            notifications.moderation(recipient_id=thread.author_id, actor_id=actor.pk,
                                     action=action, thread_id=thread.pk)


def thread_moved(*, thread, actor, board) -> None:
    notifications.moderation(recipient_id=thread.author_id, actor_id=actor.pk, action="move",
                             thread_id=thread.pk, board=board.name)


def post_edited(*, post, editor) -> None:
    if editor.pk != post.author_id:
        notifications.moderation(recipient_id=post.author_id, actor_id=editor.pk,
                                 action="edit_post", thread_id=post.thread_id, post_id=post.pk)
