"""Members: profiles, follows, credits (rules, ledger, levels), notifications.

Profile counters (posts, threads, followers, following, credits, unread
notifications) are denormalised and kept exact by the services with F() updates
inside the write's transaction; `manage.py recount` rebuilds each from rows.
`Profile.credits` is the sum of the member's `CreditLog` rows.
"""

from __future__ import annotations

import posixpath

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Level(models.Model):
    """A user group by credits (Discuz!'s 用户组): holds from `min_credits` up to the next."""

    name = models.CharField(
        _("name"), max_length=40,
        help_text=_("The default names are translated; a name you type is shown as typed."),
    )
    min_credits = models.IntegerField(_("from credits"), unique=True)

    class Meta:
        ordering = ["min_credits"]
        verbose_name = _("level")
        verbose_name_plural = _("levels")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        # The defaults are English msgids translated here (see accounts.levels).
        return gettext(self.name) if self.name else ""


def avatar_url(name: str, size: int = 200) -> str:
    """URL of the stored avatar `name` (its 200 px file) at 48, 120 or 200 px."""
    if not name:
        return ""
    if size != 200:
        base, ext = posixpath.splitext(name)
        name = f"{base.rsplit('-', 1)[0]}-{size}{ext}"
    return Profile._meta.get_field("avatar").storage.url(name)


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile",
        verbose_name=_("user"),
    )
    # The 200 px file of a re-encoded avatar; the 48 and 120 px files sit beside it
    # (see accounts.avatars). Only the avatar service writes it.
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    bio = models.TextField(_("bio"), blank=True, max_length=500)
    signature = models.TextField(_("signature"), blank=True, max_length=500)
    bio_html = models.TextField(editable=False, default="", blank=True)
    signature_html = models.TextField(editable=False, default="", blank=True)
    credits = models.IntegerField(_("credits"), default=0)
    level = models.ForeignKey(
        Level, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False, verbose_name=_("level"),
    )
    post_count = models.PositiveIntegerField(_("posts"), default=0, editable=False)
    thread_count = models.PositiveIntegerField(_("threads"), default=0, editable=False)
    follower_count = models.PositiveIntegerField(_("followers"), default=0, editable=False)
    following_count = models.PositiveIntegerField(_("following"), default=0, editable=False)
    unread_notification_count = models.PositiveIntegerField(
        _("unread notifications"), default=0, editable=False
    )
    last_seen_at = models.DateTimeField(_("last active"), null=True, blank=True, editable=False)
    # Notification kinds the member does not want by email (opt-out).
    email_muted = models.JSONField(_("muted email notifications"), default=list, blank=True)
    # Discuz!'s 自定义头衔: shown under the name on author cards, beside the level.
    custom_title = models.CharField(_("custom title"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        indexes = [
            models.Index(F("credits").desc(), "user", name="profile_rank_credits"),
            models.Index(F("post_count").desc(), "user", name="profile_rank_posts"),
            models.Index(F("follower_count").desc(), "user", name="profile_rank_followers"),
        ]

    def __str__(self) -> str:
        return str(self.user)

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", args=[self.user.get_username()])

    @property
    def initial(self) -> str:
        name = self.user.get_username()
        return name[:1].upper() if name else "?"

    def avatar_url(self, size: int = 200) -> str:
        """URL of the avatar at 48, 120 or 200 px; empty without an avatar."""
        return avatar_url(self.avatar.name if self.avatar else "", size)

    @property
    def avatar_48(self) -> str:
        return self.avatar_url(48)

    @property
    def avatar_120(self) -> str:
        return self.avatar_url(120)

    @property
    def avatar_200(self) -> str:
        return self.avatar_url(200)

    @property
    def last_active(self):
        """The later of the last login and the last recorded visit."""
        moments = [m for m in (self.last_seen_at, self.user.last_login) if m]
        return max(moments) if moments else None


class Follow(models.Model):
    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following_links",
        verbose_name=_("follower"),
    )
    followee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follower_links",
        verbose_name=_("followed member"),
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="follow_unique"),
            models.CheckConstraint(condition=~Q(follower=F("followee")), name="follow_not_self"),
        ]
        indexes = [
            models.Index(fields=["followee", "-created_at"], name="follow_followee_recent"),
            models.Index(fields=["follower", "-created_at"], name="follow_follower_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.follower} → {self.followee}"


class Favorite(models.Model):
    """收藏: a thread a member keeps for later. Only the member sees the list."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites",
        verbose_name=_("member"),
    )
    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("thread"))
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)

    class Meta:
        verbose_name = _("favorite")
        verbose_name_plural = _("favorites")
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="favorite_unique"),
        ]
        indexes = [
            # The member's list, newest first (the profile tab).
            models.Index(fields=["user", "-created_at", "-id"], name="favorite_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ☆ {self.thread_id}"


class CreditAction(models.TextChoices):
    NEW_THREAD = "new_thread", _("New thread")
    REPLY = "reply", _("Reply")
    DIGEST = "digest", _("Digest received")
    DAILY_LOGIN = "daily_login", _("Daily login")
    FOLLOWED = "followed", _("Being followed")
    POST_DELETED = "post_deleted", _("Post deleted by a moderator")
    ADJUST = "adjust", _("Adjustment")


# Actions a rule can be written for; ADJUST is the admin's and importers' own entry.
RULE_ACTIONS = [c for c in CreditAction.choices if c[0] != CreditAction.ADJUST]
# Actions that happen in a board, and so may have a per-board override.
BOARD_ACTIONS = frozenset({
    CreditAction.NEW_THREAD, CreditAction.REPLY, CreditAction.DIGEST, CreditAction.POST_DELETED,
})


class CreditRule(models.Model):
    """Discuz!'s 积分规则 without its eval(): an amount per action, per cycle."""

    class Cycle(models.TextChoices):
        ONCE = "once", _("Once")
        DAILY = "daily", _("Daily")
        INTERVAL = "interval", _("Every N minutes")
        UNLIMITED = "unlimited", _("Unlimited")

    action = models.CharField(_("action"), max_length=20, choices=RULE_ACTIONS)
    board = models.ForeignKey(
        "forum.Board", on_delete=models.CASCADE, null=True, blank=True,
        related_name="credit_rules", verbose_name=_("board"),
        help_text=_("Empty: the rule for every board without its own."),
    )
    amount = models.IntegerField(_("credits"))
    cycle = models.CharField(_("cycle"), max_length=10, choices=Cycle.choices,
                             default=Cycle.UNLIMITED)
    interval_minutes = models.PositiveIntegerField(
        _("minutes"), default=0, help_text=_("Length of the cycle for “every N minutes”."),
    )
    limit = models.PositiveIntegerField(
        _("times per cycle"), default=1,
        help_text=_("How many times per cycle the action earns credits."),
    )

    class Meta:
        ordering = ["board_id", "action"]
        verbose_name = _("credit rule")
        verbose_name_plural = _("credit rules")
        constraints = [
            models.UniqueConstraint(fields=["action", "board"], name="credit_rule_per_board"),
            models.UniqueConstraint(fields=["action"], condition=Q(board__isnull=True),
                                    name="credit_rule_global"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.amount:+d}"

    def clean(self) -> None:
        from .credits import validate_rule

        validate_rule(self)


class CreditLog(models.Model):
    """The append-only ledger: every credit a member has, and why."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Earned")
        REVERSAL = "reversal", _("Reversed")
        REINSTATEMENT = "reinstatement", _("Reinstated")
        ADJUSTMENT = "adjustment", _("Adjusted")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="credit_log",
        verbose_name=_("member"),
    )
    action = models.CharField(_("action"), max_length=20, choices=CreditAction.choices)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices, default=Kind.AWARD)
    amount = models.IntegerField(_("change"))
    balance = models.IntegerField(_("balance"))
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    board = models.ForeignKey("forum.Board", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("board"))
    thread = models.ForeignKey("forum.Thread", on_delete=models.SET_NULL, null=True,
                               blank=True, related_name="+", verbose_name=_("thread"))
    post = models.ForeignKey("forum.Post", on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("post"))
    related_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("by member"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("credit log entry")
        verbose_name_plural = _("credit log")
        indexes = [
            models.Index(fields=["user", "action", "created_at"], name="creditlog_cycle"),
            models.Index(fields=["user", "-created_at", "-id"], name="creditlog_history"),
            models.Index(fields=["created_at"], name="creditlog_period"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.amount:+d} ({self.get_action_display()})"


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Replies to my threads")
        QUOTE = "quote", _("Quotes of my posts")
        MENTION = "mention", _("@mentions")
        FOLLOW = "follow", _("New followers")
        MODERATION = "moderation", _("Moderator actions on my posts")
        LEVEL = "level", _("Level changes")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )
    thread = models.ForeignKey("forum.Thread", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+", verbose_name=_("thread"))
    post = models.ForeignKey("forum.Post", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", verbose_name=_("post"))
    # Public text only (never hidden blocks): excerpts are cut from Post.text_public.
    excerpt = models.CharField(_("excerpt"), max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Its email is still to be sent (accounts.notifications.send_pending).
    email_pending = models.BooleanField(_("email pending"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True),
                         name="notification_unread"),
            models.Index(fields=["id"], condition=Q(email_pending=True),
                         name="notification_mail_pending"),
        ]

    def __str__(self) -> str:
        from .notifications import describe

        return describe(self)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class FeaturedAuthor(models.Model):
    """作者专栏: members the staff picks for the sidebar."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="featured",
        verbose_name=_("member"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    blurb = models.CharField(_("introduction"), max_length=120, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("featured author")
        verbose_name_plural = _("featured authors")

    def __str__(self) -> str:
        return str(self.user)
