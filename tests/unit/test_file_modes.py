"""Files the terminal writes hold election data: no other user may read them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from terminal.hal.storage import DataDir
from terminal.idscan.marks import VoterMarks
from terminal.tally.ballot_box import BallotBox
from terminal.tally.event_log import EventLog
from terminal.trust.files import write_private_file, write_public_file
from terminal.trust.sealed_store import DeviceSealer
from terminal.trust.signing import SigningKey
from tests.unit.conftest import FixedClock

pytestmark = pytest.mark.usefixtures("open_umask")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_store_of_the_data_directory_is_private(
    tmp_path: Path, terminal_key: SigningKey, device: DeviceSealer
) -> None:
    root = tmp_path / "data"
    storage = DataDir(root)
    try:
        BallotBox.create(storage, terminal_key.public, 2)
        EventLog.open(storage, FixedClock()).append("polls_opened")
        VoterMarks(storage, 3, device).mark(1)
        storage.pwrite("pwritten", 10, b"x")
        storage.append("appended", b"line\n")
        storage.replace("replaced", b"whole")
        storage.create("empty", 0)
    finally:
        storage.close()
    names = sorted(p.name for p in root.iterdir())
    assert names == sorted(
        [
            "ballots.slots",
            "events.jsonl",
            "marks.sealed",
            "pwritten",
            "appended",
            "replaced",
            "empty",
        ]
    )
    for path in root.iterdir():
        assert mode(path) == 0o600, path
    assert mode(root) == 0o700


def test_private_files_are_0600_even_over_a_public_one(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "terminal.key.pem"
    write_public_file(path, b"was public")
    assert mode(path) == 0o644
    write_private_file(path, b"secret")
    assert mode(path) == 0o600
    assert path.read_bytes() == b"secret"
    assert sorted(p.name for p in path.parent.iterdir()) == ["terminal.key.pem"]  # no temp left
    fresh = tmp_path / "new-dir" / "x"
    write_private_file(fresh, b"x")
    assert mode(fresh) == 0o600 and mode(fresh.parent) == 0o700


def test_a_saved_signing_key_is_private(tmp_path: Path, terminal_key: SigningKey) -> None:
    terminal_key.save(tmp_path / "terminal.key.pem")
    terminal_key.public.save(tmp_path / "terminal.pub.pem")
    assert mode(tmp_path / "terminal.key.pem") == 0o600
    assert mode(tmp_path / "terminal.pub.pem") == 0o644
