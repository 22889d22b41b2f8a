"""How board moderators reach the Django admin.

Board moderators are plain members listed in `Board.moderators`. To log into
/admin/ they need `is_staff` and model permissions, so whenever a board's moderators
change (the admin's board form, the shell, `board.moderators.add()`), `sync_member`:

- moderating at least one board: adds the member to the 版主 ("board moderators")
  group, which holds the view/change permissions of the moderation console, and
  sets `is_staff`, remembering in ModeratorStaffGrant that it was given for this;
- moderating no board any more: takes them out of the group and takes back an
  `is_staff` that was given for this (staff who were staff before keep it).

The admin classes then scope every list, page and action to the member's boards
(`forum.admin.BoardScopedAdmin`). Such a member counts as a *board* moderator, not
as staff, in `forum.permissions.is_global_moderator`. Superusers are never touched.
The group is created by a data migration; `moderator_group()` re-creates it if an
administrator deleted it.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

GROUP_NAME = "版主"

# (app_label, codename) of everything a board moderator may do in the admin; the
# admin classes narrow each to the moderator's own boards.
PERMISSIONS = [
    ("forum", "view_board"),
    ("forum", "view_thread"),
    ("forum", "change_thread"),
    ("forum", "view_post"),
    ("forum", "change_post"),
    ("forum", "view_deletedthread"),
    ("forum", "change_deletedthread"),
    ("forum", "view_deletedpost"),
    ("forum", "change_deletedpost"),
    ("forum", "view_report"),
    ("forum", "change_report"),
    ("forum", "view_pendingpost"),
    ("forum", "change_pendingpost"),
    ("forum", "view_moderationlog"),
    ("forum", "view_ban"),
    ("forum", "add_ban"),
    ("forum", "change_ban"),
    ("forum", "view_tag"),
]


def moderator_group() -> Group:
    group, created = Group.objects.get_or_create(name=GROUP_NAME)
    if created:
        query = Q()
        for app_label, codename in PERMISSIONS:
            query |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(query))
    return group


def sync_member(user) -> None:
    """Give or take back admin access to match the boards the member moderates."""
    from .models import ModeratorStaffGrant

    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        if user.is_superuser:
            return
        moderates = user.moderated_boards.exists()
        group = moderator_group()
        if moderates:
            user.groups.add(group)
            if not user.is_staff:
                ModeratorStaffGrant.objects.get_or_create(user=user)
                User.objects.filter(pk=user.pk).update(is_staff=True)
        else:
            user.groups.remove(group)
            granted = ModeratorStaffGrant.objects.filter(user=user)
            if granted.exists():
                granted.delete()
                User.objects.filter(pk=user.pk).update(is_staff=False)
