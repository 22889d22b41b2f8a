"""Categories, boards, sub-boards and their moderators.

Discuz! keeps all three in `forum_forum`: `type` 'group' is a category, 'forum' a
board whose `fup` is its category, 'sub' a sub-board whose `fup` is its board.
Groups (群组, `status` 3) are a separate product inside Discuz! and do not come over.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from forum.models import Board, Category

from . import text
from .base import Stage
from .mapping import Kind, pair_id

_TYPE_ORDER = {"group": 0, "forum": 1, "sub": 2}
FALLBACK_CATEGORY_OLD_ID = 0  # for boards whose Discuz! category is gone


class BoardStage(Stage):
    """Categories and boards in one stage: they are few and read in one batch."""

    name = "boards"
    kind = Kind.BOARD

    def _rows(self) -> list[dict]:
        t = self.source.table
        rows = self.source.query(
            f"SELECT f.fid, f.fup, f.type, f.name, f.status, f.displayorder, ff.description, "
            f"ff.password, ff.viewperm "
            f"FROM {t('forum_forum')} f LEFT JOIN {t('forum_forumfield')} ff ON ff.fid = f.fid "
            f"WHERE f.type IN ('group', 'forum', 'sub') AND f.status <> 3"
        )
        rows.sort(key=lambda r: (_TYPE_ORDER[r["type"]], r["fid"]))
        return [r for r in rows if not self._restricted(r, rows)]

    def _restricted(self, row, rows) -> bool:
        """A board Discuz! closes to some readers (closed, a password, a group list) is left out,
        with its sub-boards: every board here is readable by everyone, so importing it
        would publish what its community kept private. --include-restricted overrides."""
        if self.ctx.include_restricted or row["type"] == "group":
            return False
        closed = int(row["status"]) == 0  # a board Discuz! shows to its staff only
        if closed or (row["password"] or "").strip() or (row["viewperm"] or "").strip():
            self.ctx.warn_once(_("Discuz! board %(name)s (fid %(fid)s) is restricted to some "
                                 "readers and was left out (see --include-restricted).")
                               % {"name": row["name"], "fid": row["fid"]})
            return True
        if row["type"] == "sub":
            parent = next((r for r in rows if r["fid"] == row["fup"]), None)
            return parent is not None and self._restricted(parent, rows)
        return False

    def total(self) -> int:
        return len(self._rows())

    def batches(self):
        rows = self._rows()
        if rows:
            yield rows

    def old_id(self, row) -> int:
        return row["fid"]

    def fresh(self, rows):
        return [r for r in rows
                if self.mapping.get(self._kind_of(r), r["fid"]) is None]

    @staticmethod
    def _kind_of(row) -> str:
        return Kind.CATEGORY if row["type"] == "group" else Kind.BOARD

    def write(self, rows) -> int:
        groups = [r for r in rows if r["type"] == "group"]
        categories = [Category(name=text.title(r["name"]) or f"#{r['fid']}",
                               position=max(int(r["displayorder"] or 0), 0)) for r in groups]
        Category.objects.bulk_create(categories)
        for row, category in zip(groups, categories, strict=True):
            self.mapping.add(Kind.CATEGORY, row["fid"], category.pk)
        count = len(categories)
        # Boards before sub-boards: a sub-board needs its parent's id and category.
        for level in ("forum", "sub"):
            made = [(r, self._board(r)) for r in rows if r["type"] == level]
            Board.objects.bulk_create([b for _r, b in made])
            for row, board in made:
                self.mapping.add(Kind.BOARD, row["fid"], board.pk)
            count += len(made)
        return count

    def _board(self, row) -> Board:
        parent_id = None
        if row["type"] == "sub":
            parent_id = self.mapping.get(Kind.BOARD, row["fup"])
            category_id = (Board.objects.filter(pk=parent_id).values_list("category_id", flat=True)
                           .first()) if parent_id else None
        else:
            category_id = self.mapping.get(Kind.CATEGORY, row["fup"])
        if category_id is None:
            category_id = self._fallback_category()
        fid = row["fid"]
        slug = f"forum-{fid}"
        if Board.objects.filter(slug=slug).exists():
            slug = f"discuz-forum-{fid}"
        return Board(
            category_id=category_id, parent_id=parent_id, slug=slug,
            name=text.title(row["name"]) or f"#{fid}",
            description=text.strip_html(row["description"] or ""),
            position=max(int(row["displayorder"] or 0), 0),
        )

    def _fallback_category(self) -> int:
        known = self.mapping.get(Kind.CATEGORY, FALLBACK_CATEGORY_OLD_ID)
        if known is None:
            category = Category.objects.create(name="Discuz!", position=0)
            self.mapping.add(Kind.CATEGORY, FALLBACK_CATEGORY_OLD_ID, category.pk)
            known = category.pk
        return known


class ModeratorStage(Stage):
    """`forum_moderator` rows -> Board.moderators (the staff sync gives console access)."""

    name = "moderators"
    kind = Kind.MODERATOR

    def _sql(self) -> str:
        return f"SELECT uid, fid, displayorder FROM {self.source.table('forum_moderator')}"

    def total(self) -> int:
        return len(self.source.query(self._sql()))

    def batches(self):
        rows = sorted(self.source.query(self._sql()), key=lambda r: (r["fid"], r["displayorder"]))
        if rows:
            yield rows

    def old_id(self, row) -> int:
        return pair_id(row["uid"], row["fid"])

    def write(self, rows) -> int:
        count = 0
        for row in rows:
            board_id = self.mapping.get(Kind.BOARD, row["fid"])
            user_id = self.mapping.get(Kind.MEMBER, row["uid"])
            if board_id is None or user_id is None:
                continue
            # Through the relation, not bulk: its m2m signal grants the console access.
            Board.objects.get(pk=board_id).moderators.add(user_id)
            self.mapping.add(Kind.MODERATOR, self.old_id(row), board_id)
            count += 1
        return count
