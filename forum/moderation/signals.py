"""Keep board moderators' admin access in step with Board.moderators."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from ..models import Board
from . import staff


@receiver(m2m_changed, sender=Board.moderators.through, dispatch_uid="moderation.staff_sync")
def moderators_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear" and not reverse:
        instance._moderators_before_clear = list(instance.moderators.all())
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse:  # user.moderated_boards.add(...): the user is the instance
        members = [instance]
    elif action == "post_clear":
        members = getattr(instance, "_moderators_before_clear", [])
    else:
        members = list(get_user_model().objects.filter(pk__in=pk_set or ()))
    for member in members:
        staff.sync_member(member)

