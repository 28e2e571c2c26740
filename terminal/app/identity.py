"""The terminal's identity, made at provisioning: its id, its own Ed25519 key, and the
commission key it trusts.

Provisioning happens once, in the commission's workshop, before any election package
exists: the terminal makes its key itself (the private half never leaves it), prints or
exports its public key for registration, and pins the commission's public key so that
only packages signed by that commission are ever accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from terminal.ballot.election import check_id
from terminal.jsonfmt import FormatError, canonical_json, load_object
from terminal.trust.files import write_private_file
from terminal.trust.signing import SignatureError, SigningKey, VerifyKey

KEY_FILE = "terminal.key.pem"
PUBLIC_FILE = "terminal.pub.pem"
COMMISSION_FILE = "commission.pub.pem"
ID_FILE = "terminal.json"


class NotProvisioned(Exception):
    """The data directory has no complete, valid terminal identity."""


@dataclass(frozen=True)
class Identity:
    terminal_id: str
    key: SigningKey
    commission: VerifyKey


def provision(data: Path, terminal_id: str, commission_pem: bytes) -> VerifyKey:
    """Make the terminal's key and pin the commission key; returns the public key to register."""
    check_id(terminal_id, "terminal id")
    if (data / KEY_FILE).exists():
        raise FileExistsError(f"{data / KEY_FILE}: this terminal is already provisioned")
    commission = VerifyKey.from_pem(commission_pem, "commission key")
    key = SigningKey.generate()
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    key.save(data / KEY_FILE)
    write_private_file(data / PUBLIC_FILE, key.public.pem())
    write_private_file(data / COMMISSION_FILE, commission.pem())
    write_private_file(data / ID_FILE, canonical_json({"terminal": terminal_id}))
    return key.public


def load_identity(data: Path) -> Identity:
    try:
        terminal_id = load_object((data / ID_FILE).read_bytes(), str(data / ID_FILE)).str(
            "terminal"
        )
        return Identity(
            terminal_id, SigningKey.load(data / KEY_FILE), VerifyKey.load(data / COMMISSION_FILE)
        )
    except (OSError, FormatError, SignatureError, ValueError) as exc:
        raise NotProvisioned(f"{data}: terminal not provisioned ({exc})") from exc
