"""Bans: from posting (every write refused) or from the site (logged out, no login).

A ban is in force while it is neither lifted nor expired, so it lifts by itself at
`expires_at` without any job. Writes ask `forum.permissions.ban_refusal`, which asks
`refusal_for` here. BanMiddleware logs out a member with a site ban on their next
request: the member's own row, loaded on every signed-in request, says whether any ban
is in force (forum.permissions.with_member_flags), so only a banned member's request
asks the database which one.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
from . import log, notify
from .models import Ban

Action = log.Action


def active_ban(user, *, scope: str | None = None) -> Ban | None:
    """The ban in force that weighs most: a site ban first, then the longest."""
    if not getattr(user, "pk", None):
        return None
    bans = Ban.objects.active().filter(user_id=user.pk)
    if scope:
        bans = bans.filter(scope=scope)
    return bans.order_by("scope", F("expires_at").desc(nulls_first=True), "-id").first()


def _ftime(moment: datetime) -> str:
    from ..templatetags.forum_tags import ftime

    return ftime(moment)


def describe(ban: Ban) -> str:
    """What a banned member reads on every write attempt (and at login)."""
    params = {"reason": ban.reason, "until": _ftime(ban.expires_at) if ban.expires_at else ""}
    if ban.scope == Ban.Scope.ACCESS:
        if ban.expires_at:
            return _("Your account is banned until %(until)s. Reason: %(reason)s") % params
        return _("Your account is banned. Reason: %(reason)s") % params
    if ban.expires_at:
        return _("You are banned from posting until %(until)s. Reason: %(reason)s") % params
    return _("You are banned from posting. Reason: %(reason)s") % params


def refusal_for(user) -> str | None:
    ban = active_ban(user)
    return describe(ban) if ban else None


# --- writes ------------------------------------------------------------------------------

def validate_ban(*, user, actor, scope: str, reason: str,
                 expires_at: datetime | None = None) -> str:
    """Check a ban before making it (forms call this too); returns the cleaned reason."""
    if scope not in Ban.Scope.values:
        raise ValidationError(_("Unknown kind of ban."))
    if not permissions.can_ban(actor, scope):
        raise PermissionDenied(_("You may not ban members this way."))
    if user.pk == getattr(actor, "pk", None):
        raise ValidationError(_("You cannot ban yourself."))
    if user.is_superuser or user.is_staff or permissions.moderated_board_ids(user):
        raise ValidationError(_("Staff and moderators cannot be banned; "
                                "take away their role first."))
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise ValidationError(_("Please give a reason: the member will read it."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError(_("The ban would have expired already."))
    return reason


def ban_member(*, user, actor, scope: str = Ban.Scope.POSTING, reason: str,
               expires_at: datetime | None = None) -> Ban:
    reason = validate_ban(user=user, actor=actor, scope=scope, reason=reason,
                          expires_at=expires_at)
    with transaction.atomic():
        ban = Ban.objects.create(user=user, scope=scope, reason=reason,
                                 expires_at=expires_at, created_by=actor)
        log.record(
            actor=actor, action=Action.BAN, reason=reason, target_user=user,
            target_repr=user.get_username(),
            after={"scope": scope, "expires_at": expires_at.isoformat() if expires_at else None},
        )
        notify.notify(recipient=user, actor=actor, reason=reason,
                      action="ban_site" if scope == Ban.Scope.ACCESS else "ban",
                      until=_ftime(expires_at) if expires_at else "")
    return ban


def lift_ban(*, ban: Ban, actor, reason: str = "") -> bool:
    with transaction.atomic():
        locked = Ban.objects.select_for_update(no_key=True).select_related("user").get(pk=ban.pk)
        if not permissions.can_ban(actor, locked.scope):
            raise PermissionDenied(_("You may not lift this ban."))
        if not locked.is_active():
            return False
        locked.lifted_at, locked.lifted_by = timezone.now(), actor
        locked.save(update_fields=["lifted_at", "lifted_by"])
        log.record(
            actor=actor, action=Action.LIFT_BAN, reason=reason, target_user=locked.user,
            target_repr=locked.user.get_username(),
            before={"scope": locked.scope,
                    "expires_at": locked.expires_at.isoformat() if locked.expires_at else None},
            after={"lifted": True},
        )
        notify.notify(recipient=locked.user, actor=actor, action="lift_ban", reason=reason)
    ban.lifted_at = locked.lifted_at
    return True


# --- the request side of site bans ------------------------------------------------------

class BanMiddleware:
    """Log out a member banned from the site and tell them why.

    No query for a member without a ban in force: their row says so (forum_banned).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # A user loaded some other way than accounts.backends has no flag: asked.
        if user is not None and user.is_authenticated and getattr(user, "forum_banned", True):
            ban = active_ban(user, scope=Ban.Scope.ACCESS)
            if ban is not None:
                logout(request)
                return render(request, "forum/moderation/banned.html",
                              {"message": describe(ban)}, status=403)
        return self.get_response(request)
