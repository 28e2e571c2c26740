"""A simulated storage card that loses power, fills up and fails: `Storage` over memory.

Like gpiozero's MockPin this is a backend with its own behaviour, not a test double: it
keeps, for every file, what is durable (synced) and what is only in the page cache, and
numbers every operation that changes the card (create, write, truncate, sync, replace), so
that a test can stop the terminal's code at any one of them and look at what a power cut
there would leave on the card. The crash models follow SQLite's crash simulator (test6.c):

- TORN: of the unsynced writes to a file, an in-order prefix reaches the card, and the
  last of them may be cut at any byte. Synced bytes never change.
- GARBLE: an unsynced write may also leave every 4 KiB page it touches full of garbage
  (random bytes, zeros or 0xFF), *including bytes of that page synced earlier*: an SD card
  rewrites a whole flash page, and the file system a whole 4 KiB block, for a write of a
  few bytes into it. test6.c trashes whole sectors around an unsynced write; a page is
  the unit an SD card programs.

replace() is a rename of a synced temporary file: after a cut the file holds the old or
the new content, never a mix. create() fsyncs, like DataDir.create.

Faults: `Fault(at=k, errno=EIO)` makes operation k raise StorageError (a sync: the kernel
may then drop the unsynced pages; a write: nothing is written, or `written` bytes are).
`Fault(at=k, errno=ENOSPC, lasting=True)` is a full card: every later write fails too.
"""

from __future__ import annotations

import errno as errnos
import itertools
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum

from terminal.hal.storage import StorageError

PAGE = 4096
SECTOR = 512


class PowerCut(BaseException):
    """The power went off: the terminal's code stops at this operation.

    A BaseException, so that no `except Exception` in the code under test catches it."""


class Garble(Enum):
    RANDOM = "random"
    ZEROS = "zeros"
    ONES = "ones"  # erased NAND flash reads as 0xFF

    def fill(self, size: int, rng: random.Random) -> bytes:
        if self is Garble.ZEROS:
            return bytes(size)
        if self is Garble.ONES:
            return b"\xff" * size
        return rng.randbytes(size)


