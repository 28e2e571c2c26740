"""The sealed ballot box: a pre-allocated file of 4 KiB slots, each written once.

A cast ballot goes to a slot chosen with a CSPRNG among the empty ones, so the position of
a ballot says nothing about when it was cast; nothing records which slot was written when.
Each slot is one 4 KiB-aligned page, so a torn write can damage only its own slot. The
write is fsync'd before the voter is told the ballot is cast. A slot that is neither empty
nor a valid signed record was torn by a power cut (or tampered with), and a second copy of
a record is tampering: such slots are never reused and never counted, and their count is
reported.

    slot = "SLOT" || u16 record length || record || zero padding to 4096 bytes
"""

from __future__ import annotations

import hashlib
import operator
import secrets
import struct
from dataclasses import dataclass, field

from terminal.hal.storage import Storage
from terminal.jsonfmt import Fields, FormatError, canonical_json, load_object
from terminal.tally.sealing import FORMAT_1, RecordFormat, SealError, check_record
from terminal.trust.signing import VerifyKey

SLOT_SIZE = 4096
SLOT_MAGIC = b"SLOT"
FILE_NAME = "ballots.slots"
EMPTY_SLOT = bytes(SLOT_SIZE)


class BallotBoxFull(Exception):
    """No empty slot is left: the election package gave too few slots for this precinct."""


def encode_slot(record: bytes) -> bytes:
    body = SLOT_MAGIC + struct.pack(">H", len(record)) + record
    return body + bytes(SLOT_SIZE - len(body))


def decode_slot(page: bytes, signer: VerifyKey, shape: RecordFormat = FORMAT_1) -> bytes | None:
    """The record in a slot page, None if empty; SealError if torn or tampered."""
    if page == EMPTY_SLOT:
        return None
    if page[:4] != SLOT_MAGIC:
        raise SealError("slot does not start with SLOT")
    (length,) = struct.unpack(">H", page[4:6])
    if length != shape.size or any(page[6 + length :]):
        raise SealError("slot length or padding is wrong")
    record = page[6 : 6 + length]
    check_record(record, signer, shape)
    return record


