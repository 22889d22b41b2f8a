"""Keeping the search index in step with the posts.

forum.services calls these inside the transaction of each write (new thread,
reply, edit, delete, restore, move), so the index commits or rolls back with the
write it reflects: a search never finds a post that is not there, and a rolled-back
reply leaves nothing behind. Only live posts of live threads are indexed, and only
their public text (see forum.search.documents). `manage.py reindex` rebuilds
everything from the posts (`rebuild`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from django.db import transaction

from ..models import Post, Thread
from . import documents
from .backends import TABLE, TITLE_TABLE, engine


def _live_posts():
    return Post.objects.filter(is_deleted=False, thread__is_deleted=False)


def index_post(post: Post) -> None:
    """Add or refresh one post (its title too, for an opening post); drop it if not live."""
    row = _live_posts().filter(pk=post.pk).values_list(*documents.FIELDS).first()
    if row is None:
        engine().delete([post.pk])
    else:
        engine().write([documents.from_row(row)])


def index_new_post(post: Post, *, title: str, board_id: int) -> None:
    """A post just written in the caller's transaction into a live thread it has
    locked: built from the object in hand instead of read back."""
    engine().write([documents.build(
        post_id=post.pk, floor=post.floor, author_id=post.author_id,
        created_at=post.created_at, text_public=post.text_public, title=title,
        board_id=board_id,
    )])


def reply_documents(post: Post, *, days, board_id: int) -> list[str]:
    """PostgreSQL: the index entry of a reply written by forum.services in one statement
    (which inserts it), as tsvector literals, one dated by each of `days` (times): the
    statement picks the one of the time it stamps. Its floor is not known yet but is
    not 1, and only an opening post is indexed otherwise."""
    doc = documents.build(post_id=0, floor=None, author_id=post.author_id, created_at=days[0],
                          text_public=post.text_public, title="", board_id=board_id)
    literals = [engine().literal(doc)]
    for at in days[1:]:  # the same words, other date tokens
        dated = documents.build(post_id=0, floor=None, author_id=post.author_id,
                                created_at=at, text_public="", title="", board_id=board_id)
        literals.append(engine().literal(dataclasses.replace(doc, meta=dated.meta)))
    return literals


def remove_post(post_id: int) -> None:
    engine().delete([post_id])


def remove_thread(thread_id: int) -> None:
    engine().delete_thread(thread_id)


def index_thread(thread: Thread, *, batch_size: int = 1000) -> None:
    """(Re)index every live post of a thread, e.g. when it is restored."""
    eng = engine()
    eng.delete_thread(thread.pk)
    if Thread.objects.filter(pk=thread.pk, is_deleted=False).exists():
        qs = Post.objects.filter(thread_id=thread.pk, is_deleted=False).order_by("pk")
        last = 0
        while True:
            rows = list(qs.filter(pk__gt=last).values_list(*documents.FIELDS)[:batch_size])
            if not rows:
                break
            eng.write([documents.from_row(r) for r in rows], fresh=True)
            last = rows[-1][0]


def move_thread(thread_id: int, *, old_board_id: int, new_board_id: int) -> None:
    """A moved thread's posts now belong to another board (rewrites one filter token)."""
    if old_board_id != new_board_id:
        engine().move_thread(thread_id, old_board_id, new_board_id)


def reindex_posts(post_ids) -> None:
    """Refresh the given posts (after a re-render changed their public text)."""
    ids = list(post_ids)
    rows = list(_live_posts().filter(pk__in=ids).values_list(*documents.FIELDS))
    eng = engine()
    live = {r[0] for r in rows}
    eng.delete([i for i in ids if i not in live])
    eng.write([documents.from_row(r) for r in rows])


def rebuild(*, fresh: bool = False, batch_size: int = 2000,
            progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the whole index from the posts; returns the number of posts indexed.

    By default the index is refreshed in place, one transaction per batch, and
    entries of posts that are no longer live are dropped at the end: searches keep
    working while it runs. `fresh=True` empties the index first and inserts without
    looking for existing entries (faster; searches find little until it is done).
    """
    eng = engine()
    if fresh:
        with transaction.atomic():
            eng.clear()
    qs = _live_posts().order_by("pk")
    done = last = 0
    while True:
        with transaction.atomic():
            # Read inside the write transaction, so no edit slips in between.
            rows = list(qs.filter(pk__gt=last).values_list(*documents.FIELDS)[:batch_size])
            if not rows:
                break
            eng.write([documents.from_row(r) for r in rows], fresh=fresh)
        done += len(rows)
        last = rows[-1][0]
        if progress:
            progress(done)
    with transaction.atomic():
        if not fresh:
            eng.delete_orphans()
        eng.delete_above(last_post_id())
    eng.optimize()
    return done


def last_post_id() -> int:
    return Post.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def needs_rebuild() -> bool:
    """An index table is empty while there are live posts it should hold."""
    eng = engine()
    live = _live_posts()
    return bool(
        (eng.is_empty(TABLE) and live.exists())
        or (eng.is_empty(TITLE_TABLE) and live.filter(floor=1).exists())
    )


def forget_flushed() -> None:
    """Drop entries above the highest post id (after `flush` emptied the post table)."""
    engine().delete_above(last_post_id())
