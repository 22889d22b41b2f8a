"""Re-render stored posts after the markup pipeline changed (`manage.py rerender`).

Rendering happens once at write time; when markup.RENDER_VERSION is bumped the
stored HTML of older posts is re-derived from their source here, through the very
function the services use, so a re-rendered post is identical to a freshly written
one. Re-rendering is not an edit: edited_at and the edit count stay untouched.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from . import markup, page_cache
from .models import Post
from .search import index as search_index
from .services import apply_rendering

RENDERED_FIELDS = (
    "html", "html_public", "text_public", "hidden_fragments", "has_hidden", "render_version",
)


def rerender_post(post: Post) -> Post:
    """Re-render one post from its stored source and save the derived fields."""
    apply_rendering(post, post.body)
    with transaction.atomic():
        post.save(update_fields=RENDERED_FIELDS)
        search_index.index_post(post)  # the public text may have changed
        page_cache.bump_thread(post.thread_id)
    return post


def rerender_posts(*, everything: bool = False, batch_size: int = 500,
                   progress: Callable[[int], None] | None = None) -> int:
    """Re-render outdated posts (or all of them), one transaction per batch.

    Walks the table by primary key rather than by OFFSET: rows drop out of the
    "outdated" filter as they are fixed, which would make offsets skip rows, and a
    keyset walk costs the same on the last batch as on the first. Small
    transactions keep a long run from holding SQLite's write lock for minutes.
    Returns the number of posts re-rendered.
    """
    qs = Post.objects.order_by("pk")
    if not everything:
        qs = qs.filter(render_version__lt=markup.RENDER_VERSION)
    done = 0
    last_pk = 0
    while True:
        batch = list(qs.filter(pk__gt=last_pk).only("pk", "body")[:batch_size])
        if not batch:
            if done:
                page_cache.bump_site()  # posts on any page may look different now
            return done
        for post in batch:
            apply_rendering(post, post.body)
        with transaction.atomic():
            Post.objects.bulk_update(batch, RENDERED_FIELDS)
            search_index.reindex_posts([p.pk for p in batch])
        done += len(batch)
        last_pk = batch[-1].pk
        if progress:
            progress(done)
