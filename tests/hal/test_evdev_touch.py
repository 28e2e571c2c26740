"""The touchscreen driver: recorded event streams replayed through the real decoder, the
mapping to screen pixels, and the device handling against a fake /dev/input."""

from __future__ import annotations

import errno
import itertools
import select
from pathlib import Path

import pytest
from evdev import ecodes
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.hal.board_config import TouchCalibration
from terminal.hal.evdev_input import AxisInfo, Capabilities, InputDeviceNotFound, RawEvent
from terminal.hal.evdev_touch import (
    EvdevTouch,
    TouchDecoder,
    TouchMapping,
    TouchProtocol,
    decoder_for,
    touch_protocol,
)
from terminal.hal.interfaces import TouchEvent

from .evtest import Capture, load
from .fake_evdev import FakeInput

NO_CALIBRATION = TouchCalibration()
SYN: RawEvent = (ecodes.EV_SYN, ecodes.SYN_REPORT, 0)


def replay(
    capture: Capture,
    width: int,
    height: int,
    rotation: int = 0,
    calibration: TouchCalibration = NO_CALIBRATION,
) -> list[tuple[int, int, bool]]:
    decoder = decoder_for(capture.capabilities, calibration, width, height, rotation)
    events = [e for raw in capture.events for e in decoder.feed(*raw)]
    return [(e.x, e.y, e.down) for e in events]


def mt(slot: int | None = None, tracking_id: int | None = None, x: int | None = None,
       y: int | None = None) -> list[RawEvent]:  # fmt: skip
    """One contact's events in one frame, in the order drivers send them."""
    events: list[RawEvent] = []
    if slot is not None:
        events.append((ecodes.EV_ABS, ecodes.ABS_MT_SLOT, slot))
    if tracking_id is not None:
        events.append((ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID, tracking_id))
    if x is not None:
        events.append((ecodes.EV_ABS, ecodes.ABS_MT_POSITION_X, x))
    if y is not None:
        events.append((ecodes.EV_ABS, ecodes.ABS_MT_POSITION_Y, y))
    return events


def identity(width: int = 800, height: int = 480) -> TouchMapping:
    return TouchMapping((0, width - 1), (0, height - 1), False, False, False, width, height, 0)


def feed(decoder: TouchDecoder, events: list[RawEvent]) -> list[tuple[int, int, bool]]:
    return [(e.x, e.y, e.down) for raw in events for e in decoder.feed(*raw)]


# --- recorded streams -------------------------------------------------------------------


def test_ft5x06_tap_on_the_official_7_inch_display() -> None:
    capture = load("ft5x06-tap.txt")
    assert touch_protocol(capture.capabilities) is TouchProtocol.MULTI
    # The lift is where the finger last was, so that sliding off a button cancels it.
    assert replay(capture, 800, 480) == [(612, 301, True), (613, 303, False)]
    # The same panel mounted upside down (the official case's way round on some stands).
    assert replay(capture, 800, 480, rotation=180) == [(187, 178, True), (186, 176, False)]


def test_goodix_two_fingers_only_the_first_counts() -> None:
    capture = load("goodix-two-finger-tap.txt")
    assert touch_protocol(capture.capabilities) is TouchProtocol.MULTI
    # Touch Display 2: a 720x1280 portrait panel turned to landscape, the UI 1280x720.
    events = replay(capture, 720, 1280, rotation=90)
    assert events == [(1279 - 900, 360, True), (1279 - 900, 361, False)]


def test_qemu_tablet_click() -> None:
    capture = load("qemu-tablet-click.txt")
    assert touch_protocol(capture.capabilities) is TouchProtocol.SINGLE
    assert replay(capture, 800, 480) == [
        (400, 240, True),
        (400, 240, False),
        (799, 479, True),
        (799, 479, False),
    ]


def test_usb_hid_single_touch_calibrated() -> None:
    capture = load("usb-hid-single-touch.txt")
    assert touch_protocol(capture.capabilities) is TouchProtocol.SINGLE
    # A resistive panel whose glass covers 180..3900 x 250..3850 of its range, Y upwards.
    calibration = TouchCalibration(180, 3900, 250, 3850, invert_y=True)
    events = replay(capture, 800, 480, calibration=calibration)
    assert events == [(183, 126, True), (184, 127, False)]
    # Uncalibrated, the device's own 0..4095 is used.
    assert replay(capture, 800, 480)[0] == (
        round(1034 / 4095 * 799),
        round(2900 / 4095 * 479),
        True,
    )


