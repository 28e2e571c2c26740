"""The ESC/POS printer drivers against the simulated printer, over a real pseudo-terminal."""

from __future__ import annotations

import queue
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sim.printer import PrintedPage, SimulatedPrinter
from terminal.hal import escpos
from terminal.hal.interfaces import PrinterStatus
from terminal.hal.serial_printer import EscPosPrinter, SerialPrinter, UsbLpPrinter

WIDTH = 384
MARGIN = escpos.LINE_DOTS * 3  # what cut() feeds before cutting


def random_image(width: int, height: int, seed: int) -> tuple[Image.Image, np.ndarray]:
    black = np.random.default_rng(seed).random((height, width)) < 0.5
    return Image.fromarray(np.where(black, 0, 255).astype(np.uint8)).convert("1"), black


def black_dots(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128


class Rig:
    def __init__(self) -> None:
        self.pages: queue.Queue[PrintedPage] = queue.Queue()
        self.sim = SimulatedPrinter(self.pages.put, width=WIDTH)
        self.printer = SerialPrinter(self.sim.port, WIDTH, timeout=0.3)

    def next_page(self) -> PrintedPage:
        return self.pages.get(timeout=5)


@pytest.fixture
def rig() -> Iterator[Rig]:
    rig = Rig()
    yield rig
    rig.printer.close()
    rig.sim.close()


def test_printout_arrives_as_a_page_with_the_same_dots(rig: Rig) -> None:
    image, black = random_image(WIDTH, 100, seed=1)
    narrow, narrow_black = random_image(301, 30, seed=2)
    rig.printer.print_image(image)
    rig.printer.print_image(narrow)
    rig.printer.cut()
    page = rig.next_page()
    assert page.complete
    assert page.image.size == (WIDTH, 100 + 30 + MARGIN)
    dots = black_dots(page.image)
    assert (dots[:100] == black).all()
    assert (dots[100:130, :301] == narrow_black).all()
    assert not dots[100:130, 301:].any(), "a narrower image is left-aligned on white"
    assert not dots[130:].any(), "the margin before the cut is blank"
    assert rig.sim.errors == []


def test_image_wider_than_the_paper_is_refused(rig: Rig) -> None:
    image, _ = random_image(WIDTH + 8, 10, seed=3)
    with pytest.raises(ValueError):
        rig.printer.print_image(image)
    rig.printer.cut()
    assert rig.next_page().image.size == (WIDTH, MARGIN), "nothing of it was printed"


def test_status_ok_and_near_end_still_prints(rig: Rig) -> None:
    assert rig.printer.status() is PrinterStatus.OK
    rig.sim.load_paper(500)  # the near-end sensor has tripped: printing goes on
    assert rig.printer.status() is PrinterStatus.OK


def test_paper_out_mid_print(rig: Rig) -> None:
    rig.sim.load_paper(60)
    first, first_black = random_image(WIDTH, 100, seed=4)
    rig.printer.print_image(first)
    assert rig.printer.status() is PrinterStatus.PAPER_OUT
    assert rig.pages.empty(), "no page before the cut"
    rig.sim.load_paper()
    assert rig.printer.status() is PrinterStatus.OK
    second, second_black = random_image(WIDTH, 40, seed=5)
    rig.printer.print_image(second)
    rig.printer.cut()
    page = rig.next_page()
    assert not page.complete
    # The rows printed before the paper ran out are kept; the rest of the first image is lost.
    assert page.image.height == 60 + 40 + MARGIN
    dots = black_dots(page.image)
    assert (dots[:60] == first_black[:60]).all()
    assert (dots[60:100] == second_black).all()
    rig.printer.print_image(second)
    rig.printer.cut()
    assert rig.next_page().complete, "the next page is whole again"


def test_cover_open(rig: Rig) -> None:
    rig.sim.cover_open = True
    assert rig.printer.status() is PrinterStatus.COVER_OPEN
    rig.sim.load_paper(0)
    assert rig.printer.status() is PrinterStatus.COVER_OPEN, "paper is believed once closed"
    rig.sim.cover_open = False
    assert rig.printer.status() is PrinterStatus.PAPER_OUT


def test_silent_printer_is_offline_within_the_timeout(rig: Rig) -> None:
    rig.sim.silent = True
    start = time.monotonic()
    assert rig.printer.status() is PrinterStatus.OFFLINE
    assert time.monotonic() - start < 0.3 + 0.2
    rig.sim.silent = False
    assert rig.printer.status() is PrinterStatus.OK


def test_a_late_answer_is_not_taken_for_a_new_one(rig: Rig) -> None:
    # An answer to an earlier question (one that timed out, say) waits in the input queue.
    rig.sim.cover_open = True
    rig.printer._channel.write(escpos.status_request(escpos.StatusQuery.PRINTER))
    deadline = time.monotonic() + 2
    while not rig.printer._channel._serial.in_waiting:  # type: ignore[attr-defined]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    rig.sim.cover_open = False
    assert rig.printer.status() is PrinterStatus.OK


def test_terminal_killed_mid_raster_then_abandon(rig: Rig) -> None:
    rig.printer.close()
    first, first_black = random_image(WIDTH, 60, seed=6)
    data = b"".join(escpos.raster_bands(first))
    band_len = escpos.RASTER_HEADER_LEN + WIDTH // 8 * escpos.BAND_ROWS
    # Dies inside the second band, after 5 rows and 10 bytes of it.
    sent = band_len + escpos.RASTER_HEADER_LEN + 5 * WIDTH // 8 + 10
    dying_terminal = textwrap.dedent(f"""
        import os, signal, serial
        port = serial.Serial({rig.sim.port!r}, 9600)
        port.write({data[:sent]!r})
        port.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", dying_terminal], timeout=10)
    assert result.returncode == -9
    time.sleep(0.05)  # the printer polls on while no one has the port open

    printer = SerialPrinter(rig.sim.port, WIDTH, timeout=0.3)
    try:
        printer.abandon()
        second, second_black = random_image(WIDTH, 30, seed=7)
        printer.print_image(second)
        printer.cut()
        page = rig.next_page()
    finally:
        printer.close()
    assert rig.sim.errors == []
    # The paper already printed stays: one full band, the sent rows of the half band,
    # white for the rest of that band, then the new printout.
    dots = black_dots(page.image)
    sent_rows = escpos.BAND_ROWS + 5
    assert page.image.height == 2 * escpos.BAND_ROWS + 30 + MARGIN
    assert (dots[:sent_rows] == first_black[:sent_rows]).all()
    assert not dots[sent_rows + 1 : 2 * escpos.BAND_ROWS].any()
    assert (dots[2 * escpos.BAND_ROWS :][:30] == second_black).all()


class ScriptedChannel:
    """A channel whose printer answers from a script, for replies no real printer sends."""

    def __init__(self, replies: list[int | None]) -> None:
        self.replies = replies
        self.written = b""

    def write(self, data: bytes) -> None:
        self.written += data

    def flush(self) -> None:
        pass

    def read_byte(self) -> int | None:
        return self.replies.pop(0)

    def discard_input(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "replies",
    [[0x12, 0x13, 0x12], [0x00, 0x12, 0x12], [0x12, 0x12, None], [0x12, 0x12, 0xFF]],
)
def test_malformed_or_missing_reply_is_offline(replies: list[int | None]) -> None:
    assert EscPosPrinter(ScriptedChannel(replies), WIDTH).status() is PrinterStatus.OFFLINE


def test_usb_lp_printer_writes_what_the_decoder_reads_back(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.touch()
    image, black = random_image(576, 50, seed=8)
    printer = UsbLpPrinter(str(device), 576, timeout=0.05)
    try:
        printer.abandon()
        printer.print_image(image)
        printer.cut()
        # A file never answers: that is a printer that cannot be trusted to print.
        assert printer.status() is PrinterStatus.OFFLINE
    finally:
        printer.close()
    events = escpos.EscPosDecoder().feed(device.read_bytes())
    assert not [e for e in events if isinstance(e, escpos.DecodeError)]
    assert isinstance(events[-1], escpos.StatusRequest)
    page = escpos.Page(576)
    for event in events:
        if isinstance(event, escpos.RasterBand):
            page.add_band(event)
    dots = black_dots(page.finish())
    assert dots.shape == (50, 576)
    assert (dots == black).all()
    assert sum(isinstance(e, escpos.Cut) for e in events) == 1
