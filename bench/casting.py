"""Casting a ballot: the CPU time to seal and sign it, and the time to make it durable.

Storage is measured against two references in the same run, interleaved so that a slow
moment of the disk (a journal commit, writeback of another process) hits all of them alike:

* the floor of this filesystem: os.pwrite of one 4 KiB page of a file written with zeros
  beforehand, in the same directory, then os.fdatasync: the least any store must do to
  make a new ballot durable here (BallotBox.cast does exactly this, plus its own
  bookkeeping: DataDir.create writes the slot file's zeros at setup);
* SQLite in WAL mode with synchronous=FULL, one INSERT of the same record per commit.

Two more references are printed for information: a fresh file per ballot (create, write,
fsync file and directory), what a one-file-per-ballot store would cost; and a never-written
page of a posix_fallocate'd file, what the box cost when its slot file was fallocated (on
ext4 the first write to such a page also commits an extent conversion through the journal).
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from pathlib import Path
from typing import Protocol

from bench import Context, Figure, Spread, fmt, info, section
from bench.fixtures import Station, ballots, make_station
from terminal.hal.storage import DataDir
from terminal.tally.ballot_box import SLOT_SIZE, BallotBox, encode_slot
from terminal.tally.sealing import seal
from terminal.trust.files import fsync_dir
from terminal.trust.signing import VerifyKey

SEAL_TARGET_MS = 1.0
FLOOR_FACTOR = 1.5


def run(ctx: Context) -> None:
    section("Casting a ballot")
    station = make_station()
    _seal(ctx, station)
    _storage(ctx, station)


def _seal(ctx: Context, station: Station) -> None:
    """CPU time of sealing.seal: pad, ephemeral X25519, HKDF, ChaCha20-Poly1305, Ed25519."""
    count = 1000 if ctx.quick else 5000
    todo = ballots(station, count + 200)
    recipient, signer = station.sealing_public, station.signer
    for ballot in todo[:200]:  # warm-up: first calls load OpenSSL's code and tables
        seal(ballot, recipient, signer)
    cpu: list[int] = []
    wall: list[int] = []
    for ballot in todo[200:]:
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        seal(ballot, recipient, signer)
        cpu.append(time.process_time_ns() - c0)
        wall.append(time.perf_counter_ns() - w0)
    spread = Spread.of(cpu).scaled(1e-6)
    info("seal + sign, CPU time (ms)", str(spread))
    info("seal + sign, wall time (ms)", str(Spread.of(wall).scaled(1e-6)))
    ctx.results.add(Figure("cast_seal_cpu_ms", spread.p50, "ms", SEAL_TARGET_MS, "lower"))


class _Store(Protocol):
    def write(self, record: bytes, page: bytes) -> None: ...


class _NullStorage:
    """A Storage that stores nothing: BallotBox.cast on it costs only its own bookkeeping."""

    def pwrite(self, name: str, offset: int, data: bytes) -> None:
        pass

    def sync(self, name: str) -> None:
        pass

    def create(self, name: str, size: int) -> None:
        pass


class _Floor:
    """Fresh pages of pre-allocated files: pwrite + fdatasync, nothing else.

    The file is written with zeros at creation, or with `fallocated` posix_fallocate'd: on
    ext4 a fallocated page is an unwritten extent, and the first write to it makes
    fdatasync commit a metadata change too; a zero-written page is a plain overwrite.
    """

    def __init__(self, root: Path, slots: int, fallocated: bool = False) -> None:
        self.root = root
        self.slots = slots
        self.fallocated = fallocated
        self.files = 0
        self.fd = -1
        self.pages: list[int] = []

    def _new_file(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
        self.files += 1
        directory = self.root / f"{'fallocated' if self.fallocated else 'floor'}-{self.files}"
        directory.mkdir(mode=0o700)
        self.fd = os.open(directory / "floor.slots", os.O_RDWR | os.O_CREAT, 0o600)
        if self.fallocated:
            os.posix_fallocate(self.fd, 0, self.slots * SLOT_SIZE)
        else:
            os.pwrite(self.fd, bytes(self.slots * SLOT_SIZE), 0)
        os.fsync(self.fd)
        fsync_dir(directory)
        # Random pages, like the box's CSPRNG choice, so both touch their files alike.
        self.pages = random.Random(self.files).sample(range(self.slots), self.slots)

    def prepare(self) -> None:
        """Outside the timing: a new file when every page of the last one was written."""
        if not self.pages:
            self._new_file()

    def write(self, record: bytes, page: bytes) -> None:
        os.pwrite(self.fd, page, self.pages.pop() * SLOT_SIZE)
        os.fdatasync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


class _Box:
    """The terminal's ballot box; a new one (outside the timing) when it is full."""

    def __init__(self, root: Path, key: VerifyKey, slots: int) -> None:
        self.root, self.key, self.slots = root, key, slots
        self.boxes = 0
        self.box: BallotBox | None = None

    def prepare(self) -> None:
        if self.box is None or self.box.count == self.box.slots:
            self.boxes += 1
            self.box = BallotBox.create(
                DataDir(self.root / f"box-{self.boxes}"), self.key, self.slots
            )

    def write(self, record: bytes, page: bytes) -> None:
        assert self.box is not None
        self.box.cast(record)


