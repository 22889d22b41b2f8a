"""Moderation records: the audit log, reports, bans, the approval queue, redirects.

These models belong to the forum app (forum/models.py imports this module), so their
tables, migrations and admin permissions are the forum's.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Post, Thread


class ModerationLog(models.Model):
    """Who did what to which thread, post or member, why, and what changed. Append-only."""

    class Action(models.TextChoices):
        STICK = "stick", _("stick")
        DIGEST = "digest", _("digest")
        HIGHLIGHT = "highlight", _("highlight title")
        CLOSE = "close", _("close or open")
        MOVE = "move", _("move")
        MERGE = "merge", _("merge")
        SPLIT = "split", _("split")
        DELETE_THREAD = "delete_thread", _("delete thread")
        RESTORE_THREAD = "restore_thread", _("restore thread")
        DELETE_POST = "delete_post", _("delete post")
        RESTORE_POST = "restore_post", _("restore post")
        BAN = "ban", _("ban member")
        LIFT_BAN = "lift_ban", _("lift ban")
        RESOLVE_REPORT = "resolve_report", _("resolve report")
        DISMISS_REPORT = "dismiss_report", _("dismiss report")
        APPROVE = "approve", _("approve post")
        REJECT = "reject", _("reject post")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("moderator"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    board = models.ForeignKey(
        "forum.Board", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("board"),
    )
    thread = models.ForeignKey(
        "forum.Thread", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("thread"),
    )
    post = models.ForeignKey(
        "forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("post"),
    )
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("member concerned"),
    )
    # What the target was called at the time: it may be renamed, merged away or gone.
    target_repr = models.CharField(_("target"), max_length=200)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")
        indexes = [
            models.Index(fields=["board", "-created_at"], name="modlog_board_recent"),
            models.Index(fields=["target_user", "-created_at"], name="modlog_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target_repr}"


class Report(models.Model):
    """One post in the report queue; every member's report of it is a ReportEntry.

    Reports of the same post fold into the one open Report (a partial unique
    constraint); after it is handled, a new report of that post opens a new one.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        DISMISSED = "dismissed", _("dismissed")

    post = models.ForeignKey(
        "forum.Post", on_delete=models.CASCADE, related_name="reports", verbose_name=_("post")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reporter_count = models.PositiveIntegerField(_("reporters"), default=0, editable=False)
    created_at = models.DateTimeField(_("first reported"), default=timezone.now)
    last_reported_at = models.DateTimeField(_("last reported"), default=timezone.now)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    outcome = models.CharField(_("outcome note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-last_reported_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["post"], condition=Q(status="open"), name="report_one_open_per_post"
            ),
        ]
        indexes = [models.Index(fields=["status", "-last_reported_at"], name="report_queue")]

    def __str__(self) -> str:
        return _("Report on %(post)s") % {"post": self.post}


class ReportEntry(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Advertising or spam")
        ABUSE = "abuse", _("Abuse or harassment")
        ILLEGAL = "illegal", _("Illegal content")
        FLOOD = "flood", _("Flooding or duplicate posting")
        OTHER = "other", _("Other")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="entries")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("reporter"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    detail = models.CharField(_("details"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("report entry")
        verbose_name_plural = _("report entries")
        constraints = [
            models.UniqueConstraint(fields=["report", "reporter"], name="report_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.reporter}: {self.get_reason_display()}"


class BanQuerySet(models.QuerySet):
    def active(self, now=None) -> BanQuerySet:
        """Bans in force: not lifted and not yet expired (so bans lift by themselves)."""
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Ban(models.Model):
    class Scope(models.TextChoices):
        POSTING = "posting", _("Banned from posting")
        ACCESS = "access", _("Banned from the site")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_bans",
        verbose_name=_("member"),
    )
    scope = models.CharField(_("ban"), max_length=10, choices=Scope.choices,
                             default=Scope.POSTING)
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("banned at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("banned by"),
    )
    expires_at = models.DateTimeField(
        _("expires at"), null=True, blank=True, help_text=_("Empty: until lifted by hand.")
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("lifted by"),
    )

    objects = BanQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ban")
        verbose_name_plural = _("bans")
        indexes = [models.Index(fields=["user", "lifted_at", "expires_at"], name="ban_active")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_scope_display()}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.lifted_at is None and (self.expires_at is None or self.expires_at > now)

    is_active.boolean = True  # type: ignore[attr-defined]


class PendingPost(models.Model):
    """A new thread or reply waiting in a board's approval queue; nothing is counted
    or numbered until a moderator approves it and it is posted through the services."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    board = models.ForeignKey(
        "forum.Board", on_delete=models.CASCADE, related_name="+", verbose_name=_("board")
    )
    thread = models.ForeignKey(
        "forum.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("thread"), help_text=_("Empty for a new thread."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=settings.FORUM_TITLE_MAX_LENGTH, blank=True)
    body = models.TextField(_("body"))
    tags = models.JSONField(_("tags"), default=list, blank=True)
    author_ip = models.GenericIPAddressField(_("author IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    post = models.ForeignKey(
        "forum.Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("published as"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("post awaiting approval")
        verbose_name_plural = _("approval queue")
        indexes = [models.Index(fields=["board", "status", "created_at"], name="pending_queue")]

    def __str__(self) -> str:
        return self.title or (self.thread.title if self.thread_id else "") or str(self.pk)

    @property
    def is_thread(self) -> bool:
        return self.thread_id is None


class ThreadRedirect(models.Model):
    """Where a thread went.

    A *moved* stub (board set) lists the thread in its old board for a while; a
    *merged* record (old_thread_id set) sends the merged-away thread's URL on to the
    thread it was merged into.
    """

    thread = models.ForeignKey(
        "forum.Thread", on_delete=models.CASCADE, related_name="+", verbose_name=_("thread")
    )
    board = models.ForeignKey(
        "forum.Board", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("old board"),
    )
    old_thread_id = models.BigIntegerField(_("merged thread id"), null=True, blank=True,
                                           unique=True)
    title = models.CharField(_("title"), max_length=settings.FORUM_TITLE_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("thread redirect")
        verbose_name_plural = _("thread redirects")
        indexes = [models.Index(fields=["board", "-created_at"], name="redirect_board_recent")]

    def __str__(self) -> str:
        return self.title


class ModeratorStaffGrant(models.Model):
    """Marks an is_staff flag given only because the member moderates a board, so it
    is taken back when they moderate no board any more (see forum.moderation.staff)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("moderator admin access")
        verbose_name_plural = _("moderator admin access")

    def __str__(self) -> str:
        return str(self.user)


# --- the recycle bin (回收站): admin views over soft-deleted rows -------------------------

class DeletedThreadManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(is_deleted=True)


class DeletedThread(Thread):
    objects = DeletedThreadManager()

    class Meta:
        proxy = True
        verbose_name = _("deleted thread")
        verbose_name_plural = _("recycle bin: threads")


class DeletedPostManager(models.Manager):
    def get_queryset(self):
        # Posts deleted one by one; the posts of a deleted thread come back with it.
        return super().get_queryset().filter(is_deleted=True, floor__gt=1)


class DeletedPost(Post):
    objects = DeletedPostManager()

    class Meta:
        proxy = True
        verbose_name = _("deleted post")
        verbose_name_plural = _("recycle bin: posts")
