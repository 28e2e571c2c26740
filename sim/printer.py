"""A simulated ESC/POS thermal printer on a real pseudo-terminal (or a socket, for QEMU).

The terminal opens `SimulatedPrinter.port` (/dev/pts/N) like any serial port. A background
thread decodes what it writes, answers status requests for the printer's current state, and
hands each cut-off page to a callback. Like real paper, a page survives the terminal dying
and restarting: the printer never learns that its host went away.

The line is a sim.channels.Channel: a fresh pseudo-terminal unless another is given, e.g. a
SocketChannel that QEMU's usb-serial connects to, where the guest sees /dev/ttyUSB1.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from sim.channels import Channel, PtyChannel
from terminal.hal import escpos
from terminal.hal.escpos import RasterBand, StatusFlag

# How often the thread checks for close(), and how long it waits while no client has the port
# open.
POLL_SECONDS = 0.02
# Paper left when the near-end sensor trips: about 10 cm at 8 dots/mm.
NEAR_END_ROWS = 800


@dataclass(frozen=True)
class PrintedPage:
    """One cut-off piece of paper; `complete` is False if raster was lost to a paper-out."""

    image: Image.Image
    complete: bool


class SimulatedPrinter:
    """A printer `width` dots wide on `channel` (default: a fresh pseudo-terminal).

    State knobs, read by the printer thread as bytes arrive: `paper_left_rows` (None for an
    endless roll), `cover_open`, `silent` (answers no status request, like a printer switched
    off). `errors` lists bytes the printer did not understand, one string each.
    """

    def __init__(
        self,
        on_page: Callable[[PrintedPage], None],
        width: int = 384,
        paper_left_rows: int | None = None,
        channel: Channel | None = None,
    ) -> None:
        self.width = width
        self.paper_left_rows = paper_left_rows
        self.cover_open = False
        self.silent = False
        self.errors: list[str] = []
        self._on_page = on_page
        self._decoder = escpos.EscPosDecoder()
        self._page = escpos.Page(width)
        self._page_complete = True
        # Reentrant: an on_page callback may load paper, as an operator would.
        self._lock = threading.RLock()
        self._channel: Channel = channel if channel is not None else PtyChannel()
        self.port = self._channel.port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simulated-printer", daemon=True)
        self._thread.start()

    def load_paper(self, rows: int | None = None) -> None:
        """Put in a new roll with `rows` rows of paper (None: endless)."""
        with self._lock:
            self.paper_left_rows = rows

    def close(self) -> None:
        """Stop the printer thread and close its line (an unfinished page is lost)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        self._channel.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            # Nothing while no client has the line open: the terminal will come back.
            data = self._channel.read(POLL_SECONDS)
            if not data:
                continue
            with self._lock:
                for event in self._decoder.feed(data):
                    self._handle(event)

    def _handle(self, event: escpos.Event) -> None:
        if isinstance(event, RasterBand):
            self._print_band(event)
        elif isinstance(event, escpos.Feed):
            self._page.add_blank(self._take_paper(event.lines * escpos.LINE_DOTS))
        elif isinstance(event, escpos.Cut):
            self._deliver_page()
        elif isinstance(event, escpos.StatusRequest):
            self._answer(event.query)
        elif isinstance(event, escpos.DecodeError):
            self.errors.append(f"offset {event.offset}: {event.message}")
        # Init resets settings we do not model; the paper (and the page on it) stays.

    def _print_band(self, band: RasterBand) -> None:
        if band.width_bytes * 8 > self.width:
            self.errors.append(
                f"offset {band.offset}: band {band.width_bytes * 8} dots wide"
                f" on {self.width}-dot paper"
            )
        rows = self._take_paper(band.rows)
        if rows < band.rows:
            self._page_complete = False
            band = RasterBand(
                band.offset, band.width_bytes, rows, band.data[: rows * band.width_bytes]
            )
        self._page.add_band(band)

    def _take_paper(self, rows: int) -> int:
        """Use up to `rows` rows of paper; how many there were."""
        if self.paper_left_rows is None:
            return rows
        taken = min(rows, self.paper_left_rows)
        self.paper_left_rows -= taken
        return taken

    def _deliver_page(self) -> None:
        page = PrintedPage(self._page.finish(), self._page_complete)
        self._page_complete = True
        try:
            self._on_page(page)
        except Exception as exc:
            # A failing callback must not kill the printer thread (tests would then hang).
            self.errors.append(f"on_page failed: {exc!r}")

    def _flags(self) -> frozenset[StatusFlag]:
        flags: set[StatusFlag] = set()
        left = self.paper_left_rows
        if left == 0:
            flags.add(StatusFlag.PAPER_OUT)
        elif left is not None and left <= NEAR_END_ROWS:
            flags.add(StatusFlag.PAPER_NEAR_END)
        if self.cover_open:
            flags.add(StatusFlag.COVER_OPEN)
        # A real printer goes offline, and stops, with its cover open or its paper out.
        if flags & {StatusFlag.PAPER_OUT, StatusFlag.COVER_OPEN}:
            flags.add(StatusFlag.OFFLINE)
        return frozenset(flags)

    def _answer(self, query: escpos.StatusQuery) -> None:
        if self.silent:
            return
        # Dropped by the channel when no one listens, as on a real line.
        self._channel.write(bytes([escpos.status_reply(query, self._flags())]))
