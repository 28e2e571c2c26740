"""The pairing key the terminal and its enclosure controller share, made at provisioning.

It is 32 random bytes. The terminal keeps it sealed under the board's device key like its
other keys (trust/sealed_store.py: data/enclosure.key opens on this board only); the one
plain copy is written for the technician to put into the controller's flash as
pairing.key (docs/enclosure.md) and then destroy. Each boot of either side derives a fresh
session key from it (hal/enclosure_protocol.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from terminal.hal.enclosure_protocol import PAIRING_KEY_BYTES
from terminal.trust.files import write_private_file
from terminal.trust.sealed_store import DeviceSealer, Purpose, SealedError

PAIRING_FILE = "enclosure.key"


class PairingError(OSError):
    """The pairing key cannot be had; the message names the file, never the key."""


def provision_pairing(data: Path, device: DeviceSealer, controller_copy: Path) -> Path:
    """Make the pairing key: sealed into the data directory, and the plain copy for the
    controller at `controller_copy`. Refuses to replace a key (a controller already paired
    would be locked out). Returns the sealed file's path."""
    path = data / PAIRING_FILE
    if path.exists():
        raise FileExistsError(f"{path}: the enclosure controller is already paired")
    if controller_copy.exists():
        raise FileExistsError(f"{controller_copy}: already there; not overwritten")
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(PAIRING_KEY_BYTES)
    write_private_file(controller_copy, key)
    device.write(path, Purpose.ENCLOSURE_PAIRING, key)
    return path


def load_pairing(path: Path, device: DeviceSealer) -> bytes:
    """The pairing key from its sealed file; raises PairingError."""
    try:
        key = device.read(path, Purpose.ENCLOSURE_PAIRING)
    except OSError as exc:
        raise PairingError(f"{path}: cannot read the pairing key: {exc.strerror}") from exc
    except SealedError as exc:
        raise PairingError(str(exc)) from exc
    if len(key) != PAIRING_KEY_BYTES:
        raise PairingError(f"{path}: a pairing key is {PAIRING_KEY_BYTES} bytes")
    return key
