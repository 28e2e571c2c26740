"""Touchscreens through evdev: the real panel's Touch driver.

Two kernel protocols (Documentation/input/multi-touch-protocol.rst):
- single touch: ABS_X/ABS_Y and a button, BTN_TOUCH on touchscreens, BTN_LEFT on QEMU's
  tablets (0..32767) and some USB HID panels;
- multitouch protocol B: contacts in slots (ABS_MT_SLOT), each begun with a tracking id and
  ended by tracking id -1 (ABS_MT_TRACKING_ID), placed by ABS_MT_POSITION_X/Y. The official
  7-inch display's FT5x06, Touch Display 2's Goodix GT911 and most USB HID panels speak it.
A device with both (multitouch drivers also emulate a single-touch pointer) is read as
multitouch. Only the first finger counts: its touching down and its lifting become
TouchEvents, so a palm or a second finger on the glass cannot press a second button.

Raw coordinates become screen pixels in three steps: the calibration's axis ranges (else the
ranges the device reports) scale them to the panel's native pixels, swap_xy and
invert_x/invert_y fix controllers mounted differently from their panel, and the display's
rotation turns them as the picture is turned (terminal.hal.rotation).

The decoding is a pure state machine (`TouchDecoder`: (type, code, value) in, TouchEvents
out), so tests replay recorded event streams through the very code the terminal runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import evdev
from evdev import ecodes

from terminal.hal.board_config import TouchCalibration
from terminal.hal.evdev_input import (
    RETRY_INTERVAL,
    Capabilities,
    InputDeviceNotFound,
    InputSource,
    capabilities,
    find_device,
    name_matches,
    open_device,
)
from terminal.hal.interfaces import TouchEvent
from terminal.hal.rotation import to_logical
from terminal.invariants import InvariantError

_MULTITOUCH_AXES = frozenset(
    (
        ecodes.ABS_MT_SLOT,
        ecodes.ABS_MT_TRACKING_ID,
        ecodes.ABS_MT_POSITION_X,
        ecodes.ABS_MT_POSITION_Y,
    )
)


class TouchProtocol(Enum):
    SINGLE = "single"
    MULTI = "multi"


def touch_protocol(caps: Capabilities) -> TouchProtocol | None:
    """How a device reports touches, or None if it is not a touchscreen (nor a tablet)."""
    if _MULTITOUCH_AXES.issubset(caps.axes):
        return TouchProtocol.MULTI
    has_position = ecodes.ABS_X in caps.axes and ecodes.ABS_Y in caps.axes
    if has_position and caps.keys & {ecodes.BTN_TOUCH, ecodes.BTN_LEFT}:
        return TouchProtocol.SINGLE
    return None


@dataclass(frozen=True)
class TouchMapping:
    """From a controller's raw coordinates to logical screen pixels."""

    x_range: tuple[int, int]  # the raw X axis's lowest and highest values
    y_range: tuple[int, int]
    swap_xy: bool  # the controller's X runs along the panel's height
    invert_x: bool  # after swapping: the panel's x grows right to left
    invert_y: bool
    panel_width: int  # the framebuffer's native size
    panel_height: int
    rotation: int  # the display's

    def screen_point(self, raw_x: int, raw_y: int) -> tuple[int, int]:
        fx = _fraction(raw_x, self.x_range)
        fy = _fraction(raw_y, self.y_range)
        if self.swap_xy:
            fx, fy = fy, fx
        if self.invert_x:
            fx = 1.0 - fx
        if self.invert_y:
            fy = 1.0 - fy
        x = round(fx * (self.panel_width - 1))
        y = round(fy * (self.panel_height - 1))
        return to_logical(self.rotation, self.panel_width, self.panel_height, x, y)


def _fraction(value: int, axis: tuple[int, int]) -> float:
    low, high = axis
    # Resistive panels and rough calibrations report a little beyond the range: clamp.
    return min(max((value - low) / (high - low), 0.0), 1.0)


@dataclass
class _Slot:
    """One multitouch slot's contact, as the kernel last reported it."""

    tracking_id: int | None = None  # None: no contact in the slot
    x: int = 0
    y: int = 0