def test_keyboards_mice_and_joysticks_are_not_touchscreens() -> None:
    assert touch_protocol(load("hid-scanner-us.txt").capabilities) is None
    mouse = Capabilities(frozenset({ecodes.BTN_LEFT, ecodes.BTN_RIGHT}), {})
    assert touch_protocol(mouse) is None
    stick = Capabilities(
        frozenset({ecodes.BTN_TRIGGER, ecodes.BTN_THUMB}),
        {ecodes.ABS_X: AxisInfo(0, 0, 255), ecodes.ABS_Y: AxisInfo(0, 0, 255)},
    )
    assert touch_protocol(stick) is None
    with pytest.raises(InputDeviceNotFound, match="not a touchscreen"):
        decoder_for(stick, NO_CALIBRATION, 800, 480, 0)


@pytest.mark.parametrize("x", [0, 1, 2, 399, 400, 401, 797, 798, 799])
def test_qemu_pointer_scaling_comes_back_to_the_same_pixel(x: int) -> None:
    # How sim/qemu aims at a pixel's centre in QEMU's 0..32767 (QMP input-send-event).
    def qemu_abs(position: int, size: int) -> int:
        return min(0x7FFF, round((position + 0.5) * 0x8000 / size))

    decoder = decoder_for(load("qemu-tablet-click.txt").capabilities, NO_CALIBRATION, 800, 480, 0)
    y = x * 479 // 799
    events = [
        (ecodes.EV_ABS, ecodes.ABS_X, qemu_abs(x, 800)),
        (ecodes.EV_ABS, ecodes.ABS_Y, qemu_abs(y, 480)),
        (ecodes.EV_KEY, ecodes.BTN_LEFT, 1),
        SYN,
    ]
    assert feed(decoder, events) == [(x, y, True)]


def test_every_pixel_of_both_axes_survives_qemu_scaling() -> None:
    mapping = TouchMapping((0, 32767), (0, 32767), False, False, False, 800, 480, 0)
    for size, axis in ((800, 0), (480, 1)):
        for pixel in range(size):
            value = min(0x7FFF, round((pixel + 0.5) * 0x8000 / size))
            point = mapping.screen_point(value, value)
            assert point[axis] == pixel


# --- mapping ------------------------------------------------------------------------------


def test_swap_and_invert_apply_to_the_panel_axes() -> None:
    # A controller whose X runs down the panel and whose Y runs right to left.
    mapping = TouchMapping((0, 1000), (0, 2000), True, True, False, 801, 1001, 0)
    assert mapping.screen_point(0, 0) == (800, 0)
    assert mapping.screen_point(1000, 2000) == (0, 1000)
    assert mapping.screen_point(500, 500) == (600, 500)


def test_out_of_range_raw_values_are_clamped_to_the_screen() -> None:
    mapping = TouchMapping((100, 900), (100, 900), False, False, False, 800, 480, 0)
    assert mapping.screen_point(-50, 5000) == (0, 479)


def test_an_empty_axis_range_needs_calibrating() -> None:
    caps = Capabilities(
        frozenset({ecodes.BTN_TOUCH}),
        {ecodes.ABS_X: AxisInfo(0, 0, 0), ecodes.ABS_Y: AxisInfo(0, 0, 4095)},
    )
    with pytest.raises(InputDeviceNotFound, match="calibrate min_x, max_x"):
        decoder_for(caps, NO_CALIBRATION, 800, 480, 0)
    decoder_for(caps, TouchCalibration(min_x=10, max_x=4000), 800, 480, 0)


# --- protocol B details -------------------------------------------------------------------


def test_a_new_contact_taking_over_the_slot_ends_the_old_one() -> None:
    decoder = TouchDecoder(TouchProtocol.MULTI, identity())
    assert feed(decoder, [*mt(tracking_id=5, x=10, y=20), SYN]) == [(10, 20, True)]
    # Within one frame the finger lifted and another touched elsewhere in the same slot.
    events = feed(decoder, [*mt(tracking_id=6, x=300, y=200), SYN])
    assert events == [(10, 20, False), (300, 200, True)]


def test_a_finger_down_before_another_lifts_is_ignored_but_a_new_one_counts() -> None:
    decoder = TouchDecoder(TouchProtocol.MULTI, identity())
    stream = [
        *mt(tracking_id=1, x=10, y=10), SYN,
        *mt(slot=1, tracking_id=2, x=50, y=50), SYN,
        *mt(slot=0, tracking_id=-1), SYN,  # the first lifts; the second stays down
        *mt(slot=1, x=55), SYN,
        *mt(slot=2, tracking_id=3, x=90, y=90), SYN,  # a third, new finger
        *mt(slot=1, tracking_id=-1), SYN,
        *mt(slot=2, tracking_id=-1), SYN,
    ]  # fmt: skip
    assert feed(decoder, stream) == [
        (10, 10, True),
        (10, 10, False),
        (90, 90, True),
        (90, 90, False),
    ]


