"""The append-only, hash-chained event log, and its signed checkpoints.

One JSON record per line; each carries the SHA-256 of the previous line, so removing,
reordering or editing any record breaks the chain after it. Kinds and their fields come
from the catalogue (event_kinds.toml) and nothing else is accepted. The terminal's state
after a restart is derived from this log.

A checkpoint is laid out like a C2SP tlog-checkpoint body and signed like every artifact:
    <origin>\\n<size>\\n<base64 SHA-256 of the last record line>\\n
Here the hash is the head of a hash chain rather than a Merkle root.

An incomplete last line (no newline) is a torn tail from a power cut: it is truncated at
start-up and the truncation is logged. A torn append leaves a prefix of the record it was
writing, so only such a prefix is truncated: zeros, erased flash (0xFF) or garbage at the
end is synced records destroyed (an SD card rewrites the whole page an append falls in)
and is reported like a bad record. A bad record before the end is tampering: it is
reported with the file and line, never repaired.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from terminal.hal.clock import Clock
from terminal.hal.storage import Storage
from terminal.jsonfmt import FormatError, canonical_json, load_canonical
from terminal.tally.event_kinds import CATALOGUE

FILE_NAME = "events.jsonl"
GENESIS = "0" * 64
RECORD_START = b'{"clock":"'  # every record line starts so: canonical JSON sorts the keys


class LogError(Exception):
    """The log is not a valid chain; the message names the file and the line."""


class Event(NamedTuple):
    """One record of the log. A tuple, not a dataclass: the host builds millions of them,
    and a frozen dataclass takes several times as long to make."""

    seq: int
    time: str
    clock: str
    kind: str
    data: dict[str, Any]
    prev: str
    hash: str  # SHA-256 of this record's line, without the newline


def record_line(
    seq: int, time: str, clock: str, kind: str, data: dict[str, Any], prev: str
) -> bytes:
    """The exact bytes of one record, without the newline."""
    return canonical_json(
        {"seq": seq, "time": time, "clock": clock, "kind": kind, "data": data, "prev": prev}
    )[:-1]


# Every field of a record line, with its JSON type.
_FIELD_TYPES: dict[str, tuple[type, str]] = {
    "clock": (str, "a string"),
    "data": (dict, "an object"),
    "kind": (str, "a string"),
    "prev": (str, "a string"),
    "seq": (int, "a whole number"),
    "time": (str, "a string"),
}


class _BadRecord(Exception):
    """Why one line is not a valid record; parse_log adds the file and line."""


def _check_fields(kind: str, data: dict[str, Any]) -> None:
    """That `kind` is in the catalogue and `data` has exactly its fields."""
    entry = CATALOGUE.get(kind)
    if entry is None:
        raise _BadRecord(f"unknown event kind {kind!r}")
    if data.keys() != entry.field_set:
        raise _BadRecord(f"event {kind!r} must have exactly the fields {list(entry.fields)}")


def _cut_short(tail: bytes) -> bool:
    """Whether `tail` can be a record line cut short by a power cut (a prefix of one)."""
    if not (tail.startswith(RECORD_START) or RECORD_START.startswith(tail)):
        return False
    if any(byte < 0x20 for byte in tail):  # canonical JSON escapes every control character
        return False
    try:
        tail.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data"  # the cut split the last character
    return True


def _fields(line: bytes) -> tuple[int, str, str, str, dict[str, Any], str]:
    """The fields of one record line, through the JSON parser: any line, canonical or refused."""
    try:
        value = load_canonical(line, "record")
    except FormatError as exc:
        raise _BadRecord(f"not a valid record ({exc})") from None
    if value.keys() != _FIELD_TYPES.keys():
        raise _BadRecord("unexpected fields")
    for name, (kind_, what) in _FIELD_TYPES.items():
        if type(value[name]) is not kind_:  # exact: a bool is not a sequence number
            raise _BadRecord(f"not a valid record (field {name!r} must be {what})")
    return value["seq"], value["time"], value["clock"], value["kind"], value["data"], value["prev"]


def _record(line: bytes, seq: int, prev: str) -> Event:
    """The record on one line, which must be record `seq` and follow the hash `prev`."""
    found_seq, time, clock, kind, data, found_prev = _fields(line)
    if found_seq != seq:
        raise _BadRecord(f"sequence number {found_seq}, expected {seq}")
    if found_prev != prev:
        raise _BadRecord("previous-record hash does not match (chain broken)")
    _check_fields(kind, data)
    return Event(seq, time, clock, kind, data, prev, hashlib.sha256(line).hexdigest())


@dataclass(frozen=True)
class Log:
    """A verified log as columns: each record's time, hash and shape, and the distinct
    (clock, kind, data) the shapes stand for. A polling day's thousands of records share a
    few dozen shapes, so the host checks a region's logs (millions of records) from these
    columns without a record object per line; events() gives the records themselves."""

    times: list[str]
    hashes: list[str]  # SHA-256 of each record line, without its newline
    shapes: list[int]  # per record, its index in meanings
    meanings: list[tuple[str, str, dict[str, Any]]]  # (clock, kind, data)

    def __len__(self) -> int:
        return len(self.hashes)

    def events(self) -> list[Event]:
        """Every record, each with its own data."""
        prevs = [GENESIS, *self.hashes[:-1]][: len(self.hashes)]
        clocks, kinds, datas = zip(*self.meanings, strict=True) if self.meanings else ((), (), ())
        fields = zip(
            range(len(self.hashes)),
            self.times,
            map(clocks.__getitem__, self.shapes),
            map(kinds.__getitem__, self.shapes),
            map(dict, map(datas.__getitem__, self.shapes)),
            prevs,
            self.hashes,
            strict=True,
        )
        return list(map(tuple.__new__, itertools.repeat(Event), fields))

    @classmethod
    def of(cls, events: list[Event]) -> Log:
        """The columns of records read one by one: each its own shape."""
        return cls(
            [e.time for e in events],
            [e.hash for e in events],
            list(range(len(events))),
            [(e.clock, e.kind, e.data) for e in events],
        )


# Canonical JSON sorts the keys, so every record line is
#     <head>","prev":"<prev>","seq":<seq>,"time":"<time>"}
# where the head ({"clock":..,"data":{..},"kind":"..) is one of a few dozen strings in a whole
# polling day, and prev and seq are known before the line is read (the previous line's hash,
# the line's index). _read_plain reads a log whose every line has this form, with a time that
# needs no escaping, in bulk: each distinct head is read once, in its first line, by the
# checked reading; every other line with that head is then the same record but for prev, seq
# and time, which are plain scalars. The bulk steps are C-level maps over all lines, because
# the host verifies a region's logs (millions of lines) and Python bytecode per line is what
# costs. tests/unit/test_event_log.py checks that both readings agree on fuzzed logs.
_TIE = '","prev":"{}","seq":{},"time":"'.format
_HEXDIGEST = operator.methodcaller("hexdigest")
_CLOSED = operator.methodcaller("endswith", '"}')


def _read_plain(lines: list[bytes], texts: list[str]) -> Log | None:
    """The records of a log in bulk (see above), or None where any line is not plain."""
    count = len(lines)
    hashes = list(map(_HEXDIGEST, map(hashlib.sha256, lines)))
    prevs = [GENESIS, *hashes[:-1]][:count]
    ties = list(map(_TIE, prevs, range(count)))
    cuts = list(map(str.find, texts, ties))
    starts = list(map(operator.add, cuts, map(len, ties)))
    times = list(map(str.__getitem__, texts, map(slice, starts, itertools.repeat(-2))))
    joined = "".join(times)
    plain = (
        (not cuts or min(cuts) > 0)
        # head + tie + time + '"}' is the whole line, for every line (each is at least that)
        and sum(map(len, texts)) == sum(starts) + len(joined) + 2 * count
        and all(map(_CLOSED, texts))
        and '"' not in joined
        and "\\" not in joined
        and joined.isprintable()
    )
    if not plain:
        return None
    heads = list(map(str.__getitem__, texts, map(slice, cuts)))
    first = dict(zip(reversed(heads), range(count - 1, -1, -1), strict=True))
    shape_of: dict[str, int] = {}
    meanings: list[tuple[str, str, dict[str, Any]]] = []
    for head, index in first.items():
        try:
            event = _record(lines[index], index, prevs[index])
        except _BadRecord:
            return None
        shape_of[head] = len(meanings)
        meanings.append((event.clock, event.kind, event.data))
    return Log(times, hashes, list(map(shape_of.__getitem__, heads)), meanings)


def read_log(data: bytes, source: str = FILE_NAME) -> tuple[Log, int]:
    """Verify a whole log; return its records and the length of a torn tail (0 if none).

    Raises LogError naming the file and line for any record that is not valid in place.
    """
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty, or a record cut short
    log = None
    try:
        texts = data[: len(data) - len(tail)].decode("utf-8").split("\n")[:-1]
    except UnicodeDecodeError:
        pass  # a line is not text: the checked reading says which
    else:
        log = _read_plain(lines, texts)
    if log is None:
        log = Log.of(_read_checked(lines, source))
    if tail and not _cut_short(tail):
        raise LogError(
            f"{source} line {len(log) + 1} (byte {len(data) - len(tail)}): the last "
            f"{len(tail)} bytes are not a record cut short by a power cut"
        )
    return log, len(tail)


def parse_log(data: bytes, source: str = FILE_NAME) -> tuple[list[Event], int]:
    """read_log, with every record as an Event."""
    log, torn = read_log(data, source)
    return log.events(), torn


def _read_checked(lines: list[bytes], source: str) -> list[Event]:
    """The records of a log, line by line through the JSON parser; LogError names the line."""
    events: list[Event] = []
    prev = GENESIS
    offset = 0
    for seq, line in enumerate(lines):
        try:
            event = _record(line, seq, prev)
        except _BadRecord as exc:
            raise LogError(f"{source} line {seq + 1} (byte {offset}): {exc}") from None
        events.append(event)
        prev = event.hash
        offset += len(line) + 1
    return events


class EventLog:
    """The terminal's own log: opened (and repaired at a torn tail) at start-up, then appended."""

    def __init__(self, storage: Storage, clock: Clock) -> None:
        self.storage = storage
        self.clock = clock
        self.events: list[Event] = []
        self.truncated = 0

    @classmethod
    def open(cls, storage: Storage, clock: Clock) -> EventLog:
        log = cls(storage, clock)
        if storage.exists(FILE_NAME):
            data = storage.read(FILE_NAME)
            log.events, log.truncated = parse_log(data)
            if log.truncated:
                storage.truncate(FILE_NAME, len(data) - log.truncated)
                storage.sync(FILE_NAME)
                log.append("log_tail_truncated", bytes=log.truncated)
        return log

    @property
    def head(self) -> str:
        return self.events[-1].hash if self.events else GENESIS

    def append(self, kind: str, **data: Any) -> Event:
        """Append one record and make it durable before returning."""
        try:
            _check_fields(kind, data)
        except _BadRecord as exc:
            raise LogError(f"{FILE_NAME} (new record): {exc}") from None
        seq = len(self.events)
        now = self.clock.now()
        if CATALOGUE[kind].voter:
            now = now.replace(second=0, microsecond=0)
        time = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        line = record_line(seq, time, self.clock.source, kind, data, self.head)
        self.storage.append(FILE_NAME, line + b"\n")
        self.storage.sync(FILE_NAME)
        event = Event(
            seq, time, self.clock.source, kind, data, self.head, hashlib.sha256(line).hexdigest()
        )
        self.events.append(event)
        return event

    def of_kind(self, *kinds: str) -> list[Event]:
        return [e for e in self.events if e.kind in kinds]