class TouchDecoder:
    """Turns one touchscreen's events into the first finger's down and up TouchEvents."""

    def __init__(
        self,
        protocol: TouchProtocol,
        mapping: TouchMapping,
        button: int = ecodes.BTN_TOUCH,
        slot: int = 0,
    ) -> None:
        """`button` is the single-touch contact key; `slot` the slot current when the device
        was opened (the kernel sends ABS_MT_SLOT only when the slot changes)."""
        self._protocol = protocol
        self._mapping = mapping
        self._button = button
        # Events after SYN_DROPPED up to the next SYN_REPORT are to be ignored (the kernel
        # lost some in between: Documentation/input/event-codes.rst).
        self._dropping = False
        # Single touch: the position and the contact as of now, and the state last reported.
        self._x = 0
        self._y = 0
        self._pressed = False
        self._reported = False
        # Multitouch: every slot seen, the current one, the slot of the finger followed.
        self._slots: dict[int, _Slot] = {}
        self._slot = slot
        self._tracked: int | None = None
        self._begun: list[int] = []  # slots whose contact began in this frame, in order
        self._released_at: tuple[int, int] | None = None  # where the followed finger lifted

    def feed(self, type_: int, code: int, value: int) -> list[TouchEvent]:
        """One event; the TouchEvents it completes (only a SYN_REPORT completes any)."""
        if type_ == ecodes.EV_SYN:
            if code == ecodes.SYN_DROPPED:
                self._dropping = True
            elif code == ecodes.SYN_REPORT:
                return self._frame()
        elif self._dropping:
            pass
        elif self._protocol is TouchProtocol.MULTI:
            self._multi(type_, code, value)
        else:
            self._single(type_, code, value)
        return []

    def _single(self, type_: int, code: int, value: int) -> None:
        if type_ == ecodes.EV_ABS and code == ecodes.ABS_X:
            self._x = value
        elif type_ == ecodes.EV_ABS and code == ecodes.ABS_Y:
            self._y = value
        elif type_ == ecodes.EV_KEY and code == self._button and value in (0, 1):
            self._pressed = value == 1

    def _multi(self, type_: int, code: int, value: int) -> None:
        if type_ != ecodes.EV_ABS:
            return
        if code == ecodes.ABS_MT_SLOT:
            self._slot = value
            return
        slot = self._slots.setdefault(self._slot, _Slot())
        if code == ecodes.ABS_MT_POSITION_X:
            slot.x = value
        elif code == ecodes.ABS_MT_POSITION_Y:
            slot.y = value
        elif code == ecodes.ABS_MT_TRACKING_ID:
            tracking_id = value if value >= 0 else None
            if tracking_id == slot.tracking_id:
                return
            # Either the contact lifted (-1) or a new one took the slot over: both end the
            # contact that was there.
            if self._slot == self._tracked and self._released_at is None:
                self._released_at = (slot.x, slot.y)
            if self._slot in self._begun:
                self._begun.remove(self._slot)
            slot.tracking_id = tracking_id
            if tracking_id is not None:
                self._begun.append(self._slot)

    def _frame(self) -> list[TouchEvent]:
        if self._dropping:
            self._resync()
            return []
        if self._protocol is TouchProtocol.SINGLE:
            if self._pressed == self._reported:
                return []
            self._reported = self._pressed
            return [self._event(self._x, self._y, self._pressed)]
        events = []
        if self._released_at is not None:
            events.append(self._event(*self._released_at, down=False))
            self._tracked = None
            self._released_at = None
        if self._tracked is None and self._begun:
            self._tracked = self._begun[0]
            slot = self._slots[self._tracked]
            events.append(self._event(slot.x, slot.y, down=True))
        self._begun.clear()
        return events

    def _resync(self) -> None:
        """Forget every contact after lost events. The finger followed is dropped without
        an up event: a missed tap is harmless, a tap made up from half a gesture is not."""
        self._dropping = False
        self._pressed = self._reported = False
        for slot in self._slots.values():
            slot.tracking_id = None
        self._tracked = None
        self._begun.clear()
        self._released_at = None

    def _event(self, raw_x: int, raw_y: int, down: bool) -> TouchEvent:
        x, y = self._mapping.screen_point(raw_x, raw_y)
        return TouchEvent(x, y, down)


