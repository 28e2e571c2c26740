"""Issue-size power-cut run: 300 voters and 100 SIGKILLs at random moments of one day."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from terminal.ballot.package import load_package
from terminal.tally.ballot_box import split_records
from terminal.tally.sealing import ballot_body, record_format
from terminal.tally.spoiled import FILE, decode
from terminal.tally.tracking import tracking_code
from tests.day.conftest import run_day


@pytest.mark.skipif(
    os.environ.get("TAMGA_FULL_POWER_CUTS") != "1",
    reason="runs once per `make test`, in the Bookworm pass (TAMGA_FULL_POWER_CUTS=1)",
)
def test_300_voters_and_100_power_cuts_lose_nothing_and_count_nothing_twice(
    tmp_path: Path,
) -> None:
    run = run_day(tmp_path / "day", 300, 21, 300, "--power-cuts", "100", "--challenges", "30")
    lines = [json.loads(line) for line in (run.out / "voters.jsonl").read_text().splitlines()]
    assert [line["voter"] for line in lines] == list(range(300))
    cast = [line for line in lines if line["outcome"] == "cast"]
    assert len(cast) == 300 and len({line["slip"] for line in cast}) == 300
    tally = json.loads((run.out / "tally.json").read_text())["contests"]["president"]
    expected = Counter(c["president"][0] for c in run.choices)
    assert tally == {choice: expected.get(choice, 0) for choice in tally}
    assert "power cuts: 100" in run.stdout
    events = [json.loads(e) for e in (run.bundle / "events.jsonl").read_text().splitlines()]
    kinds = Counter(e["kind"] for e in events)
    assert kinds["terminal_started"] == 101
    assert kinds["ballot_cast"] == 300
    # Challenges cut short were never counted: every cast ballot's receipt code is in the
    # box, no spoiled ballot is, and each voter who challenged did so once.
    box = {
        tracking_code(ballot_body(r))
        for r in split_records(
            (run.bundle / "ballots.bin").read_bytes(),
            "ballots.bin",
            record_format(load_package(run.package).election).size,
        )
    }
    spoiled = {b.tracking_code for b in decode((run.bundle / FILE).read_bytes(), FILE)}
    assert not box & spoiled and len(spoiled) <= 30
    assert {line["tracking_code"] for line in cast} <= box


def test_paper_running_out_mid_slip_reprints_it_whole(tmp_path: Path) -> None:
    """Rolls of 10,000 dot rows (1.25 m; the protocol with its doubled QR codes is about
    7,000) run out several times during the day: each cut-short printout is marked void and
    printed again in full after the poll worker reloads paper; every voter still has exactly
    one slip and the tally is theirs."""
    run = run_day(tmp_path / "paper", 24, 5, 24, "--paper-rows", "10000")
    assert "paper reloads: 0" not in run.stdout
    names = sorted(p.name for p in (run.out / "printouts").iterdir())
    assert any(name.endswith("-void.png") for name in names)
    lines = [json.loads(line) for line in (run.out / "voters.jsonl").read_text().splitlines()]
    assert all(line["outcome"] == "cast" and line["slip"] for line in lines)
    tally = json.loads((run.out / "tally.json").read_text())["contests"]["president"]
    expected = Counter(c["president"][0] for c in run.choices)
    assert tally == {choice: expected.get(choice, 0) for choice in tally}
    events = [json.loads(e) for e in (run.bundle / "events.jsonl").read_text().splitlines()]
    assert any(e["kind"] == "print_interrupted" for e in events)
