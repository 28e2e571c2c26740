"""The pairing key the terminal and its enclosure controller share, made at provisioning.

It is 32 random bytes: the terminal keeps it beside its other keys (data/enclosure.key,
owner-only, as terminal.key.pem is), and the technician copies the same file into the
controller's flash as pairing.key (docs/enclosure.md). Each boot of either side derives a
fresh session key from it (hal/enclosure_protocol.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from terminal.hal.enclosure_protocol import PAIRING_KEY_BYTES
from terminal.trust.files import write_private_file

PAIRING_FILE = "enclosure.key"


def provision_pairing(data: Path) -> Path:
    """Make the pairing key in the data directory; refuses to replace one (a controller
    already paired would be locked out). Returns the file's path."""
    path = data / PAIRING_FILE
    if path.exists():
        raise FileExistsError(f"{path}: the enclosure controller is already paired")
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private_file(path, os.urandom(PAIRING_KEY_BYTES))
    return path
