"""open_devices with the real drivers: a regular file for /dev/fb0 (its geometry given as the
kernel would report it), the fake /dev/input, and pseudo-terminals for the serial ports."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from terminal.hal import framebuffer, gpio
from terminal.hal.board_config import BoardConfigError, parse_board_config
from terminal.hal.devices import open_devices
from terminal.hal.evdev_scanner import EvdevScanner
from terminal.hal.evdev_touch import EvdevTouch
from terminal.hal.framebuffer import CONSOLE_QUIET, FramebufferDisplay
from terminal.hal.interfaces import Frame, Scan, TouchEvent
from terminal.hal.serial_printer import UsbLpPrinter

from .evtest import load
from .fake_evdev import FakeInput
from .fake_gpio import Kernel
from .geometries import rgb565, xrgb8888

BOARDS = Path(__file__).resolve().parents[2] / "board_configs"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory with dev/fb0 (a file), dev/tty1, dev/ttyUSB0 and 1 (pseudo-terminals),
    dev/lp0 (a file), and the console's cursor_blink."""
    dev = tmp_path / "dev"
    dev.mkdir()
    (dev / "tty1").write_bytes(b"")
    (dev / "lp0").write_bytes(b"")
    (tmp_path / "cursor_blink").write_text("1")
    monkeypatch.setattr(framebuffer, "FBCON_CURSOR_BLINK", tmp_path / "cursor_blink")
    chips = {"gpiochip0": ("pinctrl-rp1", 54), "gpiochip1": ("pinctrl-bcm2711", 58)}
    chips["gpiochip2"] = ("pinctrl-bcm2835", 54)
    monkeypatch.setattr(gpio, "DEVICES", dev)
    monkeypatch.setattr(gpio, "IOCTL", Kernel(dev, chips))
    masters = []
    for name in ("ttyUSB0", "ttyUSB1"):
        master, slave = os.openpty()
        masters.append(master)
        (dev / name).symlink_to(os.ttyname(slave))
        os.close(slave)
    yield tmp_path
    for master in masters:
        os.close(master)


def board(run: Path, name: str, **sections: dict[str, Any]) -> Any:
    data = tomllib.loads((BOARDS / name).read_text())
    data["display"] |= {"device": str(run / "dev" / "fb0"), "tty": str(run / "dev" / "tty1")}
    for section, values in sections.items():
        data[section] = values
    return parse_board_config(data, BOARDS / name)


def kernel_reports(
    monkeypatch: pytest.MonkeyPatch, run: Path, geometry: framebuffer.FramebufferGeometry
) -> None:
    (run / "dev" / "fb0").write_bytes(bytes(geometry.memory_size))
    monkeypatch.setattr(framebuffer, "read_geometry", lambda fd: geometry)


def test_the_qemu_board_opens_framebuffer_tablet_and_serial_ports(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kernel_reports(monkeypatch, run, xrgb8888(800, 480))
    system = FakeInput(monkeypatch)
    tablet = system.plug("/dev/input/event0", load("qemu-tablet-click.txt"))
    serial = {"driver": "serial", "port": str(run / "dev" / "ttyUSB0"), "suffix": "CR"}
    printer = {"driver": "serial", "port": str(run / "dev" / "ttyUSB1"), "width_dots": 384}
    devices = open_devices(board(run, "qemu-virt.toml", scanner=serial, printer=printer))
    assert isinstance(devices.display, FramebufferDisplay)
    assert (devices.display.width, devices.display.height) == (800, 480)
    assert (run / "dev" / "tty1").read_bytes() == CONSOLE_QUIET
    assert (run / "cursor_blink").read_text() == "0"
    devices.display.show(Frame("test", Image.new("RGB", (800, 480), (255, 0, 0))))
    pixels = np.frombuffer((run / "dev" / "fb0").read_bytes(), dtype="<u4")
    assert (pixels == 0x00FF0000).all()
    assert isinstance(devices.touch, EvdevTouch)
    tablet.emit(load("qemu-tablet-click.txt").events[:4])
    assert devices.touch.read() == [TouchEvent(400, 240, True)]
    assert devices.scanner.read() == []
    assert devices.gpio.seal_intact() is None


def test_a_turned_panel_turns_the_touches_too(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Touch Display 2: the kernel reports the native 720x1280; the UI is 1280x720.
    kernel_reports(monkeypatch, run, xrgb8888(720, 1280))
    system = FakeInput(monkeypatch)
    capture = load("goodix-two-finger-tap.txt")
    panel = system.plug("/dev/input/event3", capture)
    system.plug("/dev/input/event4", load("qemu-tablet-click.txt"))  # not named *Goodix*
    usb_lp = {"driver": "usblp", "device": str(run / "dev" / "lp0"), "width_dots": 576}
    serial = {"driver": "serial", "port": str(run / "dev" / "ttyUSB0"), "suffix": "CR"}
    devices = open_devices(board(run, "rpi5-touch-display-2.toml", printer=usb_lp, scanner=serial))
    assert (devices.display.width, devices.display.height) == (1280, 720)
    panel.emit(capture.events)
    assert devices.touch.read() == [TouchEvent(379, 360, True), TouchEvent(379, 361, False)]
    assert isinstance(devices.printer, UsbLpPrinter) and devices.printer.width == 576
    # The seal switch and LED on the Pi 5's header chip, found by its label.
    kernel = gpio.IOCTL
    assert isinstance(kernel, Kernel)
    [request] = kernel.requests
    assert list(request.offsets[: request.num_lines]) == [5, 6]
    kernel.levels[5] = 0  # the closed switch grounds its line
    assert devices.gpio.seal_intact() is True
    devices.gpio.set_status_led(True)
    assert kernel.driven == {6: 1}


def test_a_keyboard_wedge_scanner_from_the_board(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kernel_reports(monkeypatch, run, rgb565(800, 480))
    system = FakeInput(monkeypatch)
    system.plug("/dev/input/event0", load("usb-hid-single-touch.txt"))
    capture = load("hid-scanner-us.txt")
    scanner = system.plug("/dev/input/event1", capture)
    printer = {"driver": "serial", "port": str(run / "dev" / "ttyUSB0"), "width_dots": 576}
    devices = open_devices(board(run, "rpi3b-hdmi-usbtouch.toml", printer=printer))
    assert isinstance(devices.scanner, EvdevScanner)
    scanner.emit(capture.events)
    assert devices.scanner.read() == [Scan("]Q1T-0001:aB9")]


def test_a_framebuffer_of_another_size_than_the_board_says_is_refused(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An HDMI panel that came up in 1024x600 on a board laid out for 800x480.
    kernel_reports(monkeypatch, run, rgb565(1024, 600))
    with pytest.raises(BoardConfigError, match=r"display\.width: .* shows 1024x600 at rotation 0"):
        open_devices(board(run, "rpi3b-hdmi-usbtouch.toml"))