def decoder_for(
    caps: Capabilities,
    calibration: TouchCalibration,
    panel_width: int,
    panel_height: int,
    rotation: int,
) -> TouchDecoder:
    """The decoder for a device with these capabilities, on a panel of this native size."""
    protocol = touch_protocol(caps)
    if protocol is None:
        raise InputDeviceNotFound("not a touchscreen: no touch position axes and button")
    multi = protocol is TouchProtocol.MULTI
    x_axis = caps.axes[ecodes.ABS_MT_POSITION_X if multi else ecodes.ABS_X]
    y_axis = caps.axes[ecodes.ABS_MT_POSITION_Y if multi else ecodes.ABS_Y]
    x_range = (
        (calibration.min_x, calibration.max_x)
        if calibration.min_x is not None and calibration.max_x is not None
        else (x_axis.minimum, x_axis.maximum)
    )
    y_range = (
        (calibration.min_y, calibration.max_y)
        if calibration.min_y is not None and calibration.max_y is not None
        else (y_axis.minimum, y_axis.maximum)
    )
    for axis, (low, high) in (("x", x_range), ("y", y_range)):
        if low >= high:
            raise InputDeviceNotFound(
                f"the touchscreen's {axis} axis runs {low}..{high}: calibrate min_{axis}, "
                f"max_{axis} in the board config",
            )
    mapping = TouchMapping(
        x_range,
        y_range,
        calibration.swap_xy,
        calibration.invert_x,
        calibration.invert_y,
        panel_width,
        panel_height,
        rotation,
    )
    button = ecodes.BTN_TOUCH if ecodes.BTN_TOUCH in caps.keys else ecodes.BTN_LEFT
    slot_axis = caps.axes.get(ecodes.ABS_MT_SLOT)
    return TouchDecoder(protocol, mapping, button, slot_axis.value if slot_axis else 0)


class EvdevTouch:
    """A Touch reading a touchscreen's evdev device, grabbed, without blocking."""

    def __init__(
        self,
        device: Path | None,
        calibration: TouchCalibration,
        panel_width: int,
        panel_height: int,
        rotation: int = 0,
        name: str | None = None,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """Open `device`, or with None the one touchscreen found by its capabilities (and its
        name, if `name` gives a shell-style pattern). `panel_width` and `panel_height` are
        the framebuffer's native size, `rotation` the display's. Raises OSError
        (InputDeviceNotFound among them) if there is no such touchscreen."""
        self._path = device
        self._name = name
        self._calibration = calibration
        self._panel = (panel_width, panel_height, rotation)
        self._decoder: TouchDecoder | None = None
        self._source = InputSource("touchscreen", self._open, retry_interval)

    def fileno(self) -> int:
        """The descriptor to select on now; it changes when the device is reopened."""
        return self._source.fileno()

    def read(self) -> list[TouchEvent]:
        """The touch events available now."""
        events = []
        for raw in self._source.read():
            if self._decoder is None:
                raise InvariantError("invariant broken: self._decoder is not None")
            events += self._decoder.feed(*raw)
        return events

    def close(self) -> None:
        self._source.close()

    def _matches(self, name: str, caps: Capabilities) -> bool:
        named = self._name is None or name_matches(self._name, name)
        return named and touch_protocol(caps) is not None

    def _open(self) -> evdev.InputDevice[str]:
        if self._path is None:
            device = find_device(self._matches, "touchscreen")
        else:
            device = open_device(str(self._path), self._matches, "touchscreen")
        try:
            # A fresh decoder for every (re)opening: a gesture cut by an unplug is forgotten.
            self._decoder = decoder_for(capabilities(device), self._calibration, *self._panel)
        except BaseException:
            device.close()
            raise
        return device
