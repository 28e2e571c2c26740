"""ESC/POS thermal printers on a serial port or a USB printer-class device (/dev/usb/lp0).

Both speak the same bytes (terminal.hal.escpos); they differ only in how bytes travel, which
is the small `ByteChannel` below. Status is always asked for, never assumed: a printer that
does not answer, or answers something that is not a status byte, is OFFLINE.
"""

from __future__ import annotations

import os
import select
from typing import Protocol

import serial
from PIL import Image

from terminal.hal import escpos
from terminal.hal.escpos import StatusFlag, StatusQuery
from terminal.hal.interfaces import PrinterStatus

# How long to wait for each status byte. A printer answers DLE EOT within milliseconds,
# even while busy or offline; half a second also covers a slow serial line.
DEFAULT_TIMEOUT = 0.5
# Lines fed before the cut, as a bottom margin: GS V 66 brings the last printed line to the
# cutter, which would otherwise cut right under it.
CUT_FEED_LINES = 3


class ByteChannel(Protocol):
    """A two-way byte link to a printer."""

    def write(self, data: bytes) -> None: ...

    def flush(self) -> None:
        """Return once everything written is handed to the device."""

    def read_byte(self) -> int | None:
        """One byte from the printer, or None if none comes within the channel's timeout."""

    def discard_input(self) -> None:
        """Drop bytes received and not yet read (late answers to earlier questions)."""

    def close(self) -> None: ...


class SerialChannel:
    """A serial port through pyserial (a USB CDC-ACM or RS-232 port, or a pseudo-terminal)."""

    def __init__(self, port: str, baudrate: int, timeout: float, rtscts: bool) -> None:
        self._serial = serial.Serial(port, baudrate, timeout=timeout, rtscts=rtscts)

    def write(self, data: bytes) -> None:
        self._serial.write(data)

    def flush(self) -> None:
        self._serial.flush()

    def read_byte(self) -> int | None:
        data = bytes(self._serial.read(1))
        return data[0] if data else None

    def discard_input(self) -> None:
        self._serial.reset_input_buffer()

    def close(self) -> None:
        self._serial.close()


class FdChannel:
    """A device file read and written through one descriptor (the USB printer class driver
    exposes the printer's bulk-in endpoint as reads of /dev/usb/lpN)."""

    def __init__(self, path: str, timeout: float) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        self._timeout = timeout

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def flush(self) -> None:
        # os.write keeps nothing in user space, and usblp's write returns once the data is
        # queued to the device; there is nothing further to push.
        pass

    def read_byte(self) -> int | None:
        readable, _, _ = select.select([self._fd], [], [], self._timeout)
        if not readable:
            return None
        data = os.read(self._fd, 1)
        return data[0] if data else None

    def discard_input(self) -> None:
        while select.select([self._fd], [], [], 0)[0]:
            if not os.read(self._fd, 4096):
                return

    def close(self) -> None:
        os.close(self._fd)


class EscPosPrinter:
    """A Printer speaking ESC/POS over any ByteChannel, `width` dots wide (384 for 58 mm
    paper, 576 for 80 mm)."""

    def __init__(self, channel: ByteChannel, width: int) -> None:
        if width <= 0 or width % 8:
            channel.close()
            raise ValueError(f"printer width {width} dots: must be a positive multiple of 8")
        self.width = width
        self._channel = channel

    def status(self) -> PrinterStatus:
        """Ask DLE EOT 1, 2 and 4 in turn; OFFLINE at the first missing or malformed reply."""
        self._channel.discard_input()
        flags: set[StatusFlag] = set()
        for query in StatusQuery:
            self._channel.write(escpos.status_request(query))
            self._channel.flush()
            reply = self._channel.read_byte()
            if reply is None:
                return PrinterStatus.OFFLINE
            try:
                flags |= escpos.parse_status(query, reply)
            except escpos.MalformedStatus:
                return PrinterStatus.OFFLINE
        # An open cover also takes the roll off the paper sensor on many printers, so paper
        # out is believed only once the cover is closed.
        if StatusFlag.COVER_OPEN in flags:
            return PrinterStatus.COVER_OPEN
        if StatusFlag.PAPER_OUT in flags:
            return PrinterStatus.PAPER_OUT
        if StatusFlag.OFFLINE in flags:
            return PrinterStatus.OFFLINE
        return PrinterStatus.OK

    def print_image(self, image: Image.Image) -> None:
        """Send the image in raster bands, left-aligned; wider than the paper is a ValueError."""
        if image.width > self.width:
            raise ValueError(f"image {image.width} dots wide on a {self.width}-dot printer")
        self._channel.discard_input()
        for band in escpos.raster_bands(image):
            self._channel.write(band)
        self._channel.flush()

    def cut(self) -> None:
        """Feed a bottom margin and cut."""
        self._channel.write(escpos.feed(CUT_FEED_LINES) + escpos.cut())
        self._channel.flush()

    def abandon(self) -> None:
        """Complete any band a crashed process left half-sent (as white), then reset."""
        self._channel.write(escpos.abandon_bytes(self.width))
        self._channel.flush()

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()


class SerialPrinter(EscPosPrinter):
    """A printer on a serial port; `rtscts` turns on hardware flow control, which a real
    serial printer needs to pause a long raster while its buffer is full (XON/XOFF cannot
    work: raster data contains those bytes)."""

    def __init__(
        self,
        port: str,
        width: int,
        baudrate: int = 9600,
        timeout: float = DEFAULT_TIMEOUT,
        rtscts: bool = False,
    ) -> None:
        super().__init__(SerialChannel(port, baudrate, timeout, rtscts), width)


class UsbLpPrinter(EscPosPrinter):
    """A printer through the USB printer class driver, e.g. /dev/usb/lp0. A printer whose
    USB interface is unidirectional never answers, and so always reports OFFLINE."""

    def __init__(self, path: str, width: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(FdChannel(path, timeout), width)
