"""Voter marks: "this voter has received a ballot", one byte per register entry.

Marks are position-addressed and overwritten in place, never appended, so the file
carries no order: it tells who received a ballot, never in which sequence.
A mark is set (and fsync'd) before the ballot is shown and never cleared. A ballot proven
not cast (a crash before it was stored) is recorded as void in the event log and lets the
poll worker re-issue one ballot to a marked voter: that fails safe (no voter gets two
ballots counted) while no voter identity is ever written next to a time or a ballot.
"""

from __future__ import annotations

from terminal.hal.storage import Storage

FILE_NAME = "marks.bin"
ISSUED = 1


class MarksError(Exception):
    """The marks file does not fit the register (altered or from another package)."""


class VoterMarks:
    def __init__(self, storage: Storage, voters: int) -> None:
        self.storage = storage
        if not storage.exists(FILE_NAME):
            storage.create(FILE_NAME, voters)
        data = storage.read(FILE_NAME)
        if len(data) != voters:
            raise MarksError(f"{FILE_NAME} holds {len(data)} marks for {voters} voters")
        bad = next((i for i, b in enumerate(data) if b not in (0, ISSUED)), None)
        if bad is not None:
            raise MarksError(f"{FILE_NAME} byte {bad}: mark value {data[bad]}, not 0 or 1")
        self._marks = bytearray(data)

    def issued(self, position: int) -> bool:
        return self._marks[position] == ISSUED

    def mark(self, position: int) -> None:
        """Set a voter's mark durably (fsync) before their ballot is shown."""
        self.storage.pwrite(FILE_NAME, position, bytes([ISSUED]))
        self.storage.sync(FILE_NAME)
        self._marks[position] = ISSUED

    @property
    def count(self) -> int:
        return self._marks.count(ISSUED)
