"""A hostile export stick or mirror card: links, FIFOs or device files planted on it.

Before, the terminal wrote a fixed temporary name (`.events.jsonl.tmp`) with O_CREAT|O_TRUNC
and followed links: a link planted under that name on the export stick truncated the ballot
box, and one on the mirror card wrote over a store. Now such a medium is refused before
anything is written, and the data directory stays as it was.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from terminal.app.i18n import translator
from terminal.app.pages.chair import counted
from terminal.app.pages.desk import MIRROR_REFUSED, idle
from terminal.app.station import STICK_REFUSED, Station
from terminal.ballot.election import Role
from terminal.hal.mirror import MirroredStorage
from terminal.hal.storage import DataDir, StorageWarning
from terminal.tally.ballot_box import FILE_NAME as BOX_FILE
from terminal.tally.event_log import FILE_NAME as EVENTS_FILE
from terminal.trust.files import UnsafeFileError
from tests.reliability.polling import People, Terminal, World, plan

VOTERS = 4


def _digests(directory: Path) -> dict[str, str]:
    """Every entry under `directory`, links as what they point to, files by their hash."""
    found = {}
    for path in sorted(directory.rglob("*")):
        name = str(path.relative_to(directory))
        if path.is_symlink():
            found[name] = f"-> {os.readlink(path)}"
        elif path.is_file():
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[name] = "special" if not path.is_dir() else "dir"
    return found


def _run_to_count(terminal: Terminal, people: People) -> None:
    """The rest of the day after the opening: every attempt, the close, the count."""
    polls = terminal.polls
    assert polls is not None
    while people.next < len(people.attempts):
        terminal.attend(people, people.attempts[people.next])
        people.next += 1
    polls.close_polls()
    assert polls.count_and_sign(polls.count_box(terminal.world.private_key)) is None


def _planted(kind: str, target: Path, link_to: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "link":
        target.symlink_to(os.path.relpath(link_to, target.parent))
    elif kind == "fifo":
        os.mkfifo(target)
    else:  # a directory linked to the data directory
        target.symlink_to(link_to, target_is_directory=True)


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("link", ".events.jsonl.tmp"),  # the old fixed temporary name
        ("link", "events.jsonl"),
        ("link", "checkpoints"),
        ("fifo", "ballots.bin"),
        ("fifo", "notes/pipe"),
    ],
)
def test_a_stick_with_links_or_fifos_is_refused_and_nothing_changes(
    world: World, scratch: Path, kind: str, where: str
) -> None:
    root = scratch / "day"
    storage = DataDir(root / "data")
    attempts, selections = plan(VOTERS, 3)
    terminal = Terminal(world, storage, root / "data", root / "export")
    terminal.start()
    people = People(attempts, selections)
    polls = terminal.polls
    assert polls is not None
    assert polls.open_polls() is None
    _run_to_count(terminal, people)
    victim = root / "data" / (BOX_FILE if where != "checkpoints" else "")
    _planted(kind, root / "export" / where, victim if where != "checkpoints" else root / "data")
    data_before, stick_before = _digests(root / "data"), _digests(root / "export")
    with pytest.raises(UnsafeFileError) as refused:
        polls.export(root / "export")
    assert where.split("/")[0] in str(refused.value)
    assert _digests(root / "data") == data_before  # the ballot box and the log untouched
    assert _digests(root / "export") == stick_before  # nothing written to the stick
    assert not polls.count_events("bundle_exported")
    # The same terminal exports to a clean stick: the day is not lost.
    polls.export(root / "clean")
    assert (root / "clean" / "manifest.json.sig").is_file()
    assert storage.read(EVENTS_FILE).count(b"\n") == len(polls.log.events)


def _write_some(storage: MirroredStorage) -> None:
    storage.create(BOX_FILE, 8192)
    storage.pwrite(BOX_FILE, 4096, b"SLOT")
    storage.sync(BOX_FILE)
    storage.append(EVENTS_FILE, b'{"seq":0}\n')
    storage.append(EVENTS_FILE, b'{"seq":1}\n')
    storage.sync(EVENTS_FILE)
    storage.replace("protocol.json", b"{}\n")


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("link", ".protocol.json.tmp"),  # the old fixed temporary name: truncated the box
        ("link", EVENTS_FILE),  # appended through: wrote into the box
        ("fifo", "protocol.json"),
        ("dir-link", "old"),
    ],
)
def test_a_mirror_with_links_or_fifos_is_refused_with_its_own_warning(
    tmp_path: Path, kind: str, where: str
) -> None:
    data, mirror = tmp_path / "data", tmp_path / "mirror"
    storage = MirroredStorage(DataDir(data), mirror, retry_seconds=0)
    mirror.mkdir()
    storage.create(BOX_FILE, 8192)
    box = (data / BOX_FILE).read_bytes()
    _planted(kind, mirror / where, data / BOX_FILE if kind == "link" else data)
    before = _digests(mirror)
    _write_some(storage)
    warning = storage.warning()
    assert isinstance(warning, StorageWarning) and warning.refused, warning
    assert f"{mirror / where}: is " in warning
    assert _digests(mirror) == before  # nothing written to the refused card
    assert (data / BOX_FILE).read_bytes()[:4096] == box[:4096]  # the box only as written
    assert (data / BOX_FILE).read_bytes()[4096:4100] == b"SLOT"
    assert (data / EVENTS_FILE).read_bytes() == b'{"seq":0}\n{"seq":1}\n'
    # A clean card in its place is caught up and the warning clears.
    for entry in mirror.iterdir():
        entry.unlink()
    assert storage.warning() is None
    assert (mirror / BOX_FILE).read_bytes() == (data / BOX_FILE).read_bytes()
    assert (mirror / EVENTS_FILE).read_bytes() == (data / EVENTS_FILE).read_bytes()


@pytest.mark.parametrize("language", ["ky", "ru", "kk", "en"])
def test_the_poll_worker_sees_why_the_mirror_is_refused(language: str) -> None:
    refused = StorageWarning("/mnt/mirror/tamga/x: is a symbolic link: refused", refused=True)
    station = SimpleNamespace(
        _w=translator(language),
        polls=SimpleNamespace(
            role=Role.COMBINED,
            box=None,
            package=None,
            storage=SimpleNamespace(warning=lambda: refused),
        ),
        lines=(),
        seal=None,
        enclosure_watch=None,
    )
    screen = idle(station)  # type: ignore[arg-type]
    assert translator(language)(MIRROR_REFUSED) in screen.lines
    assert refused in screen.lines
    if language != "en":
        assert translator(language)(MIRROR_REFUSED) != MIRROR_REFUSED


@pytest.mark.parametrize("language", ["ky", "ru", "kk", "en"])
def test_the_chair_sees_why_the_export_stick_is_refused(language: str, tmp_path: Path) -> None:
    """Station._export on a refused stick: the counted screen says so, and which entry."""
    refusal = UnsafeFileError(tmp_path / "bundle" / "x", "is a symbolic link")

    def refuse(target: Path) -> None:
        raise refusal

    station = SimpleNamespace(
        _w=translator(language),
        polls=SimpleNamespace(export=refuse, package=None),
        export_dir=tmp_path / "bundle",
        lines=(),
    )
    assert Station._export(station) is False  # type: ignore[arg-type]
    screen = counted(station)  # type: ignore[arg-type]
    assert translator(language)(STICK_REFUSED) in screen.lines
    assert f"{tmp_path / 'bundle' / 'x'}: is a symbolic link: refused" in screen.lines
    if language != "en":
        assert translator(language)(STICK_REFUSED) != STICK_REFUSED
