"""The key process: the precinct's key is rebuilt and used in a hardened child only; what
comes back is the job's result or its refusal, never the key."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.tally.count import CountError
from terminal.tally.key_process import KeyProcessError, count_with_shares, run_with_key
from terminal.trust.sealed_store import DeviceSealer, Purpose
from terminal.trust.shares import ShareCollector, ShareProblem, public_key_of, split_key
from tests.unit.conftest import x25519_pair

PR_GET_DUMPABLE = 3
REPO = Path(__file__).resolve().parents[2]


def _state() -> tuple[int, int, tuple[int, int], str]:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    locked = next(
        line.split(":")[1].strip()
        for line in Path("/proc/self/status").read_text().splitlines()
        if line.startswith("VmLck")
    )
    return (
        os.getpid(),
        libc.prctl(PR_GET_DUMPABLE),
        resource.getrlimit(resource.RLIMIT_CORE),
        locked,
    )


def test_the_job_runs_in_a_hardened_child_and_the_parent_is_unchanged() -> None:
    parent_core = resource.getrlimit(resource.RLIMIT_CORE)
    pid, dumpable, core, locked = run_with_key(_state)
    assert pid != os.getpid()
    assert dumpable == 0 and core == (0, 0)
    # mlockall is best effort: as root (or with LimitMEMLOCK) every page is locked.
    if os.geteuid() == 0:
        assert locked != "0 kB", locked
    assert _state()[1] == 1 and resource.getrlimit(resource.RLIMIT_CORE) == parent_core


def test_a_refusal_in_the_child_is_raised_in_the_parent() -> None:
    def job() -> None:
        raise CountError("record 3: a ballot of another election, precinct or mode")

    with pytest.raises(CountError, match="record 3"):
        run_with_key(job)


def test_a_child_that_dies_is_an_error_not_a_result() -> None:
    with pytest.raises(KeyProcessError, match="no result"):
        run_with_key(lambda: os._exit(3))


def test_the_shares_open_the_key_only_in_the_child() -> None:
    private, public = x25519_pair()
    cards = split_key(private, "E", "P", 2, 3)
    collector = ShareCollector("E", "P", public)
    for card in cards[:2]:
        assert collector.take(card.payload()) is None
    assert collector.complete

    def count(key: bytes) -> tuple[int, bool]:
        return os.getpid(), public_key_of(key) == public

    pid, opened = count_with_shares(collector, count)
    assert pid != os.getpid() and opened
    assert len(collector.shares) == 2  # the collector in the parent is as it was


def test_cards_of_another_key_are_refused_by_the_child() -> None:
    other_private, _ = x25519_pair()
    _, public = x25519_pair()
    collector = ShareCollector("E", "P", public)
    for card in split_key(other_private, "E", "P", 2, 3)[:2]:
        assert collector.take(card.payload()) is None
    assert count_with_shares(collector, lambda key: key) is ShareProblem.WRONG_KEY
    collector.refused(ShareProblem.WRONG_KEY)
    assert collector.shares == []


def test_data_key_gives_the_partitions_key_to_a_pipe_only(tmp_path: Path) -> None:
    device_key = os.urandom(32)
    (tmp_path / "device.key").write_bytes(device_key)
    board = (REPO / "board_configs" / "sim.toml").read_text()
    (tmp_path / "board.toml").write_text(board)
    command = [sys.executable, "-m", "terminal", "data-key", "--board", "board.toml"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    piped = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, check=True)
    assert piped.stdout == DeviceSealer(device_key).wrapping_key(Purpose.DATA_PARTITION)
    assert device_key not in piped.stdout and len(piped.stdout) == 32
    # A terminal on stdout: the key is not printed.
    leader, follower = os.openpty()
    try:
        shown = subprocess.run(
            command, cwd=tmp_path, env=env, stdout=follower, stderr=subprocess.PIPE
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert shown.returncode == 2 and b"not to a screen" in shown.stderr
