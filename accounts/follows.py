"""Follow state for lists of posts, in the list's own query."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from .models import Follow


def with_follow_state(posts: QuerySet, viewer, author_field: str = "author") -> QuerySet:
    """Annotate `author_followed` (does the viewer follow the post's author?) on each
    post, as an EXISTS on the follow index: no query per author card. Guests get
    nothing (templates read a missing attribute as false)."""
    if not viewer.is_authenticated:
        return posts
    follows = Follow.objects.filter(
        follower_id=viewer.pk, followee_id=OuterRef(f"{author_field}_id")
    )
    return posts.annotate(author_followed=Exists(follows))
