"""Peak memory of the terminal process over a whole simulated polling day.

Runs `python -m sim day --voters 3000 --seed 1 --out runs/bench-day` (300 voters with
--quick, and labelled so) and watches the terminal process the runner starts: every
process whose command line is `... -m terminal --board ...` and whose working directory
is the day's run directory (or inside it). Its VmHWM (the kernel's high-water mark of
resident memory) is read from /proc/<pid>/status every 50 ms until it exits; the runner
stops the terminal at the end of the day, after the count, the protocol and the export.
The high-water mark only grows, so the last reading holds the peak up to 50 ms before the
exit.

The day's own timings (printed by the runner) give the time per voter.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import REPO, Context, Figure, fmt, info, section

RSS_TARGET_MB = 150.0
DAY_OUT = REPO / "runs" / "bench-day"
SAMPLE_EVERY = 0.05


def _is_terminal(pid: int, run_dir: Path) -> bool:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if b"-m" not in argv or b"terminal" not in argv or b"--board" not in argv:
            return False
        cwd = Path(f"/proc/{pid}/cwd").resolve()
        root = run_dir.resolve()
        return cwd == root or root in cwd.parents
    except OSError:  # gone, or not ours to look at
        return False


def high_water_kb(pid: int) -> int | None:
    """The kernel's high-water mark of a process's resident memory (VmHWM), in KiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


class _Watcher(threading.Thread):
    """Samples the high-water mark of every terminal process of the run until stopped."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(daemon=True)
        self.run_dir = run_dir
        self.peaks: dict[int, int] = {}  # pid -> VmHWM in KiB, last seen
        self.done = threading.Event()

    def run(self) -> None:
        known: set[int] = set()
        while not self.done.is_set():
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                pid = int(entry.name)
                if pid not in known and not _is_terminal(pid, self.run_dir):
                    continue
                known.add(pid)
                mark = high_water_kb(pid)
                if mark is not None:
                    self.peaks[pid] = max(mark, self.peaks.get(pid, 0))
            time.sleep(SAMPLE_EVERY)


def run(ctx: Context) -> None:
    voters = 300 if ctx.quick else 3000
    label = f"{voters:,}-voter day" + (
        " (QUICK: not the 3,000-voter day of the target)" if ctx.quick else ""
    )
    section(f"Terminal memory over a polling day: {label}")
    command = [
        sys.executable,
        "-m",
        "sim",
        "day",
        "--voters",
        str(voters),
        "--seed",
        "1",
        "--out",
        str(DAY_OUT.relative_to(REPO)),
    ]
    info("command", " ".join(["python", *command[1:]]))
    name = "terminal_peak_rss_mb"
    note = f"{voters}-voter day" + (", quick run" if ctx.quick else "")
    # One retry: on a busy machine the simulated devices can answer late and the runner then
    # gives up on a screen; the failure is printed either way.
    for attempt in (1, 2):
        watcher = _Watcher(DAY_OUT)
        watcher.start()
        t0 = time.perf_counter()
        day = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
        elapsed = time.perf_counter() - t0
        watcher.done.set()
        watcher.join()
        if day.returncode == 0:
            break
        tail = (day.stderr.strip() or day.stdout.strip()).splitlines()[-3:]
        info(f"the day failed (attempt {attempt}, {fmt(elapsed)} s)", " | ".join(tail))
        if watcher.peaks:
            info("  terminal VmHWM until then (MB)", fmt(max(watcher.peaks.values()) / 1024))
    if day.returncode != 0:
        ctx.results.unavailable(
            name, "MB", RSS_TARGET_MB, "lower", f"the polling day failed: {' | '.join(tail)}"
        )
        return
    info("day wall time (s)", fmt(elapsed))
    timings = re.search(r"^timings: (.*)$", day.stdout, re.MULTILINE)
    if timings:
        values = {
            key: float(value) for key, value in re.findall(r"(\w+) ([\d.]+)", timings.group(1))
        }
        info("runner timings (s)", timings.group(1))
        if "voting_s" in values:
            info("time per voter (s)", fmt(values["voting_s"] / voters))
    if not watcher.peaks:
        ctx.results.unavailable(
            name, "MB", RSS_TARGET_MB, "lower", "no terminal process was seen (sampling failed)"
        )
        return
    for pid, mark in sorted(watcher.peaks.items()):
        info(f"terminal pid {pid}: VmHWM (MB)", fmt(mark / 1024))
    peak = max(watcher.peaks.values()) / 1024
    ctx.results.add(Figure(name, peak, "MB", RSS_TARGET_MB, "lower", note=note))
