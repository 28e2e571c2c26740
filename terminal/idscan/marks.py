"""Voter marks: "this voter has received a ballot", one byte per register entry, sealed.

Marks are position-addressed (byte i is register entry i), never appended, so they carry no
order: they tell who received a ballot, never in which sequence. A mark is set (and
fsync'd) before the ballot is shown and never cleared. A ballot proven not cast (a crash
before it was stored) is recorded as void in the event log and lets the poll worker
re-issue one ballot to a marked voter: that fails safe (no voter gets two ballots counted)
while no voter identity is ever written next to a time or a ballot.

Whoever holds the card must not learn who voted, so the marks are sealed under the device
key's voter-marks wrapping key (trust/sealed_store.py), as a whole: each mark re-seals
every byte with a fresh nonce, so two images of the card taken at different times do not
show which entry changed either. The file holds two copies, each starting on a 4 KiB page
and padded to whole pages, so a torn write damages only the copy being written:

    copy = MAGIC (8) || voters (4) || generation (8) || nonce (12) || sealed marks || tag (16)

(integers big-endian). Generation g lives in copy g % 2 (generation 1, the first mark, in
copy 1); its associated data names the file, the generation and the register's size. A
copy 0 of zeros is generation 0 (nothing marked), which is what the file holds when made.
At start the valid copy with the higher generation holds the marks; the other must be the
one before it. So:
- a power cut while a copy is written leaves that copy torn and the other one as it was
  before the mark: the mark being set is lost before anything was logged or shown, which
  recover() already reads as a voter never given a ballot;
- a damaged older copy costs nothing (the next mark rewrites it); a damaged current copy
  falls back to the one before, one mark fewer than the log's first issues, which
  polls.recover() reports (InconsistentStores): a mark is never silently lost;
- no byte flipped or written without the device key can set or clear a mark.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag

from terminal.hal.storage import Storage
from terminal.trust.sealed_store import DeviceSealer, Purpose

FILE_NAME = "marks.sealed"
ISSUED = 1
PAGE = 4096
MAGIC = b"TAMGA-M1"
_HEADER = struct.Struct(">8sIQ12s")
_TAG = 16


class MarksError(Exception):
    """The marks file does not fit the register, or no copy of it opens (altered, from
    another package or another device)."""


def copy_used(voters: int) -> int:
    """Bytes of one copy that hold something: its header, its sealed marks and their tag."""
    return _HEADER.size + voters + _TAG


def copy_size(voters: int) -> int:
    """Bytes of one copy, padded to whole pages."""
    return -(-copy_used(voters) // PAGE) * PAGE


def _aad(voters: int, generation: int) -> bytes:
    return MAGIC + FILE_NAME.encode() + struct.pack(">IQ", voters, generation)


class VoterMarks:
    def __init__(self, storage: Storage, voters: int, sealer: DeviceSealer) -> None:
        self.storage = storage
        self.voters = voters
        self._aead = sealer.aead(Purpose.VOTER_MARKS)
        self._span = copy_size(voters)
        if not storage.exists(FILE_NAME):
            storage.create(FILE_NAME, 2 * self._span)
        data = storage.read(FILE_NAME)
        if len(data) != 2 * self._span:
            raise MarksError(
                f"{FILE_NAME} is {len(data)} bytes, {2 * self._span} for {voters} voters "
                "(cut short, or from another register)"
            )
        copies = [self._open(data[c * self._span : (c + 1) * self._span], c) for c in (0, 1)]
        valid = [c for c in copies if c is not None]
        if not valid:
            raise MarksError(
                f"{FILE_NAME}: neither copy opens with this board's device key (a card from "
                "another terminal, another device key, or both copies altered)"
            )
        generation, marks = max(valid)
        if len(valid) == 2 and abs(valid[0][0] - valid[1][0]) != 1:
            raise MarksError(
                f"{FILE_NAME}: copies of generations {valid[0][0]} and {valid[1][0]}, "
                "not one mark apart (an older copy put back)"
            )
        bad = next((i for i, b in enumerate(marks) if b not in (0, ISSUED)), None)
        if bad is not None:
            # Only software holding the device key writes a copy: this is a bug, not damage.
            raise MarksError(f"{FILE_NAME} entry {bad}: mark value {marks[bad]}, not 0 or 1")
        self.generation = generation
        self._marks = bytearray(marks)

    def _open(self, copy: bytes, index: int) -> tuple[int, bytes] | None:
        """(generation, marks) of a valid copy; None for a damaged one, or for copy 1
        before its first write."""
        if not any(copy):
            # Copy 0 of zeros is generation 0: the file as made, nothing marked.
            return (0, bytes(self.voters)) if index == 0 else None
        magic, voters, generation, nonce = _HEADER.unpack_from(copy)
        if magic != MAGIC or generation % 2 != index % 2 or generation == 0:
            return None
        opened = self._decrypt(copy, voters, generation, nonce)
        if opened is not None and voters != self.voters:
            # Whole and authentic, for another size of register: not damage.
            raise MarksError(
                f"{FILE_NAME} copy {index} holds marks for {voters} voters, the register has "
                f"{self.voters} (from another register)"
            )
        return None if opened is None else (generation, opened)

    def _decrypt(self, copy: bytes, voters: int, generation: int, nonce: bytes) -> bytes | None:
        """The marks of a copy for a register of `voters`, or None if it does not open (a
        torn or damaged copy, or one sealed under another device key)."""
        if copy_used(voters) > len(copy):
            return None
        sealed = copy[_HEADER.size : copy_used(voters)]
        try:
            return self._aead.decrypt(nonce, sealed, _aad(voters, generation))
        except InvalidTag:
            return None

    def issued(self, position: int) -> bool:
        return self._marks[position] == ISSUED

    def mark(self, position: int) -> None:
        """Set a voter's mark durably (fsync) before their ballot is shown."""
        if self._marks[position] == ISSUED:
            return
        marks = bytearray(self._marks)
        marks[position] = ISSUED
        generation = self.generation + 1
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, bytes(marks), _aad(self.voters, generation))
        copy = _HEADER.pack(MAGIC, self.voters, generation, nonce) + sealed
        self.storage.pwrite(FILE_NAME, (generation % 2) * self._span, copy)
        self.storage.sync(FILE_NAME)
        self.generation = generation
        self._marks = marks

    @property
    def count(self) -> int:
        return self._marks.count(ISSUED)
