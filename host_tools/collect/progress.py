"""A progress bar on stderr, drawn only when stderr is a terminal (never into a log file)."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

BAR_WIDTH = 30
REDRAW_S = 0.1  # at most ten redraws a second: a national collect has thousands of bundles


class Progress:
    def __init__(self, total: int, label: str, stream: TextIO) -> None:
        self.total = total
        self.label = label
        self.stream = stream
        self.done = 0
        self.enabled = stream.isatty()
        self.started = time.monotonic()
        self.drawn = 0.0
        self.shown = False

    def advance(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (now - self.drawn >= REDRAW_S or self.done == self.total):
            self.drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        filled = BAR_WIDTH * self.done // max(1, self.total)
        elapsed = now - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate else 0.0
        text = (
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.done}/{self.total} "
            f"{self.label}, {elapsed:.0f} s, ~{left:.0f} s left"
        )
        width = shutil.get_terminal_size((80, 24)).columns
        self.stream.write(text[: width - 1])
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        """Wipe the bar before a line is printed; the next advance draws it again."""
        if self.enabled and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
            self.drawn = 0.0

    def close(self) -> None:
        self.clear()
