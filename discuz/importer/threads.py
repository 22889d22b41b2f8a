"""Threads and posts, with their flags, floors, rendering and search entries.

- A thread keeps its sticky level, digest, highlight, closed flag, views and times;
  one in the recycle bin (displayorder -1) or awaiting approval / ignored (-2, -3)
  comes over deleted, so it stays out of sight and can be restored from our bin.
- A Discuz! "moved" stub (a thread row whose `closed` holds the tid it points to)
  becomes our moved notice (ThreadRedirect) in the old board, and its tid maps to
  the real thread, so old links to the stub land there.
- A post's `position` is its floor, gaps kept; its BBCode goes through
  `discuz.bbcode.convert` and then through our markup pipeline, exactly as a post
  written here (html, html_public, text_public, hidden_fragments), and live posts
  enter the search index in the batch's transaction.
- Reply counts, last posts and every other counter are left to `forum.recount`,
  which the importer runs at the end: one definition of each counter.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from forum import services
from forum.models import Post, Thread
from forum.moderation.models import ThreadRedirect
from forum.search import index as search_index

from . import text
from .attachments import link_to_posts
from .base import Stage
from .mapping import Kind

HIDDEN_THREAD = {-1, -2, -3, -4}  # recycle bin, awaiting approval, ignored, draft


class ThreadStage(Stage):
    name = "threads"
    kind = Kind.THREAD

    def __init__(self, ctx):
        super().__init__(ctx)
        self.deleted_at = self._deletion_times()

    def total(self) -> int:
        return self.source.count(self.source.splits["forum_thread"])

    def batches(self):
        for table in self.source.splits["forum_thread"]:
            yield from self.source.batches(
                "SELECT tid, fid, author, authorid, subject, dateline, lastpost, views, "
                "displayorder, highlight, digest, closed, readperm "
                f"FROM {self.source.table(table)} WHERE {{after}}", "tid",
                size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return row["tid"]

    @staticmethod
    def _is_stub(row) -> bool:
        return int(row["closed"] or 0) > 1

    def _deletion_times(self) -> dict[int, object]:
        if not self.source.has("forum_threadmod"):
            return {}
        rows = self.source.query(
            f"SELECT tid, MAX(dateline) AS at FROM {self.source.table('forum_threadmod')} "
            "WHERE action = 'DEL' GROUP BY tid")
        return {r["tid"]: text.when(r["at"]) for r in rows}

    def write(self, rows) -> int:
        made = []
        for row in rows:
            if self._is_stub(row):
                continue
            board_id = self.mapping.get(Kind.BOARD, row["fid"])
            if board_id is None:  # a group's thread, a restricted board's, a board gone
                continue
            if int(row["readperm"] or 0) and not self.ctx.include_restricted:
                # 阅读权限: only some user groups could read it; every thread here is public.
                self.ctx.warn(_("Discuz! thread %(tid)s needs read permission %(perm)s and was "
                                "left out (see --include-restricted).")
                              % {"tid": row["tid"], "perm": row["readperm"]})
                continue
            made.append((row, self._thread(row, board_id)))
        Thread.objects.bulk_create([t for _r, t in made])
        for row, thread in made:
            self.mapping.add(Kind.THREAD, row["tid"], thread.pk)
        return len(made) + self._stubs([r for r in rows if self._is_stub(r)])

    def _thread(self, row, board_id: int) -> Thread:
        created = text.when(row["dateline"]) or self.ctx.now
        deleted = int(row["displayorder"]) in HIDDEN_THREAD
        # Discuz! blanks `author` (keeping `authorid`) on a thread posted anonymously.
        anonymous = not (row["author"] or "").strip()
        author_id = self.ctx.guest_id() if anonymous else self.ctx.member(row["authorid"])
        return Thread(
            board_id=board_id, author_id=author_id, title=text.title(row["subject"]) or "-",
            created_at=created, last_post_at=text.when(row["lastpost"]) or created,
            last_poster_id=author_id, view_count=max(int(row["views"] or 0), 0),
            sticky=min(max(int(row["displayorder"]), 0), Thread.Sticky.GLOBAL),
            is_digest=int(row["digest"] or 0) > 0, highlight=text.highlight(row["highlight"]),
            is_closed=int(row["closed"] or 0) == 1, is_deleted=deleted,
            deleted_at=(self.deleted_at.get(row["tid"]) or self.ctx.now) if deleted else None,
        )

    def _stubs(self, stubs) -> int:
        notices = []
        for row in stubs:
            target = self.mapping.get(Kind.THREAD, row["closed"])
            board_id = self.mapping.get(Kind.BOARD, row["fid"])
            if target is None or board_id is None:
                continue  # the moved thread is gone (or not imported yet: next run)
            notices.append((row, ThreadRedirect(
                thread_id=target, board_id=board_id, title=text.title(row["subject"]) or "-",
                created_at=text.when(row["dateline"]) or self.ctx.now)))
        ThreadRedirect.objects.bulk_create([n for _r, n in notices])
        for row, notice in notices:
            self.mapping.add(Kind.MOVED, row["tid"], notice.pk)
            self.mapping.add(Kind.THREAD, row["tid"], notice.thread_id)
        return len(notices)


class PostStage(Stage):
    name = "posts"
    kind = Kind.POST

    def __init__(self, ctx):
        super().__init__(ctx)
        self.offset_hours = _float(self.source.setting("timeoffset", "8"), 8.0)
        self.smilies = self._smilies()
        self.deleted_threads: dict[int, bool] = {}
        self.editors: dict[str, int | None] = {}

    def total(self) -> int:
        return self.source.count(self.source.splits["forum_post"])

    def batches(self):
        for table in self.source.splits["forum_post"]:
            yield from self.source.batches(
                "SELECT pid, tid, first, authorid, dateline, message, useip, invisible, "
                f"anonymous, smileyoff, status, position FROM {self.source.table(table)} "
                "WHERE {after}",
                "pid", size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return row["pid"]

    def _smilies(self) -> dict[str, str]:
        """{code: text} for the converter, from the install's own smiley table."""
        if not (self.source.has("common_smiley") and self.source.has("forum_imagetype")):
            return {}
        from discuz.bbcode import smilies_from_rows

        t = self.source.table
        rows = self.source.query(
            f"SELECT s.code, s.url, i.directory FROM {t('common_smiley')} s "
            f"JOIN {t('forum_imagetype')} i ON i.typeid = s.typeid WHERE s.type = 'smiley'")
        return smilies_from_rows((r["code"], r["url"], r["directory"]) for r in rows)

    def write(self, rows) -> int:
        thread_ids = {self.mapping.get(Kind.THREAD, r["tid"]) for r in rows} - {None}
        self._load_threads(thread_ids)
        taken = set(Post.objects.filter(thread_id__in=thread_ids)
                    .values_list("thread_id", "floor"))
        posts = []
        for row in rows:
            thread_id = self.mapping.get(Kind.THREAD, row["tid"])
            if thread_id is None or self.mapping.get(Kind.MOVED, row["tid"]):
                continue  # its thread was not imported (a group's) or is a moved stub
            floor = int(row["position"] or 0)
            if floor < 1 or (thread_id, floor) in taken:
                self.ctx.warn(_("Discuz! post %(pid)s has no free floor (position %(pos)s) "
                                "and was left out.") % {"pid": row["pid"], "pos": floor})
                continue
            taken.add((thread_id, floor))
            posts.append((row, self._post(row, thread_id, floor)))
        Post.objects.bulk_create([p for _r, p in posts])
        for row, post in posts:
            self.mapping.add(Kind.POST, row["pid"], post.pk)
        link_to_posts(self, {row["pid"]: post for row, post in posts})
        search_index.reindex_posts([p.pk for _r, p in posts])
        return len(posts)

    def _load_threads(self, thread_ids) -> None:
        missing = set(thread_ids) - set(self.deleted_threads)
        if missing:
            self.deleted_threads.update(
                Thread.objects.filter(pk__in=missing).values_list("pk", "is_deleted"))

    def _post(self, row, thread_id: int, floor: int) -> Post:
        anonymous = bool(row["anonymous"])
        invisible = int(row["invisible"] or 0)
        # A post in a deleted thread comes back with the thread (as our recycle bin does).
        # Status bit 1 is a post a moderator banned (屏蔽): Discuz! shows it to nobody.
        deleted = ((invisible != 0 and not self.deleted_threads.get(thread_id, False))
                   or bool(int(row["status"] or 0) & 1))
        created = text.when(row["dateline"]) or self.ctx.now
        post = Post(
            thread_id=thread_id, floor=floor, created_at=created,
            # An anonymous post stays anonymous: it is the guest member's here.
            author_id=self.ctx.guest_id() if anonymous else self.ctx.member(row["authorid"]),
            author_ip=None if anonymous else text.ip_or_none(row["useip"]),
            is_deleted=deleted, deleted_at=created if deleted else None,
        )
        self._set_text(post, row)
        return post

    def _set_text(self, post: Post, row) -> None:
        """Body, rendering and edit note of a post from its Discuz! message."""
        from discuz.bbcode import convert  # written alongside (issue 10); import when used

        message, editor, edited_at = text.split_edit_note(row["message"] or "",
                                                          self.offset_hours)
        # smileyoff 1: the author turned smilies off for this post; the codes stay text.
        smilies = None if int(row.get("smileyoff") or 0) == 1 else self.smilies
        body = convert(message.replace("\r\n", "\n"), smilies=smilies,
                       attachments=self.mapping.of(Kind.ATTACHMENT)).strip()
        # The pipeline of a post written here; it looks members up only for an "@".
        services.apply_rendering(post, body)
        if edited_at is not None:
            post.edited_at = edited_at
            post.edit_count = max(post.edit_count, 1)
            post.edited_by_id = self._member_named(editor)

    def _member_named(self, name: str | None) -> int | None:
        """The editor named in an edit note (remembered: the same few names recur)."""
        if not name:
            return None
        if name not in self.editors:
            from django.contrib.auth import get_user_model

            self.editors[name] = (get_user_model().objects.filter(username=name)
                                  .values_list("pk", flat=True).first())
        return self.editors[name]


