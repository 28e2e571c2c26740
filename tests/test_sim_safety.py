"""The simulator deletes no directory it did not make and refuses a bad --choices file
before the day."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim import outdir

REPO = Path(__file__).resolve().parents[1]


def sim_day(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "day", "--voters", "3", *args],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_a_foreign_directory_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    precious = tmp_path / "thesis.txt"
    precious.write_text("years of work")
    result = sim_day("--out", str(tmp_path))
    assert result.returncode == 2
    assert "not empty, and not the output of an earlier run" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.txt"]
    assert precious.read_text() == "years of work"


def test_an_earlier_runs_directory_is_emptied_an_empty_one_taken(tmp_path: Path) -> None:
    out = tmp_path / "run"
    outdir.fresh(out)
    (out / "bundle").mkdir()
    outdir.fresh(out)
    assert sorted(p.name for p in out.iterdir()) == [outdir.MARKER]
    empty = tmp_path / "empty"
    empty.mkdir()
    outdir.fresh(empty)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "run")
    with pytest.raises(outdir.ForeignDirectory, match="a link or a file"):
        outdir.fresh(link)


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json\n", "line 1: not JSON"),
        ('{"president": "cand-1"}\n', 'line 1: expected {"contest": ["choice"]}'),
        (b"\xff\xfe", "cannot read it"),
    ],
)
def test_a_malformed_choices_file_stops_the_run_before_anything_is_made(
    tmp_path: Path, text: str | bytes, message: str
) -> None:
    choices = tmp_path / "choices.jsonl"
    if isinstance(text, bytes):
        choices.write_bytes(text)
    else:
        choices.write_text(text)
    out = tmp_path / "out"
    result = sim_day("--out", str(out), "--choices", str(choices))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"president": ["nobody"]}', "contest 'president': unknown choice ['nobody']"),
        ('{"mayor": ["cand-1"]}', "contest 'mayor' is not in the election"),
        ("{}", "contest 'president' is not given"),
        ('{"president": ["cand-1", "cand-2"]}', "contest 'president': too many"),
    ],
)
def test_choices_the_ballot_cannot_hold_are_refused_before_any_vote(
    tmp_path: Path, line: str, message: str
) -> None:
    choices = tmp_path / "choices.jsonl"
    choices.write_text('{"president": ["cand-1"]}\n' + line + "\n")
    result = sim_day("--out", str(tmp_path / "out"), "--choices", str(choices))
    assert result.returncode == 1
    assert f"line 2: {message}" in result.stderr, result.stderr
    assert not (tmp_path / "out" / "bundle").exists()
