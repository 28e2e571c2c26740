"""Secrets kept on the data card, sealed under the board's device key (hal/device_key.py).

The card and its mirror can be removed and read in any PC, so nothing on them may sign,
open the register, mint a ballot code or tell who voted. Each purpose has its own wrapping
key, derived from the device key with HKDF-SHA256 and a label naming the purpose, so that
one key never serves two formats; each sealed thing is ChaCha20-Poly1305 under that key,
with the purpose and the file's name as associated data, so a sealed file renamed into
another's place does not open either.

    sealed file = MAGIC (8) || nonce (12) || ciphertext || tag (16)

Nonces are random: a wrapping key seals a handful of key files and, for the voter marks,
one page per mark set (some thousands in a day), far below the 2^32 messages at which
random 96-bit nonces start to matter.

The precinct's register key and code key are never written to the card: they come from the
signed package, sealed to the terminal's X25519 key, which is itself sealed here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from terminal.hal.device_key import KEY_SIZE
from terminal.trust.files import write_private_file

MAGIC = b"TAMGA-S1"
NONCE_SIZE = 12
TAG_SIZE = 16
OVERHEAD = len(MAGIC) + NONCE_SIZE + TAG_SIZE
# HKDF's salt: fixed, public, and this format's own, so that the wrapping keys are Tamga's
# alone even if the same OTP key served another program on the board.
_SALT = b"tamga device key wrapping/1"


class Purpose(Enum):
    """What a wrapping key seals; the value is its HKDF label."""

    SIGNING_KEY = "tamga-wrap/1 terminal signing key"
    ENCRYPTION_KEY = "tamga-wrap/1 terminal encryption key"
    VOTER_MARKS = "tamga-wrap/1 voter marks"
    # The key shared with the enclosure controller (app/enclosure_pairing.py).
    ENCLOSURE_PAIRING = "tamga-wrap/1 enclosure pairing key"
    # The LUKS2 key of the data partition (docs/raspberry-pi.md), given to cryptsetup.
    DATA_PARTITION = "tamga-wrap/1 data partition luks2 key"


class SealedError(Exception):
    """A sealed file does not open: the card is from another device, was altered, or the
    device key is not this board's. The message names the file, never a key."""


@dataclass(frozen=True)
class DeviceSealer:
    """Seals and opens the card's secrets under keys derived from one device key."""

    device_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.device_key) != KEY_SIZE:
            raise ValueError(f"a device key is {KEY_SIZE} bytes")

    def wrapping_key(self, purpose: Purpose) -> bytes:
        """The 32-byte key for one purpose: HKDF-SHA256 of the device key, labelled."""
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.value.encode()
        ).derive(self.device_key)

    def aead(self, purpose: Purpose) -> ChaCha20Poly1305:
        return ChaCha20Poly1305(self.wrapping_key(purpose))

    def seal(self, purpose: Purpose, name: str, plaintext: bytes) -> bytes:
        """`plaintext` sealed for `purpose`, bound to the file name `name`."""
        nonce = os.urandom(NONCE_SIZE)
        aad = MAGIC + purpose.value.encode() + b"\0" + name.encode()
        return MAGIC + nonce + self.aead(purpose).encrypt(nonce, plaintext, aad)

    def open(self, purpose: Purpose, name: str, sealed: bytes) -> bytes:
        """The plaintext of a sealed file; raises SealedError naming `name`."""
        if len(sealed) < OVERHEAD or not sealed.startswith(MAGIC):
            raise SealedError(f"{name}: not a sealed file (damaged, or written by other software)")
        nonce = sealed[len(MAGIC) : len(MAGIC) + NONCE_SIZE]
        aad = MAGIC + purpose.value.encode() + b"\0" + name.encode()
        try:
            return self.aead(purpose).decrypt(nonce, sealed[len(MAGIC) + NONCE_SIZE :], aad)
        except InvalidTag as exc:
            raise SealedError(
                f"{name}: does not open with this board's device key (a card from another "
                "terminal, another device key, or an altered file)"
            ) from exc

    def write(self, path: Path, purpose: Purpose, plaintext: bytes) -> None:
        """Write a sealed file durably, mode 0600."""
        write_private_file(path, self.seal(purpose, path.name, plaintext))

    def read(self, path: Path, purpose: Purpose) -> bytes:
        """Open a sealed file; raises SealedError (or OSError when it is not there)."""
        return self.open(purpose, path.name, path.read_bytes())
