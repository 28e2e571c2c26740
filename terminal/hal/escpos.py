"""ESC/POS, the thermal printers' command language: the subset we send, written and read here.

The terminal prints everything as raster images (text is rendered with Pillow, so Cyrillic
never depends on a printer code page), so it needs only a handful of commands:

    ESC @              initialize (settings back to defaults; nothing already printed changes)
    GS v 0 m xL xH yL yH d...   raster image band, m = 0, x bytes per row, y rows, 1 bit = black
    ESC d n            feed n lines
    GS V 66 n          feed to the cutter (plus n motion units), then a partial cut
    DLE EOT n          real-time status request; the printer answers one byte

The same module decodes that subset (`EscPosDecoder`, `Page`), for the simulated printer and
for tests, so that what we write and what we read can never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

import numpy as np
import numpy.typing as npt
from PIL import Image

from terminal.invariants import InvariantError

NUL = 0x00
DLE = 0x10
EOT = 0x04
ESC = 0x1B
GS = 0x1D

# Rows per GS v 0 command. Printers buffer a whole band before printing it, so small bands
# keep their buffer small; and after a crash at most one band is half-sent (see abandon_bytes).
BAND_ROWS = 24
# GS v 0 m xL xH yL yH
RASTER_HEADER_LEN = 8
# The default line spacing of ESC/POS printers (1/6 inch at 180 dpi, 3.75 mm at 203 dpi):
# how far ESC d advances the paper per line.
LINE_DOTS = 30
# The decoder refuses GS v 0 headers beyond these, so a corrupt header cannot make it buffer
# megabytes: no thermal printer is 8192 dots wide, and our bands are BAND_ROWS high.
MAX_WIDTH_BYTES = 1024
MAX_BAND_HEIGHT = 4000

# Bits fixed in every DLE EOT reply: bits 1 and 4 on, bits 0 and 7 off. Checking all four
# also rejects XON (0x11) and XOFF (0x13), which a serial printer may send at any time.
_FIXED_MASK = 0b1001_0011
_FIXED_BITS = 0b0001_0010


class StatusQuery(IntEnum):
    """The n of DLE EOT n that we use."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    PAPER_SENSOR = 4


class StatusFlag(Enum):
    """A condition reported in a DLE EOT reply."""

    PAPER_OUT = "paper_out"
    PAPER_NEAR_END = "paper_near_end"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"


class MalformedStatus(ValueError):
    """A status reply whose fixed bits are wrong: not a reply to DLE EOT, or line noise."""


def initialize() -> bytes:
    """ESC @: reset the printer's settings (what is already printed stays on the paper)."""
    return bytes([ESC, ord("@")])


def raster_bands(image: Image.Image) -> list[bytes]:
    """The image as GS v 0 commands of at most BAND_ROWS rows each.

    Pixels darker than mid-grey print black: a threshold, not dithering, because what we
    print is text and QR codes, whose edges must stay sharp. The width is padded with white
    up to a multiple of 8 dots, since a raster row is whole bytes.
    """
    black = np.asarray(image.convert("L")) < 128
    rows, width = black.shape
    width_bytes = (width + 7) // 8
    padded = np.zeros((rows, width_bytes * 8), dtype=bool)
    padded[:, :width] = black
    # packbits puts the first (leftmost) dot in the most significant bit, as ESC/POS does.
    packed = np.packbits(padded, axis=1)
    bands = []
    for top in range(0, rows, BAND_ROWS):
        band = packed[top : top + BAND_ROWS]
        header = bytes([GS, ord("v"), ord("0"), 0])
        header += width_bytes.to_bytes(2, "little") + len(band).to_bytes(2, "little")
        bands.append(header + band.tobytes())
    return bands


def feed(lines: int) -> bytes:
    """ESC d n: advance the paper by `lines` lines (0-255) of LINE_DOTS each."""
    if not 0 <= lines <= 255:
        raise ValueError(f"feed of {lines} lines: ESC d takes 0 to 255")
    return bytes([ESC, ord("d"), lines])


