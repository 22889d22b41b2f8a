"""Images attached to posts (`--attachments DIR`), through our upload pipeline.

Discuz! lists attachments in `forum_attachment` (aid -> which of the ten detail
tables `forum_attachment_0..9` holds the row) and keeps the files under
`data/attachment/forum/`. Each image is decoded, checked and re-encoded by
`forum.uploads.clean_image` exactly as an upload here, stored in the private
attachment storage and mapped by aid; the posts stage then hands the mapping to the
BBCode converter, which turns `[attach]aid[/attach]` into ours, and links the
attachments to their posts.

Left out, with a warning: files that are not images (we store images only), files
on a remote server, and attachments Discuz! sold for credits or restricted by read
permission: here an image in a post is as visible as the text around it, so
importing those would give them away.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from forum.models import Attachment, Post
from forum.uploads import MAX_BYTES, clean_image

from . import text
from .base import Stage
from .mapping import Kind

DETAIL_TABLES = range(10)  # forum_attachment_0 … forum_attachment_9


class _Oversized:
    """Stands for a file above the upload limit: clean_image refuses it by its size."""

    size = MAX_BYTES + 1


class AttachmentStage(Stage):
    name = "attachments"
    kind = Kind.ATTACHMENT

    def enabled(self) -> bool:
        return self.ctx.attachments_dir is not None and self.source.has("forum_attachment")

    def _root(self):
        base = self.ctx.attachments_dir
        for candidate in (base / "data" / "attachment" / "forum", base / "forum", base):
            if candidate.is_dir():
                return candidate
        return base

    def total(self) -> int:
        return self.source.count(["forum_attachment"])

    def batches(self):
        return self.source.batches(
            f"SELECT aid, pid, uid, tableid FROM {self.source.table('forum_attachment')} "
            "WHERE {after}", "aid", size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return row["aid"]

    def _details(self, rows) -> dict[int, dict]:
        by_table = defaultdict(list)
        for row in rows:
            if int(row["tableid"]) in DETAIL_TABLES:
                by_table[int(row["tableid"])].append(int(row["aid"]))
        details = {}
        for table, aids in by_table.items():
            name = f"forum_attachment_{table}"
            if not self.source.has(name):
                continue
            marks = ",".join(str(a) for a in aids)
            for detail in self.source.query(
                "SELECT aid, dateline, filename, attachment, remote, readperm, price, isimage "
                f"FROM {self.source.table(name)} WHERE aid IN ({marks})"
            ):
                details[detail["aid"]] = detail
        return details

    def _skip(self, aid: int, reason: str) -> None:
        self.ctx.warn(_("Discuz! attachment %(aid)s left out: %(reason)s")
                      % {"aid": aid, "reason": reason})

    def write(self, rows) -> int:
        root = self._root().resolve()
        details = self._details(rows)
        field = Attachment._meta.get_field("file")
        storage = field.storage
        made: list[tuple[dict, Attachment]] = []
        try:
            for row in rows:
                detail = details.get(row["aid"])
                if detail is None or not detail["isimage"]:
                    continue  # not an image: nothing of ours to hold it (documented)
                if detail["remote"]:
                    self._skip(row["aid"], _("the file is on a remote server"))
                    continue
                if detail["price"] or detail["readperm"]:
                    self._skip(row["aid"], _("it was sold for credits or restricted"))
                    continue
                path = (root / detail["attachment"]).resolve()
                if not path.is_relative_to(root) or not path.is_file():
                    self._skip(row["aid"], _("the file is missing"))
                    continue
                try:
                    # Too big: refused by clean_image on its size, without reading it all.
                    data = path.read_bytes() if path.stat().st_size <= MAX_BYTES else b""
                    upload = ContentFile(data) if data else _Oversized()
                    image = clean_image(upload)
                except ValidationError as exc:
                    self._skip(row["aid"], " ".join(exc.messages))
                    continue
                name = storage.save(field.generate_filename(None, image.content.name),
                                    image.content)
                made.append((row, Attachment(
                    uploader_id=self.ctx.member(row["uid"]), file=name,
                    post_id=self.mapping.get(Kind.POST, row["pid"]),
                    content_type=image.content_type, size=image.content.size,
                    width=image.width, height=image.height,
                    original_name=text.title(detail["filename"])[:200],
                    created_at=text.when(detail["dateline"]) or self.ctx.now,
                )))
            Attachment.objects.bulk_create([a for _r, a in made])
        except BaseException:
            for _row, attachment in made:  # nothing points at them: the batch rolls back
                storage.delete(attachment.file.name)
            raise
        for row, attachment in made:
            self.mapping.add(Kind.ATTACHMENT, row["aid"], attachment.pk)
        return len(made)


def link_to_posts(stage: Stage, posts: dict[int, Post]) -> None:
    """Give the batch's new posts ({Discuz! pid: post}) their imported attachments."""
    if not posts or not stage.source.has("forum_attachment"):
        return
    known = stage.mapping.of(Kind.ATTACHMENT)
    if not known:
        return
    marks = ",".join(str(int(pid)) for pid in posts)
    by_post = defaultdict(list)
    for row in stage.source.query(
        f"SELECT aid, pid FROM {stage.source.table('forum_attachment')} WHERE pid IN ({marks})"
    ):
        if row["aid"] in known:
            by_post[posts[row["pid"]].pk].append(known[row["aid"]])
    for post_id, ids in by_post.items():
        Attachment.objects.filter(pk__in=ids, post__isnull=True).update(post_id=post_id)
