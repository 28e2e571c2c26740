"""The terminal's identity, made at provisioning: its id, its own Ed25519 key, and the
commission key it trusts.

Provisioning happens once, in the commission's workshop, before any election package
exists: the terminal makes its keys itself (the private halves never leave it): an Ed25519
key it signs with and an X25519 key the package seals the precinct's secrets to. It
exports both public keys for registration, and pins the commission's public key so that
only packages signed by that commission are ever accepted.

The private keys are written only sealed under the board's device key
(trust/sealed_store.py): the data card alone signs nothing and opens nothing. A card that
holds a private key in clear (PEM) is refused, never used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
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
from terminal.trust.sealed_store import DeviceSealer, Purpose, SealedError
from terminal.trust.signing import SignatureError, SigningKey, VerifyKey

# The raw 32-byte private keys, each sealed under its own wrapping key.
KEY_FILE = "terminal.key.sealed"
PUBLIC_FILE = "terminal.pub.pem"
# The X25519 key the package seals the precinct's keys to (the register, ballot codes).
ENCRYPTION_KEY_FILE = "terminal.enc.key.sealed"
ENCRYPTION_PUBLIC_FILE = "terminal.enc.pub.pem"
COMMISSION_FILE = "commission.pub.pem"
ID_FILE = "terminal.json"
# What earlier versions wrote in clear: a card holding one is refused, since anyone who
# read the card may hold that key.
CLEAR_KEY_FILES = ("terminal.key.pem", "terminal.enc.key.pem")


class NotProvisioned(Exception):
    """The data directory has no complete, valid terminal identity."""


@dataclass(frozen=True)
class Identity:
    terminal_id: str
    key: SigningKey
    commission: VerifyKey
    decryption: X25519PrivateKey = field(repr=False)
    # Seals what the terminal keeps secret on its card (the voter marks).
    device: DeviceSealer = field(repr=False)


def encryption_public_pem(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def load_encryption_public(pem: bytes, source: str) -> bytes:
    """A terminal's raw X25519 public key from its PEM file (for registration)."""
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, X25519PublicKey):
        raise ValueError(f"{source}: not an X25519 public key")
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _raw(key: Ed25519PrivateKey | X25519PrivateKey) -> bytes:
    return key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def provision(
    data: Path, terminal_id: str, commission_pem: bytes, device: DeviceSealer
) -> VerifyKey:
    """Make the terminal's keys, sealed under the device key, and pin the commission key;
    returns the public key to register."""
    check_id(terminal_id, "terminal id")
    for name in (KEY_FILE, *CLEAR_KEY_FILES):
        if (data / name).exists():
            raise FileExistsError(f"{data / name}: this terminal is already provisioned")
    commission = VerifyKey.from_pem(commission_pem, "commission key")
    key = SigningKey.generate()
    decryption = X25519PrivateKey.generate()
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    device.write(data / ENCRYPTION_KEY_FILE, Purpose.ENCRYPTION_KEY, _raw(decryption))
    write_private_file(data / ENCRYPTION_PUBLIC_FILE, encryption_public_pem(decryption))
    write_private_file(data / PUBLIC_FILE, key.public.pem())
    write_private_file(data / COMMISSION_FILE, commission.pem())
    write_private_file(data / ID_FILE, canonical_json({"terminal": terminal_id}))
    # Last: its presence is what makes the terminal provisioned.
    device.write(data / KEY_FILE, Purpose.SIGNING_KEY, _raw(key.private))
    return key.public


def load_identity(data: Path, device: DeviceSealer) -> Identity:
    """The terminal's identity from its data dir, its private keys opened with the device
    key. Raises NotProvisioned saying what is missing or does not open."""
    clear = [name for name in CLEAR_KEY_FILES if (data / name).exists()]
    if clear:
        raise NotProvisioned(
            f"{data / clear[0]}: a private key in clear on the data card; it is refused, "
            "since whoever read the card may hold it: provision the terminal anew"
        )
    try:
        terminal_id = load_object((data / ID_FILE).read_bytes(), str(data / ID_FILE)).str(
            "terminal"
        )
        signing = Ed25519PrivateKey.from_private_bytes(
            device.read(data / KEY_FILE, Purpose.SIGNING_KEY)
        )
        decryption = X25519PrivateKey.from_private_bytes(
            device.read(data / ENCRYPTION_KEY_FILE, Purpose.ENCRYPTION_KEY)
        )
        key = SigningKey(signing)
        if VerifyKey.load(data / PUBLIC_FILE).raw() != key.public.raw():
            raise ValueError(f"{data / PUBLIC_FILE}: not the public half of the sealed key")
        return Identity(
            terminal_id, key, VerifyKey.load(data / COMMISSION_FILE), decryption, device
        )
    except SealedError as exc:
        raise NotProvisioned(f"{data}: the terminal's keys do not open ({exc})") from exc
    except (OSError, FormatError, SignatureError, ValueError) as exc:
        raise NotProvisioned(f"{data}: terminal not provisioned ({exc})") from exc
