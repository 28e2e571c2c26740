"""The precinct chair's credential: a chair card (something held) plus a PIN (something known).

The card's QR code carries a random 128-bit secret; the PIN is six digits given to the
chair separately. The terminal checks scrypt(secret, PIN) against a verifier that the
election package carries only sealed to each of the precinct's registered terminals (with
the precinct's other keys, terminal/ballot/package.py), never in clear: a photographed card
plus the public package give nothing to guess the PIN against offline. See
docs/chair-credential.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass, field

CARD_PREFIX = "TAMGA-CHAIR:1"
PIN_DIGITS = 6
# scrypt cost: ~50 ms on a desktop core, well under a second on a Raspberry Pi 4.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_VERIFIER = struct.Struct(">16s32sIII")
VERIFIER_SIZE = _VERIFIER.size


class VerifierError(ValueError):
    """The sealed verifier bytes are not a usable scrypt verifier."""


@dataclass(frozen=True)
class ChairVerifier:
    """What the terminal needs to check the chair's card and PIN: scrypt parameters, salt and
    digest. Whoever holds it can search the PIN offline given a photo of the card, so it only
    ever travels sealed to the precinct's terminals."""

    salt: bytes = field(repr=False)
    digest: bytes = field(repr=False)
    n: int
    r: int
    p: int

    def to_bytes(self) -> bytes:
        """The fixed-length form sealed inside the election package."""
        return _VERIFIER.pack(self.salt, self.digest, self.n, self.r, self.p)

    @classmethod
    def from_bytes(cls, data: bytes) -> ChairVerifier:
        """Read the fixed-length form; parameters outside what scrypt accepts are refused."""
        if len(data) != VERIFIER_SIZE:
            raise VerifierError(f"chair verifier must be {VERIFIER_SIZE} bytes, got {len(data)}")
        salt, digest, n, r, p = _VERIFIER.unpack(data)
        # n a power of two; memory (128 n r bytes) within hashlib's default 32 MiB and p small,
        # so a check can neither fail for memory nor take minutes.
        if not (n >= 2 and n & (n - 1) == 0 and r >= 1 and n * r <= 2**18 and 1 <= p <= 4):
            raise VerifierError("chair verifier has unusable scrypt parameters")
        return cls(salt, digest, n, r, p)


@dataclass(frozen=True)
class ChairCard:
    election: str
    precinct: str
    secret: bytes

    def payload(self) -> str:
        token = base64.urlsafe_b64encode(self.secret).decode().rstrip("=")
        return f"{CARD_PREFIX}:{self.election}:{self.precinct}:{token}"


def parse_card(payload: str) -> ChairCard | None:
    """The chair card in a scan, or None when the scan is not a chair card."""
    parts = payload.strip().split(":")
    if len(parts) != 5 or ":".join(parts[:2]) != CARD_PREFIX:
        return None
    token = parts[4]
    try:
        secret = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(secret) != 16:
        return None
    return ChairCard(parts[2], parts[3], secret)


def _digest(secret: bytes, pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret + b":" + pin.encode("ascii"), salt=salt, n=n, r=r, p=p, dklen=32)


def issue(election: str, precinct: str) -> tuple[ChairCard, str, ChairVerifier]:
    """A new chair card, its PIN, and the verifier that goes into the package."""
    card = ChairCard(election, precinct, secrets.token_bytes(16))
    pin = "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS))
    salt = secrets.token_bytes(16)
    digest = _digest(card.secret, pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return card, pin, ChairVerifier(salt, digest, SCRYPT_N, SCRYPT_R, SCRYPT_P)


def check(card: ChairCard, pin: str, verifier: ChairVerifier) -> bool:
    """True when the card and PIN match the verifier (constant-time comparison)."""
    if len(pin) != PIN_DIGITS or not pin.isdigit() or not pin.isascii():
        return False
    digest = _digest(card.secret, pin, verifier.salt, verifier.n, verifier.r, verifier.p)
    return hmac.compare_digest(digest, verifier.digest)
