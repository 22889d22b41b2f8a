"""A one-line progress display per stage on stderr (no dependency needed for that)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stage: str, total: int, *, stream=None, enabled: bool = True):
        self.stage = stage
        self.total = max(total, 0)
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._draw(force=True)

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def finish(self) -> None:
        self._draw(force=True)
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.2:
            return
        self._last_draw = now
        width = 30
        fraction = self.done / self.total if self.total else 1.0
        filled = int(width * min(fraction, 1.0))
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r{self.stage:<12} [{bar}] {self.done}/{self.total} ({now - self.started:.1f}s)"
        )
        self.stream.flush()
