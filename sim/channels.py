"""Byte channels between a simulated device and the terminal: a pseudo-terminal, or a socket.

A simulated device (the printer, the scanner) reads and writes bytes; where they travel is
this module's business. `PtyChannel` is a pseudo-terminal the terminal process opens as its
serial port (the desktop simulation). `SocketChannel` listens on a Unix socket that QEMU's
usb-serial chardev connects to (the emulated board): each boot of the guest is a new
connection, and the device, like a real one on its own power, keeps its state across them.

Both behave alike when nobody is at the other end: reads return nothing, and replies are
dropped as a real reply on a dead line would be.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
import tty
from pathlib import Path
from typing import Protocol

READ_BYTES = 65536


class Channel(Protocol):
    """The device's end of a serial line."""

    port: str  # what the terminal opens (a /dev/pts path, or a socket path for QEMU)

    def read(self, timeout: float) -> bytes:
        """Bytes that arrived within `timeout` seconds; b"" when none did."""

    def write(self, data: bytes) -> None:
        """Send `data` now, or drop it when no one is connected or the line is full."""

    def close(self) -> None: ...


class PtyChannel:
    """A fresh pseudo-terminal; the terminal opens `port` (/dev/pts/N) like a serial port."""

    def __init__(self) -> None:
        self._master, slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        # Only the client holds the slave open, so that a closed client shows as EIO.
        os.close(slave)
        # Replies must never block the device when the client does not read them.
        os.set_blocking(self._master, False)

    def read(self, timeout: float) -> bytes:
        readable, _, _ = select.select([self._master], [], [], timeout)
        if not readable:
            return b""
        try:
            return os.read(self._master, READ_BYTES)
        except OSError as exc:
            # EIO: no client has the port open (before the first open, or after the
            # terminal died); it will come back. Linux delivers all bytes written before
            # the close first, so nothing sent is lost. The master then reads as EIO at once,
            # so select cannot be what waits.
            if exc.errno not in (errno.EIO, errno.EAGAIN):
                raise
            time.sleep(timeout)
            return b""

    def write(self, data: bytes) -> None:
        try:
            os.write(self._master, data)
        except OSError as exc:
            # The client's input queue is full (it never reads), or no client is there: a
            # real printer's reply would be lost on the line too.
            if exc.errno not in (errno.EAGAIN, errno.EIO):
                raise

    def close(self) -> None:
        os.close(self._master)


class SocketChannel:
    """A listening Unix socket at `path`; the newest connection is the line.

    QEMU (`-chardev socket,path=...,server=off`) connects when it starts, before the guest
    runs; a power cut closes the connection and the next boot makes a new one. Data the
    guest sent before the cut is read before the hang-up is seen.
    """

    def __init__(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        self.port = str(path)
        self._path = path
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(4)
        self._conn: socket.socket | None = None
        self.connections = 0

    @property
    def connected(self) -> bool:
        self._accept_pending()
        return self._conn is not None

    def _accept_pending(self) -> None:
        while select.select([self._listener], [], [], 0)[0]:
            conn, _ = self._listener.accept()
            conn.setblocking(False)
            # A new boot replaces the line of the one before (QEMU is gone with its power).
            if self._conn is not None:
                self._conn.close()
            self._conn = conn
            self.connections += 1

    def read(self, timeout: float) -> bytes:
        self._accept_pending()
        waiting: list[socket.socket] = [self._listener]
        if self._conn is not None:
            waiting.append(self._conn)
        readable, _, _ = select.select(waiting, [], [], timeout)
        if self._listener in readable:
            self._accept_pending()
        if self._conn is None or self._conn not in readable:
            return b""
        try:
            data = self._conn.recv(READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:
            data = b""
        if not data:
            self._conn.close()
            self._conn = None
        return data

    def write(self, data: bytes) -> None:
        self._accept_pending()
        if self._conn is None:
            return
        try:
            self._conn.sendall(data)
        except BlockingIOError:
            pass  # the guest does not read: a reply on a full line is lost
        except OSError:
            self._conn.close()
            self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._listener.close()
        self._path.unlink(missing_ok=True)
