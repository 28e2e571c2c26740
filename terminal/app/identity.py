"""The terminal's identity, made at provisioning: its id, its own Ed25519 key, and the
commission key it trusts.

Provisioning happens once, in the commission's workshop, before any election package
exists: the terminal makes its keys itself (the private halves never leave it): an Ed25519
key it signs with and an X25519 key the package seals the precinct's secrets to. It
exports both public keys for registration, and pins the commission's public key so that
only packages signed by that commission are ever accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from terminal.ballot.election import check_id
from terminal.jsonfmt import FormatError, canonical_json, load_object
from terminal.trust.files import write_private_file
from terminal.trust.signing import SignatureError, SigningKey, VerifyKey

KEY_FILE = "terminal.key.pem"
PUBLIC_FILE = "terminal.pub.pem"
# The X25519 key the package seals the precinct's keys to (the register, ballot codes).
ENCRYPTION_KEY_FILE = "terminal.enc.key.pem"
ENCRYPTION_PUBLIC_FILE = "terminal.enc.pub.pem"
COMMISSION_FILE = "commission.pub.pem"
ID_FILE = "terminal.json"


class NotProvisioned(Exception):
    """The data directory has no complete, valid terminal identity."""


@dataclass(frozen=True)
class Identity:
    terminal_id: str
    key: SigningKey
    commission: VerifyKey
    decryption: X25519PrivateKey = field(repr=False)


def encryption_public_pem(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def load_encryption_public(pem: bytes, source: str) -> bytes:
    """A terminal's raw X25519 public key from its PEM file (for registration)."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"{source}: not an X25519 public key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


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
    decryption = X25519PrivateKey.generate()
    write_private_file(
        data / ENCRYPTION_KEY_FILE,
        decryption.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
    )
    write_private_file(data / ENCRYPTION_PUBLIC_FILE, encryption_public_pem(decryption))
    write_private_file(data / COMMISSION_FILE, commission.pem())
    write_private_file(data / ID_FILE, canonical_json({"terminal": terminal_id}))
    return key.public


def load_identity(data: Path) -> Identity:
    try:
        terminal_id = load_object((data / ID_FILE).read_bytes(), str(data / ID_FILE)).str(
            "terminal"
        )
        decryption = serialization.load_pem_private_key(
            (data / ENCRYPTION_KEY_FILE).read_bytes(), password=None
        )
        if not isinstance(decryption, X25519PrivateKey):
            raise ValueError(f"{data / ENCRYPTION_KEY_FILE}: not an X25519 private key")
        return Identity(
            terminal_id,
            SigningKey.load(data / KEY_FILE),
            VerifyKey.load(data / COMMISSION_FILE),
            decryption,
        )
    except (OSError, FormatError, SignatureError, ValueError) as exc:
        raise NotProvisioned(f"{data}: terminal not provisioned ({exc})") from exc
