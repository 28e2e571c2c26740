"""A whole station: a desk with three booths, or two combined terminals, and the voters who
try to vote a second time at another booth or terminal (`python -m sim day --booths 3
--replay-coupons K`, `--terminals 2 --double-votes K`)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.day.conftest import REPO, DayRun, run_day

REPLAYS = 5
DOUBLES = 5
BOOTH_BUNDLES = ("bundle", "bundle-booth-2", "bundle-booth-3")


@pytest.fixture(scope="module")
def booths_day(tmp_path_factory: pytest.TempPathFactory) -> DayRun:
    """60 voters, a desk and three booths, five replayed coupons, four power cuts."""
    return run_day(
        tmp_path_factory.mktemp("booths") / "run", 60, 5, 60, "--roles", "split",
        "--booths", "3", "--replay-coupons", str(REPLAYS), "--power-cuts", "4",
    )  # fmt: skip


@pytest.fixture(scope="module")
def terminals_day(tmp_path_factory: pytest.TempPathFactory) -> DayRun:
    """16 voters at two combined terminals; five who voted try the other one."""
    return run_day(
        tmp_path_factory.mktemp("terminals") / "run", 16, 8, 16,
        "--terminals", "2", "--double-votes", str(DOUBLES),
    )  # fmt: skip


def _lines(day: DayRun) -> list[dict[str, object]]:
    return [json.loads(line) for line in (day.out / "voters.jsonl").read_text().splitlines()]


def _verify(day: DayRun, *bundles: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "host_tools", "verify", *day.pinned_package(),
         *(str(day.out / b) for b in bundles)],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip


def _tally_matches_the_cast_voters(day: DayRun, voters: int) -> None:
    lines = _lines(day)
    regular = [line for line in lines if "replay" not in line and "double" not in line]
    assert [line["voter"] for line in regular] == list(range(voters))
    cast = [line["voter"] for line in regular if line["outcome"] == "cast"]
    assert len(cast) >= voters - 2  # a coupon cut off mid-print refers its voter elsewhere
    expected = Counter(day.choices[v]["president"][0] for v in cast)  # type: ignore[index]
    president = json.loads((day.out / "tally.json").read_text())["contests"]["president"]
    assert president == {c: expected.get(c, 0) for c in president}


def test_every_replayed_coupon_is_refused_and_the_tally_is_the_voters(booths_day: DayRun) -> None:
    _tally_matches_the_cast_voters(booths_day, 60)
    replays = [line for line in _lines(booths_day) if line.get("replay")]
    assert len(replays) == REPLAYS and len({r["voter"] for r in replays}) == REPLAYS
    assert all(r["outcome"] == "refused" and r["screen"] == "wrong_booth" for r in replays)
    assert "used coupons shown at another booth: 5, refused 5" in booths_day.stdout
    refusals = 0
    for bundle in BOOTH_BUNDLES:
        for line in (booths_day.out / bundle / "events.jsonl").read_text().splitlines():
            refusals += json.loads(line)["kind"] == "ballot_code_other_booth"
    assert refusals == REPLAYS  # each refusal logged at the booth it was tried at


def test_each_terminal_exports_its_own_bundle_and_the_station_verifies(
    booths_day: DayRun,
) -> None:
    bundles = ("bundle-identify", *BOOTH_BUNDLES)
    for bundle in bundles:
        assert (booths_day.out / bundle / "protocol.json").is_file()
    result = _verify(booths_day, *bundles)
    assert result.returncode == 0, result.stderr
    assert "precinct 1234: 4 of 4 registered terminals reported" in result.stdout
    for number, terminal in ((1, "T-1234-02"), (2, "T-1234-03"), (3, "T-1234-04")):
        assert f"booth {number} ({terminal}): " in result.stdout


@pytest.mark.parametrize(
    ("left_out", "named"),
    [("bundle-identify", "the identification desk T-1234-01"), ("bundle-booth-2", "booth 2")],
)
def test_a_station_without_its_desk_or_a_booth_fails_verification_naming_it(
    booths_day: DayRun, left_out: str, named: str
) -> None:
    given = [b for b in ("bundle-identify", *BOOTH_BUNDLES) if b != left_out]
    result = _verify(booths_day, *given)
    assert result.returncode == 1
    assert f"FAIL precinct 1234: no bundle of {named}" in result.stderr


def test_a_voter_who_voted_is_refused_at_the_other_terminal(terminals_day: DayRun) -> None:
    _tally_matches_the_cast_voters(terminals_day, 16)
    doubles = [line for line in _lines(terminals_day) if line.get("double")]
    assert len(doubles) == DOUBLES
    assert all(d["outcome"] == "refused" and d["screen"] == "other_terminal" for d in doubles)
    result = _verify(terminals_day, "bundle", "bundle-terminal-2")
    assert result.returncode == 0, result.stderr
    for bundle in ("bundle", "bundle-terminal-2"):
        protocol = json.loads((terminals_day.out / bundle / "protocol.json").read_text())
        assert 0 < protocol["lines"]["voters_received_ballot"] < 16
    screens = sorted(Path(terminals_day.out / "screens").rglob("*-other_terminal.png"))
    assert screens, "the refusal has its own screen"
