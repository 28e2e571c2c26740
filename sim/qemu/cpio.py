"""A writer for the cpio "newc" format that the Linux kernel unpacks as its initramfs.

Written here rather than calling cpio(1) so that the archive is reproducible by construction:
entries are written in the order given (the caller sorts them), owners are root, inode numbers
count up from 1 and every mtime is the one the caller fixes (SOURCE_DATE_EPOCH). Device nodes
(/dev/console) need no privilege to be put in an archive. Format: the kernel's
Documentation/driver-api/early-userspace/buffer-format.rst.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

MAGIC = b"070701"
TRAILER = "TRAILER!!!"
# The kernel keeps 32-bit sizes in the header: one file can be at most 4 GiB - 1.
MAX_FIELD = 0xFFFFFFFF


class CpioError(ValueError):
    """An entry cannot be written (a bad name, or a field that does not fit)."""


def _pad(length: int) -> bytes:
    return b"\0" * (-length % 4)


class CpioWriter:
    """Append entries to a binary stream; call close() to write the trailer.

    Names are archive paths without a leading slash ("usr/bin/python3"); a parent directory
    must come before its contents, as the kernel creates nothing implicitly.
    """

    def __init__(self, stream: BinaryIO, mtime: int) -> None:
        self._stream = stream
        self._mtime = mtime
        self._inode = 0
        self._names: set[str] = set()
        self._closed = False

    def _header(self, name: str, mode: int, size: int, nlink: int, rdev: tuple[int, int]) -> None:
        if self._closed:
            raise CpioError("the archive is closed")
        if not name or name.startswith("/") or "\0" in name or name == TRAILER:
            raise CpioError(f"bad entry name {name!r}")
        if name in self._names:
            raise CpioError(f"duplicate entry {name!r}")
        if size > MAX_FIELD:
            raise CpioError(f"{name}: {size} bytes do not fit a newc header")
        self._names.add(name)
        self._inode += 1
        self._write_header(name, mode, size, nlink, rdev, self._inode, self._mtime)

    def _write_header(
        self,
        name: str,
        mode: int,
        size: int,
        nlink: int,
        rdev: tuple[int, int],
        inode: int,
        mtime: int,
    ) -> None:
        encoded = name.encode() + b"\0"
        fields = (inode, mode, 0, 0, nlink, mtime, size, 0, 0, rdev[0], rdev[1], len(encoded), 0)
        header = MAGIC + b"".join(b"%08X" % value for value in fields)
        self._stream.write(header + encoded + _pad(len(header) + len(encoded)))

    def directory(self, name: str, mode: int = 0o755) -> None:
        self._header(name, stat.S_IFDIR | mode, 0, 2, (0, 0))

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._header(name, stat.S_IFREG | mode, len(data), 1, (0, 0))
        self._stream.write(data + _pad(len(data)))

    def symlink(self, name: str, target: str) -> None:
        data = target.encode()
        self._header(name, stat.S_IFLNK | 0o777, len(data), 1, (0, 0))
        self._stream.write(data + _pad(len(data)))

    def char_device(self, name: str, major: int, minor: int, mode: int = 0o600) -> None:
        self._header(name, stat.S_IFCHR | mode, 0, 1, (major, minor))

    def add_path(self, name: str, path: Path) -> None:
        """Add a file, directory or symlink from disk, keeping only its permission bits."""
        info = path.lstat()
        permissions = stat.S_IMODE(info.st_mode)
        if stat.S_ISLNK(info.st_mode):
            self.symlink(name, os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            self.directory(name, permissions)
        elif stat.S_ISREG(info.st_mode):
            self.file(name, path.read_bytes(), permissions)
        else:
            raise CpioError(f"{path}: not a file, directory or symlink")

    def close(self) -> None:
        """Write the trailer; the stream stays open (archives may be concatenated)."""
        if not self._closed:
            self._write_header(TRAILER, 0, 0, 1, (0, 0), 0, 0)
            self._closed = True


def add_tree(
    writer: CpioWriter, root: Path, prefix: str = "", skip: frozenset[str] = frozenset()
) -> int:
    """Add everything under `root` in sorted order, as `prefix/relative path`; return the count.

    `skip` names relative paths (files or whole directories) to leave out.
    """
    count = 0
    for dirpath, dirnames, filenames in os.walk(root):
        directory = Path(dirpath)
        relative_dir = directory.relative_to(root).as_posix()
        # Sorted in place, so os.walk descends in a reproducible order.
        dirnames.sort()
        kept = []
        for name in dirnames:
            relative = name if relative_dir == "." else f"{relative_dir}/{name}"
            if relative in skip:
                continue
            if (directory / name).is_symlink():
                # os.walk lists a symlink to a directory among dirnames; it is a leaf here.
                filenames.append(name)
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in [*sorted(filenames), *kept]:
            relative = name if relative_dir == "." else f"{relative_dir}/{name}"
            if relative in skip:
                continue
            archive_name = f"{prefix}/{relative}" if prefix else relative
            writer.add_path(archive_name, directory / name)
            count += 1
    return count


def read_entries(data: bytes) -> list[tuple[str, int, bytes]]:
    """Parse newc archives (concatenated ones too) into (name, mode, data); for tests."""
    entries: list[tuple[str, int, bytes]] = []
    offset = 0
    while offset < len(data):
        if data[offset : offset + 6] != MAGIC:
            if not data[offset:].strip(b"\0"):
                break  # padding after the last trailer
            raise CpioError(f"offset {offset}: no newc magic")
        fields = [int(data[offset + 6 + 8 * i : offset + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_start = offset + 110
        name = data[name_start : name_start + namesize - 1].decode()
        data_start = name_start + namesize + (-(110 + namesize) % 4)
        body = data[data_start : data_start + size]
        offset = data_start + size + (-size % 4)
        if name != TRAILER:
            entries.append((name, mode, body))
    return entries
