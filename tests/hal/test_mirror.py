"""The mirror card: a byte-exact copy of every store; its failures warn, never stop."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from terminal.hal.mirror import MirroredStorage
from terminal.hal.storage import DataDir


def _write_day(storage: MirroredStorage) -> None:
    storage.create("ballots.slots", 8192)
    storage.pwrite("ballots.slots", 4096, b"SLOT" + bytes(10))
    storage.sync("ballots.slots")
    storage.append("events.jsonl", b'{"seq":0}\n')
    storage.append("events.jsonl", b'{"seq":1}\n')
    storage.sync("events.jsonl")
    storage.replace("protocol.json", b"{}\n")


def test_every_write_reaches_the_mirror(tmp_path: Path) -> None:
    (tmp_path / "mirror").mkdir()
    storage = MirroredStorage(DataDir(tmp_path / "data"), tmp_path / "mirror")
    _write_day(storage)
    assert storage.warning() is None
    for name in ("ballots.slots", "events.jsonl", "protocol.json"):
        assert (tmp_path / "mirror" / name).read_bytes() == (tmp_path / "data" / name).read_bytes()


def test_a_full_mirror_warns_and_the_data_directory_goes_on(tmp_path: Path) -> None:
    (tmp_path / "mirror").mkdir()
    storage = MirroredStorage(DataDir(tmp_path / "data"), tmp_path / "mirror")
    storage.append("events.jsonl", b"first\n")
    storage.sync("events.jsonl")
    assert storage.mirror is not None

    def full(name: str, offset: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    storage.mirror.pwrite = full  # type: ignore[method-assign]
    storage.append("events.jsonl", b"second\n")
    storage.sync("events.jsonl")
    assert (tmp_path / "data" / "events.jsonl").read_bytes() == b"first\nsecond\n"
    warning = storage.warning()
    assert warning is not None and "No space left" in warning


def test_a_missing_mirror_warns_and_catches_up_when_it_comes_back(tmp_path: Path) -> None:
    storage = MirroredStorage(DataDir(tmp_path / "data"), tmp_path / "stick", retry_seconds=0)
    _write_day(storage)
    assert storage.warning() == f"{tmp_path / 'stick'}: not present"
    assert not (tmp_path / "stick").exists(), "no copy made on the empty mount point"
    (tmp_path / "stick").mkdir()
    assert storage.warning() is None
    # Caught up at once, before the next write.
    for name in ("ballots.slots", "protocol.json"):
        assert (tmp_path / "stick" / name).read_bytes() == (tmp_path / "data" / name).read_bytes()
    storage.append("events.jsonl", b'{"seq":2}\n')
    storage.sync("events.jsonl")
    copy = (tmp_path / "stick" / "events.jsonl").read_bytes()
    assert copy == (tmp_path / "data" / "events.jsonl").read_bytes()
    assert copy.count(b"\n") == 3


def test_without_a_mirror_nothing_is_copied(tmp_path: Path) -> None:
    storage = MirroredStorage(DataDir(tmp_path / "data"), None)
    _write_day(storage)
    assert storage.warning() is None


@pytest.mark.parametrize("name", ["terminal.key.sealed", "terminal.enc.key.sealed"])
def test_keys_never_reach_the_mirror(tmp_path: Path, name: str) -> None:
    (tmp_path / "mirror").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / name).write_bytes(b"secret")
    storage = MirroredStorage(DataDir(tmp_path / "data"), tmp_path / "mirror")
    _write_day(storage)
    assert not (tmp_path / "mirror" / name).exists()
