"""`make qemu-test`: polling days in the arm64 guest, verified and tallied on the host.

1. a whole day of `voters` voters (no cuts): opened, voted, closed, exported, then the host
   tools verify the guest's bundle and its tally must equal the printed slips;
2. a second day with `cuts` power cuts (QMP quit) at random moments: after each the guest
   boots again and the terminal resumes; at the end no ballot whose slip was printed is lost
   or counted twice (the same tally check, on the bundle of a day that was cut).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sim.day import REPO, DayFailed
from sim.qemu import image
from sim.qemu.machine import MachineError
from sim.qemu.run import GUEST_BOARD, RESPONSE_LOG, GuestMismatch, GuestStats, QemuDay
from terminal.app.response_times import Step, Summary, summary
from terminal.app.software import software_hash


class QemuTestFailed(Exception):
    """A guest day failed or its results did not check out; the message says why."""


@dataclass
class DayReport:
    out: Path
    voters: int
    cast: int
    cuts: int
    timings: dict[str, float]
    stats: GuestStats
    tally: dict[str, dict[str, int]]
    taps: Summary | None  # the guest terminal's own tap-to-frame times
    encrypt: Summary | None  # the guest's encrypt+prove of each format-2 ballot

    def latency(self) -> dict[str, object]:
        if self.taps is None:
            return {}
        return {
            "taps": self.taps.count,
            "p50_ms": self.taps.p50_ms,
            "p95_ms": self.taps.p95_ms,
            "max_ms": self.taps.max_ms,
            "slowest_screen": self.taps.slowest_screen,
        }

    def encryption(self) -> dict[str, object]:
        if self.encrypt is None:
            return {}
        return {
            "ballots": self.encrypt.count,
            "p50_ms": self.encrypt.p50_ms,
            "p95_ms": self.encrypt.p95_ms,
            "max_ms": self.encrypt.max_ms,
        }

    def lines(self) -> list[str]:
        boots = self.stats.boots
        first = boots[0] if boots else {}
        rest = boots[1:]
        lines = [
            f"{self.out.name}: {self.voters} voters, {self.cast} cast with a printed slip, "
            f"{self.cuts} power cuts, {len(boots)} boots",
            f"  guest boot (QEMU start to /init): {first.get('boot_to_init_s', 0):.1f} s; "
            f"terminal start (process start to first screen): "
            f"{first.get('terminal_start_s', 0):.1f} s; power on to first screen: "
            f"{first.get('power_on_to_screen_s', 0):.1f} s",
        ]
        if rest:
            mean = sum(b["power_on_to_screen_s"] for b in rest) / len(rest)
            lines.append(
                f"  after a power cut, power on to the recovered screen: {mean:.1f} s mean"
            )
        voting = self.timings.get("voting_s", 0.0)
        lines += [
            f"  voting {voting:.0f} s: {voting / max(1, self.voters):.1f} s per voter "
            f"(refused attempts included); whole day {self.timings.get('day_s', 0):.0f} s",
            f"  tap to frame in the guest: {self._taps()}",
            f"  encrypt+prove a ballot in the guest: {self._encrypt()}",
            f"  {self.stats.screens_matched} screens matched the host's rendering "
            f"({self.stats.distinct_screens} distinct), largest difference "
            f"{self.stats.max_difference:.3%} of pixels",
        ]
        return lines

    def _encrypt(self) -> str:
        e = self.encrypt
        if e is None:
            return "no verifiable ballot encrypted"
        return (
            f"p50 {e.p50_ms:.0f} ms, p95 {e.p95_ms:.0f} ms over {e.count} ballots "
            f"(slowest {e.max_ms:.0f} ms)"
        )

    def _taps(self) -> str:
        taps = self.taps
        if taps is None:
            return "no taps logged"
        return (
            f"p50 {taps.p50_ms:.0f} ms, p95 {taps.p95_ms:.0f} ms over {taps.count} taps "
            f"(slowest {taps.max_ms:.0f} ms, to {taps.slowest_screen})"
        )


def _host_tools(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "host_tools", *args], cwd=REPO, capture_output=True, text=True
    )


def _software(data: Path) -> set[str]:
    """The software hashes of every terminal start in a data directory's event log."""
    found = set()
    for line in (data / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event["kind"] == "terminal_started":
            found.add(event["data"]["software"])
    return found


def guest_day(
    built: image.GuestImage,
    out: Path,
    voters: int,
    seed: int,
    cuts: int,
    board: Path = GUEST_BOARD,
) -> DayReport:
    """Run one day in the guest, then verify and tally its bundle on the host."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    day = QemuDay(built, voters, seed, out, cuts, board)
    try:
        timings = day.run()
    except (DayFailed, GuestMismatch, MachineError) as exc:
        raise QemuTestFailed(f"{out.name}: {exc}") from exc
    guest = day.terminal.guest
    assert guest is not None
    bundle = out / guest.export
    package = out / "package"
    pinned = ("--commission-key", day.commission_fingerprint, "--package", str(package))
    verify = _host_tools("verify", *pinned, str(bundle))
    if verify.returncode != 0:
        raise QemuTestFailed(f"{out.name}: the bundle does not verify:\n{verify.stderr}")
    tally = _host_tools("tally", *pinned, "--json", str(bundle))
    if tally.returncode != 0:
        raise QemuTestFailed(f"{out.name}: tally failed:\n{tally.stderr}")
    (out / "tally.json").write_text(tally.stdout)
    totals = json.loads(tally.stdout)["contests"]
    expected = day.expected_totals()
    if totals != expected:
        raise QemuTestFailed(
            f"{out.name}: the tally {totals} differs from the printed slips {expected}"
        )
    # The guest ran the very code of this tree: the software hash it logged is the host's.
    guest_software = _software(out / "data")
    if guest_software != {software_hash()}:
        raise QemuTestFailed(f"{out.name}: the guest ran software {guest_software}")
    cast = sum(1 for o in day.outcomes if o.slip is not None)
    responses = out / RESPONSE_LOG
    logged = responses.read_text().splitlines() if responses.exists() else []
    taps, encrypt = summary(logged), summary(logged, Step.ENCRYPT)
    return DayReport(out, voters, cast, day.cuts_done, timings, guest.stats, totals, taps, encrypt)


def qemu_test(
    out: Path,
    voters: int = 50,
    cut_voters: int = 20,
    cuts: int = 5,
    seed: int = 1,
    board: Path = GUEST_BOARD,
) -> int:
    started = time.monotonic()
    build_started = time.monotonic()
    built = image.build()
    build_s = time.monotonic() - build_started
    print(f"guest image ready in {build_s:.1f} s: {built.directory}", flush=True)
    reports = []
    try:
        print(f"day 1: {voters} voters in the guest", flush=True)
        reports.append(guest_day(built, out / "day", voters, seed, 0, board))
        for line in reports[-1].lines():
            print(line, flush=True)
        print(f"day 2: {cut_voters} voters, {cuts} power cuts", flush=True)
        reports.append(guest_day(built, out / "cuts", cut_voters, seed + 1, cuts, board))
        for line in reports[-1].lines():
            print(line, flush=True)
    except QemuTestFailed as exc:
        print(f"qemu-test failed: {exc}", file=sys.stderr)
        return 1
    total = time.monotonic() - started
    summary = {
        "build_s": round(build_s, 1),
        "total_s": round(total, 1),
        "days": [
            {
                "name": r.out.name,
                "voters": r.voters,
                "cast": r.cast,
                "cuts": r.cuts,
                "timings": {k: round(v, 1) for k, v in r.timings.items()},
                "boots": r.stats.boots,
                "screens_matched": r.stats.screens_matched,
                "max_screen_difference": r.stats.max_difference,
                "tap_to_frame": r.latency(),
                "encrypt_prove": r.encryption(),
            }
            for r in reports
        ],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"qemu-test passed in {total:.0f} s (tallies equal the printed slips on both days)")
    return 0