def _float(value, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default



class PostEditStage(PostStage):
    """Posts edited in Discuz! since the previous run, for the runs that catch up.

    Discuz! X3.5 stamps `lastupdate` when a post is edited; posts stamped after the
    previous finished run started (less an hour, for the two servers' clocks) get
    their text again, rendered and indexed as on the first import. Nothing else of
    an imported row is updated (see docs/migrate-from-discuz.md).
    """

    name = "post edits"
    kind = Kind.POST
    CLOCK_MARGIN = datetime.timedelta(hours=1)

    def enabled(self) -> bool:
        return self.ctx.edits_since is not None and all(
            self.source.has_column(t, "lastupdate") and self.source.has_column(t, "updateuid")
            for t in self.source.splits["forum_post"])

    def _since(self) -> int:
        return int((self.ctx.edits_since - self.CLOCK_MARGIN).timestamp())

    def total(self) -> int:
        return self.source.count(self.source.splits["forum_post"],
                                 f"lastupdate >= {self._since()}")

    def batches(self):
        for table in self.source.splits["forum_post"]:
            yield from self.source.batches(
                "SELECT pid, message, smileyoff, lastupdate, updateuid FROM "
                f"{self.source.table(table)} WHERE lastupdate >= %s AND {{after}}",
                "pid", size=self.ctx.batch_size, params=[self._since()])

    def fresh(self, rows):
        known = self.mapping.of(Kind.POST)
        return [r for r in rows if r["pid"] in known]  # new posts are the posts stage's

    def write(self, rows) -> int:
        known = self.mapping.of(Kind.POST)
        posts = Post.objects.in_bulk([known[r["pid"]] for r in rows])
        changed = []
        for row in rows:
            post = posts.get(known[row["pid"]])
            if post is None:
                continue
            before = post.body
            self._set_text(post, row)
            if post.body == before:
                continue
            edited = text.when(row["lastupdate"])
            if edited and (post.edited_at is None or post.edited_at < edited):
                # No (newer) edit note in the text: the stamp tells when and who.
                post.edited_at, post.edit_count = edited, max(post.edit_count, 1)
                post.edited_by_id = self.mapping.get(Kind.MEMBER, row["updateuid"] or -1)
            changed.append(post)
        Post.objects.bulk_update(changed, [
            "body", "html", "html_public", "text_public", "hidden_fragments", "has_hidden",
            "render_version", "edited_at", "edited_by", "edit_count"])
        search_index.reindex_posts([p.pk for p in changed])
        return len(changed)