CHECKPOINT_FORMAT = "tamga-checkpoint/1"
CHECKPOINT_REASONS = ("open", "close", "export")


@dataclass(frozen=True)
class Checkpoint:
    """A signed log checkpoint, laid out like a C2SP tlog checkpoint's body: the origin,
    the number of records, the base64 SHA-256 of the last one, then one extension line
    that says which checkpoint it is, `tamga-checkpoint/1 <reason>`. The reason is in the
    signed bytes, so a closing checkpoint cannot be presented as an export one."""

    origin: str
    size: int
    head: str  # hex SHA-256 of record size-1
    reason: str  # one of CHECKPOINT_REASONS

    def __post_init__(self) -> None:
        if self.reason not in CHECKPOINT_REASONS:
            raise ValueError(f"checkpoint reason must be one of {CHECKPOINT_REASONS}")

    def to_bytes(self) -> bytes:
        digest = base64.b64encode(bytes.fromhex(self.head)).decode()
        return f"{self.origin}\n{self.size}\n{digest}\n{CHECKPOINT_FORMAT} {self.reason}\n".encode()

    @classmethod
    def from_bytes(cls, data: bytes, source: str, reason: str) -> Checkpoint:
        """Parse a checkpoint that must be the `reason` one (open, close or export)."""
        layout = f"{source}: not a checkpoint (origin, size, base64 hash, {CHECKPOINT_FORMAT})"
        try:
            origin, size, digest, kind, rest = data.decode("ascii").split("\n", 4)
            raw = base64.b64decode(digest, validate=True)
            count = int(size)
        except (UnicodeDecodeError, ValueError) as exc:
            raise LogError(layout) from exc
        if rest or len(raw) != 32 or count < 1 or size != str(count):
            raise LogError(layout)
        found = kind.removeprefix(CHECKPOINT_FORMAT + " ")
        if found == kind or found not in CHECKPOINT_REASONS:
            raise LogError(layout)
        if found != reason:
            raise LogError(f"{source}: is the {found} checkpoint, not the {reason} one")
        return cls(origin, count, raw.hex(), found)

    def matches(self, hashes: Sequence[str]) -> bool:
        """True when the records with these hashes (Log.hashes) extend the log this pins."""
        return len(hashes) >= self.size and hashes[self.size - 1] == self.head


def origin(election: str, precinct: str, terminal: str) -> str:
    return f"tamga/{election}/{precinct}/{terminal}"
