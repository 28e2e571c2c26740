"""A stolen data card, read in a PC or moved into another terminal, gives nothing: no key
that signs as the terminal, nothing that opens the register or mints a ballot code, no byte
that tells who voted; and a terminal with another device key refuses it, changing nothing.

`what_the_card_gives` is the thief: it is handed the card's directory and the public
package, never the device key. Run on the card of the old code (commit 34213b8, keys and
marks in clear) after `python -m sim day --voters 24 --seed 7`, it found all of:
    terminal.enc.key.pem: opens the register (25 voters)
    terminal.enc.key.pem: mints ballot codes the booth accepts
    terminal.key.pem: signs as terminal T-1234-01
    marks.bin (from byte 0) names the 24 voters
test_the_thief_finds_what_a_card_in_clear_gives keeps showing that on today's card with
those files put back in clear.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from terminal.app.identity import NotProvisioned, load_identity
from terminal.ballot.package import PackageError, load_package
from terminal.hal.storage import DataDir
from terminal.idscan.ballot_codes import BallotCode, check_code, new_code
from terminal.idscan.marks import FILE_NAME as MARKS
from terminal.idscan.marks import PAGE, MarksError, VoterMarks
from terminal.trust.sealed_store import DeviceSealer
from tests.day.conftest import REPO, DayRun, device_of

PrivateKey = Ed25519PrivateKey | X25519PrivateKey


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def _private_keys(card: Path) -> list[tuple[Path, PrivateKey]]:
    """Every private key a thief can load from the card: PEM or DER (PKCS#8, unencrypted),
    or 32 raw bytes, as an Ed25519 or an X25519 key."""
    found: list[tuple[Path, PrivateKey]] = []
    for path in _files(card):
        data = path.read_bytes()
        candidates: list[object] = []
        for loader in (serialization.load_pem_private_key, serialization.load_der_private_key):
            with contextlib.suppress(ValueError, TypeError):
                candidates.append(loader(data, None))
        if len(data) == 32:
            candidates += [
                Ed25519PrivateKey.from_private_bytes(data),
                X25519PrivateKey.from_private_bytes(data),
            ]
        found += [(path, k) for k in candidates if isinstance(k, PrivateKey)]
    return found


def _raw_public(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _tells_who_voted(card: Path, voters: int, marked: set[int]) -> list[str]:
    """Files that, read as one byte per register entry from any page, hold one value for
    every voter who voted and another for every voter who did not (random bytes do that
    with odds of 256^-(voters-2))."""
    telling = []
    for path in _files(card):
        data = path.read_bytes()
        for start in range(0, max(len(data) - voters + 1, 0), PAGE):
            table = data[start : start + voters]
            voted = {table[i] for i in marked}
            others = {table[i] for i in range(voters) if i not in marked}
            if len(voted) == len(others) == 1 and voted != others:
                telling.append(f"{path.name} (from byte {start}) names the {len(marked)} voters")
    return telling


def what_the_card_gives(card: Path, package_dir: Path, marked: set[int]) -> list[str]:
    """Everything a thief achieves with a copy of the card and the public package."""
    package = load_package(package_dir)
    election = package.election
    gains: list[str] = []
    for path, key in _private_keys(card):
        for terminal in election.terminals:
            if isinstance(key, Ed25519PrivateKey):
                registered = package.terminal_key(terminal.id)
                if _raw_public(key) != registered.raw():
                    continue
                forged = b'{"precinct":"1234","votes":"moved"}'
                if registered.verify(key.sign(forged), forged):
                    gains.append(f"{path.name}: signs as terminal {terminal.id}")
            else:
                try:
                    keys = package.keys(terminal.id, key)
                except PackageError:
                    continue
                register = package.register(terminal.precinct, keys)
                gains.append(f"{path.name}: opens the register ({len(register.voters)} voters)")
                code = new_code(election.id, terminal.precinct, terminal.id, 29_000_000)
                checked = check_code(
                    code.payload(keys.code_key),
                    election.id,
                    terminal.precinct,
                    terminal.id,
                    keys.code_key,
                    29_000_000,
                    60,
                )
                if isinstance(checked, BallotCode):
                    gains.append(f"{path.name}: mints ballot codes the booth accepts")
    precinct = election.precincts[0]
    gains += _tells_who_voted(card, precinct.voters, marked)
    return gains


def _marked(day: DayRun) -> set[int]:
    """Who voted, as the terminal itself reads it with its device key (the test's truth)."""
    data = day.out / "data"
    identity = load_identity(data, device_of(day.out))
    precinct = load_package(day.package).election.precincts[0]
    marks = VoterMarks(DataDir(data), precinct.voters, identity.device)
    marked = {p for p in range(precinct.voters) if marks.issued(p)}
    assert len(marked) == 24
    return marked


def _tree_hash(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in _files(root)}  # fmt: skip


def test_a_card_read_in_a_pc_gives_no_key_no_register_no_code_and_no_voter(
    day: DayRun,
) -> None:
    assert what_the_card_gives(day.out / "data", day.package, _marked(day)) == []


def test_the_thief_finds_what_a_card_in_clear_gives(day: DayRun, tmp_path: Path) -> None:
    """The thief is not blind: the same card with its keys and marks unsealed (what the
    terminal held before) gives it everything."""
    marked = _marked(day)
    clear = tmp_path / "clear-card"
    shutil.copytree(day.out / "data", clear)
    identity = load_identity(clear, device_of(day.out))
    raw = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    nothing = serialization.NoEncryption()
    (clear / "terminal.key.pem").write_bytes(identity.key.private.private_bytes(*raw, nothing))
    (clear / "terminal.enc.key.pem").write_bytes(identity.decryption.private_bytes(*raw, nothing))
    voters = load_package(day.package).election.precincts[0].voters
    (clear / "marks.bin").write_bytes(bytes(1 if i in marked else 0 for i in range(voters)))
    gains = what_the_card_gives(clear, day.package, marked)
    assert gains == [
        f"terminal.enc.key.pem: opens the register ({voters} voters)",
        "terminal.enc.key.pem: mints ballot codes the booth accepts",
        "terminal.key.pem: signs as terminal T-1234-01",
        "marks.bin (from byte 0) names the 24 voters",
    ]


def test_a_card_in_another_terminal_is_refused_and_nothing_changes(
    day: DayRun, tmp_path: Path
) -> None:
    """The card moved into another board (another device key): the terminal stops with a
    clear message before it opens any device, and not one byte of the card changes."""
    run = tmp_path / "other-board"
    shutil.copytree(day.out / "data", run / "data")
    (run / "device.key").write_bytes(os.urandom(32))
    before = _tree_hash(run / "data")
    result = subprocess.run(
        [sys.executable, "-m", "terminal", "--board", str(REPO / "board_configs" / "sim.toml"),
         "--data", "data"],
        cwd=run, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "do not open" in result.stderr and "device key" in result.stderr, result.stderr
    assert "terminal.key.sealed" in result.stderr
    # In the process too: the keys and the marks refuse the other key, each saying so.
    other = DeviceSealer(os.urandom(32))
    with pytest.raises(NotProvisioned, match="does not open with this board's device key"):
        load_identity(run / "data", other)
    voters = load_package(day.package).election.precincts[0].voters
    with pytest.raises(MarksError, match=f"{MARKS}: neither copy opens"):
        VoterMarks(DataDir(run / "data"), voters, other)
    assert _tree_hash(run / "data") == before


def test_a_card_without_its_device_key_file_is_refused(day: DayRun, tmp_path: Path) -> None:
    run = tmp_path / "no-key"
    shutil.copytree(day.out / "data", run / "data")
    result = subprocess.run(
        [sys.executable, "-m", "terminal", "--board", str(REPO / "board_configs" / "sim.toml"),
         "--data", "data"],
        cwd=run, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "device.key: cannot open the device key" in result.stderr, result.stderr


def _private_pems(out: Path) -> list[str]:
    return [str(p.relative_to(out)) for p in _files(out) if b"PRIVATE KEY" in p.read_bytes()]


def _commission_own(name: str) -> bool:
    """The commission's own files: its signing key, the share cards and the PIN letters."""
    return name == "office/commission.key.pem" or name.startswith(("cards/", "pin-letters/"))


def test_no_private_key_pem_under_the_days_out_but_the_commissions(
    day: DayRun, split_day: DayRun
) -> None:
    for run in (day, split_day):
        found = _private_pems(run.out)
        assert "office/commission.key.pem" in found
        assert [name for name in found if not _commission_own(name)] == [], found
        # Nor a key in the terminal's log, bundle or output (in any PEM form, encrypted too).
        for path in _files(run.out):
            if not _commission_own(str(path.relative_to(run.out))):
                assert b"-----BEGIN" not in path.read_bytes() or b"PUBLIC KEY" in (
                    path.read_bytes()
                ), path