def test_a_contact_that_begins_and_ends_within_a_frame_is_no_tap() -> None:
    decoder = TouchDecoder(TouchProtocol.MULTI, identity())
    assert feed(decoder, [*mt(tracking_id=1, x=10, y=10), *mt(tracking_id=-1), SYN]) == []


def test_the_slot_current_at_opening_is_the_one_first_reported() -> None:
    # Opened while the kernel's current slot was 3: the first contact's events carry no
    # ABS_MT_SLOT, and belong to slot 3.
    decoder = TouchDecoder(TouchProtocol.MULTI, identity(), slot=3)
    events = feed(decoder, [*mt(tracking_id=9, x=40, y=30), SYN, *mt(slot=0, x=99), SYN])
    assert events == [(40, 30, True)]
    assert feed(decoder, [*mt(slot=3, tracking_id=-1), SYN]) == [(40, 30, False)]
    caps = load("ft5x06-tap.txt").capabilities
    opened = Capabilities(caps.keys, {**caps.axes, ecodes.ABS_MT_SLOT: AxisInfo(3, 0, 9)})
    decoder = decoder_for(opened, NO_CALIBRATION, 800, 480, 0)
    assert feed(decoder, [*mt(tracking_id=9, x=40, y=30), SYN]) == [(40, 30, True)]


def test_dropped_events_forget_the_gesture_without_making_up_a_tap() -> None:
    dropped: RawEvent = (ecodes.EV_SYN, ecodes.SYN_DROPPED, 0)
    decoder = TouchDecoder(TouchProtocol.MULTI, identity())
    stream = [
        *mt(tracking_id=1, x=10, y=10), SYN,
        dropped, *mt(x=500), *mt(tracking_id=-1), SYN,  # ignored up to the SYN_REPORT
        *mt(tracking_id=2, x=20, y=20), SYN,
        *mt(tracking_id=-1), SYN,
    ]  # fmt: skip
    assert feed(decoder, stream) == [(10, 10, True), (20, 20, True), (20, 20, False)]
    single = TouchDecoder(TouchProtocol.SINGLE, identity())
    down = [(ecodes.EV_ABS, ecodes.ABS_X, 7), (ecodes.EV_KEY, ecodes.BTN_TOUCH, 1), SYN]
    up = [(ecodes.EV_KEY, ecodes.BTN_TOUCH, 0), SYN]
    assert feed(single, [*down, dropped, SYN, *up]) == [(7, 0, True)]


def test_single_touch_uses_btn_touch_when_the_device_has_it() -> None:
    both = Capabilities(
        frozenset({ecodes.BTN_TOUCH, ecodes.BTN_LEFT}),
        {ecodes.ABS_X: AxisInfo(0, 0, 799), ecodes.ABS_Y: AxisInfo(0, 0, 479)},
    )
    decoder = decoder_for(both, NO_CALIBRATION, 800, 480, 0)
    left = [(ecodes.EV_KEY, ecodes.BTN_LEFT, 1), SYN]
    touch = [(ecodes.EV_KEY, ecodes.BTN_TOUCH, 1), SYN, (ecodes.EV_KEY, ecodes.BTN_TOUCH, 2), SYN]
    assert feed(decoder, left) == []
    assert feed(decoder, touch) == [(0, 0, True)]


