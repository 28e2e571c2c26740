"""The tactile keypad's evdev driver: a recorded key stream through the real decoder, and the
device handling (found by its keys, grabbed, unplugged, back) against a fake /dev/input."""

from __future__ import annotations

from pathlib import Path

import pytest
from evdev import ecodes

from terminal.hal.evdev_input import InputDeviceNotFound
from terminal.hal.evdev_keypad import EvdevKeypad, decode_key
from terminal.hal.interfaces import Key

from .evtest import load
from .fake_evdev import FakeInput

PRESSED = [
    Key.DOWN,
    Key.DOWN,  # held down: its autorepeats move nothing more
    Key.UP,
    Key.SELECT,
    Key.BACK,
    Key.HELP,
    Key.UP,  # the numeric pad's 8, 2 and 5
    Key.DOWN,
    Key.SELECT,
]


def test_a_recorded_stream_gives_each_press_once() -> None:
    events = load("usb-keypad.txt").events
    assert [k for k in (decode_key(*raw) for raw in events) if k is not None] == PRESSED


def test_a_keypad_found_by_its_keys_is_grabbed_and_read(monkeypatch: pytest.MonkeyPatch) -> None:
    system = FakeInput(monkeypatch)
    system.plug("/dev/input/event0", load("ft5x06-tap.txt"))  # a touchscreen: no keys
    pad = system.plug("/dev/input/event3", load("usb-keypad.txt"))
    keypad = EvdevKeypad()
    assert [h.path for h in system.open_handles()] == ["/dev/input/event3"]
    assert system.open_handles()[0].grabbed
    pad.emit(load("usb-keypad.txt").events)
    assert keypad.read() == PRESSED
    assert keypad.read() == []


def test_a_scanner_or_touchscreen_is_never_found_as_the_keypad(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A keyboard-wedge scanner is a whole keyboard, arrows and F1 included: searching must
    not take it for the voter's keypad; a touchscreen has none of the keys, even by path."""
    system = FakeInput(monkeypatch)
    system.plug("/dev/input/event0", load("ft5x06-tap.txt"))
    system.plug("/dev/input/event1", load("hid-scanner-us.txt"))
    with pytest.raises(InputDeviceNotFound, match="none is a keypad"):
        EvdevKeypad()
    with pytest.raises(InputDeviceNotFound, match="does not look like a keypad"):
        EvdevKeypad(Path("/dev/input/event0"))
    assert system.open_handles() == []


def test_an_unplugged_keypad_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    system = FakeInput(monkeypatch)
    capture = load("usb-keypad.txt")
    system.plug("/dev/input/event3", capture)
    keypad = EvdevKeypad(Path("/dev/input/event3"), retry_interval=0.0)
    system.unplug("/dev/input/event3")
    assert keypad.read() == []
    assert not keypad.connected
    pad = system.plug("/dev/input/event3", capture)
    assert keypad.read() == []  # reopened
    assert keypad.connected
    pad.emit([(ecodes.EV_KEY, ecodes.KEY_ENTER, 1), (ecodes.EV_SYN, ecodes.SYN_REPORT, 0)])
    assert keypad.read() == [Key.SELECT]
