"""Authentication backends that load the member's profile with the member.

Every page a member sees reads their profile (the unread count in the header, the
credits that open hidden blocks, the level): fetching it in the same query as the
user saves a query on every request. Otherwise these are Django's and allauth's
own backends. The same query says whether the member moderates any board or is
banned (forum.permissions.with_member_flags), which spares most members two queries.
"""

from __future__ import annotations

from allauth.account import auth_backends
from django.contrib.auth import backends, get_user_model


def _get_user(backend, user_id):
    from forum.permissions import with_member_flags

    User = get_user_model()  # noqa: N806
    users = User._default_manager.select_related("profile", "profile__level")
    try:
        user = with_member_flags(users).get(pk=user_id)
    except User.DoesNotExist:
        return None
    return user if backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(auth_backends.AuthenticationBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
