"""Durable storage: the terminal's data directory, behind one small interface.

Every store (event log, ballot box, voter marks) goes through `Storage`, so that a
fault-injecting twin can drop, tear or garble unsynced writes the way a power cut does,
and a mirroring twin can copy every write to a second card.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from terminal.trust.files import PRIVATE_MODE, fsync_dir, write_private_file


class StorageError(OSError):
    """A write or sync failed. The terminal stops: after a failed fsync the kernel may have
    dropped the data, so retrying could report a ballot as stored when it is not."""


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
    """The real storage: files in a directory, created with mode 0600."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fds: dict[str, int] = {}

    def _fd(self, name: str) -> int:
        fd = self._fds.get(name)
        if fd is None:
            path = self.root / name
            new = not path.exists()
            fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
            self._fds[name] = fd
            if new:
                fsync_dir(self.root)
        return fd

    def exists(self, name: str) -> bool:
        return (self.root / name).exists()

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

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
            fsync_dir(self.root)
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
            write_private_file(self.root / name, data)
        except OSError as exc:
            raise StorageError(exc.errno, f"cannot write {name}: {exc.strerror}") from exc

    def warning(self) -> str | None:
        return None

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
