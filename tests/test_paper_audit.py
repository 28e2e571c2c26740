"""`python -m host_tools audit`: the paper confirms the count, or the audit escalates.

One simulated day with a clear winner; its printed slips are the paper. Swapping slips so
that the paper shows another winner must end in a full hand count, and a hand count that
differs from the electronic count is named, with the Kyrgyz rule applied.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from host_tools.audit import sampler
from host_tools.audit.bravo import ContestAudit

REPO = Path(__file__).resolve().parents[1]
SEED = "31415926535897932384"
PRECINCT = "1234"
# 30 of 40 for cand-1: BRAVO needs about six of its slips at a 10 % risk limit.
CHOICES = ["cand-1"] * 30 + ["cand-2"] * 6 + ["cand-3"] * 3 + ["against-all"]


@dataclass(frozen=True)
class Day:
    out: Path
    fingerprint: str

    def slips(self) -> list[Path]:
        return sorted((self.out / "printouts").glob("*-slip.png"))


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    root = tmp_path_factory.mktemp("audit")
    choices = root / "choices.jsonl"
    choices.write_text("".join(json.dumps({"president": [c]}) + "\n" for c in CHOICES))
    out = root / "run"
    subprocess.run(
        [sys.executable, "-m", "sim", "day", "--voters", str(len(CHOICES)), "--seed", "3",
         "--out", str(out), "--choices", str(choices)],
        cwd=REPO, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    key = subprocess.run(
        ["openssl", "pkey", "-pubin", "-in", str(out / "package" / "commission.pub.pem"),
         "-outform", "DER"], capture_output=True, check=True,
    ).stdout  # fmt: skip
    import hashlib

    return Day(out, hashlib.sha256(key[-32:]).hexdigest())


def audit(day: Day, box: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "host_tools", "audit", "--package", str(day.out / "package"),
         "--commission-key", day.fingerprint, "--seed", SEED, "--slips", f"{PRECINCT}={box}",
         "--risk-limit", "0.1", *extra, str(day.out / "bundle")],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def zbar(path: Path) -> str:
    return subprocess.run(
        ["zbarimg", "-q", "--raw", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_paper_confirms_the_reported_winner(day: Day, tmp_path: Path) -> None:
    assert len(day.slips()) == len(CHOICES)
    pulls = tmp_path / "pull.txt"
    result = audit(day, day.out / "printouts", "--json", "--retrieval-list", str(pulls))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    (contest,) = report["contests"]
    assert contest["winners"] == ["cand-1"] and contest["outcome"] == "confirmed"
    assert contest["risk"] <= 0.1 and 1 <= report["draws"] < len(CHOICES)
    assert report["unread_slips"] == [] and report["paper_vs_electronic"] == []
    # The retrieval list follows the published sampler, draw by draw.
    first = pulls.read_text().splitlines()[0]
    assert first.startswith(f"draw 1: ballot {sampler.draw(SEED, 1, len(CHOICES))} = ")


def test_slips_swapped_to_another_winner_escalate_to_a_full_hand_count(
    day: Day, tmp_path: Path
) -> None:
    box = tmp_path / "box"
    box.mkdir()
    slips = day.slips()
    second = next(p for p in slips if zbar(p).endswith("president=cand-2"))
    for index, slip in enumerate(slips):
        # Two thirds of cand-1's slips replaced with cand-2's: the paper elects cand-2.
        swap = zbar(slip).endswith("president=cand-1") and index % 3 != 0
        shutil.copy(second if swap else slip, box / slip.name)
    result = audit(day, box)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "contest president: ESCALATE: FULL HAND COUNT" in result.stdout


def test_a_hand_count_that_differs_is_named_and_prevails(day: Day, tmp_path: Path) -> None:
    hand = tmp_path / "hand.csv"
    counts = {"cand-1": 29, "cand-2": 7, "cand-3": 3, "cand-4": 0, "cand-5": 0, "cand-6": 0,
              "against-all": 1}  # fmt: skip
    hand.write_text(
        "precinct,contest,choice,votes\n"
        + "".join(f"{PRECINCT},president,{c},{v}\n" for c, v in counts.items())
    )
    result = audit(day, day.out / "printouts", "--manual-count", str(hand))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "DIFFERENCE precinct 1234, contest president, cand-1: electronic 30, hand count 29: "
        "the hand count prevails (KG rule)"
    ) in result.stdout
    assert "cand-2: electronic 6, hand count 7" in result.stdout


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--seed", "123"), "at least 10 characters"),
        (("--risk-limit", "1.5"), "strictly between 0 and 1"),
        (("--slips", "9999=/nowhere"), "precinct '9999' is not in the election"),
        (("--slip-glob", "*.none"), "no slip images matching"),
    ],
)
def test_bad_audit_inputs_are_refused(day: Day, extra: tuple[str, ...], message: str) -> None:
    result = audit(day, day.out / "printouts", *extra)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_bad_hand_count_files_are_refused_naming_the_line(day: Day, tmp_path: Path) -> None:
    hand = tmp_path / "hand.csv"
    for text, message in [
        ("precinct,votes\n", "line 1: the header"),
        ("precinct,contest,choice,votes\n1234,president,nobody,3\n", "line 2: 'nobody'"),
        ("precinct,contest,choice,votes\n1234,president,cand-1,-3\n", "line 2: votes '-3'"),
        ("precinct,contest,choice,votes\n1234,president,cand-1,3\n", "no count for cand-2"),
    ]:
        hand.write_text(text)
        result = audit(day, day.out / "printouts", "--manual-count", str(hand))
        assert result.returncode == 2 and message in result.stderr, (text, result.stderr)


def test_bravo_needs_evidence_for_every_winner_loser_pair() -> None:
    contest = ContestAudit.start("c", {"a": 60, "b": 30, "c": 10}, seats=1, alpha=0.1)
    for _ in range(8):  # s = 2/3 against b: T = (4/3)^8 = 9.99, just short of 1/alpha
        contest.observe(frozenset({"a"}))
    assert not contest.confirmed and contest.risk == pytest.approx(0.75**8)
    contest.observe(frozenset({"a"}))
    assert contest.confirmed and contest.risk <= 0.1
    tied = ContestAudit.start("c", {"a": 50, "b": 50}, seats=1, alpha=0.1)
    for _ in range(100):
        tied.observe(frozenset({"a"}))
    assert not tied.confirmed and tied.risk == 1.0  # a reported tie is never confirmed
    unread = ContestAudit.start("c", {"a": 90, "b": 10}, seats=1, alpha=0.1)
    unread.observe(None)
    assert unread.pairs[0].statistic == pytest.approx(0.2)  # an unread slip counts against
