"""The polling day with the enclosure controller's firmware running in MicroPython behind
a pseudo-terminal (`sim day --enclosure`): the slips counted into the box equal the ballots
cast; the seal opened mid-day is logged, shown and printed; a forged frame, a replayed one
and a garbled stream, in each direction, are refused and logged. And a day where someone
stuffs a slip while the seal is open: the difference is on the protocol and in the host
tools' reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageChops

from sim.enclosure import EnclosureDay
from terminal.trust.signing import VerifyKey

REPO = Path(__file__).resolve().parents[2]
VOTERS = 6


def _events(bundle: Path) -> list[dict[str, object]]:
    # Read with jq, as an auditor would.
    out = subprocess.run(
        ["jq", "-c", ".", str(bundle / "events.jsonl")], capture_output=True, text=True, check=True
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def _host(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "host_tools", *args], cwd=REPO, capture_output=True, text=True
    )


def test_enclosure_day(tmp_path: Path) -> None:
    out = tmp_path / "day"
    run = subprocess.run(
        [sys.executable, "-m", "sim", "day", "--voters", str(VOTERS), "--enclosure",
         "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    protocol = json.loads((out / "bundle" / "protocol.json").read_bytes())
    lines = protocol["lines"]
    assert lines["ballots_cast"] == VOTERS
    assert lines["slips_counted"] == lines["ballots_cast"]
    assert lines["enclosure_openings"] == 1  # printed, and signed
    assert f"{VOTERS} paper slips counted in the ballot box" in run.stdout
    assert "DIFFERENCE" not in run.stdout

    events = _events(out / "bundle")
    kinds = [e["kind"] for e in events]
    assert kinds.count("enclosure_slip") == VOTERS
    # The seal opened while the polls were open, between two voters, and closed again.
    opened, closed = kinds.index("enclosure_seal_opened"), kinds.index("enclosure_seal_closed")
    assert kinds.index("polls_opened") < opened < closed < kinds.index("polls_closed")
    counters = [e["data"]["counter"] for e in events if "counter" in e["data"]]
    assert counters[1:] == sorted(set(counters[1:]))  # the controller's numbers, each once
    refused = {
        (e["data"]["side"], e["data"]["reason"])
        for e in events
        if e["kind"] == "enclosure_frame_refused"
    }
    assert {("terminal", "mac"), ("terminal", "replay"), ("terminal", "garbled")} <= refused
    assert {("controller", "mac"), ("controller", "replay"), ("controller", "garbled")} <= refused

    # Shown: the waiting screen with the seal open is not the one after it closed.
    screens = out / "screens"
    open_screen = Image.open(screens / "enclosure-seal-open.png").convert("RGB")
    closed_screen = Image.open(screens / "enclosure-seal-closed.png").convert("RGB")
    assert ImageChops.difference(open_screen, closed_screen).getbbox() is not None


def test_enclosure_day_with_a_stuffed_slip(tmp_path: Path) -> None:
    out = tmp_path / "day"
    out.mkdir()
    day = EnclosureDay(2, 3, out, None, 0)
    day.stuffed = 1
    day.run()
    lines = json.loads((out / "bundle" / "protocol.json").read_bytes())["lines"]
    assert (lines["ballots_cast"], lines["slips_counted"]) == (2, 3)
    pinned = [
        "--commission-key",
        VerifyKey.load(out / "office" / "commission.pub.pem").fingerprint(),
        "--package",
        str(out / "package"),
    ]
    verify = _host("verify", *pinned, str(out / "bundle"))
    assert verify.returncode == 0, verify.stderr
    assert "3 paper slips counted in the ballot box (DIFFERENCE: +1 against 2" in verify.stdout
    tally = _host("tally", *pinned, str(out / "bundle"))
    assert "Paper slips counted in the ballot box" in tally.stdout
    assert (
        json.loads(_host("tally", "--json", *pinned, str(out / "bundle")).stdout)["lines"][
            "slips_counted"
        ]
        == 3
    )


def test_a_day_voted_with_the_enclosure_controllers_keys(tmp_path: Path) -> None:
    """Every target of every screen reached by the controller's keys: the firmware
    debounces the buttons and sends them over the authenticated line; the terminal's
    board has no other keypad (and nobody touches the screen)."""
    out = tmp_path / "day"
    run = subprocess.run(
        [sys.executable, "-m", "sim", "day", "--voters", "2", "--enclosure", "--input",
         "keypad", "--seed", "3", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    board = (out / "sim-enclosure.toml").read_text()
    assert '[keypad]\ndriver = "enclosure"\n' in board and "keypad.sock" not in board
    protocol = json.loads((out / "bundle" / "protocol.json").read_bytes())
    assert protocol["lines"]["ballots_cast"] == 2
    assert "the host tally equals the choices of the voters" in run.stdout
