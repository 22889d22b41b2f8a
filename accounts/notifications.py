"""In-site notifications and their emails.

A new post's notices are written in the post's own transaction (one bulk insert and
one counter update: they commit or roll back with the post, and a reply costs no
second transaction); every other notice is created after the write that caused it
has committed (`transaction.on_commit`, robust: a failure is logged and never
reaches the write that triggered it). Texts carry public text only: excerpts are
cut from `Post.text_public`, which holds no hidden block.

Emails are durable: a notice that should be mailed is stored with
`email_pending`; after the commit a background sender claims the pending rows,
renders and sends them and clears the flag in one transaction, so a slow mail
server never holds up a request and a mail is sent once. Mail left pending (the
process died, the mail server refused) is sent by `manage.py
send_notification_mail`.
"""

from __future__ import annotations

import contextvars
import datetime
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import close_old_connections, connections, router, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from forum import model_sql

from .models import Level, Notification, Profile

logger = logging.getLogger(__name__)
Kind = Notification.Kind
EXCERPT_LENGTH = 140
# A second notice of the same moderator action on the same target within this
# window is folded into the first (the forum service and a moderation wrapper
# around it may both report one action).
MODERATION_DEDUP = datetime.timedelta(minutes=2)
FOLLOW_DEDUP = datetime.timedelta(days=1)


# --- what a notification says ----------------------------------------------------------

def _moderation_messages() -> dict[str, str]:
    return {
        "delete_post": _("%(actor)s deleted your post in “%(thread)s”"),
        "restore_post": _("%(actor)s restored your post in “%(thread)s”"),
        "edit_post": _("%(actor)s edited your post in “%(thread)s”"),
        "delete_thread": _("%(actor)s deleted your thread “%(thread)s”"),
        "restore_thread": _("%(actor)s restored your thread “%(thread)s”"),
        "digest": _("%(actor)s made your thread “%(thread)s” a digest"),
        "undigest": _("%(actor)s removed your thread “%(thread)s” from the digests"),
        "stick": _("%(actor)s stuck your thread “%(thread)s” to the top"),
        "unstick": _("%(actor)s unstuck your thread “%(thread)s”"),
        "close": _("%(actor)s closed your thread “%(thread)s”"),
        "open": _("%(actor)s reopened your thread “%(thread)s”"),
        "move": _("%(actor)s moved your thread “%(thread)s” to %(board)s"),
        "merge": _("%(actor)s merged your thread “%(thread)s” into another"),
        "split": _("%(actor)s split posts of “%(thread)s” into a new thread"),
        "highlight": _("%(actor)s highlighted your thread “%(thread)s”"),
        # Sent by forum.moderation (issue 5); see forum/moderation/notify.py.
        "merge_into": _("%(actor)s merged your thread into “%(thread)s”"),
        "unhighlight": _("%(actor)s removed the highlight from your thread “%(thread)s”"),
        "ban": _("%(actor)s banned you from posting"),
        "ban_site": _("%(actor)s banned your account"),
        "lift_ban": _("%(actor)s lifted your ban"),
        "report_resolved": _("Your report on “%(thread)s” was handled by a moderator"),
        "report_dismissed": _("Your report on “%(thread)s” was reviewed; no action was needed"),
        "approve": _("%(actor)s approved your post in “%(thread)s”"),
        "reject": _("%(actor)s did not approve your post “%(thread)s”"),
    }


def describe(n: Notification) -> str:
    """One translated line saying what happened (public information only)."""
    actor = n.actor.get_username() if n.actor_id and n.actor else None
    thread = n.thread.title if n.thread_id and n.thread else None
    return _summary(n.kind, n.data, actor, thread)


