"""Files opened without following links: every write and careful read of Tamga goes here.

A USB stick, a mirror card or a bundle handed to the host is made by someone else: a
symbolic link on it may point at the ballot box, a FIFO blocks a reader forever, a device
file yields endless bytes. So no path is opened by name from the file system's root:
directories are walked one component at a time, each opened relative to its parent with
O_DIRECTORY|O_NOFOLLOW, and files relative to their directory with O_NOFOLLOW (and
O_NONBLOCK, so that a FIFO never blocks), then checked with fstat to be regular files.

Whole-file writes go to an unpredictable temporary name opened with O_CREAT|O_EXCL (a name
planted in advance cannot be it), are fsynced, renamed over the target (rename replaces a
link, never follows it), and the directory is fsynced so that the rename is durable.

Every file the terminal or the host tools create holds election data, so none is readable
by other users (mode 0600) unless it is meant to be published (0644).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
PRIVATE_DIR_MODE = 0o700
PUBLIC_DIR_MODE = 0o755
MAX_TREE_DEPTH = 16  # deeper than any directory Tamga writes: a stick that deep is refused

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class UnsafeFileError(OSError):
    """A link, FIFO, device file or socket where Tamga reads or writes (or a file too large
    for its format): refused before anything is written; the message names it."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(errno.EPERM, f"{path}: {problem}: refused")
        self.path = str(path)
        self.problem = problem

    def __str__(self) -> str:
        return str(self.strerror)


def describe(mode: int) -> str:
    """What a file of this st_mode is, for a message."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _lstat_at(dir_fd: int, name: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def _check_component(name: str, path: Path | str) -> None:
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise UnsafeFileError(path, f"{name!r} is not a file name")


def open_subdirectory(
    dir_fd: int, name: str, path: Path | str, create_mode: int | None = None
) -> int:
    """Open the directory `name` inside `dir_fd` without following a link (`path` is its
    full name for messages); create it first with `create_mode` if it is missing and a
    mode is given."""
    _check_component(name, path)
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        if create_mode is None:
            raise
        with contextlib.suppress(FileExistsError):  # made meanwhile: opened below
            os.mkdir(name, create_mode, dir_fd=dir_fd)
            os.fsync(dir_fd)
        return open_subdirectory(dir_fd, name, path, None)
    except OSError as exc:
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        found = _lstat_at(dir_fd, name)
        what = describe(found.st_mode) if found is not None else "not a directory"
        raise UnsafeFileError(path, f"is {what}, not a directory") from exc


def open_directory(path: Path, create_mode: int | None = None) -> int:
    """Open the directory `path` walking from the root one component at a time, following
    no link at any level; missing directories are created when `create_mode` is given.
    The caller closes the returned descriptor."""
    absolute = os.path.abspath(path)  # lexical: ".." is resolved without reading any link
    fd = os.open("/", _DIR_FLAGS)
    walked = "/"
    try:
        for name in Path(absolute).parts[1:]:
            walked = os.path.join(walked, name)
            child = open_subdirectory(fd, name, walked, create_mode)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def directory(path: Path, create_mode: int | None = None) -> Iterator[int]:
    """`open_directory` as a context manager that closes the descriptor."""
    fd = open_directory(path, create_mode)
    try:
        yield fd
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in the directory `path` durable."""
    with directory(path) as fd:
        os.fsync(fd)


def open_regular(
    dir_fd: int, name: str, flags: int, path: Path | str, mode: int = PRIVATE_MODE
) -> int:
    """Open the regular file `name` in `dir_fd` with `flags` (O_RDONLY, O_RDWR|O_CREAT, ...)
    without following a link and without blocking on a FIFO; anything but a regular file
    is refused, naming `path`."""
    _check_component(name, path)
    found = _lstat_at(dir_fd, name)
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise UnsafeFileError(path, f"is {describe(found.st_mode)}, not a regular file")
    try:
        fd = os.open(name, flags | _FILE_FLAGS, mode, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise UnsafeFileError(path, "is a symbolic link, not a regular file") from exc
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode):  # swapped in between the lstat and the open
        os.close(fd)
        raise UnsafeFileError(path, f"is {describe(opened.st_mode)}, not a regular file")
    if flags & os.O_CREAT and found is None:
        os.fsync(dir_fd)  # the new name is durable
    return fd


