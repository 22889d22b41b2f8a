"""What every stage shares: the run's context and the batch loop.

A stage reads Discuz! rows in key order, keeps those the mapping does not know
yet, and writes them with their mapping rows in one transaction per batch. A
re-run therefore skips what is done; a crash loses at most the batch in flight,
which the next run writes again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from .mapping import Kind, Mapping
from .progress import Progress
from .source import Source

GUEST_USERNAME = "discuz_guest"


@dataclass
class Context:
    source: Source
    mapping: Mapping
    dry_run: bool = False
    attachments_dir: Path | None = None
    batch_size: int = 500
    progress: bool = True
    include_restricted: bool = False  # boards and threads Discuz! closes to some readers
    edits_since: datetime.datetime | None = None  # the previous finished run's start
    now: datetime.datetime = field(default_factory=timezone.now)
    warnings: list[str] = field(default_factory=list)
    _guest_id: int | None = None

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def warn_once(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def guest_id(self) -> int:
        """Our member for Discuz! guests, anonymous posts and members that no longer exist.

        Inactive with an unusable password; mapped as Discuz! uid 0, so it is made once.
        """
        if self._guest_id is None:
            known = self.mapping.get(Kind.MEMBER, 0)
            if known is None:
                User = get_user_model()  # noqa: N806
                name = GUEST_USERNAME
                if User.objects.filter(username=name, is_active=True).exists():
                    name = f"{GUEST_USERNAME}_{get_random_string(6).lower()}"  # a real member's
                user, _created = User.objects.get_or_create(
                    username=name, defaults={"is_active": False, "password": "!discuz-guest"},
                )
                self.mapping.add(Kind.MEMBER, 0, user.pk)  # written with the batch
                known = user.pk
            self._guest_id = known
        return self._guest_id

    def member(self, uid) -> int:
        """Our user id for a Discuz! uid (the guest member when unknown)."""
        return self.mapping.get(Kind.MEMBER, uid or 0) or self.guest_id()


class Stage:
    """One kind of Discuz! row. Subclasses set `name`, `kind` and implement the hooks."""

    name = ""
    kind = ""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.source = ctx.source
        self.mapping = ctx.mapping

    def enabled(self) -> bool:
        return True

    def total(self) -> int:
        """Rows the stage will look at (for the progress line)."""
        raise NotImplementedError

    def batches(self) -> Iterator[list[dict]]:
        raise NotImplementedError

    def old_id(self, row: dict) -> int:
        raise NotImplementedError

    def write(self, rows: list[dict]) -> int:
        """Write the new rows and their mapping; return how many objects were imported."""
        raise NotImplementedError

    def after(self) -> None:
        """Runs once after the last batch (inside no transaction)."""

    # --- the loop ---------------------------------------------------------------------

    def fresh(self, rows: list[dict]) -> list[dict]:
        known = self.mapping.of(self.kind)
        return [r for r in rows if self.old_id(r) not in known]

    def run(self) -> int:
        progress = Progress(self.name, self.total(), enabled=self.ctx.progress)
        imported = 0
        for rows in self.batches():
            fresh = self.fresh(rows)
            if fresh and self.ctx.dry_run:
                imported += len(fresh)
            elif fresh:
                try:
                    with transaction.atomic():
                        imported += self.write(fresh)
                        self.mapping.flush()
                except BaseException:
                    self.mapping.discard()
                    raise
            progress.advance(len(rows))
        progress.finish()
        if not self.ctx.dry_run:
            self.after()
        return imported
