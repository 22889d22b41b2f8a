"""Boards, threads, floors and tags.

Counters (threads, posts, replies, today's posts, last post) are denormalised and
kept exact by `forum.services` with F() updates inside the write's transaction;
`manage.py recount` rebuilds each of them from rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import floors


class SiteSettings(models.Model):
    """The one row of site-wide, admin-editable settings (shown in the footer)."""

    name = models.CharField(_("site name"), max_length=80, default="老秘网")
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    footer_text = models.TextField(_("footer text"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    record_number = models.CharField(
        _("record number"), max_length=80, blank=True, help_text=_("ICP filing number")
    )
    hide_open_after_days = models.PositiveIntegerField(
        _("open hidden content after (days)"), default=0,
        help_text=_("Every hidden block becomes public this many days after its post "
                    "was written. 0 keeps hidden content hidden for ever."),
    )

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> SiteSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Board(models.Model):
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="boards", verbose_name=_("category")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent board"),
    )
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=False)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    moderators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="moderated_boards",
        verbose_name=_("moderators"),
    )
    jammer = models.BooleanField(
        _("anti-scraping jammer"), default=False,
        help_text=_("Insert invisible junk between characters to spoil copied text."),
    )
    jammer_for_members = models.BooleanField(
        _("jammer for signed-in members"), default=False,
        help_text=_("Off: signed-in members get clean text; only guests get the junk."),
    )
    new_member_approval = models.BooleanField(
        _("new members' posts need approval"), default=False,
        help_text=_("Threads and replies by new members wait in the approval queue "
                    "until a moderator approves them."),
    )
    thread_count = models.PositiveIntegerField(_("threads"), default=0, editable=False)
    post_count = models.PositiveIntegerField(_("posts"), default=0, editable=False)
    today_post_count = models.PositiveIntegerField(_("today's posts"), default=0, editable=False)
    today_date = models.DateField(null=True, blank=True, editable=False)
    last_post = models.ForeignKey(
        "Post", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("board")
        verbose_name_plural = _("boards")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forum:board", args=[self.slug])

    @property
    def posts_today(self) -> int:
        """Today's posts; the stored counter belongs to `today_date`, stale otherwise."""
        return self.today_post_count if self.today_date == timezone.localdate() else 0


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=32, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    thread_count = models.PositiveIntegerField(_("threads"), default=0, editable=False)

    class Meta:
        ordering = ["-thread_count", "name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class ThreadQuerySet(models.QuerySet):
    def live(self) -> ThreadQuerySet:
        return self.filter(is_deleted=False)

    def visible_to(self, user) -> ThreadQuerySet:
        """Threads the user may open: live ones, plus deleted ones for their moderators."""
        from .permissions import is_global_moderator

        if is_global_moderator(user):
            return self
        if user.is_authenticated:
            return self.filter(Q(is_deleted=False) | Q(board__moderators=user)).distinct()
        return self.live()

    def for_listing(self) -> ThreadQuerySet:
        return self.select_related("author", "last_poster").order_by(
            "-sticky", "-last_post_at", "-id"
        )


class Thread(models.Model):
    class Sticky(models.IntegerChoices):
        NONE = 0, _("not sticky")
        BOARD = 1, _("sticky in board")
        CATEGORY = 2, _("sticky in category")
        GLOBAL = 3, _("sticky everywhere")

    class Highlight(models.TextChoices):
        # Discuz!'s title highlight colours; CSS classes hl-<value>.
        NONE = "", _("no highlight")
        RED = "red", _("red")
        ORANGE = "orange", _("orange")
        GREEN = "green", _("green")
        BLUE = "blue", _("blue")
        PURPLE = "purple", _("purple")
        BOLD = "bold", _("bold")

    board = models.ForeignKey(
        Board, on_delete=models.PROTECT, related_name="threads", verbose_name=_("board")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="threads",
        verbose_name=_("author"),
    )
    title = models.CharField(_("title"), max_length=settings.FORUM_TITLE_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_post_at = models.DateTimeField(_("last post at"), default=timezone.now)
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("last poster"),
    )
    reply_count = models.PositiveIntegerField(_("replies"), default=0, editable=False)
    view_count = models.PositiveIntegerField(_("views"), default=0, editable=False)
    # The highest floor ever given out (deleted posts keep theirs), read under the
    # thread's row lock to allocate the next floor.
    last_floor = models.PositiveIntegerField(default=0, editable=False)
    sticky = models.PositiveSmallIntegerField(
        _("sticky"), choices=Sticky.choices, default=Sticky.NONE
    )
    is_digest = models.BooleanField(_("digest"), default=False)
    highlight = models.CharField(
        _("title highlight"), max_length=10, choices=Highlight.choices, blank=True, default=""
    )
    is_closed = models.BooleanField(_("closed"), default=False)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="threads", verbose_name=_("tags"))

    objects = ThreadQuerySet.as_manager()

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        indexes = [
            models.Index(fields=["board", "is_deleted", "sticky", "-last_post_at"],
                         name="thread_board_listing"),
            models.Index(fields=["board", "is_deleted", "is_digest", "-last_post_at"],
                         name="thread_board_digest"),
            models.Index(fields=["author", "-created_at"], name="thread_author_recent"),
            # A board page: live threads, stickies apart, newest activity first with the
            # id as tie-break, exactly the listing's ORDER BY. Partial (live only) so the
            # `NOT is_deleted` filter is implied; a deep page's OFFSET steps along it with
            # no sort and no join (forum/board_page.py).
            models.Index(fields=["board", "sticky", "-last_post_at", "-id"],
                         condition=Q(is_deleted=False), name="thread_board_live_order"),
            # The stickies a board page shows (its own, its category's, the global ones):
            # a few rows in the whole forum, found without scanning the threads.
            models.Index(fields=["sticky", "-last_post_at"],
                         condition=Q(is_deleted=False, sticky__gt=0), name="thread_sticky_live"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("forum:thread", args=[self.pk])

    @property
    def page_count(self) -> int:
        return floors.page_count(self.last_floor)


class PostQuerySet(models.QuerySet):
    def live(self) -> PostQuerySet:
        return self.filter(is_deleted=False, thread__is_deleted=False)


class Post(models.Model):
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="posts", verbose_name=_("thread")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts",
        verbose_name=_("author"),
    )
    floor = models.PositiveIntegerField(_("floor"))
    body = models.TextField(_("body"))
    # Rendered once at write time by forum.markup; see RenderedBody.
    html = models.TextField(editable=False, default="")
    html_public = models.TextField(editable=False, default="")
    text_public = models.TextField(editable=False, default="")
    hidden_fragments = models.JSONField(default=list, editable=False, blank=True)
    has_hidden = models.BooleanField(default=False, editable=False)
    render_version = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True, editable=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    edit_count = models.PositiveIntegerField(default=0, editable=False)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", editable=False,
    )
    delete_reason = models.CharField(max_length=200, blank=True, editable=False)
    author_ip = models.GenericIPAddressField(_("author IP"), null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.UniqueConstraint(fields=["thread", "floor"], name="post_unique_floor"),
            models.CheckConstraint(condition=Q(floor__gte=1), name="post_floor_positive"),
        ]
        indexes = [
            models.Index(fields=["thread", "author", "floor"], name="post_thread_author"),
            # 只看该作者 for readers (deleted floors hidden): the count and the floors of
            # one page come from this index alone (forum/thread_page.py).
            models.Index(fields=["thread", "author", "floor"], condition=Q(is_deleted=False),
                         name="post_thread_author_live"),
            models.Index(fields=["author", "-created_at"], name="post_author_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.thread_id}#{self.floor}"

    def get_absolute_url(self) -> str:
        return reverse("forum:post", args=[self.pk])

    @property
    def is_opening(self) -> bool:
        return self.floor == 1


def _attachment_storage():
    # A storage of its own, outside MEDIA_ROOT: attachments have no public URL and
    # are served only by forum.views.attachments, which applies the post's rules.
    from django.core.files.storage import storages

    return storages["attachments"]


def _attachment_path(instance, filename: str) -> str:
    return timezone.now().strftime("%Y/%m/") + filename


class Attachment(models.Model):
    """An image uploaded for a post; `[attach]ID[/attach]` places it in the text."""

    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments",
        verbose_name=_("uploader"),
    )
    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments",
        verbose_name=_("post"),
    )
    file = models.FileField(storage=_attachment_storage, upload_to=_attachment_path,
                            max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["uploader", "post"], name="attachment_uploader_post")]

    def __str__(self) -> str:
        return self.original_name or self.file.name

    def get_absolute_url(self) -> str:
        return reverse("forum:attachment", args=[self.pk])


# Moderation records live in forum/moderation/ but belong to this app.
from .moderation.models import (  # noqa: E402, F401
    Ban,
    DeletedPost,
    DeletedThread,
    ModerationLog,
    ModeratorStaffGrant,
    PendingPost,
    Report,
    ReportEntry,
    ThreadRedirect,
)
