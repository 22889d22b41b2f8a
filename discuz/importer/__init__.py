"""Import a Discuz! X3 community: `run_import()` runs the stages in dependency order.

Order matters only through the mapping: members before anything they wrote, boards
before threads, threads before posts and tags of threads. Each stage commits per
batch; at the end `forum.recount` rebuilds every counter from the imported rows
(the services' own definition of each counter), so `manage.py recount` afterwards
finds nothing to repair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from discuz.models import ImportRun

from .attachments import AttachmentStage
from .base import Context
from .boards import BoardStage, ModeratorStage
from .mapping import Mapping
from .members import AvatarStage, MemberStage
from .social import FavoriteStage, FollowStage, TagStage, ThreadTagStage
from .source import Source, parse_dsn
from .threads import PostEditStage, PostStage, ThreadStage

STAGES = [MemberStage, AvatarStage, BoardStage, ModeratorStage, FollowStage, TagStage, ThreadStage,
          AttachmentStage, PostStage, PostEditStage, ThreadTagStage, FavoriteStage]


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)  # stage -> rows imported
    warnings: list[str] = field(default_factory=list)
    repaired: dict[str, int] = field(default_factory=dict)  # recount's repairs


def _check_converter() -> None:
    try:
        from discuz.bbcode import convert  # noqa: F401
    except ImportError as exc:
        raise CommandError(_("The BBCode converter (discuz.bbcode) is missing: %(error)s")
                           % {"error": exc}) from exc


def run_import(*, dsn: str, prefix: str = "pre_", attachments: str | Path | None = None,
               dry_run: bool = False, progress: bool = True, batch_size: int = 500,
               include_restricted: bool = False) -> Report:
    attachments_dir = Path(attachments) if attachments else None
    if attachments_dir is not None and not attachments_dir.is_dir():
        raise CommandError(_("The attachments directory %(dir)s does not exist.")
                           % {"dir": attachments_dir})
    _check_converter()
    source = Source(parse_dsn(dsn), prefix)
    try:
        source.validate()  # before anything is written
        label = f"{source.dsn.label} {prefix}"
        previous = (ImportRun.objects.filter(source=label, finished_at__isnull=False)
                    .order_by("-started_at").values_list("started_at", flat=True).first())
        ctx = Context(source=source, mapping=Mapping(), dry_run=dry_run,
                      attachments_dir=attachments_dir, batch_size=batch_size, progress=progress,
                      include_restricted=include_restricted, edits_since=previous)
        report = Report()
        run = None
        if not dry_run:
            run = ImportRun.objects.create(source=label)
        for stage_class in STAGES:
            stage = stage_class(ctx)
            if not stage.enabled():
                continue
            if run is not None:
                ImportRun.objects.filter(pk=run.pk).update(stage=stage.name)
            report.counts[stage.name] = stage.run()
        report.warnings = ctx.warnings
        if run is not None:
            from forum.recount import recount_all

            report.repaired = {k: v for k, v in recount_all().items() if v}
            if any(report.counts.values()):
                # Imported rows bypass the services and their page-cache bumps: new
                # posts, avatars or boards may be on any guest page.
                from forum import page_cache

                page_cache.bump_site()
            ImportRun.objects.filter(pk=run.pk).update(
                stage="", counts=report.counts, finished_at=timezone.now())
        return report
    finally:
        source.close()
