"""One-time ballot codes: what the identification desk prints on a voter's coupon and the
voting booth accepts once.

    TAMGA-BC:1:<election>:<precinct>:<minute>:<nonce>:<tag>

The nonce is 80 random bits; the tag is HMAC-SHA256 under the precinct's code key (only
that precinct's terminals hold it, from the package) over everything before it, cut to 80
bits; <minute> is the issue time in whole minutes since 1970, needed to enforce the
election's time limit. Nothing in the code is about the voter.

The voting terminal remembers used codes in a position-addressed table: an entry's slot
follows from a hash of its nonce, so the table says which codes were used, never in which
order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

from terminal.hal.storage import Storage

PREFIX = "TAMGA-BC:1"
NONCE_BYTES = 10
TAG_BYTES = 10
FILE_NAME = "codes.bin"
ENTRY = 16


class CodeProblem(Enum):
    """Why a scanned code was refused; each has its own screen and log reason."""

    NOT_A_CODE = "not_a_code"
    OTHER_PRECINCT = "other_precinct"
    FORGED = "forged"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class BallotCode:
    election: str
    precinct: str
    minute: int
    nonce: bytes

    def _body(self) -> str:
        nonce = base64.b32encode(self.nonce).decode()
        return f"{PREFIX}:{self.election}:{self.precinct}:{self.minute}:{nonce}"

    def payload(self, code_key: bytes) -> str:
        tag = hmac.new(code_key, self._body().encode(), hashlib.sha256).digest()[:TAG_BYTES]
        return f"{self._body()}:{base64.b32encode(tag).decode()}"


def new_code(election: str, precinct: str, minute: int) -> BallotCode:
    return BallotCode(election, precinct, minute, secrets.token_bytes(NONCE_BYTES))


def check_code(
    payload: str, election: str, precinct: str, code_key: bytes, minute: int, limit: int
) -> BallotCode | CodeProblem:
    """The code in a scan if it is this precinct's, authentic and within its time limit."""
    parts = payload.strip().split(":")
    if len(parts) != 7 or ":".join(parts[:2]) != PREFIX:
        return CodeProblem.NOT_A_CODE
    try:
        issued = int(parts[4])
        nonce = base64.b32decode(parts[5], casefold=False)
        tag = base64.b32decode(parts[6], casefold=False)
    except (ValueError, binascii.Error):
        return CodeProblem.NOT_A_CODE
    if len(nonce) != NONCE_BYTES or len(tag) != TAG_BYTES or str(issued) != parts[4]:
        return CodeProblem.NOT_A_CODE
    if (parts[2], parts[3]) != (election, precinct):
        return CodeProblem.OTHER_PRECINCT
    code = BallotCode(parts[2], parts[3], issued, nonce)
    if not hmac.compare_digest(code.payload(code_key), payload.strip()):
        return CodeProblem.FORGED
    if not 0 <= minute - issued <= limit:
        return CodeProblem.EXPIRED
    return code


class UsedCodes:
    """The voting terminal's durable set of used codes (open addressing, 16-byte entries)."""

    def __init__(self, storage: Storage, capacity: int) -> None:
        self.storage = storage
        # A power of two at least twice the precinct keeps probe sequences short.
        slots = 1
        while slots < 2 * capacity + 16:
            slots *= 2
        if not storage.exists(FILE_NAME):
            storage.create(FILE_NAME, slots * ENTRY)
        data = storage.read(FILE_NAME)
        if len(data) != slots * ENTRY:
            raise ValueError(f"{FILE_NAME} holds {len(data)} bytes, expected {slots * ENTRY}")
        self._table = bytearray(data)
        self.slots = slots

    @staticmethod
    def _entry(code: BallotCode) -> bytes:
        return hashlib.sha256(code.nonce).digest()[:ENTRY]

    def _find(self, entry: bytes) -> tuple[int, bool]:
        """The slot holding `entry`, or the empty slot where it belongs; and whether found."""
        slot = int.from_bytes(entry[:8], "big") % self.slots
        for _ in range(self.slots):
            held = bytes(self._table[slot * ENTRY : (slot + 1) * ENTRY])
            if held == entry:
                return slot, True
            if held == bytes(ENTRY):
                return slot, False
            slot = (slot + 1) % self.slots
        raise RuntimeError(f"{FILE_NAME} is full")

    def used(self, code: BallotCode) -> bool:
        return self._find(self._entry(code))[1]

    def use(self, code: BallotCode) -> None:
        """Record a code as used, durably (fsync), before its ballot is shown."""
        entry = self._entry(code)
        slot, found = self._find(entry)
        assert not found
        self.storage.pwrite(FILE_NAME, slot * ENTRY, entry)
        self.storage.sync(FILE_NAME)
        self._table[slot * ENTRY : (slot + 1) * ENTRY] = entry

    @property
    def count(self) -> int:
        empty = bytes(ENTRY)
        return sum(
            1 for i in range(self.slots) if self._table[i * ENTRY : (i + 1) * ENTRY] != empty
        )
