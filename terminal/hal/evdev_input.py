"""Linux input devices through python-evdev: found, grabbed, read without blocking, and
reopened after an unplug. The touch and scanner drivers share this; what the events mean is
decided by their own decoders, pure state machines fed (type, code, value) tuples.

Only what python-evdev 1.6 (Debian 12's python3-evdev) has is used: InputDevice, its name,
capabilities(absinfo=True), grab(), fileno() and non-blocking read(), and list_devices().

Every device is grabbed (EVIOCGRAB): while the terminal holds it, no other reader (the text
console's keyboard handler in particular) sees its events, so a keyboard-wedge scanner's
keystrokes never type into a console and a touch never wakes one.

A USB device can be unplugged at any time. Then `InputSource.read()` reports nothing and,
at most once per RETRY_INTERVAL, tries to open the device again, by path or by searching;
`fileno()` meanwhile is a pipe that never becomes readable, and is a different descriptor
once the device is back. The main loop asks for `fileno()` afresh on every iteration and
calls `read()` on its idle ticks too, as it does for the serial scanner.
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import evdev
from evdev import ecodes

from terminal.invariants import InvariantError

log = logging.getLogger(__name__)

# How often a vanished device is looked for. Searching opens every /dev/input/event* node,
# so not on every call: read() runs on every main-loop iteration, up to a touch panel's
# report rate.
RETRY_INTERVAL = 1.0
# Events taken per read() call (python-evdev reads 64 per system call), so that a device
# flooding events cannot starve the rest of the main loop.
MAX_EVENTS_PER_READ = 2048

RawEvent = tuple[int, int, int]  # (type, code, value), as in struct input_event


@dataclass(frozen=True)
class AxisInfo:
    """An absolute axis as the device reports it (struct input_absinfo)."""

    value: int
    minimum: int
    maximum: int


@dataclass(frozen=True)
class Capabilities:
    """The keys and absolute axes a device has: what finding and decoding need."""

    keys: frozenset[int]
    axes: Mapping[int, AxisInfo]

    @classmethod
    def from_evdev(cls, raw: Mapping[int, Sequence[object]]) -> Capabilities:
        """From `InputDevice.capabilities(absinfo=True)`: EV_KEY lists codes, EV_ABS lists
        (code, AbsInfo) pairs."""
        keys = frozenset(code for code in raw.get(ecodes.EV_KEY, ()) if isinstance(code, int))
        axes: dict[int, AxisInfo] = {}
        for item in raw.get(ecodes.EV_ABS, ()):
            if isinstance(item, tuple) and len(item) == 2:
                code, info = item
                axes[int(code)] = AxisInfo(int(info.value), int(info.min), int(info.max))
        return cls(keys, axes)


class InputDeviceNotFound(OSError):
    """No input device (or more than one) fits what the board config asks for."""


# A device's name and capabilities -> whether it is the one wanted.
Match = Callable[[str, Capabilities], bool]


def name_matches(pattern: str, name: str) -> bool:
    """Shell-style (`*Goodix*`), ignoring case: device names vary in case between drivers."""
    return fnmatch.fnmatchcase(name.casefold(), pattern.casefold())


def capabilities(device: evdev.InputDevice[str]) -> Capabilities:
    return Capabilities.from_evdev(device.capabilities(absinfo=True))


def open_device(path: str, match: Match, what: str) -> evdev.InputDevice[str]:
    """Open and grab the device at `path`; InputDeviceNotFound if it is not a `what`."""
    device = evdev.InputDevice(path)
    try:
        if not match(device.name, capabilities(device)):
            raise InputDeviceNotFound(f"{path} ({device.name!r}) does not look like a {what}")
        _grab(device)
    except BaseException:
        device.close()
        raise
    return device


def find_device(match: Match, what: str) -> evdev.InputDevice[str]:
    """Open and grab the one input device that matches; InputDeviceNotFound if none or
    several do (then the board config must name it: a path, or a name pattern)."""
    found = []
    for path in sorted(evdev.list_devices()):
        try:
            device = evdev.InputDevice(path)
        except OSError:
            continue  # gone since the listing
        try:
            matched = match(device.name, capabilities(device))
        except OSError:
            matched = False  # gone while being looked at
        if matched:
            found.append(device)
        else:
            device.close()
    if len(found) != 1:
        names = ", ".join(f"{os.fsdecode(d.path)} ({d.name!r})" for d in found)
        for device in found:
            device.close()
        problem = f"several look like a {what}: {names}" if found else f"none is a {what}"
        raise InputDeviceNotFound(f"input devices: {problem}")
    try:
        _grab(found[0])
    except BaseException:
        found[0].close()
        raise
    return found[0]


def _grab(device: evdev.InputDevice[str]) -> None:
    try:
        device.grab()
    except OSError as exc:
        raise OSError(
            exc.errno, f"cannot grab {os.fsdecode(device.path)} ({device.name!r}): {exc.strerror}"
        ) from exc


class InputSource:
    """An input device that may go away and come back, read without blocking."""

    def __init__(
        self,
        what: str,
        open_: Callable[[], evdev.InputDevice[str]],
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """Open the device with `open_` (which also grabs it); its errors propagate, so that
        a device missing at start shows at once. Later, `open_` is called to reconnect."""
        self._what = what
        self._open = open_
        self._retry_interval = retry_interval
        self._device: evdev.InputDevice[str] | None = open_()
        self._next_retry = 0.0
        # While unplugged, fileno() returns this pipe's read end, which nobody writes: a valid
        # descriptor that select() accepts and never reports readable.
        self._idle_read, self._idle_write = os.pipe()

    @property
    def connected(self) -> bool:
        return self._device is not None

    def fileno(self) -> int:
        """The descriptor to select on now; it changes when the device is reopened."""
        return self._idle_read if self._device is None else self._device.fileno()

    def read(self) -> list[RawEvent]:
        """The events available now; after an unplug, those read before it."""
        if self._device is None and not self._reconnect():
            return []
        if self._device is None:
            raise InvariantError("invariant broken: self._device is not None")
        events: list[RawEvent] = []
        try:
            while len(events) < MAX_EVENTS_PER_READ:
                events += [(event.type, event.code, event.value) for event in self._device.read()]
        except BlockingIOError:
            pass  # nothing more for now
        except OSError as exc:  # ENODEV once unplugged
            self._lost(exc)
        return events

    def close(self) -> None:
        if self._device is not None:
            self._device.close()
            self._device = None
        os.close(self._idle_read)
        os.close(self._idle_write)

    def _lost(self, exc: OSError) -> None:
        log.warning("%s disconnected: %s", self._what, exc)
        if self._device is None:
            raise InvariantError("invariant broken: self._device is not None")
        # The device is already gone; closing only releases our descriptor.
        with contextlib.suppress(OSError):
            self._device.close()
        self._device = None
        self._next_retry = time.monotonic() + self._retry_interval

    def _reconnect(self) -> bool:
        now = time.monotonic()
        if now < self._next_retry:
            return False
        self._next_retry = now + self._retry_interval
        try:
            self._device = self._open()
        except OSError:
            return False  # still away; the disconnect was logged once already
        log.info("%s reconnected: %s (%r)", self._what, self._device.path, self._device.name)
        return True