_RAW = st.sampled_from(
    [
        (ecodes.EV_ABS, ecodes.ABS_MT_SLOT),
        (ecodes.EV_ABS, ecodes.ABS_MT_TRACKING_ID),
        (ecodes.EV_ABS, ecodes.ABS_MT_POSITION_X),
        (ecodes.EV_ABS, ecodes.ABS_MT_POSITION_Y),
        (ecodes.EV_ABS, ecodes.ABS_X),
        (ecodes.EV_ABS, ecodes.ABS_Y),
        (ecodes.EV_KEY, ecodes.BTN_TOUCH),
        (ecodes.EV_SYN, ecodes.SYN_REPORT),
        (ecodes.EV_SYN, ecodes.SYN_DROPPED),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    protocol=st.sampled_from(list(TouchProtocol)),
    rotation=st.sampled_from([0, 90, 180, 270]),
    stream=st.lists(st.tuples(_RAW, st.integers(-5, 5000)), max_size=80),
)
def test_any_stream_gives_downs_and_ups_on_the_screen_never_two_ups(
    protocol: TouchProtocol, rotation: int, stream: list[tuple[tuple[int, int], int]]
) -> None:
    mapping = TouchMapping((0, 4095), (0, 4095), False, False, False, 480, 800, rotation)
    decoder = TouchDecoder(protocol, mapping)
    width, height = (800, 480) if rotation in (90, 270) else (480, 800)
    events: list[TouchEvent] = []
    for (type_, code), value in stream:
        events += decoder.feed(type_, code, value)
    assert all(0 <= e.x < width and 0 <= e.y < height for e in events)
    # A finger lifts only after touching down; after lost events a down may go without its
    # up (a missed tap), never the other way round (an up the app could take for a tap).
    assert not events or events[0].down
    assert all(a.down or b.down for a, b in itertools.pairwise(events)), "no up twice"


# --- the device ---------------------------------------------------------------------------


def readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def test_auto_finds_the_one_touchscreen_among_other_devices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    system = FakeInput(monkeypatch)
    system.plug("/dev/input/event0", load("hid-scanner-us.txt"))
    panel = system.plug("/dev/input/event1", load("ft5x06-tap.txt"))
    touch = EvdevTouch(None, NO_CALIBRATION, 800, 480)
    assert [h.path for h in system.open_handles()] == ["/dev/input/event1"], "others closed"
    assert system.open_handles()[0].grabbed
    assert touch.read() == []
    panel.emit(load("ft5x06-tap.txt").events)
    assert touch.read() == [TouchEvent(612, 301, True), TouchEvent(613, 303, False)]
    touch.close()
    assert system.open_handles() == []


def test_several_touchscreens_need_a_name_or_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    system = FakeInput(monkeypatch)
    system.plug("/dev/input/event2", load("qemu-tablet-click.txt"))
    system.plug("/dev/input/event3", load("goodix-two-finger-tap.txt"))
    with pytest.raises(InputDeviceNotFound, match="several look like a touchscreen") as caught:
        EvdevTouch(None, NO_CALIBRATION, 720, 1280, 90)
    assert "QEMU Virtio Tablet" in str(caught.value) and "Goodix" in str(caught.value)
    assert system.open_handles() == []
    touch = EvdevTouch(None, NO_CALIBRATION, 720, 1280, 90, name="*goodix*")
    assert [h.path for h in system.open_handles()] == ["/dev/input/event3"]
    touch.close()
    by_path = EvdevTouch(Path("/dev/input/event2"), NO_CALIBRATION, 800, 480)
    assert system.open_handles()[0].path == "/dev/input/event2"
    by_path.close()


def test_no_touchscreen_or_a_wrong_one_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    system = FakeInput(monkeypatch)
    system.plug("/dev/input/event0", load("hid-scanner-us.txt"))
    with pytest.raises(InputDeviceNotFound, match="none is a touchscreen"):
        EvdevTouch(None, NO_CALIBRATION, 800, 480)
    with pytest.raises(InputDeviceNotFound, match="does not look like a touchscreen"):
        EvdevTouch(Path("/dev/input/event0"), NO_CALIBRATION, 800, 480)
    with pytest.raises(FileNotFoundError):
        EvdevTouch(Path("/dev/input/event7"), NO_CALIBRATION, 800, 480)
    system.plug("/dev/input/event1", load("ft5x06-tap.txt")).busy = True
    with pytest.raises(OSError, match="cannot grab /dev/input/event1") as caught:
        EvdevTouch(None, NO_CALIBRATION, 800, 480)
    assert caught.value.errno == errno.EBUSY
    assert system.open_handles() == []


def test_an_unplugged_panel_is_found_again_and_its_half_gesture_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    system = FakeInput(monkeypatch)
    capture = load("usb-hid-single-touch.txt")
    panel = system.plug("/dev/input/event4", capture)
    touch = EvdevTouch(None, NO_CALIBRATION, 800, 480, retry_interval=0.0)
    device_fd = touch.fileno()
    panel.emit(capture.events[:5])  # a finger down...
    assert [e.down for e in touch.read()] == [True]
    system.unplug("/dev/input/event4")  # ...and the cable pulled
    assert touch.read() == []
    assert touch.fileno() != device_fd and not readable(touch.fileno())
    assert touch.read() == [], "still away"
    panel = system.plug("/dev/input/event5", capture)
    assert touch.read() == []
    panel.emit(capture.events[5:])  # the old gesture's end means nothing now
    assert touch.read() == []
    panel.emit(capture.events)
    assert [e.down for e in touch.read()] == [True, False]
    touch.close()


def test_reconnecting_is_tried_at_most_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    system = FakeInput(monkeypatch)
    capture = load("ft5x06-tap.txt")
    system.plug("/dev/input/event1", capture)
    touch = EvdevTouch(None, NO_CALIBRATION, 800, 480, retry_interval=3600.0)
    system.unplug("/dev/input/event1")
    assert touch.read() == []
    system.plug("/dev/input/event1", capture)
    opened = len(system.opened)
    for _ in range(5):
        assert touch.read() == []
    assert len(system.opened) == opened
    touch.close()
