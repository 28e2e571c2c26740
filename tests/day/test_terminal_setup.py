"""Setting a terminal up: only the commission's signed package for this terminal is accepted."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from host_tools.commission import create_commission_key
from sim.day import REPO, Day
from terminal.ballot.election import Election, Logo
from terminal.ballot.package import sha256_hex, write_package
from terminal.trust.signing import SigningKey, VerifyKey


@pytest.fixture
def day(tmp_path: Path) -> Iterator[Day]:
    day = Day(3, 1, tmp_path, None, 0)
    day.prepare()
    day.booth.start_devices(tmp_path / "screens")
    yield day
    day.booth.stop()


@pytest.fixture
def logo_day(tmp_path: Path) -> Iterator[Day]:
    """A day on the example definition whose parties have logos."""
    day = Day(3, 1, tmp_path, None, 0, definition=REPO / "examples" / "kg-local.toml")
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


def test_an_altered_logo_is_refused(logo_day: Day) -> None:
    logo = logo_day.election.logos()[1]
    path = logo_day.out / "package" / logo.file
    _tamper(path, lambda b: b[:-20] + bytes([b[-20] ^ 1]) + b[-19:])
    _refused(logo_day, f"package/{logo.file}: altered")


def test_a_signed_logo_the_terminal_cannot_draw_is_refused(logo_day: Day) -> None:
    """The commission's tools check a logo; the terminal checks it again, trusting no writer."""
    day = logo_day
    key = SigningKey.load(day.out / "office" / "commission.key.pem")
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'/>"
    first = day.election.logos()[0]
    bad = Logo("logo-svg.png", sha256_hex(svg))
    contests = tuple(
        dataclasses.replace(
            c,
            choices=tuple(
                dataclasses.replace(ch, party=dataclasses.replace(ch.party, logo=bad))
                if ch.party is not None and ch.party.logo == first
                else ch
                for ch in c.choices
            ),
        )
        for c in day.election.contests
    )
    election = dataclasses.replace(day.election, contests=contests)
    package = day.out / "package"
    registers = {p.code: (package / p.register_file).read_bytes() for p in election.precincts}
    keys = {day.booth.terminal_id: VerifyKey.load(day.out / "data" / "terminal.pub.pem")}
    media = {logo.file: (package / logo.file).read_bytes() for logo in election.logos()[1:]}
    shutil.rmtree(package)
    write_package(package, election, registers, keys, key, {**media, bad.file: svg})
    _refused(day, "package/logo-svg.png: not a PNG file")


# A stand-in for a PyNaCl wheel whose libsodium has CVE-2025-69277: its point check also
# accepts a valid point plus the point of order 2, as that libsodium did.
FLAWED_LIBSODIUM = """
from nacl import bindings

_checked = bindings.crypto_core_ed25519_is_valid_point
_order_2 = bytes.fromhex("ec" + "ff" * 30 + "7f")


def _flawed(p):
    if _checked(p):
        return True
    try:
        return _checked(bindings.crypto_core_ed25519_sub(p, _order_2))
    except Exception:
        return False


bindings.crypto_core_ed25519_is_valid_point = _flawed
"""


def test_a_libsodium_accepting_small_order_points_stops_the_terminal(
    day: Day, tmp_path: Path
) -> None:
    flawed = tmp_path / "flawed"
    flawed.mkdir()
    (flawed / "sitecustomize.py").write_text(FLAWED_LIBSODIUM)
    terminal = day.booth
    command = [sys.executable, "-m", "terminal", "--board", str(terminal.board), "--data", "data"]
    command += ["--package", str(day.out / "package")]
    env = {**os.environ, "PYTHONPATH": f"{flawed}{os.pathsep}{REPO}"}
    done = subprocess.run(command, cwd=terminal.root, env=env, capture_output=True, timeout=60)
    assert done.returncode == 2
    assert b"CVE-2025-69277" in done.stderr, done.stderr
    frame = terminal.panel.wait_for(lambda f: f.name.startswith("fatal"), timeout=10)
    assert frame.name == "fatal-crypto_unsafe"
    assert not (terminal.data / "package").exists(), "nothing is installed"
