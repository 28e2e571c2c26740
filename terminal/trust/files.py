"""Durable whole-file writes: write to a temporary name, fsync, rename, fsync the directory.

Every file the terminal or the host tools create holds election data, so none is
readable by other users (mode 0600) unless it is meant to be published (0644).
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if mode == PRIVATE_MODE else 0o755)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically and durably write a file only its owner may read (keys, voter data)."""
    _write_atomic(path, data, PRIVATE_MODE)


def write_public_file(path: Path, data: bytes) -> None:
    """Atomically and durably write a file meant to be handed over (packages, bundles)."""
    _write_atomic(path, data, PUBLIC_MODE)
