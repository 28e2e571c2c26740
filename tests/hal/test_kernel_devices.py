"""The drivers against the running kernel's own devices, for what the fakes cannot show:
the ioctls, grabbing, non-blocking reads, ENODEV after a device is removed.

Input devices are made with uinput. These tests are skipped, saying why, where the kernel
has no uinput or the user may not use it (most containers and CI machines), or where there
is no framebuffer; they run on a Raspberry Pi and in the QEMU guest.
"""

from __future__ import annotations

import os
import secrets
import select
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import evdev
import pytest
from evdev import ecodes

from terminal.hal.board_config import KeyboardLayout, TouchCalibration
from terminal.hal.evdev_input import RawEvent
from terminal.hal.evdev_scanner import REPLACEMENT, EvdevScanner
from terminal.hal.evdev_touch import EvdevTouch
from terminal.hal.framebuffer import read_geometry
from terminal.hal.interfaces import Scan, TouchEvent

from .evtest import Capture, load
from .fake_evdev import raw_capabilities

T = TypeVar("T")


def _uinput_problem() -> str:
    if not os.path.exists("/dev/uinput"):
        return "no /dev/uinput here (the kernel's uinput module is not loaded or not built)"
    try:
        with evdev.UInput(name="tamga-probe"):
            pass
    except (OSError, evdev.UInputError) as exc:
        return f"/dev/uinput is not usable here: {exc}"
    return ""


UINPUT_PROBLEM = _uinput_problem()
needs_uinput = pytest.mark.skipif(bool(UINPUT_PROBLEM), reason=UINPUT_PROBLEM)


def unique_name(kind: str) -> str:
    return f"tamga-test-{kind}-{secrets.token_hex(4)}"


def make_device(capture: Capture, name: str) -> evdev.UInput:
    capabilities = raw_capabilities(capture)
    events = {kind: codes for kind, codes in capabilities.items() if codes}
    props = [ecodes.INPUT_PROP_DIRECT] if ecodes.ABS_MT_SLOT in capture.capabilities.axes else []
    if any(t == ecodes.EV_MSC for t, _, _ in capture.events):
        events[ecodes.EV_MSC] = [ecodes.MSC_SCAN]
    return evdev.UInput(events, name=name, input_props=props)


def play(
    device: evdev.UInput, events: list[RawEvent], between: Callable[[], object] | None = None
) -> None:
    """Send the events; call `between` after each frame, as a device paced by its hardware
    gives the main loop time to read between reports."""
    for event in events:
        device.write(*event)
        if between is not None and event[:2] == (ecodes.EV_SYN, ecodes.SYN_REPORT):
            between()


def collect(read: Callable[[], list[T]], fileno: Callable[[], int], count: int) -> list[T]:
    """Read as the main loop does, until `count` items came or two seconds passed."""
    got: list[T] = []
    deadline = time.monotonic() + 2.0
    while len(got) < count and time.monotonic() < deadline:
        select.select([fileno()], [], [], 0.05)
        got += read()
    return got


@pytest.fixture
def panel() -> Iterator[tuple[evdev.UInput, Capture]]:
    capture = load("ft5x06-tap.txt")
    device = make_device(capture, unique_name("ft5x06"))
    yield device, capture
    device.close()


@needs_uinput
def test_a_multitouch_panel_by_path_is_grabbed_and_decoded(
    panel: tuple[evdev.UInput, Capture],
) -> None:
    device, capture = panel
    path = Path(device.device.path)
    touch = EvdevTouch(path, TouchCalibration(), 800, 480)
    other = evdev.InputDevice(str(path))  # another reader, as a console would be
    try:
        play(device, capture.events)
        events = collect(touch.read, touch.fileno, 2)
        assert events == [TouchEvent(612, 301, True), TouchEvent(613, 303, False)]
        with pytest.raises(BlockingIOError):
            list(other.read())  # grabbed: nothing reached the other reader
    finally:
        other.close()
        touch.close()


@needs_uinput
def test_auto_finds_the_panel_by_capabilities_and_name(
    panel: tuple[evdev.UInput, Capture],
) -> None:
    device, capture = panel
    touch = EvdevTouch(None, TouchCalibration(), 800, 480, name=device.name)
    try:
        play(device, capture.events)
        assert [e.down for e in collect(touch.read, touch.fileno, 2)] == [True, False]
    finally:
        touch.close()


@needs_uinput
def test_a_scanner_unplugged_and_plugged_again_is_found_by_name() -> None:
    capture = load("hid-scanner-us.txt")
    name = unique_name("scanner")
    device = make_device(capture, name)
    scanner = EvdevScanner(KeyboardLayout.US, name=name, aim_prefix=True, retry_interval=0.0)
    scans: list[Scan] = []
    try:
        play(device, capture.events, lambda: scans.extend(scanner.read()))
        assert scans == [Scan("T-0001:aB9", "]Q1")]
        play(device, capture.events[:20])  # half a scan, then the cable is pulled
        device.close()
        assert collect(scanner.read, scanner.fileno, 1) == []
        assert not scanner.connected
        device = make_device(capture, name)
        deadline = time.monotonic() + 2.0
        while not scanner.connected and time.monotonic() < deadline:
            scanner.read()
            time.sleep(0.02)
        assert scanner.connected
        scans.clear()
        play(device, capture.events, lambda: scans.extend(scanner.read()))
        assert scans == [Scan("T-0001:aB9", "]Q1")]
    finally:
        scanner.close()
        device.close()


@needs_uinput
def test_keys_typed_faster_than_they_are_read_spoil_the_scan() -> None:
    # The kernel keeps 64 events for a keyboard's reader (drivers/input/evdev.c,
    # EVDEV_MIN_BUFFER_SIZE), about ten keystrokes; beyond that it drops events and says
    # SYN_DROPPED. The scan is then refused, never passed on with characters missing.
    capture = load("hid-scanner-us.txt")
    name = unique_name("scanner")
    device = make_device(capture, name)
    scanner = EvdevScanner(KeyboardLayout.US, name=name)
    try:
        play(device, capture.events)  # 100 events with nobody reading
        [scan] = collect(scanner.read, scanner.fileno, 1)
        assert REPLACEMENT in scan.data
    finally:
        scanner.close()
        device.close()


FRAMEBUFFER = Path("/dev/fb0")


@pytest.mark.skipif(
    not os.access(FRAMEBUFFER, os.R_OK), reason="no readable /dev/fb0 on this machine"
)
def test_the_kernels_framebuffer_geometry_is_one_the_terminal_can_drive() -> None:
    fd = os.open(FRAMEBUFFER, os.O_RDONLY)
    try:
        geometry = read_geometry(fd)
    finally:
        os.close(fd)
    geometry.check()
    assert geometry.bits_per_pixel in (16, 32)
