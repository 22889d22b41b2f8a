"""The moderation side of `manage.py recount`: each report's reporter count."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import F

from .models import Report, ReportEntry


def recount_moderation(changes: dict[str, int], *, count: Callable, repair: Callable) -> None:
    """Report.reporter_count is the number of its entries (one per reporter)."""
    reporters = count(ReportEntry.objects.all(), "report")
    changes["report.reporter_count"] = repair(
        Report.objects.all(), current=F("reporter_count"), correct=reporters,
        reporter_count=reporters,
    )
