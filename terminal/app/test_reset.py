"""From a TEST election back to a blank terminal, so that the official package can go in.

Logic-and-accuracy testing runs a whole polling day on a TEST package. Afterwards the
terminal holds that day's log, ballot box, marks and results; the official package is only
ever installed on a blank terminal, whose ballot box it creates empty. This step, run with
the terminal program stopped (`python -m terminal reset-test`), is the only way between the
two, and it is refused unless:
  - the installed package verifies against the pinned commission key and is a TEST election
    (an official terminal is never reset: its stores are evidence until the commission
    takes them), and
  - the TEST day is finished: never opened, or counted with its results bundle exported
    (the bundle is what `python -m host_tools lat` compares with the deck).
The test day's files are moved, not erased, into test-runs/<election>-<n>/ of the data
directory (and of the mirror, if the board has one): they stay for the audit. The new
event log's first record, `test_reset`, names the test election, the hash of its package,
the head of its log and its ballots cast, so the official day's log proves where the
terminal came from. Nothing of the test's ballot box is left in the stores the official
day uses.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from terminal.app.identity import Identity, NotProvisioned, load_identity
from terminal.app.polls import INSTALLED_PACKAGE, PollsState, polls_state
from terminal.ballot.election import Mode
from terminal.ballot.package import PackageError, load_package
from terminal.hal.board_config import BoardConfigError, load_board
from terminal.hal.clock import Clock, SystemClock
from terminal.hal.device_key import DeviceKeyError
from terminal.hal.devices import open_device_key
from terminal.hal.mirror import MirroredStorage
from terminal.hal.storage import DataDir
from terminal.idscan.ballot_codes import FILE_NAME as CODES_FILE
from terminal.idscan.marks import FILE_NAME as MARKS_FILE
from terminal.tally.ballot_box import FILE_NAME as BOX_FILE
from terminal.tally.event_log import FILE_NAME as EVENTS_FILE
from terminal.tally.event_log import EventLog
from terminal.trust.files import fsync_dir
from terminal.trust.sealed_store import DeviceSealer

ARCHIVE_DIR = "test-runs"
# Everything an election day writes into the data directory; the identity stays.
DAY_FILES = (EVENTS_FILE, BOX_FILE, MARKS_FILE, CODES_FILE, INSTALLED_PACKAGE)
DAY_PATTERNS = ("checkpoint-*.txt", "checkpoint-*.txt.sig", "protocol.json*", "ballots.*")


class ResetRefused(Exception):
    """The terminal may not be reset now; the message says why and what to do."""


@dataclass(frozen=True)
class TestReset:
    election: str
    archive: Path  # inside the data directory
    ballots_cast: int


def _finished(log: EventLog) -> bool:
    """Never opened, or counted with a bundle exported after the protocol was signed."""
    state = polls_state(log)
    if state is PollsState.READY:
        return True
    if state is not PollsState.COUNTED:
        return False
    last = max(i for i, e in enumerate(log.events) if e.kind == "protocol_signed")
    return any(e.kind == "bundle_exported" for e in log.events[last:])


def _day_files(root: Path) -> list[str]:
    names = [p.name for p in root.iterdir() if p.name != ARCHIVE_DIR]
    return sorted(
        n for n in names if n in DAY_FILES or any(fnmatch.fnmatch(n, p) for p in DAY_PATTERNS)
    )


def _archive(root: Path, target: str) -> None:
    """Move the day's files into root/target (a rename each: nothing is copied or lost)."""
    archive = root / target
    archive.mkdir(parents=True, mode=0o700)
    for name in _day_files(root):
        os.rename(root / name, archive / name)
    fsync_dir(archive)
    fsync_dir(root)


def reset_test(identity: Identity, data: Path, mirror: Path | None, clock: Clock) -> TestReset:
    """Reset a terminal whose finished TEST day is exported; see the module docstring."""
    storage = DataDir(data)
    if not storage.exists(EVENTS_FILE):
        raise ResetRefused("nothing to reset: no election was ever installed on this terminal")
    log = EventLog.open(storage, clock)
    loaded = log.of_kind("package_loaded")
    if not loaded:
        raise ResetRefused("nothing to reset: no election package is installed")
    try:
        package = load_package(data / INSTALLED_PACKAGE, identity.commission)
    except PackageError as exc:
        raise ResetRefused(f"the installed package does not verify: {exc}") from exc
    election = package.election
    if election.mode is not Mode.TEST or loaded[-1].data["mode"] != Mode.TEST.value:
        raise ResetRefused(
            f"the installed election {election.id} is official: an official terminal is never "
            "reset (its stores go to the commission as they are)"
        )
    if not _finished(log):
        raise ResetRefused(
            f"the TEST day of {election.id} is not finished: close the polls, count, and "
            "export the results bundle first (it is what `host_tools lat` checks)"
        )
    runs = data / ARCHIVE_DIR
    number = len(list(runs.iterdir())) + 1 if runs.is_dir() else 1
    target = f"{ARCHIVE_DIR}/{election.id}-{number}"
    cast = len(log.of_kind("ballot_cast"))
    head, package_sha256 = log.head, loaded[-1].data["package_sha256"]
    storage.close()
    _archive(data, target)
    if mirror is not None and mirror.is_dir():
        _archive(mirror, target)
    fresh = EventLog.open(MirroredStorage(DataDir(data), mirror), clock)
    fresh.append(
        "test_reset",
        election=election.id,
        package_sha256=package_sha256,
        test_log_head=head,
        ballots_cast=cast,
    )
    return TestReset(election.id, data / target, cast)


def reset_command(argv: list[str]) -> int:
    """`python -m terminal reset-test --board BOARD --election ID`: exit 0 when reset, 2
    when refused (nothing changed). The operator types the TEST election's id to confirm."""
    parser = argparse.ArgumentParser(
        prog="python -m terminal reset-test",
        description="Reset a terminal after its finished TEST day, for the official package.",
        epilog="example:\n  python -m terminal reset-test --board /etc/tamga/board.toml "
        "--election KG-20270411-TEST\n\nexit status: 0 reset; 2 refused, nothing changed",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--board", type=Path, required=True, help="board config: data, mirror")
    parser.add_argument("--data", type=Path, help="data directory (default: the board config's)")
    parser.add_argument(
        "--election", required=True, help="the TEST election's id, typed to confirm the reset"
    )
    args = parser.parse_args(argv)
    try:
        board = load_board(args.board)
        data = args.data or board.storage.data
        identity = load_identity(data, DeviceSealer(open_device_key(board.device_key).read()))
        installed = load_package(data / INSTALLED_PACKAGE, identity.commission).election.id
        if installed != args.election:
            raise ResetRefused(f"the installed election is {installed}, not {args.election}")
        done = reset_test(
            identity, data, board.storage.mirror, SystemClock(board.clock.source.value)
        )
    except (ResetRefused, BoardConfigError, DeviceKeyError, NotProvisioned, PackageError) as exc:
        print(f"reset refused: {exc}", file=sys.stderr)
        return 2
    print(
        f"terminal reset after the TEST election {done.election} ({done.ballots_cast} test "
        f"ballots); its files are in {done.archive}. Install the official package now."
    )
    return 0
