"""Authentication backends that load the member's profile with the member.

Every page a member sees reads their profile (the unread count in the header, the
credits that open hidden blocks, the level): fetching it in the same query as the
user saves a query on every request. Otherwise these are Django's and allauth's
own backends. The same query says whether the member moderates any board or is
banned (forum.permissions.with_member_flags), which spares most members two queries.
"""

from __future__ import annotations

import datetime
from functools import cache

from allauth.account import auth_backends
from django.contrib.auth import backends, get_user_model
from django.utils import timezone

from forum.compiled_query import CompiledQuery


@cache
def _member_query() -> CompiledQuery:
    """The member with profile, level and flags, compiled once per connection (building
    and compiling this queryset was ~0.5 ms of every member request)."""
    from forum.permissions import with_member_flags

    User = get_user_model()  # noqa: N806
    users = User._default_manager.select_related("profile", "profile__level")
    return CompiledQuery(
        "member", User, lambda pk, now: with_member_flags(users, now=now).filter(pk=pk),
        # Values no request passes: their places in the SQL's parameters are filled in.
        pk=-1_987_654_321, now=datetime.datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=datetime.UTC))


def _get_user(backend, user_id):
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    user = _member_query().get(pk=pk, now=timezone.now())
    if user is None:
        return None
    return user if backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(auth_backends.AuthenticationBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
