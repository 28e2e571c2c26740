"""A stand-in for /dev/input behind python-evdev, for testing the input drivers' device
handling (finding, grabbing, unplugging) where no real input devices can be made.

`FakeInput` replaces evdev.list_devices and evdev.InputDevice. Each plugged device is a
`FakeHardware`; every open gives a new `FakeHandle` on it, as opening a node gives a new
descriptor. Events emitted by the hardware reach the open handles, or only the grabbing
one; unplugging makes every handle's read fail with ENODEV, as the kernel's evdev does.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

import evdev
import pytest
from evdev import ecodes

from terminal.hal.evdev_input import RawEvent

from .evtest import Capture

# python-evdev reads at most this many events per system call.
BATCH = 64


def raw_capabilities(capture: Capture) -> dict[int, list[object]]:
    """What InputDevice.capabilities(absinfo=True) returns for the captured device."""
    return {
        ecodes.EV_KEY: sorted(capture.capabilities.keys),
        ecodes.EV_ABS: [
            (code, evdev.AbsInfo(axis.value, axis.minimum, axis.maximum, 0, 0, 0))
            for code, axis in sorted(capture.capabilities.axes.items())
        ],
    }


class FakeHardware:
    def __init__(self, path: str, name: str, capabilities: dict[int, list[object]]) -> None:
        self.path = path
        self.name = name
        self.capabilities = capabilities
        self.handles: list[FakeHandle] = []
        self.plugged = True
        self.busy = False  # another program holds a grab

    def emit(self, events: list[RawEvent]) -> None:
        grabbing = [h for h in self.handles if h.grabbed and not h.closed]
        for handle in grabbing or [h for h in self.handles if not h.closed]:
            handle.pending += events


class FakeHandle:
    """One open descriptor of a FakeHardware, with the InputDevice methods the drivers use."""

    def __init__(self, hardware: FakeHardware) -> None:
        self.hardware = hardware
        self.path = hardware.path
        self.name = hardware.name
        self.pending: list[RawEvent] = []
        self.grabbed = False
        self.closed = False
        # A real descriptor, so that select() and fileno() behave.
        self._read_end, self._write_end = os.pipe()

    def fileno(self) -> int:
        return self._read_end

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict[int, list[object]]:
        return self.hardware.capabilities

    def grab(self) -> None:
        if self.hardware.busy:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True

    def read(self) -> Iterator[evdev.InputEvent]:
        if self.closed:
            raise OSError(errno.EBADF, "Bad file descriptor")
        if not self.hardware.plugged:
            raise OSError(errno.ENODEV, "No such device")
        if not self.pending:
            raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
        batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
        return iter([evdev.InputEvent(0, 0, *event) for event in batch])

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._read_end)
            os.close(self._write_end)


class FakeInput:
    """The fake /dev/input: plug and unplug devices, see what the drivers opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hardware: dict[str, FakeHardware] = {}
        self.opened: list[FakeHandle] = []
        monkeypatch.setattr(evdev, "list_devices", self.list_devices)
        monkeypatch.setattr(evdev, "InputDevice", self.open)

    def plug(self, path: str, capture: Capture, name: str | None = None) -> FakeHardware:
        hardware = FakeHardware(path, name or capture.name, raw_capabilities(capture))
        self.hardware[path] = hardware
        return hardware

    def unplug(self, path: str) -> None:
        self.hardware.pop(path).plugged = False

    def list_devices(self, input_device_dir: str = "/dev/input") -> list[str]:
        return list(self.hardware)

    def open(self, path: str) -> FakeHandle:
        hardware = self.hardware.get(os.fspath(path))
        if hardware is None:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        handle = FakeHandle(hardware)
        hardware.handles.append(handle)
        self.opened.append(handle)
        return handle

    def open_handles(self) -> list[FakeHandle]:
        return [h for h in self.opened if not h.closed]