def cut() -> bytes:
    """GS V 66 0: feed the last printed line past the cutter, then cut partially.

    Function B is used rather than GS V 1 because the printer itself knows how far its
    cutter sits above the head; with GS V 1 the last lines would be cut through on a model
    whose distance we did not configure. A partial cut leaves a hinge, so the slip hangs from
    the printer instead of falling on the floor.
    """
    return bytes([GS, ord("V"), 66, 0])


def status_request(query: StatusQuery) -> bytes:
    """DLE EOT n: ask for one status byte, answered even while the printer is offline."""
    return bytes([DLE, EOT, query])


def parse_status(query: StatusQuery, reply: int) -> frozenset[StatusFlag]:
    """The conditions in the reply to DLE EOT `query` (Epson's bit definitions).

    Raises MalformedStatus if the fixed bits are wrong. An error (cutter jam, head too hot,
    bit 6 of the offline cause) is reported as OFFLINE: the printer cannot print either way.
    """
    if not 0 <= reply <= 0xFF or reply & _FIXED_MASK != _FIXED_BITS:
        raise MalformedStatus(f"status reply 0x{reply:02x} to DLE EOT {int(query)}")
    flags: set[StatusFlag] = set()
    if query is StatusQuery.PRINTER:
        if reply & 0x08:
            flags.add(StatusFlag.OFFLINE)
    elif query is StatusQuery.OFFLINE_CAUSE:
        if reply & 0x04:
            flags.add(StatusFlag.COVER_OPEN)
        if reply & 0x20:
            flags.add(StatusFlag.PAPER_OUT)
        if reply & 0x40:
            flags.add(StatusFlag.OFFLINE)
    else:
        # Each sensor is reported in two bits (both set when triggered); either one set is
        # taken as triggered, so a half-set reply never passes for paper present.
        if reply & 0x0C:
            flags.add(StatusFlag.PAPER_NEAR_END)
        if reply & 0x60:
            flags.add(StatusFlag.PAPER_OUT)
    return frozenset(flags)


def status_reply(query: StatusQuery, flags: frozenset[StatusFlag]) -> int:
    """The byte a printer in the state `flags` answers to DLE EOT `query` (for the simulator)."""
    reply = _FIXED_BITS
    if query is StatusQuery.PRINTER:
        if StatusFlag.OFFLINE in flags:
            reply |= 0x08
    elif query is StatusQuery.OFFLINE_CAUSE:
        if StatusFlag.COVER_OPEN in flags:
            reply |= 0x04
        if StatusFlag.PAPER_OUT in flags:
            reply |= 0x20
    else:
        if StatusFlag.PAPER_NEAR_END in flags:
            reply |= 0x0C
        if StatusFlag.PAPER_OUT in flags:
            reply |= 0x60
    return reply


def abandon_bytes(width_dots: int) -> bytes:
    """Bytes that end whatever half-sent command a crash left in the printer, then ESC @.

    A band of the printer's width is at most width/8 * BAND_ROWS data bytes, and its header
    may itself be cut short by up to RASTER_HEADER_LEN - 1 bytes; that many zero bytes
    complete it. Zero raster bytes are white dots, and a zero byte outside a command is
    ignored, so the excess does nothing. A crash right after a GS or DLE leaves one command
    the zeros cannot complete; the printer rejects it and the zeros after it are ignored.
    """
    width_bytes = (width_dots + 7) // 8
    return bytes(width_bytes * BAND_ROWS + RASTER_HEADER_LEN - 1) + initialize()


@dataclass(frozen=True)
class Init:
    """ESC @ at stream offset `offset`."""

    offset: int


@dataclass(frozen=True)
class RasterBand:
    """GS v 0: `rows` rows of `width_bytes` bytes each, first dot in the high bit, 1 = black."""

    offset: int
    width_bytes: int
    rows: int
    data: bytes


