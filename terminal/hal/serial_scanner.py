"""Barcode and QR scanners on a serial port (USB CDC-ACM, RS-232, or a pseudo-terminal).

The scanner sends each scan as one line ended by its configured suffix, optionally led by an
AIM symbology identifier (ISO/IEC 15424: `]`, a code character, a modifier; `]Q1` is QR,
`]C0` Code 128, `]L2` PDF417). Bytes that are not UTF-8 become U+FFFD so that the layers
above refuse the scan instead of the driver crashing on it.

A USB scanner can be unplugged at any time. Then `read()` reports no scans and tries to
reopen the port on each later call; when it comes back, `fileno()` is a different
descriptor. The main loop therefore asks for `fileno()` afresh on every iteration, and calls
`read()` on its idle ticks too, since a disconnected scanner never becomes readable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re

import serial

from terminal.hal.board_config import Suffix
from terminal.hal.interfaces import Scan
from terminal.hal.line_buffer import LineBuffer
from terminal.invariants import InvariantError

log = logging.getLogger(__name__)

# Longest scan kept: a PDF417 on an ID card carries about 1.1 KB, a QR code at most ~3 KB.
MAX_SCAN_BYTES = 4096
# Bytes taken per read() call, so that a device spewing data cannot starve the main loop.
MAX_READ_BYTES = 65536
# ISO/IEC 15424: the code character is a letter; the modifier is a digit for the common
# symbologies, a letter for a few (Aztec uses A-C), so both are accepted.
_AIM_ID = re.compile(rb"\][A-Za-z][0-9A-Za-z]")


class SerialScanner:
    """A Scanner reading line-terminated scans from a serial port, without blocking."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        suffix: Suffix | str = Suffix.CR,
        aim_prefix: bool = False,
    ) -> None:
        """Open `port`; a port missing at start raises serial.SerialException (an OSError),
        so that a wrong board config shows at once rather than as a scanner that never scans.
        """
        self._port = port
        self._baudrate = baudrate
        self._aim_prefix = aim_prefix
        self._lines = LineBuffer(Suffix(suffix).separator, MAX_SCAN_BYTES, port)
        # While unplugged, fileno() returns this pipe's read end, which nobody writes: a valid
        # descriptor that select() accepts and never reports readable.
        self._idle_read, self._idle_write = os.pipe()
        self._serial: serial.Serial | None = self._open()

    def _open(self) -> serial.Serial:
        # timeout=0 makes read() return at once with whatever is buffered.
        return serial.Serial(self._port, self._baudrate, timeout=0)

    @property
    def connected(self) -> bool:
        """Whether the port is open (False after an unplug, until it is reopened)."""
        return self._serial is not None

    def fileno(self) -> int:
        """The descriptor to select on now; it changes when the port is reopened."""
        if self._serial is None:
            return self._idle_read
        return int(self._serial.fileno())

    def read(self) -> list[Scan]:
        """The complete scans received so far; reopens the port if it had gone away."""
        if self._serial is None and not self._reopen():
            return []
        if self._serial is None:
            raise InvariantError("invariant broken: self._serial is not None")
        received = bytearray()
        try:
            while len(received) < MAX_READ_BYTES:
                chunk = self._serial.read(MAX_READ_BYTES - len(received))
                if not chunk:
                    break
                received += chunk
        except OSError as exc:  # serial.SerialException is an OSError
            self._lost(exc)
            return []
        return [self._scan(line) for line in self._lines.feed(bytes(received)) if line]

    def close(self) -> None:
        """Close the port and the placeholder descriptor."""
        if self._serial is not None:
            self._serial.close()
            self._serial = None
        os.close(self._idle_read)
        os.close(self._idle_write)

    def _scan(self, line: bytes) -> Scan:
        symbology = ""
        if self._aim_prefix and _AIM_ID.match(line):
            symbology, line = line[:3].decode("ascii"), line[3:]
        return Scan(line.decode("utf-8", errors="replace"), symbology)

    def _lost(self, exc: OSError) -> None:
        log.warning("scanner %s disconnected: %s", self._port, exc)
        if self._serial is None:
            raise InvariantError("invariant broken: self._serial is not None")
        # The device is already gone; closing only releases our descriptor and may complain.
        with contextlib.suppress(OSError):
            self._serial.close()
        self._serial = None
        # Half a scan from before the unplug must not be glued to the first one after it.
        self._lines.clear()

    def _reopen(self) -> bool:
        try:
            self._serial = self._open()
        except OSError:
            return False  # still unplugged; the disconnect was logged once already
        log.info("scanner %s reconnected", self._port)
        return True
