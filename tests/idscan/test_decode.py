"""`python -m terminal.idscan decode`: read by jq, and never crashing on any input."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.idscan.__main__ import read_scans
from terminal.idscan.scans import MAX_SCAN_CHARS, classify
from tests.idscan import specimens as s
from tests.idscan.test_scans import KEYS

ROOT = Path(__file__).resolve().parents[2]


def run(script: str) -> list[str]:
    """Run a shell pipeline in the repository; its output lines."""
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    return done.stdout.splitlines()


def test_the_decode_output_reads_with_jq() -> None:
    scans = [s.KAZ_IIN_F, s.scan(s.KGZ_TD1), "]Q1" + s.scan(s.ICAO_TD3), "garbage", ""]
    printf = " ".join(f"'{scan}'" for scan in scans).replace("\r", "\\r")
    lines = run(
        f"printf '%b\\n' {printf} | \"$PYTHON\" -m terminal.idscan decode --today 2025-06-01"
        " | jq -c '[.valid, .document, .country, .number, .birth_date, (.errors | length)]'"
    )
    assert [json.loads(line) for line in lines] == [
        [True, "IIN", "KAZ", s.KAZ_IIN_F, "1990-03-15", 0],
        [True, "TD1", "KGZ", s.KGZ_PIN_F, "1985-07-22", 0],
        [True, "TD3", "UTO", None, "1974-08-12", 0],
        [False, "unknown", None, None, None, 1],
        [False, "unknown", None, None, None, 1],
    ]


def test_the_issue_example_pipeline() -> None:
    lines = run(
        f"printf '{s.KAZ_IIN_SECOND_PASS}\\n' | \"$PYTHON\" -m terminal.idscan decode | jq .valid"
    )
    assert lines == ["true"]


def test_any_bytes_give_one_json_object_per_line() -> None:
    rng = random.Random(15424)
    data = b"\n".join(rng.randbytes(rng.randrange(120)).replace(b"\n", b"") for _ in range(200))
    data += b"\n" + b"9" * (MAX_SCAN_CHARS * 3) + b"\n" + s.KAZ_IIN_F.encode() + b"\n"
    done = subprocess.run(
        [sys.executable, "-m", "terminal.idscan", "decode"],
        cwd=ROOT,
        input=data,
        capture_output=True,
        check=True,
    )
    checked = subprocess.run(
        ["jq", "-c", "[.valid, .document]"],
        input=done.stdout.decode("ascii"),
        capture_output=True,
        check=True,
        text=True,
    )
    results = checked.stdout.splitlines()
    assert len(results) == 202
    assert results[-2:] == ['[false,"unknown"]', '[true,"IIN"]']


def test_a_bad_date_argument_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "terminal.idscan", "decode", "--today", "yesterday"],
        cwd=ROOT,
        input=b"",
        capture_output=True,
        check=False,
    )
    assert done.returncode == 2 and b"--today" in done.stderr


def test_read_scans_is_bounded() -> None:
    stream = io.BytesIO(b"a\n" + b"x" * 100_000 + b"\nb\r\n\nlast")
    scans = list(read_scans(stream))
    assert scans == [b"a", b"x" * (MAX_SCAN_CHARS + 1), b"b\r", b"", b"last"]


TODAY = st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31))


@settings(max_examples=500)
@given(st.text(max_size=200), st.text(max_size=6), TODAY)
def test_any_text_is_classified_without_raising(data: str, symbology: str, today: dt.date) -> None:
    document = classify(data, symbology, today=today)
    out = document.to_json()
    assert set(out) == KEYS
    assert out["valid"] == (document.kind.value != "unknown" and not out["errors"])
    json.dumps(out)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_any_bytes_are_classified_without_raising(data: bytes) -> None:
    for scan in read_scans(io.BytesIO(data)):
        assert set(classify(scan.decode("utf-8", "replace"), today=s.TODAY).to_json()) == KEYS


MRZ_CHARS = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<\r\n ]")


@settings(max_examples=1000)
@given(
    st.sampled_from(sorted(s.SPECIMENS)),
    st.lists(st.tuples(st.integers(0, 100), MRZ_CHARS, st.booleans()), max_size=6),
    TODAY,
)
def test_mutated_documents_are_classified_without_raising(
    name: str, edits: list[tuple[int, str, bool]], today: dt.date
) -> None:
    """Edits of valid documents reach far deeper than random text: every field parser."""
    text = s.scan(s.SPECIMENS[name])
    for position, char, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + char + text[at + (0 if insert else 1) :]
    document = classify(text, today=today)
    assert set(document.to_json()) == KEYS
    if document.valid:
        assert document.kind.value in {"TD1", "TD2", "TD3"}
