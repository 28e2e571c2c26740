"""Damage one file of a terminal's card (cut it short after some byte, or flip a byte),
restart the terminal on it, and classify what the terminal made of it.

`expect()` says, from the file's structure and the day's operations alone, what each case
must end in; `observe()` restarts the terminal and says what it did end in. The tests
assert that the two agree for every case.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sim.faulty_storage import FaultyStorage, Operation
from terminal.app.polls import InconsistentStores, Recovery
from terminal.idscan import ballot_codes, marks
from terminal.idscan.ballot_codes import CodesError
from terminal.idscan.marks import MarksError
from terminal.tally import ballot_box
from terminal.tally.event_log import FILE_NAME as EVENTS
from terminal.tally.event_log import LogError
from terminal.tally.sealing import SealError
from tests.reliability.polling import Terminal, World

MARKS = marks.FILE_NAME
CODES = ballot_codes.FILE_NAME
BOX = ballot_box.FILE_NAME
SLOT = ballot_box.SLOT_SIZE
EXHAUSTIVE_BELOW = 64 * 1024


class Outcome(Enum):
    # The terminal restarts and goes on:
    TORN = "the torn tail was truncated and logged"
    SHORTER = "the log ends at a record boundary, as a power cut can leave it"
    HEAD_ALTERED = "the last record, which no later record hashes, reads differently"
    # Never expected since the marks are sealed (no flip can set a mark); observed, it fails.
    MARK_AS_CUT = "a new mark read as one set just before a power cut: a void ballot"
    MARKS_KEPT = "the older copy of the marks, or a copy's padding, damaged: every mark kept"
    DAMAGED_SLOT = "an empty slot is damaged: set aside, logged, not counted"
    CODE_CLEARED = "an empty used-code entry reads as a use cut short: cleared and logged"
    FEWER_SLOTS = "the box has fewer empty slots"
    UNREAD = "not read at start-up"
    INSTALLED_OVER = "the log was empty: the package was installed over the old stores"
    # The terminal stops with a report:
    LOG_ERROR = "LogError"
    MARKS_ERROR = "MarksError"
    CODES_ERROR = "CodesError"
    SEAL_ERROR = "SealError"
    INCONSISTENT = "InconsistentStores"


REPORTS = {
    LogError: Outcome.LOG_ERROR,
    MarksError: Outcome.MARKS_ERROR,
    CodesError: Outcome.CODES_ERROR,
    SealError: Outcome.SEAL_ERROR,
    InconsistentStores: Outcome.INCONSISTENT,
}
# A blank log beside a box with ballots: BallotBox.create refuses the box (SealError). With
# the install() check proposed for polls.py it is refused earlier, as InconsistentStores.
REINSTALL_OVER_BALLOTS = Outcome.INCONSISTENT
# What each report must name, so that the commission knows where to look.
NAMES = {
    Outcome.LOG_ERROR: EVENTS,
    Outcome.MARKS_ERROR: MARKS,
    Outcome.CODES_ERROR: CODES,
    Outcome.SEAL_ERROR: BOX,
    Outcome.INCONSISTENT: "",  # names the stores that disagree (see the report)
}


@dataclass(frozen=True)
class Case:
    name: str
    how: str  # "cut": the file keeps its first `at` bytes; "flip": byte `at` ^= `mask`
    at: int
    mask: int = 0x01

    def apply(self, files: dict[str, bytes]) -> dict[str, bytes]:
        damaged = dict(files)
        data = files[self.name]
        if self.how == "cut":
            damaged[self.name] = data[: self.at]
        else:
            flipped = bytearray(data)
            flipped[self.at] ^= self.mask
            damaged[self.name] = bytes(flipped)
        return damaged

    def __str__(self) -> str:
        if self.how == "cut":
            return f"{self.name} cut to {self.at} bytes"
        return f"{self.name} byte {self.at} ^ {self.mask:#04x}"


@dataclass(frozen=True)
class Card:
    """The files of a card at some point of a day, and the operations that wrote them."""

    files: dict[str, bytes]
    operations: tuple[Operation, ...]
    data: Path  # the terminal's data directory beside the card (its installed package)

    @property
    def log(self) -> bytes:
        return self.files[EVENTS]

    def bounds(self) -> list[int]:
        """Where each record line starts, and the end of the log."""
        return [0] + [i + 1 for i, byte in enumerate(self.log) if byte == 0x0A]

    def consistent(self, records: int) -> bool:
        """Whether the terminal must accept its log cut to its first `records` records (and
        perhaps part of the next) beside the box and marks as they are.

        A power cut leaves that when no write to the box or marks began after the next
        record was begun. recover() also accepts one ballot more in the box than the log
        says was cast while a ballot session is open, even when the slip's print_started
        record is missing too (no power cut leaves that: it is synced before the ballot is
        stored): the ballot was issued and is in the box, so it counts (see the report)."""
        log_writes = [
            op.number for op in self.operations if op.kind == "write" and op.name == EVENTS
        ]
        if records >= len(log_writes):
            return True
        later = [
            op
            for op in self.operations
            if op.kind == "write"
            and op.name in (MARKS, CODES, BOX)
            and op.number > log_writes[records]
        ]
        if not later:
            return True
        kinds = [json.loads(line)["kind"] for line in self.log.split(b"\n")[:records]]
        sessions = [k for k in kinds if k in ("ballot_issued", "ballot_cast", "ballot_void")]
        session_open = bool(sessions) and sessions[-1] == "ballot_issued"
        return session_open and [op.name for op in later] == [BOX]

    def installed_within(self, records: int) -> bool:
        return any(b'"kind":"package_loaded"' in line for line in self.log.split(b"\n")[:records])


def _free_spans(line: bytes) -> list[tuple[range, type]]:
    """The bytes of a record whose values no check constrains: its time, its clock, and the
    string and integer values of its data (the catalogue names the fields, not the values)."""
    record = json.loads(line)
    spans: list[tuple[range, type]] = []
    for key in ("time", "clock"):
        start = line.index(f'"{key}":"'.encode()) + len(key) + 4
        spans.append((range(start, line.index(b'"', start)), str))
    data_at = line.index(b'"data":')
    for key, value in record["data"].items():
        if isinstance(value, str | int) and not isinstance(value, bool):
            text = json.dumps(value, ensure_ascii=False).encode()
            start = line.index(f'"{key}":'.encode(), data_at) + len(key) + 3
            if isinstance(value, str):
                spans.append((range(start + 1, start + len(text) - 1), str))
            else:
                spans.append((range(start, start + len(text)), int))
    return spans


def _still_valid(line: bytes, at: int, mask: int) -> bool:
    """Whether flipping byte `at` of a record line leaves a value the reader accepts."""
    new = line[at] ^ mask
    for span, kind in _free_spans(line):
        if at not in span:
            continue
        if kind is str:
            return 0x20 <= new <= 0x7F and new not in b'"\\'
        leading_zero = at == span.start and new == ord("0") and len(span) > 1
        return ord("0") <= new <= ord("9") and not leading_zero
    return False


def expect(card: Card, case: Case) -> Outcome:
    """What the terminal must make of `case`, from the file's layout alone."""
    data = card.files[case.name]
    if case.name == EVENTS:
        bounds = card.bounds()
        if case.how == "cut":
            records = sum(1 for b in bounds[1:] if b <= case.at)
            if not card.installed_within(records):
                # The log no longer says the package was installed: the terminal installs it
                # again, and BallotBox.create refuses a box that holds anything.
                box = card.files[BOX]
                return REINSTALL_OVER_BALLOTS if any(box) else Outcome.INSTALLED_OVER
            if not card.consistent(records):
                return Outcome.INCONSISTENT
            return Outcome.SHORTER if case.at in bounds else Outcome.TORN
        last = bounds[-2]
        if last <= case.at < len(data) - 1 and _still_valid(
            data[last:-1], case.at - last, case.mask
        ):
            return Outcome.HEAD_ALTERED
        return Outcome.LOG_ERROR
    if case.name == MARKS:
        return _expect_marks(data, case)
    if case.name == CODES:
        if case.how == "cut":
            return Outcome.CODES_ERROR
        entry = case.at - case.at % ballot_codes.ENTRY
        used = any(data[entry : entry + ballot_codes.ENTRY])
        return Outcome.INCONSISTENT if used else Outcome.CODE_CLEARED
    if case.name == BOX:
        filled = {s for s in range(len(data) // SLOT) if any(data[s * SLOT : (s + 1) * SLOT])}
        if case.how == "cut":
            if case.at % SLOT:
                return Outcome.SEAL_ERROR
            return (
                Outcome.INCONSISTENT
                if any(s >= case.at // SLOT for s in filled)
                else Outcome.FEWER_SLOTS
            )
        return Outcome.INCONSISTENT if case.at // SLOT in filled else Outcome.DAMAGED_SLOT
    return Outcome.UNREAD


def marks_generations(data: bytes) -> tuple[int | None, int | None]:
    """The generation each copy of a marks file says it holds: 0 for copy 0 of zeros (the
    file as made), None for copy 1 of zeros (never written)."""
    span = len(data) // 2
    found: list[int | None] = []
    for index in (0, 1):
        copy = data[index * span : (index + 1) * span]
        if not any(copy):
            found.append(0 if index == 0 else None)
        else:
            found.append(int.from_bytes(copy[12:20], "big"))
    return found[0], found[1]


def marks_voters(data: bytes) -> int:
    """The register size a written copy of a marks file names (0 if none is written)."""
    span = len(data) // 2
    for base in (0, span):
        if any(data[base : base + span]):
            return int.from_bytes(data[base + 8 : base + 12], "big")
    return 0


def _expect_marks(data: bytes, case: Case) -> Outcome:
    """The marks are two sealed copies (terminal/idscan/marks.py): a cut changes the size;
    any flip in the copy in use makes it fail its tag, and the one before it holds one mark
    fewer than the log counts (or, with none before it, no copy opens); in the older copy or
    the padding a flip costs nothing."""
    if case.how == "cut":
        return Outcome.MARKS_ERROR
    span = len(data) // 2
    index, offset = divmod(case.at, span)
    generations = marks_generations(data)
    written = generations[index] not in (None, 0)
    voters = marks_voters(data)
    current = 0 if (generations[1] is None or (generations[0] or 0) > generations[1]) else 1
    if written and offset >= marks.copy_used(voters):
        return Outcome.MARKS_KEPT
    if index != current:
        return Outcome.MARKS_KEPT
    other = generations[1 - index]
    return Outcome.MARKS_ERROR if other is None or not written else Outcome.INCONSISTENT


@dataclass
class Seen:
    outcome: Outcome
    message: str = ""
    terminal: Terminal | None = None


def observe(world: World, root: Path, card: Card, case: Case) -> Seen:
    """Restart the terminal on the damaged card and classify what it did."""
    files = case.apply(card.files)
    terminal = Terminal(world, FaultyStorage(files), card.data, root / "export")
    try:
        terminal.start()
    except tuple(REPORTS) as exc:
        return Seen(REPORTS[type(exc)], str(exc))
    polls = terminal.polls
    assert polls is not None and polls.box is not None
    if terminal.installed:
        return Seen(Outcome.INSTALLED_OVER, "", terminal)
    if polls.log.of_kind("log_tail_truncated"):
        return Seen(Outcome.TORN, "", terminal)
    if polls.box.damaged:
        return Seen(Outcome.DAMAGED_SLOT, "", terminal)
    if polls.log.of_kind("used_code_cleared"):
        return Seen(Outcome.CODE_CLEARED, "", terminal)
    if terminal.recovery is Recovery.BALLOT_VOID and case.name == MARKS:
        return Seen(Outcome.MARK_AS_CUT, "", terminal)
    if case.name == MARKS:
        return Seen(Outcome.MARKS_KEPT, "", terminal)
    if polls.box.slots < len(card.files[BOX]) // SLOT:
        return Seen(Outcome.FEWER_SLOTS, "", terminal)
    if case.name == EVENTS:
        kept = files[EVENTS]
        if case.how == "cut":
            return Seen(Outcome.SHORTER, "", terminal)
        original = card.log.split(b"\n")
        if kept.split(b"\n")[:-2] == original[:-2]:
            return Seen(Outcome.HEAD_ALTERED, "", terminal)
    return Seen(Outcome.UNREAD, "", terminal)


def cases(card: Card, name: str, seed: int, sample: int = 0) -> list[Case]:
    """Cut after every byte and flip every byte (0x01, and 0xFF) of a file under 64 KiB, or of
    a seeded sample of `sample` offsets (always for a larger file)."""
    size = len(card.files[name])
    every = list(range(size))
    if size >= EXHAUSTIVE_BELOW or 0 < sample < size:
        every = sorted(random.Random(seed).sample(every, min(sample or 2048, size)))
    found = [Case(name, "cut", at) for at in every]
    found += [Case(name, "flip", at, mask) for at in every for mask in (0x01, 0xFF)]
    return found
