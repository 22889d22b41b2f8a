"""收藏 (favorites): a member's private list of threads kept for later.

The writes follow accounts.services: keyword-only arguments, one transaction,
PermissionDenied / Http404 with a translated message. Both are idempotent: adding
a favorite twice or removing one that is not there changes nothing and says so
(False). The list is the member's own; nobody else reads it (as in Discuz!).
There is no counter to keep: nothing on a page shows how often a thread was saved.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from forum import permissions

from .models import Favorite


def add_favorite(*, user, thread, at=None) -> bool:
    """Keep the thread in the member's favorites; True if it was not there yet."""
    if not user.is_authenticated:
        raise PermissionDenied(_("You need to log in to keep favorites."))
    permissions.ensure_can_write(user)
    permissions.ensure_can_see_thread(user, thread)  # a deleted thread: 404, as its page
    try:
        # A savepoint, so a concurrent double click (the unique constraint) does not
        # break the caller's transaction.
        with transaction.atomic():
            _favorite, created = Favorite.objects.get_or_create(
                user_id=user.pk, thread_id=thread.pk,
                defaults={"created_at": at or timezone.now()},
            )
    except IntegrityError:
        return False
    return created


def remove_favorite(*, user, thread) -> bool:
    """Take the thread off the member's favorites; True if it was there.

    Allowed whatever has become of the thread (deleted, or the member banned since):
    a member may always tidy their own list."""
    if not user.is_authenticated:
        raise PermissionDenied(_("You need to log in to keep favorites."))
    deleted, _rows = Favorite.objects.filter(user_id=user.pk, thread_id=thread.pk).delete()
    return bool(deleted)


def with_favorite_state(threads: QuerySet, user) -> QuerySet:
    """Annotate `viewer_favorited` on each thread, in the thread's own query (an EXISTS
    on the favorites' unique index); guests get nothing."""
    if not user.is_authenticated:
        return threads
    mine = Favorite.objects.filter(user_id=user.pk, thread_id=OuterRef("pk"))
    return threads.annotate(viewer_favorited=Exists(mine))


def is_favorite(user, thread) -> bool:
    """From the thread's query when it was annotated (with_favorite_state), else one
    indexed lookup; guests have no favorites (no query)."""
    if not user.is_authenticated:
        return False
    known = getattr(thread, "viewer_favorited", None)
    if known is not None:
        return bool(known)
    return Favorite.objects.filter(user_id=user.pk, thread_id=thread.pk).exists()


def favorites_of(user) -> QuerySet:
    """The member's favorites, newest first; threads deleted since are left out (they
    come back if a moderator restores the thread)."""
    return (Favorite.objects.filter(user=user, thread__is_deleted=False)
            .select_related("thread", "thread__board").order_by("-created_at", "-id"))
