"""What the Discuz! importer remembers: which Discuz row became which of ours.

`ImportedObject` is the mapping table. The importer writes each batch and its mapping
rows in one transaction, so a crash loses nothing and a re-run skips what is mapped;
the old-link redirects (`discuz.legacy_views`) read it to find the new page and floor.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportedObject(models.Model):
    class Kind(models.TextChoices):
        CATEGORY = "category", _("category")  # Discuz forum_forum type 'group'
        BOARD = "board", _("board")  # type 'forum' and 'sub' (sub-board)
        MEMBER = "member", _("member")  # uid
        THREAD = "thread", _("thread")  # tid (a moved stub's tid maps to its target)
        POST = "post", _("post")  # pid
        MOVED = "moved", _("moved-thread notice")  # tid of a stub -> ThreadRedirect
        TAG = "tag", _("tag")  # tagid
        THREAD_TAG = "thread_tag", _("tag of a thread")  # (tagid << 32) | tid -> thread
        MODERATOR = "moderator", _("board moderator")  # (uid << 32) | fid -> board
        AVATAR = "avatar", _("avatar")  # uid -> member
        ATTACHMENT = "attachment", _("attachment")  # aid
        FOLLOW = "follow", _("follow")  # (uid << 32) | followuid
        FAVORITE = "favorite", _("favorite")  # favid
        RATING = "rating", _("rating")  # (pid << 32) | uid
        BAN = "ban", _("ban")  # uid of a banned member

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    old_id = models.BigIntegerField(_("Discuz id"))
    new_id = models.BigIntegerField(_("new id"))
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("imported object")
        verbose_name_plural = _("imported objects")
        constraints = [
            models.UniqueConstraint(fields=["kind", "old_id"], name="discuz_imported_kind_old_id"),
        ]
        indexes = [models.Index(fields=["kind", "new_id"], name="discuz_imported_kind_new_id")]

    def __str__(self) -> str:
        return f"{self.kind} {self.old_id} -> {self.new_id}"

    @classmethod
    def new_id_for(cls, kind: str, old_id: int) -> int | None:
        """Our id for a Discuz id, or None when it was never imported."""
        return (
            cls.objects.filter(kind=kind, old_id=old_id).values_list("new_id", flat=True).first()
        )


class ImportRun(models.Model):
    """One run of `import_discuz`: where from, when, and what it brought (per stage)."""

    source = models.CharField(_("source"), max_length=255)  # host:port/db and prefix, no password
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    stage = models.CharField(_("current stage"), max_length=32, blank=True)
    counts = models.JSONField(_("imported per stage"), default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")

    def __str__(self) -> str:
        return f"{self.source} @ {self.started_at:%Y-%m-%d %H:%M}"
