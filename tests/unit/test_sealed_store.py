"""Sealed files and the sealed identity: every damaged, moved or foreign file is refused by
name, never opened as another key, and the card holds no private key in clear."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.app.identity import (
    ENCRYPTION_KEY_FILE,
    KEY_FILE,
    NotProvisioned,
    load_identity,
    provision,
)
from terminal.trust.sealed_store import DeviceSealer, Purpose, SealedError
from terminal.trust.signing import SigningKey
from tests.unit.conftest import flip

SECRET = bytes(range(32))


def test_a_sealed_file_opens_with_its_device_key_purpose_and_name(
    tmp_path: Path, device: DeviceSealer
) -> None:
    path = tmp_path / "terminal.key.sealed"
    device.write(path, Purpose.SIGNING_KEY, SECRET)
    data = path.read_bytes()
    assert SECRET not in data and device.device_key not in data
    assert device.read(path, Purpose.SIGNING_KEY) == SECRET
    for purpose in (Purpose.ENCRYPTION_KEY, Purpose.VOTER_MARKS):
        with pytest.raises(SealedError, match="does not open with this board's device key"):
            device.read(path, purpose)
    moved = tmp_path / "terminal.enc.key.sealed"
    moved.write_bytes(data)
    with pytest.raises(SealedError, match=r"terminal\.enc\.key\.sealed"):
        device.read(moved, Purpose.SIGNING_KEY)
    with pytest.raises(SealedError):
        DeviceSealer(os.urandom(32)).read(path, Purpose.SIGNING_KEY)


def test_each_purpose_has_its_own_wrapping_key(device: DeviceSealer) -> None:
    keys = {device.wrapping_key(p) for p in Purpose}
    assert len(keys) == len(Purpose) and device.device_key not in keys


def test_every_byte_of_a_sealed_file_cut_or_flipped_is_refused(device: DeviceSealer) -> None:
    sealed = device.seal(Purpose.SIGNING_KEY, "k", SECRET)
    for at in range(len(sealed)):
        for damaged in (sealed[:at], flip(sealed, at), flip(sealed, at, 0xFF)):
            with pytest.raises(SealedError, match=r"^k: "):
                device.open(Purpose.SIGNING_KEY, "k", damaged)


@given(st.binary(max_size=200))
def test_any_bytes_open_or_are_refused(data: bytes) -> None:
    with pytest.raises(SealedError):
        DeviceSealer(SECRET).open(Purpose.VOTER_MARKS, "marks", data)


def test_provisioning_writes_no_private_key_in_clear(tmp_path: Path, device: DeviceSealer) -> None:
    commission = SigningKey.generate()
    public = provision(tmp_path, "T-0001", commission.public.pem(), device)
    identity = load_identity(tmp_path, device)
    assert identity.key.public.raw() == public.raw()
    for path in tmp_path.iterdir():
        assert b"PRIVATE KEY" not in path.read_bytes(), path
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [
            "commission.pub.pem",
            "terminal.enc.key.sealed",
            "terminal.enc.pub.pem",
            "terminal.json",
            "terminal.key.sealed",
            "terminal.pub.pem",
        ]
    )
    with pytest.raises(FileExistsError):
        provision(tmp_path, "T-0001", commission.public.pem(), device)


@pytest.mark.parametrize("name", [KEY_FILE, ENCRYPTION_KEY_FILE])
def test_a_damaged_or_foreign_key_file_stops_the_terminal_naming_it(
    tmp_path: Path, device: DeviceSealer, name: str
) -> None:
    provision(tmp_path, "T-0001", SigningKey.generate().public.pem(), device)
    data = (tmp_path / name).read_bytes()
    (tmp_path / name).write_bytes(flip(data, len(data) // 2))
    with pytest.raises(NotProvisioned, match=f"{name}: does not open"):
        load_identity(tmp_path, device)


def test_a_key_sealed_for_another_terminal_is_refused(tmp_path: Path, device: DeviceSealer) -> None:
    """The sealed key of another terminal under the same device key does not pass for this
    terminal's: its public half is checked against terminal.pub.pem."""
    commission = SigningKey.generate().public.pem()
    provision(tmp_path / "a", "T-0001", commission, device)
    provision(tmp_path / "b", "T-0002", commission, device)
    (tmp_path / "a" / KEY_FILE).write_bytes((tmp_path / "b" / KEY_FILE).read_bytes())
    with pytest.raises(NotProvisioned, match="not the public half of the sealed key"):
        load_identity(tmp_path / "a", device)


@pytest.mark.parametrize("name", ["terminal.key.pem", "terminal.enc.key.pem"])
def test_a_card_with_a_private_key_in_clear_is_refused(
    tmp_path: Path, device: DeviceSealer, name: str
) -> None:
    provision(tmp_path, "T-0001", SigningKey.generate().public.pem(), device)
    (tmp_path / name).write_bytes(b"-----BEGIN PRIVATE KEY-----\n...")
    with pytest.raises(NotProvisioned, match=f"{name}: a private key in clear"):
        load_identity(tmp_path, device)
