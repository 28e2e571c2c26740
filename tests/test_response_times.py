"""The response log: the terminal's own input-to-frame times, which the QEMU stage reports
as p50/p95 (`python -m terminal --response-log FILE`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import partial
from pathlib import Path

import pytest

from terminal.app.response_times import Input, ResponseLog, Step, percentile, summary
from terminal.hal.interfaces import Scan
from tests.test_ballot_flow import voter_at_language


def test_each_answered_input_is_one_line_naming_its_screen(tmp_path: Path) -> None:
    station, _ = voter_at_language()
    log_path = tmp_path / "responses.jsonl"
    station.response_log = ResponseLog(log_path)
    assert station.frame is not None
    station._answer(Input.TAP, partial(station.on_tap, "ky"))
    # A scan while a voter votes is ignored: no frame, no line.
    station._answer(Input.SCAN, partial(station.on_scan, Scan("TAMGA-BC:2:x")))
    lines = log_path.read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["input"] == "tap"
    assert entry["screen"] == station.frame.name != "language"
    assert entry["ms"] > 0
    # Only the input, the screen and a duration: nothing of the voter or the time of day.
    assert set(entry) == {"input", "screen", "ms"}


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is installed by setup-system.sh")
def test_the_log_reads_with_jq(tmp_path: Path) -> None:
    station, _ = voter_at_language()
    log_path = tmp_path / "responses.jsonl"
    station.response_log = ResponseLog(log_path)
    assert station.frame is not None
    first = station.frame.targets[0].id
    station._answer(Input.TAP, partial(station.on_tap, first))
    out = subprocess.run(
        ["jq", "-r", ".screen", str(log_path)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == station.frame.name


def test_summary_gives_nearest_rank_percentiles_and_skips_a_torn_last_line() -> None:
    lines = [json.dumps({"input": "tap", "screen": f"s{ms}", "ms": ms}) for ms in range(1, 101)]
    lines.append(json.dumps({"input": "scan", "screen": "idle", "ms": 5000}))
    lines.append('{"input": "tap", "scr')  # the power went
    found = summary(lines)
    assert found is not None
    assert (found.count, found.p50_ms, found.p95_ms, found.max_ms) == (100, 50, 95, 100)
    assert found.slowest_screen == "s100"
    assert summary(lines, Input.KEY) is None
    assert percentile([7.0], 0.95) == 7.0


def test_a_timed_step_is_its_own_line_and_its_own_summary(tmp_path: Path) -> None:
    log_path = tmp_path / "responses.jsonl"
    log = ResponseLog(log_path)
    assert log.step(Step.ENCRYPT, lambda: "sealed") == "sealed"
    log.timed(Input.TAP, lambda: "receipt")
    log.close()
    lines = log_path.read_text().splitlines()
    assert set(json.loads(lines[0])) == {"step", "ms"}
    encrypt = summary(lines, Step.ENCRYPT)
    taps = summary(lines)
    assert encrypt is not None and encrypt.count == 1
    # The step is inside the tap's answer: counted as a step, not as another tap.
    assert taps is not None and (taps.count, taps.slowest_screen) == (1, "receipt")
