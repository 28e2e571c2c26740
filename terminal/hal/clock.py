"""Clocks. Raspberry Pi boards up to the 4 have no RTC: the source says where time came from."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    source: str

    def now(self) -> dt.datetime:
        """The current UTC time, timezone-aware."""


class SystemClock:
    """The kernel's wall clock; `source` is what the board config says set it (rtc, ntp, manual)."""

    def __init__(self, source: str = "system") -> None:
        self.source = source

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)
