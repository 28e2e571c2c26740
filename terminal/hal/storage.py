"""Durable storage: the terminal's data directory, behind one small interface.

Every store (event log, ballot box, voter marks) goes through `Storage`, so that a
fault-injecting twin can drop, tear or garble unsynced writes the way a power cut does,
and a mirroring twin can copy every write to a second card.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from terminal.trust import files
from terminal.trust.files import PRIVATE_MODE


class StorageError(OSError):
    """A write or sync failed. The terminal stops: after a failed fsync the kernel may have
    dropped the data, so retrying could report a ballot as stored when it is not."""


class StorageWarning(str):
    """A warning for the poll worker whose text is its technical detail; `refused` when the
    medium (a mirror card) was refused for holding links, FIFOs or device files, so that
    the screen can say so in the poll worker's language."""

    refused: bool

    def __new__(cls, detail: str, refused: bool = False) -> StorageWarning:
        warning = super().__new__(cls, detail)
        warning.refused = refused
        return warning


class Storage(Protocol):
    """Named files in one durable directory."""

    def exists(self, name: str) -> bool: ...

    def read(self, name: str) -> bytes: ...

    def size(self, name: str) -> int: ...

    def create(self, name: str, size: int) -> None:
        """Create a zero-filled file of `size` bytes, durably."""

    def pwrite(self, name: str, offset: int, data: bytes) -> None: ...

    def append(self, name: str, data: bytes) -> None: ...

    def truncate(self, name: str, size: int) -> None: ...

    def sync(self, name: str) -> None:
        """Make every earlier write to `name` durable (fsync)."""

    def replace(self, name: str, data: bytes) -> None:
        """Atomically and durably replace the whole file."""

    def warning(self) -> str | None:
        """A problem the poll worker should see that does not stop the terminal (a mirror)."""


_CREATE_CHUNK = 1 << 20  # zeros written per call when a file is made


class DataDir:
    """The real storage: files in a directory, created with mode 0600.

    The directory is reached and its files opened without following links at any level
    (terminal.trust.files): a mirror card or a planted name cannot redirect a write. Store
    names may hold `/` for a store in a subdirectory, walked the same way."""

    def __init__(self, root: Path, create: bool = True) -> None:
        self.root = root
        # Walked (and made) now, so that a missing or linked directory is refused at once;
        # then again for each open: only the stores' own descriptors stay open.
        os.close(files.open_directory(root, files.PRIVATE_DIR_MODE if create else None))
        self._fds: dict[str, int] = {}

    @contextlib.contextmanager
    def _in_parent(self, name: str, create: bool = False) -> Iterator[tuple[int, str]]:
        """A descriptor of the directory holding store `name`, reached without following
        links, and the store's file name in it."""
        *parents, leaf = name.split("/")
        fd = files.open_directory(self.root)
        try:
            walked = self.root
            for part in parents:
                walked = walked / part
                mode = files.PRIVATE_DIR_MODE if create else None
                child = files.open_subdirectory(fd, part, walked, mode)
                os.close(fd)
                fd = child
            yield fd, leaf
        finally:
            os.close(fd)

    def _fd(self, name: str) -> int:
        fd = self._fds.get(name)
        if fd is None:
            with self._in_parent(name, create=True) as (parent, leaf):
                fd = files.open_regular(
                    parent, leaf, os.O_RDWR | os.O_CREAT, self.root / name, PRIVATE_MODE
                )
            self._fds[name] = fd
        return fd

    def exists(self, name: str) -> bool:
        try:
            with self._in_parent(name) as (parent, leaf):
                os.stat(leaf, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def read(self, name: str) -> bytes:
        fd = self._fds.get(name)
        if fd is not None:
            return os.pread(fd, os.fstat(fd).st_size, 0)
        with self._in_parent(name) as (parent, leaf):
            return files.read_at(parent, leaf, self.root / name)

    def size(self, name: str) -> int:
        return os.fstat(self._fd(name)).st_size

    def create(self, name: str, size: int) -> None:
        fd = self._fd(name)
        # Zeros written, not posix_fallocate'd: ext4 keeps fallocated blocks as unwritten
        # extents, so the first write to each would make every cast's fdatasync commit an
        # extent change through the journal too (bench/casting.py measures both).
        chunk = bytes(min(size, _CREATE_CHUNK))
        try:
            for offset in range(0, size, len(chunk) or 1):
                self.pwrite(name, offset, chunk[: size - offset])
            os.fsync(fd)
            with self._in_parent(name) as (parent, _):
                os.fsync(parent)
        except OSError as exc:
            raise StorageError(exc.errno, f"cannot create {name}: {exc.strerror}") from exc

    def pwrite(self, name: str, offset: int, data: bytes) -> None:
        try:
            written = os.pwrite(self._fd(name), data, offset)
        except OSError as exc:
            raise StorageError(exc.errno, f"cannot write {name}: {exc.strerror}") from exc
        if written != len(data):
            raise StorageError(0, f"short write to {name}")

    def append(self, name: str, data: bytes) -> None:
        self.pwrite(name, self.size(name), data)

    def truncate(self, name: str, size: int) -> None:
        try:
            os.ftruncate(self._fd(name), size)
        except OSError as exc:
            raise StorageError(exc.errno, f"cannot truncate {name}: {exc.strerror}") from exc

    def sync(self, name: str) -> None:
        try:
            os.fdatasync(self._fd(name))
        except OSError as exc:
            raise StorageError(exc.errno, f"cannot sync {name}: {exc.strerror}") from exc

    def replace(self, name: str, data: bytes) -> None:
        fd = self._fds.pop(name, None)
        if fd is not None:
            os.close(fd)
        try:
            with self._in_parent(name, create=True) as (parent, leaf):
                files.write_at(parent, leaf, data, PRIVATE_MODE, self.root / name)
        except OSError as exc:
            raise StorageError(exc.errno, f"cannot write {name}: {exc.strerror}") from exc

    def warning(self) -> str | None:
        return None

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