@dataclass
class BallotBox:
    """The terminal's ballot box, as found on storage at start-up."""

    storage: Storage
    signer: VerifyKey
    slots: int
    shape: RecordFormat = FORMAT_1  # the election's ballot record format
    filled: set[int] = field(default_factory=set)
    damaged: set[int] = field(default_factory=set)
    _free: list[int] | None = field(default=None, repr=False)  # the empty slots, made once

    @classmethod
    def create(
        cls, storage: Storage, signer: VerifyKey, slots: int, shape: RecordFormat = FORMAT_1
    ) -> BallotBox:
        """A new, empty box. An existing file may only be an empty box (a cut during setup):
        a box holding anything is never taken for a new one, nor written over."""
        if storage.exists(FILE_NAME):
            data = storage.read(FILE_NAME)
            used = sum(1 for i in range(0, len(data), SLOT_SIZE) if any(data[i : i + SLOT_SIZE]))
            if used:
                raise SealError(f"{FILE_NAME}: {used} slots are not empty; no new box over them")
        storage.create(FILE_NAME, slots * SLOT_SIZE)
        return cls(storage, signer, slots, shape)

    @classmethod
    def open(cls, storage: Storage, signer: VerifyKey, shape: RecordFormat = FORMAT_1) -> BallotBox:
        """Read every slot; valid ones are filled, torn or altered ones are set aside."""
        data = storage.read(FILE_NAME)
        if len(data) % SLOT_SIZE:
            raise SealError(f"{FILE_NAME}: size {len(data)} is not a whole number of slots")
        box = cls(storage, signer, len(data) // SLOT_SIZE, shape)
        seen: set[bytes] = set()
        for slot in range(box.slots):
            page = data[slot * SLOT_SIZE : (slot + 1) * SLOT_SIZE]
            try:
                record = decode_slot(page, signer, shape)
            except SealError:
                box.damaged.add(slot)
                continue
            if record is None:
                continue
            if record in seen:
                # Every honest record differs (a fresh ephemeral key each): a copy of one is
                # tampering, set aside like a damaged slot and never counted.
                box.damaged.add(slot)
            else:
                seen.add(record)
                box.filled.add(slot)
        return box

    @property
    def count(self) -> int:
        return len(self.filled)

    def cast(self, record: bytes) -> None:
        """Store a sealed record durably in a random empty slot. Returns only once fsync'd."""
        if self._free is None:
            self._free = [
                s for s in range(self.slots) if s not in self.filled and s not in self.damaged
            ]
        if not self._free:
            raise BallotBoxFull("the ballot box has no empty slot left")
        # A CSPRNG choice among the empty slots: uniform, whatever the order of casting.
        index = secrets.randbelow(len(self._free))
        slot = self._free[index]
        self.storage.pwrite(FILE_NAME, slot * SLOT_SIZE, encode_slot(record))
        self.storage.sync(FILE_NAME)
        # Only now is the slot taken: a failed write leaves it free (and empty or torn, which
        # the next start-up sees), the order of the list says nothing about the casting.
        self._free[index] = self._free[-1]
        self._free.pop()
        self.filled.add(slot)

    def records(self) -> list[bytes]:
        """The filled records, sorted by their bytes: the order of slots is not exported."""
        data = self.storage.read(FILE_NAME)
        found = []
        for slot in self.filled:
            page = data[slot * SLOT_SIZE : (slot + 1) * SLOT_SIZE]
            record = decode_slot(page, self.signer, self.shape)
            if record is not None:
                found.append(record)
        return sorted(found)


COMMITMENT_FORMAT = "tamga-ballot-commitment/1"


@dataclass(frozen=True)
class Commitment:
    """What the terminal signs about the exported ballots: how many, and their hash."""

    election: str
    precinct: str
    terminal: str
    count: int
    record_size: int
    sha256: str

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "format": COMMITMENT_FORMAT,
                "election": self.election,
                "precinct": self.precinct,
                "terminal": self.terminal,
                "count": self.count,
                "record_size": self.record_size,
                "sha256": self.sha256,
            }
        )

    @classmethod
    def from_json(cls, data: bytes, source: str) -> Commitment:
        f: Fields = load_object(data, source)
        if f.str("format") != COMMITMENT_FORMAT:
            raise FormatError(f"{source}: format must be {COMMITMENT_FORMAT!r}")
        return cls(
            f.str("election"),
            f.str("precinct"),
            f.str("terminal"),
            f.int("count"),
            f.int("record_size", 1),
            f.hex("sha256", 32).hex(),
        )


def compact(records: list[bytes]) -> bytes:
    """The exported ballot file: records sorted by their bytes and concatenated."""
    return b"".join(sorted(records))


def commit(
    election: str, precinct: str, terminal: str, exported: bytes, size: int = FORMAT_1.size
) -> Commitment:
    return Commitment(
        election,
        precinct,
        terminal,
        len(exported) // size,
        size,
        hashlib.sha256(exported).hexdigest(),
    )


def split_records(exported: bytes, source: str, size: int = FORMAT_1.size) -> list[bytes]:
    """Split an exported ballot file of records of `size` bytes; it must be whole records,
    strictly ascending (no copies)."""
    if len(exported) % size:
        raise FormatError(f"{source}: size {len(exported)} is not a whole number of records")
    # C-level maps: the host reads millions of records.
    starts = range(0, len(exported), size)
    ends = range(size, len(exported) + 1, size)  # whole records: as many
    records = list(map(exported.__getitem__, map(slice, starts, ends)))
    ascending = list(map(operator.lt, records, records[1:]))
    if not all(ascending):
        raise FormatError(
            f"{source}: record {ascending.index(False) + 1} is out of order or a copy"
        )
    return records
