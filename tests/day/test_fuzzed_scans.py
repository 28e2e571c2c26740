"""Random scans at a running terminal: every one is refused with a screen, none changes state."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

from sim.day import Day
from terminal.hal.storage import DataDir
from terminal.idscan.marks import VoterMarks
from tests.day.conftest import device_of


def _scans(rng: random.Random, count: int) -> list[str]:
    """Garbage a scanner can deliver: random text, MRZ-shaped lines, digits, AIM prefixes."""
    alphabet = string.ascii_uppercase + string.digits + "<"
    scans = []
    for index in range(count):
        kind = index % 5
        if kind == 0:
            text = "".join(chr(rng.randrange(32, 0x500)) for _ in range(rng.randrange(1, 80)))
        elif kind == 1:
            width, lines = rng.choice(((30, 3), (36, 2), (44, 2)))
            text = "\r".join(
                "".join(rng.choice(alphabet) for _ in range(width)) for _ in range(lines)
            )
        elif kind == 2:
            text = "".join(rng.choice(string.digits) for _ in range(rng.choice((12, 14, 13))))
        elif kind == 3:
            text = "]" + rng.choice("QCLde") + str(rng.randrange(10)) + "1" * rng.randrange(20)
        else:
            text = rng.choice(("TAMGA-BC:1:x", "TAMGA-SHARE:1:a:b:c", "P<KGZ", "\r\r", "ID<<<"))
        scans.append(text.replace("\n", " ") or "x")
    return scans


def test_random_scans_are_refused_and_change_nothing(tmp_path: Path) -> None:
    day = Day(3, 1, tmp_path, None, 0)
    day.prepare()
    terminal = day.booth
    terminal.start_devices(tmp_path / "screens")
    try:
        terminal.start(first=True)
        terminal.screen("ready")
        day.open_polls(terminal)
        for scan in _scans(random.Random(17), 120):
            before = terminal.panel.frame_count
            terminal.send_scan(scan)
            name = terminal.screen("refused", "idle", after=before, timeout=10)
            if name == "refused":
                after = terminal.tap("ok", cut=False)
                terminal.screen("idle", after=after)
        assert terminal.process is not None and terminal.process.poll() is None
    finally:
        terminal.stop()
    events = [json.loads(x) for x in (tmp_path / "data" / "events.jsonl").read_text().splitlines()]
    opened = next(i for i, e in enumerate(events) if e["kind"] == "polls_opened")
    after_opening = {e["kind"] for e in events[opened + 1 :]}
    assert after_opening <= {"voter_refused", "scan_rejected"}, after_opening
    marks = VoterMarks(DataDir(tmp_path / "data"), len(day.register.voters), device_of(tmp_path))
    assert marks.count == 0
