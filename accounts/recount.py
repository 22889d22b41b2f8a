"""The people counters, rebuilt from rows by `manage.py recount` (forum.recount).

- Profile.follower_count / following_count: Follow rows;
- Profile.credits: the sum of the member's CreditLog rows (the ledger);
- Profile.level: the level the (repaired) credits fall in;
- Profile.unread_notification_count: unread Notification rows.

Same contract as the forum's counters: only rows that differ are written, and the
number written per counter is returned.
"""

from __future__ import annotations

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from . import levels
from .models import CreditLog, Follow, Notification, Profile


def recount_people(changes: dict[str, int], *, count, repair) -> None:
    """`count` and `repair` are forum.recount's helpers (a correlated COUNT, a
    write-where-different UPDATE), passed in to keep one implementation."""
    from django.db.models import F

    profiles = Profile.objects.all()

    followers = count(Follow.objects.all(), "followee", outer="user_id")
    changes["profile.follower_count"] = repair(
        profiles, current=F("follower_count"), correct=followers, follower_count=followers
    )
    following = count(Follow.objects.all(), "follower", outer="user_id")
    changes["profile.following_count"] = repair(
        profiles, current=F("following_count"), correct=following, following_count=following
    )

    ledger = Coalesce(
        Subquery(
            CreditLog.objects.filter(user=OuterRef("user_id")).order_by()
            .values("user").annotate(total=Sum("amount")).values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    changes["profile.credits"] = repair(
        profiles, current=F("credits"), correct=ledger, credits=ledger
    )

    changes["profile.level"] = levels.reassign_all()

    unread = count(Notification.objects.filter(read_at__isnull=True), "recipient",
                   outer="user_id")
    changes["profile.unread_notifications"] = repair(
        profiles, current=F("unread_notification_count"), correct=unread,
        unread_notification_count=unread,
    )
