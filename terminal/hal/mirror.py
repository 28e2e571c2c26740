"""A mirror of the terminal's stores on a second card or USB stick.

Every durable write goes to the data directory first, then to the mirror. The data
directory is authoritative: its failures stop the terminal (see storage.py). A missing,
full or failing mirror only raises a warning for the poll worker (and the commission's
attention), never a lost ballot, and the mirror is caught up from the data directory
file by file the first time each store is touched after it comes back.

Only what goes through Storage is mirrored: the stores, never the terminal's keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from terminal.hal.storage import DataDir, Storage, StorageWarning
from terminal.invariants import InvariantError
from terminal.trust import files


class MirroredStorage:
    """Storage over a data directory and an optional mirror directory."""

    def __init__(self, primary: Storage, mirror: Path | None, retry_seconds: float = 60) -> None:
        self.primary = primary
        self.mirror_root = mirror
        self.mirror: DataDir | None = None
        # Why the mirror is not up to date, if it is not.
        self.problem: str | None = None
        self.retry_seconds = retry_seconds
        self._synced: set[str] = set()
        self._known: set[str] = set()  # every store touched: caught up at once on reattach
        self._failed_at = 0.0
        if mirror is not None:
            self._attach()

    def _attach(self) -> None:
        if self.mirror_root is None:
            raise InvariantError("invariant broken: self.mirror_root is not None")
        # The mirror's directory must exist: with the stick unplugged, its mount point is a
        # plain directory of the root file system, which must not fill up with a copy. A
        # card holding links, FIFOs or device files is refused whole, before any write.
        try:
            mirror = DataDir(self.mirror_root, create=False)
        except FileNotFoundError:
            self.problem = f"{self.mirror_root}: not present"
            return
        except OSError as exc:
            self._lose(exc)
            return
        try:
            files.check_tree(self.mirror_root)
            self.mirror = mirror
            for name in sorted(self._known):
                self._catch_up(mirror, name)
            self.problem = None
        except OSError as exc:
            mirror.close()
            self._lose(exc)

    def _catch_up(self, mirror: DataDir, name: str) -> None:
        data = self.primary.read(name) if self.primary.exists(name) else None
        if data is not None and (not mirror.exists(name) or mirror.read(name) != data):
            mirror.replace(name, data)
        self._synced.add(name)

    def warning(self) -> str | None:
        """Why the mirror is not up to date. Now and then it tries to attach a mirror that
        came back, catching it up with every store before it clears the warning."""
        due = time.monotonic() - self._failed_at >= self.retry_seconds
        if self.mirror is None and self.mirror_root is not None and due:
            self._attach()
            if self.mirror is None:
                self._failed_at = time.monotonic()
        return self.problem

    def _lose(self, exc: OSError) -> None:
        if isinstance(exc, files.UnsafeFileError):
            self.problem = StorageWarning(str(exc), refused=True)
        else:
            self.problem = f"{self.mirror_root}: {exc.strerror or exc}"
        self._failed_at = time.monotonic()
        if self.mirror is not None:
            self.mirror.close()
        self.mirror = None
        self._synced.clear()

    def _on_mirror(self, name: str, action: Callable[[DataDir], None]) -> None:
        """Catch the mirror's copy of `name` up with the data directory, then apply `action`."""
        self._known.add(name)
        if self.mirror is None:
            return
        try:
            if name not in self._synced:
                self._catch_up(self.mirror, name)  # the copy includes this very write
            else:
                action(self.mirror)
        except OSError as exc:
            self._lose(exc)

    def exists(self, name: str) -> bool:
        return self.primary.exists(name)

    def read(self, name: str) -> bytes:
        return self.primary.read(name)

    def size(self, name: str) -> int:
        return self.primary.size(name)

    def create(self, name: str, size: int) -> None:
        self.primary.create(name, size)
        self._on_mirror(name, lambda m: m.create(name, size))

    def pwrite(self, name: str, offset: int, data: bytes) -> None:
        self.primary.pwrite(name, offset, data)
        self._on_mirror(name, lambda m: m.pwrite(name, offset, data))

    def append(self, name: str, data: bytes) -> None:
        size = self.primary.size(name) if self.primary.exists(name) else 0  # a first append
        self.primary.append(name, data)
        # Written at the data directory's offset, so the mirror stays a byte-exact copy.
        self._on_mirror(name, lambda m: m.pwrite(name, size, data))

    def truncate(self, name: str, size: int) -> None:
        self.primary.truncate(name, size)
        self._on_mirror(name, lambda m: m.truncate(name, size))

    def sync(self, name: str) -> None:
        self.primary.sync(name)
        self._on_mirror(name, lambda m: m.sync(name))

    def replace(self, name: str, data: bytes) -> None:
        self.primary.replace(name, data)
        self._on_mirror(name, lambda m: m.replace(name, data))