def _summary(kind: str, data: dict, actor: str | None, thread: str | None) -> str:
    """describe() from the names it needs (None: no such member or thread); the mail
    sender reads them with its rows instead of loading the related objects."""
    values = {"actor": _("Someone") if actor is None else actor,
              "thread": data.get("title", "") if thread is None else thread,
              "board": data.get("board", ""), "level": _level_name(data)}
    if kind == Kind.REPLY:
        return _("%(actor)s replied to your thread “%(thread)s”") % values
    if kind == Kind.QUOTE:
        return _("%(actor)s quoted your post in “%(thread)s”") % values
    if kind == Kind.MENTION:
        return _("%(actor)s mentioned you in “%(thread)s”") % values
    if kind == Kind.FOLLOW:
        return _("%(actor)s started following you") % values
    if kind == Kind.LEVEL:
        if data.get("promoted"):
            return _("Congratulations, you have been promoted to %(level)s") % values
        return _("Your level is now %(level)s") % values
    if kind == Kind.MODERATION:
        message = _moderation_messages().get(
            data.get("action", ""), _("%(actor)s took a moderator action on “%(thread)s”")
        )
        return message % values
    return ""


def _level_name(data: dict) -> str:
    name = data.get("level", "")
    return translation.gettext(name) if name else ""


def target_url(n: Notification) -> str:
    if n.post_id:
        return reverse("forum:post", args=[n.post_id])
    if n.thread_id:
        return reverse("forum:thread", args=[n.thread_id])
    if n.kind == Kind.FOLLOW and n.actor_id and n.actor:
        return reverse("accounts:profile", args=[n.actor.get_username()])
    if n.kind == Kind.LEVEL:
        return reverse("accounts:profile", args=[n.recipient.get_username()])
    return reverse("accounts:notifications")


# --- scheduling (called inside the write's transaction) ----------------------------------

_muted = contextvars.ContextVar("notifications_muted", default=False)


@contextmanager
def muted():
    """No notifications (nor emails) for the writes inside: demo data, imports, bulk
    tools replaying history that nobody should be told about now."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _after_commit(func, /, **kwargs) -> None:
    if _muted.get():
        return
    transaction.on_commit(partial(_safely, func, **kwargs), robust=True)


def _safely(func, **kwargs) -> None:
    try:
        func(**kwargs)
    except Exception:  # noqa: BLE001 - a notification must never break the write
        logger.exception("notification %s failed", func.__name__)


def post_recipients(*, post, author_id: int | None, thread_author_id: int) -> dict[int, str]:
    """{user id: kind} of those a new post replies to, quotes or mentions.

    Called before the post's transaction (the mention lookup holds no lock); a
    failure here is logged and notifies nobody rather than losing the post.
    """
    if _muted.get():
        return {}
    try:
        return _recipients(post, thread_author_id, author_id=author_id)
    except Exception:  # noqa: BLE001 - a notification must never break the write
        logger.exception("working out who post %s notifies failed", post.pk)
        return {}


def _recipients(post, thread_author_id: int, *, author_id: int | None) -> dict[int, str]:
    from forum import markup

    from . import mentions

    recipients: dict[int, str] = {}
    # Public text only: a name inside a hidden block notifies nobody.
    for user_id in mentions.resolve(post.text_public).values():
        recipients.setdefault(user_id, Kind.MENTION)
    for user_id in mentions.quoted(markup.public_source(post.body)).values():
        recipients.setdefault(user_id, Kind.QUOTE)
    if post.floor is None or post.floor > 1:
        recipients.setdefault(thread_author_id, Kind.REPLY)
    recipients.pop(author_id, None)
    return recipients


def post_created(*, post, title: str, recipients: dict[int, str]) -> None:
    """Write a new post's notices inside the post's transaction (see post_recipients).

    The caller has locked the recipients' profile rows together with the author's,
    in id order (accounts.credits.lock_profiles), so two members notifying each
    other at once queue instead of deadlocking."""
    if _muted.get() or not recipients:
        return
    _write_notices(recipients=recipients, actor_id=post.author_id, thread_id=post.thread_id,
                   post_id=post.pk, excerpt=_post_excerpt(post), data={"title": title})


def post_notices(*, post, title: str,
                 recipients: dict[int, str]) -> tuple[Notification, list[tuple]]:
    """For a writer that inserts a new post's notices in its own statement (forum's
    reply path on PostgreSQL): what every notice shares, as an unsaved Notification
    (actor, thread, excerpt, data), and (recipient id, kind, email pending) per
    recipient in id order, none when muted. The writer moves their unread counts
    with its locked update of their profiles and hands mail_after_commit the ids of
    those with email pending."""
    shared = Notification(actor_id=post.author_id, thread_id=post.thread_id,
                          excerpt=_post_excerpt(post)[:200], data={"title": title})
    if _muted.get() or not recipients:
        return shared, []
    return shared, [(uid, kind, kind in EMAIL_KINDS) for uid, kind in sorted(recipients.items())]


def mail_after_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(partial(_send_after_commit, list(ids)), robust=True)


def _post_excerpt(post) -> str:
    from forum import markup

    return markup.excerpt(post.text_public, EXCERPT_LENGTH)


def followed(*, follower_id: int, followee_id: int) -> None:
    _after_commit(deliver_follow, follower_id=follower_id, followee_id=followee_id)


def moderation(*, recipient_id: int, actor_id: int | None, action: str,
               thread_id: int | None = None, post_id: int | None = None,
               reason: str = "", **data) -> None:
    """A moderator acted on the recipient's post or thread (after commit)."""
    if recipient_id == actor_id:
        return
    _after_commit(deliver_moderation, recipient_id=recipient_id, actor_id=actor_id,
                  action=action, thread_id=thread_id, post_id=post_id, reason=reason, data=data)


