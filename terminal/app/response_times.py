"""How long the terminal takes from an input to the frame that answers it.

A voter waits for the screen after every tap; on a slow board that wait is what they feel.
With `python -m terminal --response-log FILE` the terminal appends one JSON line per input
it answered with a new frame: what the input was, the screen shown after it, and the
milliseconds from reading the input to the frame written to the display (printing included,
when a tap prints). The lines carry no time of day, no ballot content and no voter data: a
screen's name and a duration. The log is diagnostics, not a store: it is never synced, and
lines lost in a power cut are only a shorter sample.

    {"input": "tap", "screen": "ballot", "ms": 212.4}

Some steps inside an answer are timed on their own lines as well, to show where a slow answer
spends its time: encrypting a verifiable ballot with its proofs (`{"step": "encrypt", "ms":
183.0}`; the QEMU stage reports it as the guest's encrypt+prove time).

`summary` reads such a file back (the QEMU stage reports p50/p95 from it).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, TypeVar

T = TypeVar("T")


class Input(Enum):
    TAP = "tap"
    KEY = "key"
    SCAN = "scan"


class Step(Enum):
    ENCRYPT = "encrypt"  # encrypt and prove one format-2 ballot


class ResponseLog:
    """Appends one line per answered input to a file, line-buffered."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8", buffering=1)

    def timed(self, kind: Input, answer: Callable[[], str | None]) -> None:
        """Run `answer` (it handles the input and returns the name of the frame it showed,
        or None if it showed none) and record how long it took."""
        started = time.monotonic()
        screen = answer()
        if screen is not None:
            ms = (time.monotonic() - started) * 1000
            self._file.write(
                json.dumps({"input": kind.value, "screen": screen, "ms": round(ms, 1)}) + "\n"
            )

    def step(self, step: Step, work: Callable[[], T]) -> T:
        """Run `work`, a step of an answer, and record how long it took."""
        started = time.monotonic()
        result = work()
        ms = (time.monotonic() - started) * 1000
        self._file.write(json.dumps({"step": step.value, "ms": round(ms, 1)}) + "\n")
        return result

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class Summary:
    count: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    slowest_screen: str


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of sorted `values`."""
    rank = max(1, math.ceil(fraction * len(values)))
    return values[rank - 1]


def summary(lines: Iterable[str], kind: Input | Step = Input.TAP) -> Summary | None:
    """p50, p95 and max of one kind of input (or of one step) in a response log; None if it
    has none. A line cut by a power cut (the last one, unsynced) is skipped."""
    key = "input" if isinstance(kind, Input) else "step"
    times: list[tuple[float, str]] = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get(key) == kind.value:
            times.append((float(entry["ms"]), str(entry.get("screen", kind.value))))
    if not times:
        return None
    ms = sorted(t for t, _ in times)
    slowest = max(times)
    return Summary(len(ms), percentile(ms, 0.5), percentile(ms, 0.95), slowest[0], slowest[1])
