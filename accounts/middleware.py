"""Last active time and the daily-login credit, without a query on most requests.

A signed cookie remembers when this browser's visit was last recorded. Only when
it is from an earlier day (daily credit + last active) or older than
RECORD_EVERY (last active) does the request write anything; a browser without
the cookie just gets one (logging in records the visit itself, see signals).
Guests cost nothing: without a session cookie the user is never loaded here.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

COOKIE = "forum_seen"
SALT = "accounts.visit"
RECORD_EVERY = datetime.timedelta(minutes=15)
MAX_AGE = 60 * 60 * 24 * 30


def remember_visit(request, user) -> None:
    """Ask the middleware to set the cookie: the visit was just recorded."""
    request._visit_recorded = (user.pk, timezone.now())


class VisitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            self._track(request, response)
        except Exception:  # noqa: BLE001 - bookkeeping never breaks a page
            import logging

            logging.getLogger(__name__).exception("recording a visit failed")
        return response

    def _track(self, request, response) -> None:
        recorded = getattr(request, "_visit_recorded", None)
        if recorded is None:
            if settings.SESSION_COOKIE_NAME not in request.COOKIES:
                return
            user = getattr(request, "user", None)
            if user is None or not user.is_authenticated:
                return
            recorded = self._maybe_record(request, user)
            if recorded is None:
                return
        user_id, moment = recorded
        response.set_signed_cookie(
            COOKIE, f"{user_id}:{int(moment.timestamp())}", salt=SALT, max_age=MAX_AGE,
            httponly=True, samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
        )

    def _maybe_record(self, request, user):
        from . import services

        now = timezone.now()
        raw = request.get_signed_cookie(COOKIE, default=None, salt=SALT)
        last = _parse(raw, user.pk)
        if last is None:
            return (user.pk, now)  # a new browser: start counting from now
        if timezone.localdate(last) != timezone.localdate(now):
            services.record_visit(user=user, daily=True)
        elif now - last >= RECORD_EVERY:
            services.record_visit(user=user, daily=False)
        else:
            return None
        return (user.pk, now)


def _parse(raw: str | None, user_id: int):
    if not raw:
        return None
    try:
        uid, stamp = raw.split(":")
        if int(uid) != user_id:
            return None
        return datetime.datetime.fromtimestamp(int(stamp), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        return None