def level_changed(*, user_id: int, level_id: int, promoted: bool) -> None:
    _after_commit(deliver_level, user_id=user_id, level_id=level_id, promoted=promoted)


# --- delivery (after commit) -------------------------------------------------------------

def deliver_post(*, post_id: int, send_email: bool = True,
                 backdate: bool = False) -> list[Notification]:
    """Notify for one committed post (backdate: stamp the notices with the post's
    time, for demo data and imports). New posts use post_created instead."""
    from forum.models import Post

    post = Post.objects.select_related("thread").filter(pk=post_id).first()
    if post is None or post.is_deleted or post.thread.is_deleted:
        return []
    return _deliver(recipients=_recipients(post, post.thread.author_id,
                                           author_id=post.author_id),
                    actor_id=post.author_id, thread_id=post.thread_id, post_id=post.pk,
                    excerpt=_post_excerpt(post), data={"title": post.thread.title},
                    send_email=send_email, at=post.created_at if backdate else None)


def deliver_follow(*, follower_id: int, followee_id: int, send_email: bool = True,
                   at=None) -> list[Notification]:
    # Follow, unfollow, follow again: one notice a day is plenty.
    if Notification.objects.filter(
        recipient_id=followee_id, kind=Kind.FOLLOW, actor_id=follower_id,
        created_at__gte=(at or timezone.now()) - FOLLOW_DEDUP,
    ).exists():
        return []
    return _deliver(recipients={followee_id: Kind.FOLLOW}, actor_id=follower_id,
                    send_email=send_email, at=at)


def deliver_moderation(*, recipient_id: int, actor_id: int | None, action: str,
                       thread_id: int | None, post_id: int | None, reason: str,
                       data: dict) -> list[Notification]:
    recent = Notification.objects.filter(
        recipient_id=recipient_id, kind=Kind.MODERATION, thread_id=thread_id, post_id=post_id,
        data__action=action, created_at__gte=timezone.now() - MODERATION_DEDUP,
    ).first()
    if recent is not None:
        if reason and not recent.data.get("reason"):
            recent.data["reason"] = reason[:200]
            recent.save(update_fields=["data"])
        return []
    excerpt = ""
    if post_id:
        from forum import markup
        from forum.models import Post

        text = Post.objects.filter(pk=post_id).values_list("text_public", flat=True).first()
        excerpt = markup.excerpt(text or "", EXCERPT_LENGTH)
    return _deliver(recipients={recipient_id: Kind.MODERATION}, actor_id=actor_id,
                    thread_id=thread_id, post_id=post_id, excerpt=excerpt,
                    data={**data, "action": action, "reason": reason[:200]})


