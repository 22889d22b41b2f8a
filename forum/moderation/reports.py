"""Reports (举报): members flag posts; moderators resolve or dismiss them.

All open reports of one post fold into one queue item (a Report) holding one entry
per reporter; a member reporting the same post again changes nothing. When a
moderator handles the item, every reporter hears the outcome.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import permissions
from ..models import Post
from . import log, notify
from . import services as mod_services
from .models import Report, ReportEntry

Action = log.Action


def _open_report(post: Post) -> Report:
    report = (Report.objects.select_for_update(no_key=True)
              .filter(post=post, status=Report.Status.OPEN).first())
    if report is not None:
        return report
    try:
        with transaction.atomic():  # a savepoint: a concurrent first report wins
            return Report.objects.create(post=post)
    except IntegrityError:
        return (Report.objects.select_for_update(no_key=True)
                .get(post=post, status=Report.Status.OPEN))


def report_post(*, post: Post, reporter, reason: str, detail: str = "") -> tuple[Report, bool]:
    """(the queue item, whether this reporter was new to it)."""
    permissions.ensure_can_report(reporter, post)
    if reason not in ReportEntry.Reason.values:
        raise ValidationError(_("Please choose a reason."))
    detail = (detail or "").replace("\x00", "").strip()[:500]
    if reason == ReportEntry.Reason.OTHER and not detail:
        raise ValidationError(_("Please describe the problem."))
    with transaction.atomic():
        report = _open_report(post)
        if ReportEntry.objects.filter(report=report, reporter=reporter).exists():
            return report, False
        ReportEntry.objects.create(report=report, reporter=reporter, reason=reason, detail=detail)
        Report.objects.filter(pk=report.pk).update(
            reporter_count=F("reporter_count") + 1, last_reported_at=timezone.now()
        )
        report.refresh_from_db(fields=["reporter_count", "last_reported_at"])
    return report, True


def _handle(*, report: Report, actor, status: str, note: str, action: str,
            notice: str) -> bool:
    with transaction.atomic():
        locked = (Report.objects.select_for_update(no_key=True)
                  .select_related("post__thread__board", "post__author").get(pk=report.pk))
        post = locked.post
        permissions.ensure_can_moderate(actor, post.thread.board)
        if locked.status != Report.Status.OPEN:
            return False
        note = (note or "").strip()[:200]
        locked.status, locked.handled_by, locked.handled_at = status, actor, timezone.now()
        locked.outcome = note
        locked.save(update_fields=["status", "handled_by", "handled_at", "outcome"])
        log.record(
            actor=actor, action=action, reason=note, board=post.thread.board,
            thread=post.thread, post=post, target_user=post.author,
            target_repr=log.post_repr(post),
            before={"status": Report.Status.OPEN, "reporters": locked.reporter_count},
            after={"status": status},
        )
        reporters = [e.reporter for e in locked.entries.select_related("reporter")]
        for reporter in reporters:
            notify.notify(recipient=reporter, actor=actor, action=notice, thread=post.thread,
                          post=post, reason=note)
    report.status = status
    return True


def resolve_report(*, report: Report, actor, note: str = "", delete_post: bool = False) -> bool:
    """Agree with the reporters; optionally delete the post (logged on its own)."""
    with transaction.atomic():
        done = _handle(
            report=report, actor=actor, status=Report.Status.RESOLVED, note=note,
            action=Action.RESOLVE_REPORT, notice="report_resolved",
        )
        if done and delete_post:
            mod_services.delete_post(post=Post.objects.get(pk=report.post_id), actor=actor,
                                     reason=note)
    return done


def dismiss_report(*, report: Report, actor, note: str = "") -> bool:
    return _handle(
        report=report, actor=actor, status=Report.Status.DISMISSED, note=note,
        action=Action.DISMISS_REPORT, notice="report_dismissed",
    )
