"""Splitting a byte stream into lines, with a bound on how long a line may grow.

Serial scanners and the simulated touch panel both send line-terminated messages that can
arrive in pieces. A device that never sends the terminator (a misconfigured suffix, a noisy
cable) must not make the terminal buffer without limit, so an over-long line is dropped
with a warning, up to and including its terminator.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


class LineBuffer:
    """Collects bytes and hands back complete lines, without their separator."""

    def __init__(self, separator: bytes, max_line: int, what: str) -> None:
        """`what` names the source in warnings (for example, the serial port)."""
        if not separator:
            raise ValueError("the separator must not be empty")
        self._separator = separator
        self._max_line = max_line
        self._what = what
        self._pending = bytearray()
        # True while skipping the rest of a line already reported as too long.
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the lines they complete, in order."""
        self._pending += data
        lines: list[bytes] = []
        while (end := self._pending.find(self._separator)) >= 0:
            line = bytes(self._pending[:end])
            del self._pending[: end + len(self._separator)]
            if self._discarding:
                self._discarding = False
            elif len(line) > self._max_line:
                self._warn_too_long()
            else:
                lines.append(line)
        # No whole separator is pending, so all but its possible first half is line data.
        if len(self._pending) - (len(self._separator) - 1) > self._max_line:
            if not self._discarding:
                self._warn_too_long()
                self._discarding = True
            # Keep a possible first half of a two-byte separator split across reads.
            del self._pending[: len(self._pending) - (len(self._separator) - 1)]
        return lines

    def clear(self) -> None:
        """Forget a partial line (the device went away in the middle of it)."""
        self._pending.clear()
        self._discarding = False

    def _warn_too_long(self) -> None:
        log.warning(
            "%s: discarded a line longer than %d bytes without a separator",
            self._what,
            self._max_line,
        )