class _FreshFiles:
    """One new file per ballot, durable: create, write, fsync it and its directory."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700)
        self.directory = directory
        self.count = 0

    def write(self, record: bytes, page: bytes) -> None:
        self.count += 1
        fd = os.open(self.directory / f"{self.count}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, page)
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(self.directory)


class _Sqlite:
    """SQLite, WAL journal, synchronous=FULL: every INSERT is a durable commit."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700)
        # Autocommit (isolation_level=None): each INSERT is its own transaction and commit.
        self.db = sqlite3.connect(directory / "ballots.db", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE ballot (record BLOB NOT NULL)")

    def write(self, record: bytes, page: bytes) -> None:
        self.db.execute("INSERT INTO ballot (record) VALUES (?)", (record,))

    def close(self) -> None:
        self.db.close()


def _storage(ctx: Context, station: Station) -> None:
    """BallotBox.cast next to the fsync floor and SQLite, interleaved, same records."""
    count = 600 if ctx.quick else 2000
    warmup = 50
    root = ctx.scratch("storage")
    slots = station.slots  # the real box size of a 3,000-voter precinct
    records = [
        seal(b, station.sealing_public, station.signer) for b in ballots(station, count + warmup)
    ]
    key = station.signer.public
    box = _Box(root, key, slots)
    floor_store = _Floor(root, slots)
    fallocated = _Floor(root, slots, fallocated=True)
    sqlite = _Sqlite(root / "sqlite")
    stores: list[tuple[str, _Store]] = [
        ("BallotBox.cast", box),
        ("fsync floor", floor_store),
        ("SQLite WAL FULL", sqlite),
        ("fresh file", _FreshFiles(root / "files")),
        ("fallocated page", fallocated),
    ]
    names = [name for name, _ in stores]
    samples: dict[str, list[int]] = {name: [] for name in names}
    for index, record in enumerate(records):
        box.prepare()
        floor_store.prepare()
        fallocated.prepare()
        page = encode_slot(record)
        # Rotate the order every ballot: none of them always follows the same neighbour.
        shift = index % len(stores)
        for name, store in stores[shift:] + stores[:shift]:
            t0 = time.perf_counter_ns()
            store.write(record, page)
            elapsed = time.perf_counter_ns() - t0
            if index >= warmup:
                samples[name].append(elapsed)
    floor_store.close()
    fallocated.close()
    sqlite.close()

    spreads = {name: Spread.of(s).scaled(1e-6) for name, s in samples.items()}
    floor = spreads["fsync floor"]
    for name in names:
        ratio = spreads[name].p50 / floor.p50
        info(f"{name} (ms)", f"{spreads[name]}  = {fmt(ratio)} x floor")

    # What the box adds to the floor, measured apart: the same cast on a store that does no I/O.
    null_box = BallotBox(_NullStorage(), key, slots)  # type: ignore[arg-type]
    cpu = []
    for record in records[: min(len(records), slots)]:
        t0 = time.process_time_ns()
        null_box.cast(record)
        cpu.append(time.process_time_ns() - t0)
    info("BallotBox.cast without I/O (CPU ms)", str(Spread.of(cpu).scaled(1e-6)))

    cast = spreads["BallotBox.cast"].p50
    sqlite_p50 = spreads["SQLite WAL FULL"].p50
    ctx.results.add(
        Figure(
            "cast_storage_vs_fsync_floor_ms",
            cast,
            "ms",
            FLOOR_FACTOR * floor.p50,
            "lower",
            floor.p50,
        )
    )
    ctx.results.add(
        Figure("cast_storage_vs_sqlite_ms", cast, "ms", sqlite_p50, "lower", sqlite_p50)
    )
