"""The paper slip's QR record: written by the terminal, read back by the paper audit."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.app.printouts import Paper
from terminal.app.station import render_slip
from terminal.ballot import slip_code
from terminal.ballot.election import Choice, Contest, Election, Mode
from tests.unit.conftest import PRECINCT, SmallPackage


@pytest.fixture(scope="module")
def election(small_package: SmallPackage) -> Election:
    council = Contest(
        "council",
        {"en": "Council"},
        tuple(Choice(f"c{i}", {"en": f"Candidate {i}"}) for i in range(1, 6)),
        max_selections=3,
        blank_allowed=True,
    )
    base = small_package.created.election
    return dataclasses.replace(base, contests=(*base.contests, council))


def test_the_printed_slip_decodes_to_its_choices(election: Election, tmp_path: Path) -> None:
    chosen = {"mayor": ("bekova",), "council": ("c4", "c1")}
    image = render_slip(election, PRECINCT, "ru", chosen, Paper(384))
    image.save(tmp_path / "slip.png")
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(tmp_path / "slip.png")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert scanned == f"TAMGA-SLIP:1:official:{election.id}:{PRECINCT}:mayor=bekova;council=c1,c4"
    record = slip_code.decode(scanned, election)
    assert record == slip_code.SlipRecord(
        Mode.OFFICIAL, PRECINCT, {"mayor": ("bekova",), "council": ("c1", "c4")}
    )


def test_a_blank_contest_is_written_empty(election: Election) -> None:
    code = slip_code.encode(election, PRECINCT, {"mayor": ["against"]})
    assert code.endswith(":mayor=against;council=")
    assert slip_code.decode(code, election).selections["council"] == ()


@pytest.mark.parametrize(
    "body, message",
    [
        ("mayor=asanov,bekova;council=", "too many"),
        ("mayor=against;council=c1,c2,c3,c4", "too many"),
        ("mayor=nobody;council=", "unknown choice"),
        ("mayor=;council=", "blank not allowed"),
        ("mayor=asanov;council=c2,c1", "out of ballot order"),
        ("mayor=asanov;council=c1,c1", "repeated choice"),
        ("council=;mayor=asanov", "contest 'mayor' expected"),
        ("mayor=asanov", "1 contests, the ballot has 2"),
    ],
)
def test_a_slip_the_terminal_could_not_print_is_refused(
    election: Election, body: str, message: str
) -> None:
    with pytest.raises(slip_code.SlipError, match=message):
        slip_code.decode(f"TAMGA-SLIP:1:official:{election.id}:{PRECINCT}:{body}", election)


@pytest.mark.parametrize(
    "payload, message",
    [
        ("TAMGA-SLIP:1:test:{e}:{p}:mayor=asanov;council=", "a test slip"),
        ("TAMGA-SLIP:1:official:other:{p}:mayor=asanov;council=", "of election 'other'"),
        ("TAMGA-SLIP:1:official:{e}:9999:mayor=asanov;council=", "precinct '9999'"),
        ("TAMGA-SLIP:2:official:{e}:{p}:mayor=asanov;council=", "not a Tamga slip"),
        ("TAMGA-SHARE:1:{e}:{p}:words", "not a Tamga slip"),
    ],
)
def test_a_foreign_slip_is_refused(election: Election, payload: str, message: str) -> None:
    with pytest.raises(slip_code.SlipError, match=message):
        slip_code.decode(payload.format(e=election.id, p=PRECINCT), election)


@given(text=st.text(max_size=200))
def test_any_scan_is_read_or_refused_never_a_crash(election: Election, text: str) -> None:
    try:
        record = slip_code.decode(text, election)
    except slip_code.SlipError:
        return
    assert slip_code.encode(election, record.precinct, record.selections) == text.strip()