@dataclass(frozen=True)
class Operation:
    """One numbered change to the card. For create and truncate, `offset` is the size."""

    number: int
    kind: str  # "create", "write", "truncate", "sync", "replace"
    name: str
    offset: int = 0
    data: bytes = field(default=b"", repr=False)

    @property
    def pages(self) -> range:
        """The 4 KiB pages a write touches."""
        if self.kind != "write" or not self.data:
            return range(0)
        return range(self.offset // PAGE, (self.offset + len(self.data) - 1) // PAGE + 1)


@dataclass(frozen=True)
class Fault:
    """Operation number `at` fails with `errno`; a write may leave `written` bytes behind."""

    at: int
    errno: int = errnos.EIO
    written: int = 0
    lasting: bool = False  # ENOSPC: the card stays full, every later write fails too


@dataclass(frozen=True)
class Image:
    """What a power cut leaves on the card, and how (for the test's failure message)."""

    label: str
    files: dict[str, bytes]


def _apply(data: bytearray, op: Operation, upto: int | None = None) -> None:
    if op.kind == "truncate":
        del data[op.offset :]
        data.extend(bytes(max(0, op.offset - len(data))))
        return
    assert op.kind == "write"
    chunk = op.data if upto is None else op.data[:upto]
    end = op.offset + len(chunk)
    if end > len(data):
        data.extend(bytes(end - len(data)))
    data[op.offset : end] = chunk


class _File:
    def __init__(self, data: bytes = b"") -> None:
        self.durable = bytearray(data)
        self.current = bytearray(data)
        self.pending: list[Operation] = []

    def sync(self) -> None:
        self.durable = bytearray(self.current)
        self.pending.clear()


class FaultyStorage:
    """Named files in memory; see the module docstring for what can go wrong."""

    def __init__(
        self,
        files: dict[str, bytes] | None = None,
        cut_after: int | None = None,
        faults: Iterable[Fault] = (),
    ) -> None:
        self._files = {name: _File(data) for name, data in (files or {}).items()}
        self.cut_after = cut_after
        self.faults = {f.at: f for f in faults}
        self.operations: list[Operation] = []
        self.cut: int | None = None  # the operation the power went off at
        self.full = False  # no space left: every write, create and replace fails (ENOSPC)

    # --- bookkeeping ---------------------------------------------------------------------

    def _alive(self) -> None:
        if self.cut is not None:
            raise PowerCut(self.cut)

    def _next(self, kind: str, name: str, offset: int = 0, data: bytes = b"") -> Operation:
        """Number the operation; cut the power or fail it if that was asked for."""
        self._alive()
        number = len(self.operations) + 1
        if self.cut_after is not None and number > self.cut_after:
            self.cut = number
            raise PowerCut(number)
        op = Operation(number, kind, name, offset, data)
        self.operations.append(op)
        fault = self.faults.get(number)
        if fault is not None:
            self.full = self.full or (fault.lasting and fault.errno == errnos.ENOSPC)
            self._fail(op, fault)
        if self.full and kind in ("create", "write", "replace"):
            self._fail(op, Fault(number, errnos.ENOSPC))
        return op

    def _fail(self, op: Operation, fault: Fault) -> None:
        if op.kind == "write" and fault.written:
            partial = Operation(op.number, "write", op.name, op.offset, op.data[: fault.written])
            self._write(partial)
        # A failed sync leaves the unsynced writes pending: after a failed fsync Linux marks
        # the pages clean, so what reached the card is unknown (PostgreSQL's "fsyncgate").
        message = f"{op.kind} {op.name}: {errnos.errorcode.get(fault.errno, fault.errno)}"
        raise StorageError(fault.errno, message)

    def _file(self, name: str) -> _File:
        found = self._files.get(name)
        if found is None:
            raise FileNotFoundError(errnos.ENOENT, f"no such file: {name}")
        return found

    def _write(self, op: Operation) -> None:
        # A new file is created durably (DataDir fsyncs the directory when it opens it).
        file = self._files.setdefault(op.name, _File())
        _apply(file.current, op)
        file.pending.append(op)

    # --- Storage -------------------------------------------------------------------------

    def exists(self, name: str) -> bool:
        self._alive()
        return name in self._files

    def read(self, name: str) -> bytes:
        self._alive()
        return bytes(self._file(name).current)

    def size(self, name: str) -> int:
        self._alive()
        return len(self._file(name).current)

    def create(self, name: str, size: int) -> None:
        self._next("create", name, size)
        file = self._files.setdefault(name, _File())
        if len(file.current) < size:  # posix_fallocate extends, never shrinks
            file.current.extend(bytes(size - len(file.current)))
        file.sync()

    def pwrite(self, name: str, offset: int, data: bytes) -> None:
        self._write(self._next("write", name, offset, bytes(data)))

    def append(self, name: str, data: bytes) -> None:
        self._alive()
        offset = len(self._files[name].current) if name in self._files else 0
        self.pwrite(name, offset, data)

    def truncate(self, name: str, size: int) -> None:
        op = self._next("truncate", name, size)
        file = self._file(name)
        _apply(file.current, op)
        file.pending.append(op)

    def sync(self, name: str) -> None:
        self._next("sync", name)
        self._file(name).sync()

    def replace(self, name: str, data: bytes) -> None:
        self._next("replace", name, len(data), bytes(data))
        file = self._files.setdefault(name, _File())
        file.current = bytearray(data)
        file.sync()

    def warning(self) -> str | None:
        """One card, no mirror: nothing to warn the poll worker about."""
        self._alive()
        return None

    # --- what is left on the card ----------------------------------------------------------

    def files_now(self) -> dict[str, bytes]:
        """What a restart of the program without a power cut sees (the page cache survives)."""
        return {name: bytes(f.current) for name, f in self._files.items()}

    def durable(self) -> dict[str, bytes]:
        """What survives a power cut for sure: every unsynced write lost."""
        return {name: bytes(f.durable) for name, f in self._files.items()}

    def pending(self) -> dict[str, list[Operation]]:
        """The unsynced operations, by file."""
        return {name: list(f.pending) for name, f in self._files.items() if f.pending}

    def torn_images(self, tears: Callable[[Operation], Iterable[int]]) -> Iterator[Image]:
        """Every TORN outcome: per file, the first j unsynced operations whole, and the next
        one (a write) cut after each byte count `tears(op)` gives (0 < t < its length)."""
        per_file: list[tuple[str, list[tuple[str, bytes]]]] = []
        for name, file in self._files.items():
            if not file.pending:
                continue
            options = []
            for kept in range(len(file.pending) + 1):
                image = bytearray(file.durable)
                for op in file.pending[:kept]:
                    _apply(image, op)
                options.append((f"{name}: {kept} of {len(file.pending)} unsynced", bytes(image)))
                if kept < len(file.pending) and file.pending[kept].kind == "write":
                    op = file.pending[kept]
                    for tear in sorted(set(tears(op))):
                        if 0 < tear < len(op.data):
                            torn = bytearray(image)
                            _apply(torn, op, tear)
                            label = f"{name}: op {op.number} torn after {tear}/{len(op.data)}"
                            options.append((label, bytes(torn)))
            per_file.append((name, options))
        base = self.durable()
        for combo in itertools.product(*(options for _, options in per_file)):
            files = dict(base)
            for (name, _), (_, data) in zip(per_file, combo, strict=True):
                files[name] = data
            yield Image("; ".join(label for label, _ in combo) or "nothing unsynced", files)

    def garbled_images(
        self, fills: Iterable[Garble] = tuple(Garble), seed: int = 0
    ) -> Iterator[Image]:
        """Every GARBLE outcome: for each unsynced write and each page it touches, the
        earlier unsynced operations whole, the write's earlier pages whole, and that page
        garbage from its first to its last byte (synced bytes in it too); later writes lost."""
        rng = random.Random(seed)
        for name, file in self._files.items():
            for index, op in enumerate(file.pending):
                for page, fill in itertools.product(op.pages, fills):
                    image = bytearray(file.durable)
                    for earlier in file.pending[:index]:
                        _apply(image, earlier)
                    _apply(image, op, max(0, min(len(op.data), page * PAGE - op.offset)))
                    end = max(len(image), op.offset + len(op.data))
                    image.extend(bytes(end - len(image)))
                    start, stop = page * PAGE, min(end, (page + 1) * PAGE)
                    image[start:stop] = fill.fill(stop - start, rng)
                    files = self.durable()
                    files[name] = bytes(image)
                    label = f"{name}: op {op.number} garbled page {page} ({fill.value})"
                    yield Image(label, files)
