"""A verifiable ballot's tracking code: what the voter's receipt shows and the results list.

    tracking code = base32(first 20 bytes of SHA-256(EncryptedBallot.encode())), RFC 4648
                    alphabet, no padding: 32 characters (160 bits), printed and listed in
                    8 groups of 4 joined by "-"

The hash is over the encrypted ballot's body (every ciphertext and proof, the bytes
between a format-2 record's header and its signature), so anyone holding the bundle can
recompute every code; it carries no choice, time, order or voter. 160 bits keep a forged
ballot with a chosen code out of reach (a second preimage of 2^160 work), above the 128
the issue asks.
"""

from __future__ import annotations

import base64
import hashlib
import re

CODE_BYTES = 20
GROUP = 4
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32: the letters a code uses
_SHAPE = re.compile(r"^[A-Z2-7]{4}(-[A-Z2-7]{4}){7}$")


class TrackingCodeError(ValueError):
    """Text that is not a tracking code as printed on a receipt."""


def tracking_code(body: bytes) -> str:
    """The tracking code of an encrypted ballot's body (see the module docstring)."""
    digest = hashlib.sha256(body).digest()[:CODE_BYTES]
    text = base64.b32encode(digest).decode("ascii")  # 20 bytes: 32 characters, no padding
    return "-".join(text[i : i + GROUP] for i in range(0, len(text), GROUP))


def parse(text: str) -> str:
    """A code typed by a voter (any case, with or without dashes or spaces), normalised to
    its printed form; TrackingCodeError when it cannot be one."""
    bare = re.sub(r"[\s-]", "", text).upper()
    grouped = "-".join(bare[i : i + GROUP] for i in range(0, len(bare), GROUP))
    if not _SHAPE.match(grouped):
        raise TrackingCodeError("a tracking code is 32 letters A-Z and digits 2-7")
    return grouped
