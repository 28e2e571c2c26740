"""The precinct chair's credential: a chair card (something held) plus a PIN (something known).

The card's QR code carries a random 128-bit secret; the PIN is six digits given to the
chair separately. The election package stores only scrypt(secret, PIN): the card alone or
the PIN alone opens nothing, and a stolen package gives nothing to guess against without
the card. See docs/chair-credential.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from terminal.ballot.election import ChairVerifier

CARD_PREFIX = "TAMGA-CHAIR:1"
PIN_DIGITS = 6
# scrypt cost: ~50 ms on a desktop core, well under a second on a Raspberry Pi 4.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


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
