"""One-time ballot codes: what the identification desk prints on a voter's coupon and the
voting booth accepts once.

    TAMGA-BC:2:<election>:<precinct>:<booth>:<minute>:<nonce>:<tag>

The nonce is 80 random bits; the tag is HMAC-SHA256 under the precinct's code key (only
that precinct's terminals hold it, from the package) over everything before it, cut to 80
bits; <booth> is the terminal id of the one booth the desk sent the voter to, inside the
tag, so that a coupon used at one booth cannot be used again at another: the booths never
talk to each other, and each remembers only its own used codes. <minute> is the issue time
in whole minutes since 1970, needed to enforce the election's time limit. Nothing in the
code is about the voter.

Desk and booth log each code as the SHA-256 of its text (hex): the host checks the codes
used at each booth against those the desk issued to it (terminal/tally/code_ledger.py),
and anyone holding a coupon can find it with `printf %s CODE | sha256sum`.

The voting terminal remembers used codes in a position-addressed table: an entry's slot
follows from a hash of its nonce, so the table says which codes were used, never in which
order. An entry is 12 bytes of that hash and their CRC-32, so that a damaged entry (a
garbled page, a flipped bit) is found at start-up instead of silently freeing a used code:
the terminal then sets the valid entries against the event log (terminal/app/polls.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import zlib
from dataclasses import dataclass
from enum import Enum

from terminal.hal.storage import Storage
from terminal.invariants import InvariantError

PREFIX = "TAMGA-BC:2"
FIELDS = 8
NONCE_BYTES = 10
TAG_BYTES = 10
FILE_NAME = "codes.bin"
ENTRY = 16  # DIGEST bytes of the nonce's SHA-256, then their CRC-32
DIGEST = 12


class CodeProblem(Enum):
    """Why a scanned code was refused; each has its own screen and log reason."""

    NOT_A_CODE = "not_a_code"
    OTHER_PRECINCT = "other_precinct"
    FORGED = "forged"
    OTHER_BOOTH = "other_booth"
    EXPIRED = "expired"
    USED = "used"


@dataclass(frozen=True)
class BallotCode:
    election: str
    precinct: str
    booth: str  # the terminal id of the booth that may take it
    minute: int
    nonce: bytes

    def _body(self) -> str:
        nonce = base64.b32encode(self.nonce).decode()
        return f"{PREFIX}:{self.election}:{self.precinct}:{self.booth}:{self.minute}:{nonce}"

    def payload(self, code_key: bytes) -> str:
        tag = hmac.new(code_key, self._body().encode(), hashlib.sha256).digest()[:TAG_BYTES]
        return f"{self._body()}:{base64.b32encode(tag).decode()}"


def new_code(election: str, precinct: str, booth: str, minute: int) -> BallotCode:
    return BallotCode(election, precinct, booth, minute, secrets.token_bytes(NONCE_BYTES))


def code_hash(payload: str) -> str:
    """How the logs name a code: the hex SHA-256 of its text as printed."""
    return hashlib.sha256(payload.strip().encode()).hexdigest()


def check_code(
    payload: str,
    election: str,
    precinct: str,
    booth: str,
    code_key: bytes,
    minute: int,
    limit: int,
) -> BallotCode | CodeProblem:
    """The code in a scan if it is this precinct's, authentic, for this booth and within
    its time limit. A genuine code for another booth is OTHER_BOOTH (named_booth says
    which); a code whose tag fails is FORGED whatever booth it names."""
    parts = payload.strip().split(":")
    if len(parts) != FIELDS or ":".join(parts[:2]) != PREFIX:
        return CodeProblem.NOT_A_CODE
    try:
        issued = int(parts[5])
        nonce = base64.b32decode(parts[6], casefold=False)
        tag = base64.b32decode(parts[7], casefold=False)
    except (ValueError, binascii.Error):
        return CodeProblem.NOT_A_CODE
    if len(nonce) != NONCE_BYTES or len(tag) != TAG_BYTES or str(issued) != parts[5]:
        return CodeProblem.NOT_A_CODE
    if (parts[2], parts[3]) != (election, precinct):
        return CodeProblem.OTHER_PRECINCT
    code = BallotCode(parts[2], parts[3], parts[4], issued, nonce)
    if not hmac.compare_digest(code.payload(code_key), payload.strip()):
        return CodeProblem.FORGED
    if code.booth != booth:
        return CodeProblem.OTHER_BOOTH
    if not 0 <= minute - issued <= limit:
        return CodeProblem.EXPIRED
    return code


def named_booth(payload: str) -> str:
    """The booth a code names; only meaningful once check_code found it genuine."""
    return payload.strip().split(":")[4]


class CodesError(Exception):
    """The used-codes file does not fit the precinct (altered or from another package)."""


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
            raise CodesError(f"{FILE_NAME} holds {len(data)} bytes, expected {slots * ENTRY}")
        self._table = bytearray(data)
        self.slots = slots
        empty = bytes(ENTRY)
        written = [i for i in range(0, len(data), ENTRY) if data[i : i + ENTRY] != empty]
        # Byte offsets of entries that are neither empty nor valid: one cut short by a power
        # cut (its code's ballot was never shown), or damage; the caller tells which.
        self.suspects = [i for i in written if not _checked(data[i : i + ENTRY])]
        self._valid = len(written) - len(self.suspects)

    @staticmethod
    def _entry(code: BallotCode) -> bytes:
        digest = hashlib.sha256(code.nonce).digest()[:DIGEST]
        return digest + zlib.crc32(digest).to_bytes(4, "big")

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
        if found:
            raise InvariantError("invariant broken: not found")
        self.storage.pwrite(FILE_NAME, slot * ENTRY, entry)
        self.storage.sync(FILE_NAME)
        self._table[slot * ENTRY : (slot + 1) * ENTRY] = entry
        self._valid += 1

    def clear(self, offset: int) -> None:
        """Empty a suspect entry durably: one the caller has proven was cut short."""
        if offset not in self.suspects:
            raise InvariantError("invariant broken: offset in self.suspects")
        self.storage.pwrite(FILE_NAME, offset, bytes(ENTRY))
        self.storage.sync(FILE_NAME)
        self._table[offset : offset + ENTRY] = bytes(ENTRY)
        self.suspects.remove(offset)

    @property
    def count(self) -> int:
        """How many codes are recorded as used (valid entries)."""
        return self._valid


def _checked(entry: bytes) -> bool:
    return zlib.crc32(entry[:DIGEST]).to_bytes(4, "big") == entry[DIGEST:]