@dataclass(frozen=True)
class Feed:
    """ESC d n."""

    offset: int
    lines: int


@dataclass(frozen=True)
class Cut:
    """GS V 66 n."""

    offset: int
    feed: int


@dataclass(frozen=True)
class StatusRequest:
    """DLE EOT n."""

    offset: int
    query: StatusQuery


@dataclass(frozen=True)
class DecodeError:
    """Bytes that are not one of our commands, starting at stream offset `offset`."""

    offset: int
    message: str


Event = Init | RasterBand | Feed | Cut | StatusRequest | DecodeError


@dataclass(frozen=True)
class _Raster:
    """A GS v 0 header read, its data still coming."""

    offset: int
    width_bytes: int
    rows: int


class EscPosDecoder:
    """Turns a byte stream, fed in chunks of any size, into events.

    Only the commands this module writes are understood; anything else is one DecodeError,
    after which decoding resumes at the next byte (further errors are held back until a
    command decodes again, so a run of garbage is one error). Memory stays bounded: a
    command header is at most RASTER_HEADER_LEN bytes and a band at most
    MAX_WIDTH_BYTES * MAX_BAND_HEIGHT.
    """

    def __init__(self) -> None:
        self._offset = 0  # stream offset of the next byte fed
        self._command = bytearray()  # the bytes of a command read so far, before any raster data
        self._command_offset = 0
        self._raster: _Raster | None = None
        self._data = bytearray()
        self._in_garbage = False

    def feed(self, data: bytes) -> list[Event]:
        """The events completed by `data`, in stream order."""
        events: list[Event] = []
        pos = 0
        while pos < len(data):
            if self._raster is not None:
                need = self._raster.width_bytes * self._raster.rows - len(self._data)
                self._data += data[pos : pos + need]
                pos += min(need, len(data) - pos)
                self._finish_raster(events)
            else:
                self._step(data[pos], self._offset + pos, events)
                pos += 1
        self._offset += len(data)
        return events

    def _finish_raster(self, events: list[Event]) -> None:
        raster = self._raster
        if raster is None:
            raise InvariantError("invariant broken: raster is not None")
        if len(self._data) == raster.width_bytes * raster.rows:
            band = RasterBand(raster.offset, raster.width_bytes, raster.rows, bytes(self._data))
            self._raster = None
            self._data = bytearray()
            self._emit(band, events)

    def _emit(self, event: Event, events: list[Event]) -> None:
        if isinstance(event, DecodeError):
            if self._in_garbage:
                return
            self._in_garbage = True
        else:
            self._in_garbage = False
        events.append(event)

    def _step(self, byte: int, offset: int, events: list[Event]) -> None:
        # Bytes still to examine as possible command starts: after a rejected command, the
        # bytes after its first one are examined again (they may begin a valid command).
        pending = [(byte, offset)]
        while pending:
            byte, offset = pending.pop(0)
            if not self._command:
                self._command_offset = offset
            self._command.append(byte)
            result = _match(bytes(self._command))
            if result is None:
                continue  # a valid prefix: wait for more bytes
            start, rest = self._command_offset, bytes(self._command[1:])
            self._command.clear()
            if isinstance(result, _Ignored):
                continue
            if isinstance(result, str):
                self._emit(DecodeError(start, result), events)
                pending[:0] = [(b, start + 1 + i) for i, b in enumerate(rest)]
            elif isinstance(result, _Raster):
                # The replayed bytes are fewer than a raster header, so they can never begin
                # a band whose data would then be among them.
                if pending:
                    raise InvariantError("invariant broken: not pending")
                self._raster = _Raster(start, result.width_bytes, result.rows)
                self._finish_raster(events)  # a band of no bytes is complete at once
            else:
                self._emit(_at(result, start), events)


@dataclass(frozen=True)
class _Ignored:
    """A NUL outside a command."""


