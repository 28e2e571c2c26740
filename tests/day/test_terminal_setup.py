"""Setting a terminal up: only the commission's signed package for this terminal is accepted."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host_tools.commission import create_commission_key
from sim.day import Day
from terminal.ballot.election import Election
from terminal.ballot.package import write_package
from terminal.trust.signing import SigningKey, VerifyKey


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    day = Day(3, 1, tmp_path, None, 0)
    day.prepare()
    day.booth.start_devices(tmp_path / "screens")
    yield day
    day.booth.stop()


def _refused(day: Day, detail: str) -> None:
    terminal = day.booth
    terminal.start(first=True)
    assert terminal.process is not None
    assert terminal.process.wait(timeout=60) == 2
    frame = terminal.panel.wait_for(lambda f: f.name.startswith("fatal"), timeout=10)
    assert frame.name == "fatal-package_refused"
    stderr = (day.out / "terminal.stderr").read_text()
    assert detail in stderr, stderr
    # Nothing was installed: the terminal is still blank.
    assert not (day.out / "data" / "package").exists()
    assert not (day.out / "data" / "ballots.slots").exists()
    assert terminal.pages.empty(), "a refused package prints no setup report"


def _tamper(path: Path, change: Callable[[bytes], bytes]) -> None:
    path.write_bytes(change(path.read_bytes()))


def test_a_tampered_election_file_is_refused(day: Day) -> None:
    _tamper(day.out / "package" / "election.json", lambda b: b.replace(b"cand-1", b"cand-9"))
    _refused(day, "election.json: signature does not verify")


def test_an_unsigned_package_is_refused(day: Day) -> None:
    (day.out / "package" / "election.json.sig").unlink()
    _refused(day, "election.json.sig: missing signature")


def test_a_package_of_another_commission_is_refused(day: Day) -> None:
    other = create_commission_key(day.out / "other.key.pem")
    package = day.out / "package"
    registers = {p.code: (package / p.register_file).read_bytes() for p in day.election.precincts}
    keys = {day.booth.terminal_id: VerifyKey.load(day.out / "data" / "terminal.pub.pem")}
    shutil.rmtree(package)
    write_package(package, day.election, registers, keys, other)
    _refused(day, "another commission key")


def test_a_package_without_this_terminal_is_refused(day: Day) -> None:
    key = SigningKey.load(day.out / "office" / "commission.key.pem")
    election: Election = dataclasses.replace(day.election, terminals=())
    package = day.out / "package"
    registers = {p.code: (package / p.register_file).read_bytes() for p in election.precincts}
    shutil.rmtree(package)
    write_package(package, election, registers, {}, key)
    _refused(day, "not registered")


def test_an_altered_register_is_refused(day: Day) -> None:
    register = next((day.out / "package" / "registers").glob("*.json.enc"))
    _tamper(register, lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:])
    _refused(day, "altered")
