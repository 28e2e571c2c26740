"""The keyboard-wedge scanner driver: recorded key streams through the real decoder, both
layouts, and the device handling (grab, unplug, reconnect) against a fake /dev/input."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from evdev import ecodes
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.hal.board_config import KeyboardLayout
from terminal.hal.evdev_input import InputDeviceNotFound, RawEvent
from terminal.hal.evdev_scanner import REPLACEMENT, EvdevScanner, ScanDecoder
from terminal.hal.interfaces import Scan
from terminal.hal.serial_scanner import MAX_SCAN_BYTES

from .evtest import load
from .fake_evdev import FakeInput

SYN: RawEvent = (ecodes.EV_SYN, ecodes.SYN_REPORT, 0)


def decode(decoder: ScanDecoder, events: list[RawEvent]) -> list[Scan]:
    return [scan for raw in events for scan in decoder.feed(*raw)]


def keys(*names: str, shift: bool = False) -> list[RawEvent]:
    """Each key pressed and released, Shift held around each if asked."""
    events: list[RawEvent] = []
    for name in names:
        code = getattr(ecodes, f"KEY_{name}")
        for value in (1, 0):
            if shift:
                events.append((ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, value))
            events += [(ecodes.EV_KEY, code, value), SYN]
    return events


ENTER = keys("ENTER")


def test_us_scan_with_shift_and_an_aim_identifier() -> None:
    events = load("hid-scanner-us.txt").events
    assert decode(ScanDecoder(KeyboardLayout.US, aim_prefix=True), events) == [
        Scan("T-0001:aB9", "]Q1")
    ]
    assert decode(ScanDecoder(KeyboardLayout.US), events) == [Scan("]Q1T-0001:aB9")]


def test_ru_scan_types_cyrillic_and_the_russian_punctuation() -> None:
    events = load("hid-scanner-ru.txt").events
    assert decode(ScanDecoder(KeyboardLayout.RU), events) == [Scan("Ёж №7, щи.")]
    # The same keys read with the wrong layout: what a misconfigured board would get.
    assert decode(ScanDecoder(KeyboardLayout.US), events) == [Scan("~; #7? ob/")]


def test_every_printable_ascii_character_can_be_typed_in_us() -> None:
    text = "".join(chr(c) for c in range(0x20, 0x7F))
    plain = "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./ "
    shifted = '~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?'
    names = (  # noqa: SIM905
        "GRAVE 1 2 3 4 5 6 7 8 9 0 MINUS EQUAL Q W E R T Y U I O P LEFTBRACE RIGHTBRACE "
        "BACKSLASH A S D F G H J K L SEMICOLON APOSTROPHE Z X C V B N M COMMA DOT SLASH SPACE"
    ).split()
    events: list[RawEvent] = []
    for char in text:
        if char in plain:
            events += keys(names[plain.index(char)])
        else:
            events += keys(names[shifted.index(char)], shift=True)
    assert decode(ScanDecoder(KeyboardLayout.US), events + ENTER) == [Scan(text)]


def test_the_keypad_types_digits_and_its_layouts_decimal_separator() -> None:
    pad = keys("KP1", "KP2", "KPDOT", "KP0", "KPMINUS", "KPPLUS", "KPASTERISK", "KPSLASH")
    assert decode(ScanDecoder(KeyboardLayout.US), pad + keys("KPENTER")) == [Scan("12.0-+*/")]
    assert decode(ScanDecoder(KeyboardLayout.RU), pad + ENTER) == [Scan("12,0-+*/")]


def test_scans_are_split_at_enter_and_empty_ones_dropped() -> None:
    decoder = ScanDecoder(KeyboardLayout.US)
    stream = ENTER + keys("A", "B") + ENTER + ENTER + keys("C")
    assert decode(decoder, stream) == [Scan("ab")]
    assert decode(decoder, ENTER) == [Scan("c")]


def test_undecodable_keys_spoil_the_scan_instead_of_vanishing() -> None:
    decoder = ScanDecoder(KeyboardLayout.US)
    ctrl = [(ecodes.EV_KEY, ecodes.KEY_LEFTCTRL, 1), *keys("RIGHTBRACE")]
    ctrl_up = [(ecodes.EV_KEY, ecodes.KEY_LEFTCTRL, 0)]
    stream = keys("A") + keys("F1") + ctrl + ctrl_up + keys("B") + ENTER
    assert decode(decoder, stream) == [Scan(f"a{REPLACEMENT}{REPLACEMENT}b")]


def test_releases_autorepeat_and_lock_keys_type_nothing() -> None:
    decoder = ScanDecoder(KeyboardLayout.US)
    repeat = [(ecodes.EV_KEY, ecodes.KEY_A, 1), (ecodes.EV_KEY, ecodes.KEY_A, 2), SYN]
    stream = repeat + keys("CAPSLOCK", "NUMLOCK") + [(ecodes.EV_KEY, ecodes.KEY_A, 0)] + ENTER
    assert decode(decoder, stream) == [Scan("a")]


def test_lost_events_spoil_the_scan_and_release_shift() -> None:
    decoder = ScanDecoder(KeyboardLayout.US)
    dropped: RawEvent = (ecodes.EV_SYN, ecodes.SYN_DROPPED, 0)
    shift_down = [(ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 1), SYN]
    stream = keys("A") + shift_down + [dropped, (ecodes.EV_KEY, ecodes.KEY_B, 1), SYN]
    assert decode(decoder, stream + keys("C") + ENTER) == [Scan(f"a{REPLACEMENT}c")]


def test_an_overlong_scan_is_discarded_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    decoder = ScanDecoder(KeyboardLayout.US, what="scanner test")
    press = [(ecodes.EV_KEY, ecodes.KEY_A, 1), (ecodes.EV_KEY, ecodes.KEY_A, 0)]
    with caplog.at_level(logging.WARNING):
        assert decode(decoder, press * (MAX_SCAN_BYTES + 1) + ENTER) == []
    assert "scanner test: discarded a scan longer than 4096" in caplog.text
    assert decode(decoder, press * MAX_SCAN_BYTES + ENTER) == [Scan("a" * MAX_SCAN_BYTES)]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([ecodes.EV_KEY, ecodes.EV_SYN, ecodes.EV_MSC]),
            st.integers(0, 300),
            st.integers(-1, 3),
        ),
        max_size=200,
    ),
    st.sampled_from(list(KeyboardLayout)),
)
def test_any_key_stream_gives_scans_never_an_error(
    stream: list[RawEvent], layout: KeyboardLayout
) -> None:
    for scan in decode(ScanDecoder(layout, aim_prefix=True), stream):
        assert scan.data or scan.symbology
        assert "\r" not in scan.data and "\n" not in scan.data


# --- the device ---------------------------------------------------------------------------


def test_a_scanner_found_by_name_is_grabbed_and_read(monkeypatch: pytest.MonkeyPatch) -> None:
    system = FakeInput(monkeypatch)
    capture = load("hid-scanner-us.txt")
    system.plug("/dev/input/event0", load("ft5x06-tap.txt"))
    system.plug("/dev/input/event1", capture, name="Some Keyboard")
    scanner_hw = system.plug("/dev/input/event2", capture)
    scanner = EvdevScanner(KeyboardLayout.US, name="*barcode*", aim_prefix=True)
    [handle] = system.open_handles()
    assert (handle.path, handle.grabbed) == ("/dev/input/event2", True)
    scanner_hw.emit(capture.events)
    assert scanner.read() == [Scan("T-0001:aB9", "]Q1")]
    scanner.close()
    assert system.open_handles() == []


def test_a_name_that_is_not_a_keyboard_or_matches_nothing_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    system = FakeInput(monkeypatch)
    system.plug("/dev/input/event0", load("ft5x06-tap.txt"))
    with pytest.raises(InputDeviceNotFound, match="none is a scanner named '\\*ft5x06\\*'"):
        EvdevScanner(KeyboardLayout.US, name="*ft5x06*")
    with pytest.raises(InputDeviceNotFound, match="does not look like a keyboard-wedge"):
        EvdevScanner(KeyboardLayout.US, device=Path("/dev/input/event0"))
    with pytest.raises(ValueError, match="either"):
        EvdevScanner(KeyboardLayout.US)
    with pytest.raises(ValueError, match="either"):
        EvdevScanner(KeyboardLayout.US, Path("/dev/input/event0"), "x")


def test_an_unplugged_scanner_comes_back_by_path_without_half_a_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    system = FakeInput(monkeypatch)
    capture = load("hid-scanner-ru.txt")
    path = "/dev/input/by-id/usb-Scanner-event-kbd"
    hardware = system.plug(path, capture)
    scanner = EvdevScanner(KeyboardLayout.RU, device=Path(path), retry_interval=0.0)
    assert scanner.connected
    hardware.emit(capture.events[:30])  # half a scan...
    assert scanner.read() == []
    system.unplug(path)  # ...and unplugged
    assert scanner.read() == []
    assert not scanner.connected
    hardware = system.plug(path, capture)
    assert scanner.read() == []
    assert scanner.connected
    hardware.emit(capture.events)
    assert scanner.read() == [Scan("Ёж №7, щи.")]
    scanner.close()


def test_many_events_are_read_in_bounded_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    system = FakeInput(monkeypatch)
    capture = load("hid-scanner-us.txt")
    hardware = system.plug("/dev/input/event1", capture)
    scanner = EvdevScanner(KeyboardLayout.US, device=Path("/dev/input/event1"))
    hardware.emit(capture.events * 50)  # 5000 events: more than one read() takes
    first = scanner.read()
    assert 0 < len(first) < 50
    rest = scanner.read() + scanner.read()
    assert len(first) + len(rest) == 50
    scanner.close()