_Match = Init | Feed | Cut | StatusRequest | _Raster | _Ignored | str | None


def _match(command: bytes) -> _Match:
    """What `command` is: a complete command, a description of why it is not one, or None
    while it is a valid prefix. Offsets in the results are filled in by the caller."""
    first = command[0]
    if first == NUL:
        return _Ignored()
    if first not in (ESC, GS, DLE):
        return f"unexpected byte 0x{first:02x}"
    if len(command) < 2:
        return None
    second = command[1]
    if first == ESC and second == ord("@"):
        return Init(0)
    if first == ESC and second == ord("d"):
        return Feed(0, command[2]) if len(command) == 3 else None
    if first == GS and second == ord("V"):
        if len(command) >= 3 and command[2] != 66:
            return f"unsupported cut GS V {command[2]}"
        return Cut(0, command[3]) if len(command) == 4 else None
    if first == DLE and second == EOT:
        if len(command) < 3:
            return None
        if command[2] not in {int(query) for query in StatusQuery}:
            return f"unsupported status request DLE EOT {command[2]}"
        return StatusRequest(0, StatusQuery(command[2]))
    if first == GS and second == ord("v"):
        return _match_raster(command)
    return f"unknown command 0x{first:02x} 0x{second:02x}"


def _match_raster(command: bytes) -> _Match:
    if len(command) >= 3 and command[2] != ord("0"):
        return f"unsupported raster command GS v 0x{command[2]:02x}"
    if len(command) >= 4 and command[3] != 0:
        return f"unsupported raster mode {command[3]}"
    if len(command) < RASTER_HEADER_LEN:
        return None
    width_bytes = int.from_bytes(command[4:6], "little")
    rows = int.from_bytes(command[6:8], "little")
    if width_bytes > MAX_WIDTH_BYTES or rows > MAX_BAND_HEIGHT:
        return f"raster band of {width_bytes} bytes x {rows} rows is too large"
    return _Raster(0, width_bytes, rows)


def _at(event: Init | Feed | Cut | StatusRequest, offset: int) -> Event:
    if isinstance(event, Init):
        return Init(offset)
    if isinstance(event, Feed):
        return Feed(offset, event.lines)
    if isinstance(event, Cut):
        return Cut(offset, event.feed)
    return StatusRequest(offset, event.query)


class Page:
    """The paper printed since the last cut, `width_dots` wide, built from decoded events.

    Bands wider than the paper are cropped (a printer drops dots beyond its head); narrower
    ones sit at the left edge, as they would on paper.
    """

    def __init__(self, width_dots: int) -> None:
        self.width_dots = width_dots
        self._parts: list[npt.NDArray[np.bool_]] = []
        self.rows = 0

    def add_band(self, band: RasterBand) -> None:
        """Append the band's rows below what is printed."""
        packed = np.frombuffer(band.data, dtype=np.uint8).reshape(band.rows, band.width_bytes)
        dots = np.unpackbits(packed, axis=1).astype(bool)[:, : self.width_dots]
        part = np.zeros((band.rows, self.width_dots), dtype=bool)
        part[:, : dots.shape[1]] = dots
        self._append(part)

    def add_blank(self, rows: int) -> None:
        """Append `rows` white rows (paper fed without printing)."""
        self._append(np.zeros((rows, self.width_dots), dtype=bool))

    def _append(self, part: npt.NDArray[np.bool_]) -> None:
        self._parts.append(part)
        self.rows += len(part)

    def finish(self) -> Image.Image:
        """The page as a 1-bit image (black dots on white), and a new empty page begun."""
        if self._parts:
            black = np.concatenate(self._parts)
        else:
            black = np.zeros((0, self.width_dots), dtype=bool)
        self._parts = []
        self.rows = 0
        image = Image.new("1", (self.width_dots, len(black)), 1)
        if len(black):
            grey = np.where(black, 0, 255).astype(np.uint8)
            image = Image.fromarray(grey).convert("1")
        return image
