"""Follows, tags and favorites: rows that only link things the earlier stages imported."""

from __future__ import annotations

from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import Favorite, Follow
from forum.models import Tag, Thread
from forum.tags import tag_slug

from . import text
from .base import Stage
from .mapping import Kind, pair_id

TAG_NAME_MAX = Tag._meta.get_field("name").max_length


class FollowStage(Stage):
    name = "follows"
    kind = Kind.FOLLOW

    def _sql(self) -> str:
        table = self.source.table("home_follow")
        return f"SELECT uid, followuid, dateline FROM {table} WHERE {{where}}"

    def total(self) -> int:
        return self.source.count(["home_follow"])

    def batches(self):
        return self.source.grouped_batches(self._sql(), "uid", size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return pair_id(row["uid"], row["followuid"])

    def write(self, rows) -> int:
        follows = []
        for row in rows:
            follower = self.mapping.get(Kind.MEMBER, row["uid"])
            followee = self.mapping.get(Kind.MEMBER, row["followuid"])
            if follower is None or followee is None or follower == followee:
                continue
            follows.append((row, Follow(follower_id=follower, followee_id=followee,
                                        created_at=text.when(row["dateline"]) or self.ctx.now)))
        # A follow made here already (the member followed on both sites) is kept as is.
        existing = set(
            Follow.objects.filter(follower_id__in={f.follower_id for _r, f in follows})
            .values_list("follower_id", "followee_id")
        )
        new = [(r, f) for r, f in follows if (f.follower_id, f.followee_id) not in existing]
        Follow.objects.bulk_create([f for _r, f in new])
        for row, follow in new:
            self.mapping.add(Kind.FOLLOW, self.old_id(row), follow.pk)
        return len(new)


class TagStage(Stage):
    name = "tags"
    kind = Kind.TAG

    def total(self) -> int:
        return self.source.count(["common_tag"])

    def batches(self):
        return self.source.batches(
            f"SELECT tagid, tagname FROM {self.source.table('common_tag')} WHERE {{after}}",
            "tagid", size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return row["tagid"]

    def write(self, rows) -> int:
        names = {row["tagid"]: " ".join(text.title(row["tagname"]).split())[:TAG_NAME_MAX]
                 for row in rows}
        # One tag per name whatever its case, as forum.services does ("PPT" is "ppt").
        existing = {
            t.lname: t.pk for t in Tag.objects.annotate(lname=Lower("name"))
            .filter(lname__in={n.lower() for n in names.values()})
        }
        slugs = set(Tag.objects.values_list("slug", flat=True))
        new: dict[str, Tag] = {}
        for name in names.values():
            key = name.lower()
            if not name or key in existing or key in new:
                continue
            slug = tag_slug(name)
            if slug in slugs:
                slug = f"{slug}-{len(slugs)}"
            slugs.add(slug)
            new[key] = Tag(name=name, slug=slug)
        Tag.objects.bulk_create(new.values())
        existing.update({key: tag.pk for key, tag in new.items()})
        count = 0
        for tagid, name in names.items():
            if name:
                self.mapping.add(Kind.TAG, tagid, existing[name.lower()])
                count += 1
        return count


class ThreadTagStage(Stage):
    """`common_tagitem` rows of threads -> Thread.tags (the counts come from recount)."""

    name = "thread tags"
    kind = Kind.THREAD_TAG

    def _sql(self) -> str:
        return f"SELECT tagid, itemid FROM {self.source.table('common_tagitem')} WHERE {{where}}"

    def total(self) -> int:
        return self.source.count(["common_tagitem"], "idtype = 'tid'")

    def batches(self):
        return self.source.grouped_batches(self._sql(), "itemid", size=self.ctx.batch_size,
                                           where="idtype = 'tid'")

    def old_id(self, row) -> int:
        return pair_id(row["tagid"], row["itemid"])

    def write(self, rows) -> int:
        through = Thread.tags.through
        links = []
        for row in rows:
            tag_id = self.mapping.get(Kind.TAG, row["tagid"])
            thread_id = self.mapping.get(Kind.THREAD, row["itemid"])
            if tag_id is None or thread_id is None:
                continue
            links.append((row, thread_id, tag_id))
        existing = set(
            through.objects.filter(thread_id__in={t for _r, t, _g in links})
            .values_list("thread_id", "tag_id")
        )
        new = [(r, t, g) for r, t, g in links if (t, g) not in existing]
        seen: set[tuple[int, int]] = set()
        objects = []
        for row, thread_id, tag_id in new:
            if (thread_id, tag_id) not in seen:  # two Discuz! tags may fold into one of ours
                seen.add((thread_id, tag_id))
                objects.append(through(thread_id=thread_id, tag_id=tag_id))
            self.mapping.add(Kind.THREAD_TAG, self.old_id(row), thread_id)
        through.objects.bulk_create(objects)
        return len(objects)


class FavoriteStage(Stage):
    """`home_favorite` rows of threads (idtype 'tid') -> Favorite.

    Discuz! members also keep boards, blogs, albums, groups and portal articles there;
    we have favorites of threads only, so the others are counted in a warning and left.
    A favorite of a thread that did not come over (a restricted board, a group) waits
    unmapped: a later run with that thread brings it.
    """

    name = "favorites"
    kind = Kind.FAVORITE
    WHERE = "idtype = 'tid'"

    def enabled(self) -> bool:
        return self.source.has("home_favorite")

    def total(self) -> int:
        return self.source.count(["home_favorite"], self.WHERE)

    def batches(self):
        return self.source.batches(
            f"SELECT favid, uid, id, dateline FROM {self.source.table('home_favorite')} "
            f"WHERE {self.WHERE} AND {{after}}", "favid", size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return row["favid"]

    def run(self) -> int:
        imported = super().run()
        self._report_other_kinds()
        return imported

    def _report_other_kinds(self) -> None:
        rows = self.source.query(
            f"SELECT idtype, COUNT(*) AS n FROM {self.source.table('home_favorite')} "
            f"WHERE NOT ({self.WHERE}) GROUP BY idtype ORDER BY idtype")
        if rows:
            kinds = ", ".join(f"{r['idtype'] or '?'}: {r['n']}" for r in rows)
            self.ctx.warn(
                _("%(count)d Discuz! favorites of other things than threads were skipped "
                  "(%(kinds)s): favorites here are threads only.")
                % {"count": sum(r["n"] for r in rows), "kinds": kinds})

    def write(self, rows) -> int:
        wanted = []
        for row in rows:
            user_id = self.mapping.get(Kind.MEMBER, row["uid"])
            thread_id = self.mapping.get(Kind.THREAD, row["id"])
            if user_id is None or thread_id is None:
                continue
            wanted.append((row, user_id, thread_id))
        # A favorite made here already (or twice in Discuz!) is kept once, and mapped.
        existing = {
            (f.user_id, f.thread_id): f.pk
            for f in Favorite.objects.filter(user_id__in={u for _r, u, _t in wanted},
                                             thread_id__in={t for _r, _u, t in wanted})
        }
        new: dict[tuple[int, int], Favorite] = {}
        for row, user_id, thread_id in wanted:
            key = (user_id, thread_id)
            if key not in existing and key not in new:
                new[key] = Favorite(user_id=user_id, thread_id=thread_id,
                                    created_at=text.when(row["dateline"]) or self.ctx.now)
        Favorite.objects.bulk_create(new.values())
        existing.update({key: f.pk for key, f in new.items()})
        for row, user_id, thread_id in wanted:
            self.mapping.add(Kind.FAVORITE, row["favid"], existing[(user_id, thread_id)])
        return len(new)
