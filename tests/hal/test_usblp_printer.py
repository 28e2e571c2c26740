"""The USB printer-class driver (UsbLpPrinter, /dev/usb/lp0) against the simulated printer on
a pseudo-terminal standing in for the device node: printing, and paper running out mid-print."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from sim.printer import PrintedPage, SimulatedPrinter
from terminal.hal import escpos
from terminal.hal.interfaces import PrinterStatus
from terminal.hal.serial_printer import UsbLpPrinter

WIDTH = 384
MARGIN = escpos.LINE_DOTS * 3  # what cut() feeds before cutting


class Rig:
    def __init__(self) -> None:
        self.pages: queue.Queue[PrintedPage] = queue.Queue()
        self.sim = SimulatedPrinter(self.pages.put, width=WIDTH)
        # The simulator's pty is in raw mode, as a usblp node is no tty at all.
        self.printer = UsbLpPrinter(self.sim.port, WIDTH, timeout=0.3)

    def next_page(self) -> PrintedPage:
        return self.pages.get(timeout=5)


@pytest.fixture
def rig() -> Iterator[Rig]:
    rig = Rig()
    yield rig
    rig.printer.close()
    rig.sim.close()


def random_image(width: int, height: int, seed: int) -> tuple[Image.Image, np.ndarray]:
    black = np.random.default_rng(seed).random((height, width)) < 0.5
    return Image.fromarray(np.where(black, 0, 255).astype(np.uint8)).convert("1"), black


def black_dots(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128


def test_a_page_prints_whole(rig: Rig) -> None:
    assert rig.printer.status() is PrinterStatus.OK
    image, black = random_image(WIDTH, 80, seed=1)
    rig.printer.print_image(image)
    rig.printer.cut()
    page = rig.next_page()
    assert page.complete and page.image.size == (WIDTH, 80 + MARGIN)
    assert (black_dots(page.image)[:80] == black).all()


def test_paper_runs_out_mid_print(rig: Rig) -> None:
    rig.sim.load_paper(50)
    first, first_black = random_image(WIDTH, 120, seed=2)
    rig.printer.print_image(first)
    assert rig.printer.status() is PrinterStatus.PAPER_OUT
    rig.sim.cover_open = True  # the poll worker opens the cover to change the roll
    assert rig.printer.status() is PrinterStatus.COVER_OPEN
    rig.sim.load_paper()
    rig.sim.cover_open = False
    assert rig.printer.status() is PrinterStatus.OK
    second, second_black = random_image(WIDTH, 30, seed=3)
    rig.printer.print_image(second)
    rig.printer.cut()
    page = rig.next_page()
    assert not page.complete, "the page that ran out is marked incomplete"
    dots = black_dots(page.image)
    assert page.image.height == 50 + 30 + MARGIN
    assert (dots[:50] == first_black[:50]).all()
    assert (dots[50:80] == second_black).all()


def test_a_silent_device_is_offline(rig: Rig) -> None:
    rig.sim.silent = True
    assert rig.printer.status() is PrinterStatus.OFFLINE
