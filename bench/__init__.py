"""Benchmarks of Tamga against its performance targets: `make bench` runs `python -m bench`.

Each module measures one group of figures and prints them as it goes; `__main__` runs the
groups in order and writes bench/results.json, one entry per figure:

    {"<name>": {"value": 0.13, "unit": "ms", "target": 1.0, "better": "lower", "met": true,
                "peer": ..., "ratio": ...}}

`peer` and `ratio` (= value / peer) appear where a figure is compared with a floor or a
peer measured in the same run; `note` appears where a figure is extrapolated, labelled or
could not be measured (then `value` is null and `met` is false).
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parent.parent
RESULTS_FILE = REPO / "bench" / "results.json"
# Scratch space for stores, runs and caches: under runs/, which git ignores, and on the same
# filesystem as a terminal's data directory in the simulator (runs/<day>/data).
WORK = REPO / "runs" / "bench"

Better = Literal["lower", "higher"]


def fmt(value: float | None) -> str:
    """A number with as many digits as a reader can use: 3 significant, thousands grouped."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class Spread:
    """Median and 90th percentile (nearest rank) of a list of samples."""

    p50: float
    p90: float
    n: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Spread:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)
        rank = max(1, math.ceil(0.9 * len(ordered)))
        return cls(statistics.median(ordered), ordered[rank - 1], len(ordered))

    def scaled(self, factor: float) -> Spread:
        """The same spread in another unit (e.g. nanoseconds to milliseconds)."""
        return Spread(self.p50 * factor, self.p90 * factor, self.n)

    def __str__(self) -> str:
        return f"p50 {fmt(self.p50)}  p90 {fmt(self.p90)}  (n={self.n})"


@dataclass(frozen=True)
class Figure:
    """One measured figure against its target."""

    name: str
    value: float | None
    unit: str
    target: float
    better: Better
    peer: float | None = None
    note: str = ""

    @property
    def met(self) -> bool:
        if self.value is None:
            return False
        return self.value <= self.target if self.better == "lower" else self.value >= self.target

    @property
    def ratio(self) -> float | None:
        if self.value is None or self.peer is None or self.peer == 0:
            return None
        return self.value / self.peer

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "value": _rounded(self.value),
            "unit": self.unit,
            "target": _rounded(self.target),
            "better": self.better,
            "met": self.met,
        }
        if self.peer is not None:
            entry["peer"] = _rounded(self.peer)
            entry["ratio"] = _rounded(self.ratio)
        if self.note:
            entry["note"] = self.note
        return entry

    def line(self) -> str:
        """One row of the printed table."""
        op = "<=" if self.better == "lower" else ">="
        status = "met" if self.met else "MISSED"
        text = (
            f"  {self.name:<44} {fmt(self.value):>10} {self.unit:<11}"
            f" target {op} {fmt(self.target):<8} {status}"
        )
        if self.peer is not None:
            text += f"   peer {fmt(self.peer)}, ratio {fmt(self.ratio)}"
        if self.note:
            text += f"\n  {'':<44} ({self.note})"
        return text


def _rounded(value: float | None) -> float | None:
    # Six significant digits: the measurements are not more precise than that, and the JSON
    # stays readable.
    return None if value is None else float(f"{value:.6g}")


@dataclass
class Results:
    """Every figure of the run, in the order measured; written to results.json."""

    path: Path = RESULTS_FILE
    figures: dict[str, Figure] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures[figure.name] = figure
        print(figure.line(), flush=True)
        return figure

    def unavailable(self, name: str, unit: str, target: float, better: Better, why: str) -> Figure:
        """A figure that could not be measured: value null, met false, and why."""
        return self.add(Figure(name, None, unit, target, better, note=f"not available: {why}"))

    def write(self) -> None:
        data = {name: figure.to_json() for name, figure in self.figures.items()}
        self.path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@dataclass
class Context:
    """What every benchmark group gets: the run's options, its results and scratch space."""

    results: Results
    quick: bool = False
    work: Path = WORK

    def scratch(self, name: str) -> Path:
        """A fresh, empty directory for one benchmark's files."""
        path = self.work / name
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True, mode=0o700)
        return path


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 86 - len(title)), flush=True)


def info(label: str, text: str) -> None:
    """A measured detail that is not a figure with a target (components, peers, timings)."""
    print(f"    {label:<42} {text}", flush=True)


def timed(function: Callable[[], object], count: int) -> tuple[list[int], list[int]]:
    """CPU and wall nanoseconds of each of `count` calls.

    CPU-bound figures use the CPU time: the machine the bench runs on may be shared, and
    other processes' work then lengthens the wall time but not the CPU time of this one.
    """
    cpu: list[int] = []
    wall: list[int] = []
    for _ in range(count):
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        function()
        cpu.append(time.process_time_ns() - c0)
        wall.append(time.perf_counter_ns() - w0)
    return cpu, wall