def deliver_level(*, user_id: int, level_id: int, promoted: bool) -> list[Notification]:
    name = Level.objects.filter(pk=level_id).values_list("name", flat=True).first()
    if name is None:
        return []
    return _deliver(recipients={user_id: Kind.LEVEL}, actor_id=None,
                    data={"level": name, "promoted": promoted})


def _deliver(*, recipients: dict[int, str], actor_id: int | None, thread_id=None,
             post_id=None, excerpt: str = "", data: dict | None = None,
             send_email: bool = True, at=None) -> list[Notification]:
    if not recipients:
        return []
    with transaction.atomic():
        return _write_notices(recipients=recipients, actor_id=actor_id, thread_id=thread_id,
                              post_id=post_id, excerpt=excerpt, data=data,
                              send_email=send_email, at=at)


def _insert(notices: list[Notification]) -> list[Notification]:
    """bulk_create for a handful of new notices, as one INSERT … RETURNING written
    out directly: every reply writes one, and bulk_create's checks and query
    compilation cost several times the insert itself."""
    connection = connections[router.db_for_write(Notification)]
    if not connection.features.can_return_rows_from_bulk_insert:
        return Notification.objects.bulk_create(notices)
    meta = Notification._meta
    fields = model_sql.insert_fields(Notification)
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (f"INSERT INTO {quote(meta.db_table)} ({columns})"  # noqa: S608 - names only
           f" VALUES {', '.join([row] * len(notices))} RETURNING {quote(meta.pk.column)}")
    params = [model_sql.db_value(n, f, connection) for n in notices for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()]
    for notice, pk in zip(notices, ids, strict=True):  # rows come back in VALUES order
        notice.pk = pk
        notice._state.adding, notice._state.db = False, connection.alias
    return notices


def _write_notices(*, recipients: dict[int, str], actor_id: int | None, thread_id=None,
                   post_id=None, excerpt: str = "", data: dict | None = None,
                   send_email: bool = True, at=None) -> list[Notification]:
    """Insert the notices and move the unread counts (in the caller's transaction);
    their emails are sent once it commits."""
    now = at or timezone.now()
    created = _insert([
        Notification(recipient_id=uid, kind=kind, actor_id=actor_id, thread_id=thread_id,
                     post_id=post_id, excerpt=excerpt[:200], data=data or {},
                     created_at=now, email_pending=send_email and kind in EMAIL_KINDS)
        for uid, kind in sorted(recipients.items())
    ])
    Profile.objects.filter(user_id__in=list(recipients)).update(
        unread_notification_count=F("unread_notification_count") + 1
    )
    pending = [n.pk for n in created if n.email_pending]
    if pending:
        transaction.on_commit(partial(_send_after_commit, pending), robust=True)
    return created


# --- reading -----------------------------------------------------------------------------

def mark_read(*, user, ids=None) -> int:
    """Mark the user's unread notifications (all, or those ids) read; returns how many."""
    with transaction.atomic():
        qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
        if ids is not None:
            qs = qs.filter(pk__in=list(ids))
        count = qs.update(read_at=timezone.now())
        if count:
            Profile.objects.filter(user=user).update(
                unread_notification_count=F("unread_notification_count") - count
            )
    return count


# --- email -------------------------------------------------------------------------------

EMAIL_KINDS = (Kind.REPLY, Kind.QUOTE, Kind.MENTION, Kind.FOLLOW, Kind.MODERATION)
_executor: ThreadPoolExecutor | None = None


def site_url() -> str:
    configured = getattr(settings, "SITE_URL", "")
    if configured:
        return configured.rstrip("/")
    return f"http://{settings.ALLOWED_HOSTS[0]}" if settings.ALLOWED_HOSTS else ""


