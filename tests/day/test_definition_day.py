"""A day on the election of examples/kz-multi.toml (party list, up to 3 of 8, referendum and
30 candidates on one ballot) on the 480x320 panel: the simulated voters page through the
long contests, and hidden scripted choices, blank contests included, tally exactly."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHOICES = [
    {"mazhilis": ["zhasyl"], "maslikhat": [], "referendum": [], "akim": ["c30"]},
    {"mazhilis": ["amanat"], "maslikhat": ["against-all"], "referendum": ["yes"], "akim": ["c01"]},
    {"mazhilis": ["auyl"], "maslikhat": ["m08", "m01", "m05"], "referendum": ["no"],
     "akim": ["c17"]},
    {"mazhilis": ["zhasyl"], "maslikhat": ["m02"], "referendum": [], "akim": ["c30"]},
    {"mazhilis": ["baytak"], "maslikhat": ["m07", "m08"], "referendum": ["yes"], "akim": ["c29"]},
]  # fmt: skip


def sim_day(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "day", "--out", str(out), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_a_multi_contest_day_on_the_small_panel_tallies_exactly(tmp_path: Path) -> None:
    choices = tmp_path / "choices.jsonl"
    choices.write_text("".join(json.dumps(c) + "\n" for c in CHOICES))
    out = tmp_path / "run"
    result = sim_day(
        out, "--voters", str(len(CHOICES)), "--seed", "4",
        "--definition", "examples/kz-multi.toml", "--choices", str(choices),
        "--screen", "480x320",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    tally = json.loads((out / "tally.json").read_text())
    for contest in ("mazhilis", "maslikhat", "referendum", "akim"):
        expected = Counter(c for voter in CHOICES for c in voter[contest])
        assert {k: v for k, v in tally["contests"][contest].items() if v} == expected
        assert tally["blank"][contest] == sum(1 for voter in CHOICES if not voter[contest])
    # Only real choice ids under "contests": no blank or void line among them.
    assert set(tally["contests"]["referendum"]) == {"yes", "no"}
    # The terminal drew the 480x320 panel and turned pages to reach the last candidates.
    board = (out / "sim.toml").read_text()
    assert "width = 480" in board and "height_mm = 48.96" in board
    assert len(list((out / "screens").glob("*-ballot.png"))) > 20


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--screen", "1024x600"), "no board config has it"),
        (("--screen", "big"), "expected WIDTHxHEIGHT"),
        (("--definition", "examples/missing.toml"), "--definition"),
    ],
)
def test_a_bad_screen_or_definition_stops_before_the_day(
    tmp_path: Path, extra: tuple[str, ...], message: str
) -> None:
    result = sim_day(tmp_path / "run", "--voters", "2", *extra)
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_multi_contest_day_voted_by_keypad_alone_tallies_exactly(tmp_path: Path) -> None:
    """Every target of the day, the poll worker's PIN and the voters' 30-candidate pages
    included, reached with up/down and pressed with select: no touch at all."""
    chosen = CHOICES[:3]
    choices = tmp_path / "choices.jsonl"
    choices.write_text("".join(json.dumps(c) + "\n" for c in chosen))
    out = tmp_path / "run"
    result = sim_day(
        out, "--voters", str(len(chosen)), "--seed", "5", "--input", "keypad",
        "--definition", "examples/kz-multi.toml", "--choices", str(choices),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    tally = json.loads((out / "tally.json").read_text())
    for contest in ("mazhilis", "maslikhat", "referendum", "akim"):
        expected = Counter(c for voter in chosen for c in voter[contest])
        assert {k: v for k, v in tally["contests"][contest].items() if v} == expected
    # The focus was drawn: the ballot's screens were seen with a ring on them.
    assert len(list((out / "screens").glob("*-ballot.png"))) > 20
