"""Rebuild every denormalised counter from rows (`manage.py recount`).

The services keep the counters exact with F() updates; this module is the
independent check and the repair tool. Each counter is rebuilt with one UPDATE
whose WHERE clause compares the stored value with the value computed from rows,
so only rows that are actually wrong get written and the number returned per
counter is a real count of repairs: zero everywhere means the services agree
with the rows. Tests rely on that after arbitrary sequences of service calls.

What counts, in one place (the services must implement the same rules):

- a *live thread* is one with is_deleted=False;
- a *live post* is a post with is_deleted=False in a live thread (floor 1 included);
- Thread.reply_count and Thread.last_post_* look at the thread's own posts
  whatever the thread's state, so they survive a delete/restore of the thread;
- Thread.last_floor includes deleted posts: floors are never given out twice.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Profile
from accounts.recount import recount_people

from . import page_cache
from .models import Board, Post, Tag, Thread
from .moderation.recount import recount_moderation

# Stands in for NULL when comparing nullable foreign keys: ids are never 0, and
# plain `=` would treat NULL = NULL as unknown and miss or invent differences.
_NO_ID = Value(0, output_field=BigIntegerField())


def _count(qs: QuerySet, link: str, outer: str = "pk") -> Coalesce:
    """Correlated COUNT(*) of `qs` rows whose `link` points at the outer row."""
    sub = (
        qs.filter(**{link: OuterRef(outer)})
        .order_by()
        .values(link)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def _repair(qs: QuerySet, *, current, correct, **updates) -> int:
    """Write `updates` to the rows where `current` differs from `correct`.

    Both expressions must be non-null so that the comparison is two-valued.
    Returns the number of rows written.
    """
    return (
        qs.annotate(_current=current, _correct=correct)
        .exclude(_current=F("_correct"))
        .update(**updates)
    )


def _live_posts() -> QuerySet:
    return Post.objects.filter(is_deleted=False, thread__is_deleted=False)


def _today_bounds() -> tuple[datetime.date, datetime.datetime, datetime.datetime]:
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time.min)
    )
    return today, start, end


def _recount_boards(changes: dict[str, int]) -> None:
    boards = Board.objects.all()

    threads = _count(Thread.objects.filter(is_deleted=False), "board")
    changes["board.thread_count"] = _repair(
        boards, current=F("thread_count"), correct=threads, thread_count=threads
    )

    posts = _count(_live_posts(), "thread__board")
    changes["board.post_count"] = _repair(
        boards, current=F("post_count"), correct=posts, post_count=posts
    )

    # The stored count only means something on its today_date (Board.posts_today
    # reads it that way), so a stale date with no posts today is already right;
    # comparing the effective value keeps "nothing to repair" true across midnight.
    today, start, end = _today_bounds()
    today_posts = _count(
        _live_posts().filter(created_at__gte=start, created_at__lt=end), "thread__board"
    )
    effective = Case(
        When(today_date=today, then=F("today_post_count")),
        default=Value(0), output_field=IntegerField(),
    )
    changes["board.today_post_count"] = _repair(
        boards, current=effective, correct=today_posts,
        today_post_count=today_posts, today_date=Value(today),
    )

    last = Subquery(
        _live_posts().filter(thread__board=OuterRef("pk"))
        .order_by("-created_at", "-id").values("id")[:1],
        output_field=BigIntegerField(),
    )
    changes["board.last_post"] = _repair(
        boards,
        current=Coalesce(F("last_post_id"), _NO_ID, output_field=BigIntegerField()),
        correct=Coalesce(last, _NO_ID, output_field=BigIntegerField()),
        last_post_id=last,
    )


def _recount_threads(changes: dict[str, int]) -> None:
    threads = Thread.objects.all()

    replies = _count(Post.objects.filter(is_deleted=False, floor__gt=1), "thread")
    changes["thread.reply_count"] = _repair(
        threads, current=F("reply_count"), correct=replies, reply_count=replies
    )

    last_floor = Coalesce(
        Subquery(
            Post.objects.filter(thread=OuterRef("pk")).order_by()
            .values("thread").annotate(m=Max("floor")).values("m"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    changes["thread.last_floor"] = _repair(
        threads, current=F("last_floor"), correct=last_floor, last_floor=last_floor
    )

    # A thread with no live post left (only reachable through direct edits) falls
    # back to its own creation, as refresh_thread_last_post does.
    latest = Post.objects.filter(thread=OuterRef("pk"), is_deleted=False).order_by("-floor")
    last_at = Coalesce(
        Subquery(latest.values("created_at")[:1], output_field=DateTimeField()),
        F("created_at"),
    )
    changes["thread.last_post_at"] = _repair(
        threads, current=F("last_post_at"), correct=last_at, last_post_at=last_at
    )

    last_poster = Coalesce(
        Subquery(latest.values("author_id")[:1]), F("author_id"),
        output_field=BigIntegerField(),
    )
    changes["thread.last_poster"] = _repair(
        threads,
        current=Coalesce(F("last_poster_id"), _NO_ID, output_field=BigIntegerField()),
        correct=last_poster,
        last_poster_id=last_poster,
    )


def _recount_tags(changes: dict[str, int]) -> None:
    through = Thread.tags.through.objects.filter(thread__is_deleted=False)
    threads = _count(through, "tag")
    changes["tag.thread_count"] = _repair(
        Tag.objects.all(), current=F("thread_count"), correct=threads, thread_count=threads
    )


def _recount_profiles(changes: dict[str, int]) -> None:
    profiles = Profile.objects.all()

    posts = _count(_live_posts(), "author", outer="user_id")
    changes["profile.post_count"] = _repair(
        profiles, current=F("post_count"), correct=posts, post_count=posts
    )

    threads = _count(Thread.objects.filter(is_deleted=False), "author", outer="user_id")
    changes["profile.thread_count"] = _repair(
        profiles, current=F("thread_count"), correct=threads, thread_count=threads
    )


def recount_all() -> dict[str, int]:
    """Rebuild every counter; return {counter: rows repaired}, all zeros if none."""
    changes: dict[str, int] = {}
    # One transaction so that readers never see half the counters rebuilt. Under
    # PostgreSQL's READ COMMITTED a write committed while a statement runs can still
    # be counted from the older snapshot: run it when writes are quiet, or twice.
    with transaction.atomic():
        _recount_boards(changes)
        _recount_threads(changes)
        _recount_tags(changes)
        _recount_profiles(changes)
        # Follower/following counts, credits from the ledger, levels, unread counts.
        recount_people(changes, count=_count, repair=_repair)
        recount_moderation(changes, count=_count, repair=_repair)  # reporters per report
        if any(changes.values()):
            page_cache.bump_site()  # repaired counters are on every kind of page
    return changes