# After a commit the ids wait here for the background sender, which takes them all
# at once: a busy process (replies to one thread notify its author every time)
# settles its mail in a few transactions instead of one per notice.
_queued: list[int] = []
_queued_lock = threading.Lock()
# How long the sender lets ids gather before it takes them (mail is not that urgent).
GATHER_SECONDS = 0.05


def _send_after_commit(ids: list[int]) -> None:
    if getattr(settings, "NOTIFICATION_EMAIL_SYNC", settings.TESTING):
        send_pending(ids=ids)
        return
    global _executor
    with _queued_lock:
        idle = not _queued
        _queued.extend(ids)
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify-mail")
    if idle:  # else a job already submitted takes these ids too
        _executor.submit(_send_queued)


def _send_queued() -> None:
    time.sleep(GATHER_SECONDS)
    with _queued_lock:
        ids = list(_queued)
        _queued.clear()
    if ids:
        _send_in_background(ids)


def _send_in_background(ids: list[int]) -> None:
    # This thread keeps its own database connection; no request signal ever checks
    # it, so do what they would: drop it if it is broken or past CONN_MAX_AGE.
    close_old_connections()
    try:
        send_pending(ids=ids)
    finally:
        close_old_connections()


@dataclass(frozen=True)
class _Mail:
    """What one notice's email needs, read with the claim (no related objects)."""

    pk: int
    kind: str
    data: dict
    excerpt: str
    email: str
    is_active: bool
    username: str
    muted: list | None
    actor: str | None
    thread: str | None


def _claim(ids: list[int] | None, limit: int) -> list[_Mail]:
    User = get_user_model()  # noqa: N806
    name = User.USERNAME_FIELD
    qs = (Notification.objects.select_for_update(skip_locked=True, of=("self",))
          .filter(email_pending=True).order_by("pk"))
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    # Named columns, no select_related: compiling the four joined models' every
    # column cost more than the whole rest of a notice's mail.
    return [_Mail(*row) for row in qs.values_list(
        "pk", "kind", "data", "excerpt", "recipient__email", "recipient__is_active",
        f"recipient__{name}", "recipient__profile__email_muted", f"actor__{name}",
        "thread__title")[:limit]]


def send_pending(*, ids: list[int] | None = None, limit: int = 500) -> int:
    """Send the pending emails (of these notices, or the oldest `limit`); returns how
    many notices were settled.

    The rows are claimed FOR UPDATE SKIP LOCKED and the flag is cleared in the same
    transaction as the sending: two senders never mail one notice, and a mail server
    that refuses leaves them pending for the next run. (A crash after the server took
    the mail but before the commit sends it again: at least once, never lost.)
    """
    try:
        with transaction.atomic():
            rows = _claim(ids, limit)
            if not rows:
                return 0
            messages = _messages(rows)
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
                email_pending=False)
            if messages:
                get_connection().send_messages(messages)
    except Exception:  # noqa: BLE001 - mail trouble is logged, never raised
        logger.exception("sending notification emails failed; they stay pending")
        return 0
    return len(rows)


def _messages(rows: list[_Mail]) -> list[EmailMessage]:
    """One email per notice whose recipient takes mail of its kind."""
    messages = []
    base = site_url()
    from forum.context_processors import site_settings

    site_name = site_settings()["name"]
    with translation.override(settings.LANGUAGE_CODE):
        for n in rows:
            if not n.email or not n.is_active:
                continue
            if n.kind in (n.muted or []):
                continue
            summary = _summary(n.kind, n.data, n.actor, n.thread)
            body = render_to_string("accounts/email/notification.txt", {
                "summary": summary, "notification": n, "site_name": site_name,
                "url": base + reverse("accounts:notification_go", args=[n.pk]),
                "settings_url": base + reverse("accounts:edit_profile", args=[n.username]),
                "reason": n.data.get("reason", ""),
            })
            messages.append(EmailMessage(
                subject=f"[{site_name}] {summary}"[:200], body=body, to=[n.email],
            ))
    return messages