def read_from(fd: int, path: Path | str, limit: int | None = None) -> bytes:
    """Every byte of the open file `fd`, refused when it holds more than `limit` bytes."""
    size = os.fstat(fd).st_size
    if limit is not None and size > limit:
        raise UnsafeFileError(path, f"is {size} bytes, larger than its format allows ({limit})")
    chunks = []
    total = 0
    while True:
        chunk = os.read(fd, max(size - total, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if limit is not None and total > limit:  # the file grew while it was read
            raise UnsafeFileError(path, f"is larger than its format allows ({limit} bytes)")
    return b"".join(chunks)


def read_at(dir_fd: int, name: str, path: Path | str, limit: int | None = None) -> bytes:
    """The bytes of the regular file `name` in `dir_fd` (refused above `limit` bytes)."""
    fd = open_regular(dir_fd, name, os.O_RDONLY, path)
    try:
        return read_from(fd, path, limit)
    finally:
        os.close(fd)


def read_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file `path`, reached through no link at any level."""
    with directory(path.parent) as dir_fd:
        return read_at(dir_fd, path.name, path, limit)


def write_at(dir_fd: int, name: str, data: bytes, mode: int, path: Path | str) -> None:
    """Atomically and durably replace `name` in `dir_fd` by `data` (see the module's
    docstring); a link, FIFO or device under that name is refused, not replaced."""
    _check_component(name, path)
    found = _lstat_at(dir_fd, name)
    if found is not None and not stat.S_ISREG(found.st_mode):
        raise UnsafeFileError(path, f"is {describe(found.st_mode)}, not a regular file")
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FILE_FLAGS, mode, dir_fd=dir_fd)
    try:
        try:
            os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    os.fsync(dir_fd)


def _write(path: Path, data: bytes, mode: int) -> None:
    dir_mode = PRIVATE_DIR_MODE if mode == PRIVATE_MODE else PUBLIC_DIR_MODE
    with directory(path.parent, dir_mode) as dir_fd:
        write_at(dir_fd, path.name, data, mode, path)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically and durably write a file only its owner may read (keys, voter data)."""
    _write(path, data, PRIVATE_MODE)


def write_public_file(path: Path, data: bytes) -> None:
    """Atomically and durably write a file meant to be handed over (packages, bundles)."""
    _write(path, data, PUBLIC_MODE)


def check_tree(path: Path) -> None:
    """Refuse the directory `path` (a stick's export directory, a mirror) if it or anything
    under it is a link, FIFO, device file or socket, or nests deeper than MAX_TREE_DEPTH.
    A directory that does not exist yet holds nothing: it passes."""
    try:
        fd = open_directory(path)
    except FileNotFoundError:
        return
    try:
        _check_entries(fd, path, 0)
    finally:
        os.close(fd)


def _check_entries(dir_fd: int, path: Path, depth: int) -> None:
    if depth > MAX_TREE_DEPTH:
        raise UnsafeFileError(path, f"nests deeper than {MAX_TREE_DEPTH} directories")
    for name in sorted(os.listdir(dir_fd)):
        found = _lstat_at(dir_fd, name)
        if found is None or stat.S_ISREG(found.st_mode):
            continue
        if not stat.S_ISDIR(found.st_mode):
            raise UnsafeFileError(path / name, f"is {describe(found.st_mode)}")
        child = open_subdirectory(dir_fd, name, path / name)
        try:
            _check_entries(child, path / name, depth + 1)
        finally:
            os.close(child)
