"""General-purpose I/O: the enclosure's seal (tamper) switch and a status LED.

`NoGpio` is a board without either. `ChardevGpio` drives them through the kernel's GPIO
character device, uAPI v2 (include/uapi/linux/gpio.h), with ctypes as for the framebuffer's
ioctls: no new dependency (Debian's python3-libgpiod is not in the terminal's package list)
and not the sysfs interface, which is deprecated (Documentation/admin-guide/gpio/sysfs.rst)
and numbers the Pi 5's pins differently. The chip is found by its label, not its number:
the Pi 5's header pins are on the chip labelled "pinctrl-rp1", which kernels have numbered
gpiochip0 or gpiochip4; the Pi 3, 4 and Zero 2 W's on "pinctrl-bcm2835"/"pinctrl-bcm2711".

The seal switch is an input with the SoC's pull-up; wired to ground through the closed
switch (`seal_active_low`), "active" means closed, i.e. the seal is intact. The LED is an
output, off when the terminal starts.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol


class Gpio(Protocol):
    def seal_intact(self) -> bool | None:
        """Whether the enclosure's seal switch is closed; None if no switch is fitted."""

    def set_status_led(self, on: bool) -> None:
        """Light or darken the status LED (nothing if none is fitted)."""

    def close(self) -> None:
        """Release the lines."""


class NoGpio:
    """A board without a seal switch or a status LED."""

    def seal_intact(self) -> bool | None:
        return None

    def set_status_led(self, on: bool) -> None:
        pass

    def close(self) -> None:
        pass


class GpioError(OSError):
    """The GPIO chip or its lines cannot be had; the message says which and why."""


# --- include/uapi/linux/gpio.h ---------------------------------------------------------------

MAX_NAME = 32
LINES_MAX = 64
ATTRS_MAX = 10

FLAG_ACTIVE_LOW = 1 << 1
FLAG_INPUT = 1 << 2
FLAG_OUTPUT = 1 << 3
FLAG_BIAS_PULL_UP = 1 << 8
ATTR_ID_FLAGS = 1
ATTR_ID_OUTPUT_VALUES = 2


class ChipInfo(ctypes.Structure):
    _fields_ = (
        ("name", ctypes.c_char * MAX_NAME),
        ("label", ctypes.c_char * MAX_NAME),
        ("lines", ctypes.c_uint32),
    )


class LineAttribute(ctypes.Structure):
    # The kernel's union of flags (u64), values (u64) and debounce_period_us (u32).
    _fields_ = (("id", ctypes.c_uint32), ("padding", ctypes.c_uint32), ("value", ctypes.c_uint64))


class LineConfigAttribute(ctypes.Structure):
    _fields_ = (("attr", LineAttribute), ("mask", ctypes.c_uint64))


class LineConfig(ctypes.Structure):
    _fields_ = (
        ("flags", ctypes.c_uint64),
        ("num_attrs", ctypes.c_uint32),
        ("padding", ctypes.c_uint32 * 5),
        ("attrs", LineConfigAttribute * ATTRS_MAX),
    )


class LineRequest(ctypes.Structure):
    _fields_ = (
        ("offsets", ctypes.c_uint32 * LINES_MAX),
        ("consumer", ctypes.c_char * MAX_NAME),
        ("config", LineConfig),
        ("num_lines", ctypes.c_uint32),
        ("event_buffer_size", ctypes.c_uint32),
        ("padding", ctypes.c_uint32 * 5),
        ("fd", ctypes.c_int32),
    )


class LineValues(ctypes.Structure):
    _fields_ = (("bits", ctypes.c_uint64), ("mask", ctypes.c_uint64))


def _ioc(direction: int, number: int, size: int) -> int:
    """The _IOC encoding of asm-generic/ioctl.h (type 0xB4 is GPIO's)."""
    return (direction << 30) | (size << 16) | (0xB4 << 8) | number


_READ, _READ_WRITE = 2, 3
GET_CHIPINFO = _ioc(_READ, 0x01, ctypes.sizeof(ChipInfo))
GET_LINE = _ioc(_READ_WRITE, 0x07, ctypes.sizeof(LineRequest))
GET_VALUES = _ioc(_READ_WRITE, 0x0E, ctypes.sizeof(LineValues))
SET_VALUES = _ioc(_READ_WRITE, 0x0F, ctypes.sizeof(LineValues))

Ioctl = Callable[[int, int, ctypes.Structure], object]


def _kernel_ioctl(fd: int, request: int, arg: ctypes.Structure) -> object:
    return fcntl.ioctl(fd, request, arg, True)


# Where the gpiochip devices are, and the system call: module settings, so that a test
# points them at a directory of stand-ins and a recorded kernel (as framebuffer.py's paths).
DEVICES = Path("/dev")
IOCTL: Ioctl = _kernel_ioctl


class ChardevGpio:
    """The seal switch and status LED on lines of one GPIO chip (either may be absent).

    `devices` is where the gpiochip character devices are (default DEVICES); `ioctl` is the
    system call (default IOCTL).
    """

    def __init__(
        self,
        chip: str,
        seal_line: int | None,
        seal_active_low: bool,
        led_line: int | None,
        devices: Path | None = None,
        ioctl: Ioctl | None = None,
    ) -> None:
        self._ioctl = ioctl or IOCTL
        devices = devices or DEVICES
        self.lines = [line for line in (seal_line, led_line) if line is not None]
        self._seal = 0 if seal_line is not None else None
        self._led = len(self.lines) - 1 if led_line is not None else None
        self._fd = -1
        if not self.lines:
            return
        chip_fd, path, count = self._open_chip(chip, devices)
        try:
            for line in self.lines:
                if line >= count:
                    raise GpioError(f"{path} ({chip}) has {count} lines, no line {line}")
            self._fd = self._request(chip_fd, path, seal_active_low)
        finally:
            os.close(chip_fd)

    def _open_chip(self, chip: str, devices: Path) -> tuple[int, Path, int]:
        """The chip whose label (or device name) is `chip`: fd, path, number of lines."""
        for path in sorted(devices.glob("gpiochip*")):
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
            info = ChipInfo()
            try:
                self._ioctl(fd, GET_CHIPINFO, info)
            except OSError:
                os.close(fd)
                continue
            if chip in (info.label.decode(errors="replace"), info.name.decode(errors="replace")):
                return fd, path, info.lines
            os.close(fd)
        raise GpioError(f"no GPIO chip labelled {chip!r} in {devices}")

    def _request(self, chip_fd: int, path: Path, seal_active_low: bool) -> int:
        request = LineRequest()
        for index, line in enumerate(self.lines):
            request.offsets[index] = line
        request.num_lines = len(self.lines)
        request.consumer = b"tamga"
        attributes = []
        if self._seal is not None:
            flags = FLAG_INPUT | FLAG_BIAS_PULL_UP | (FLAG_ACTIVE_LOW if seal_active_low else 0)
            attributes.append((ATTR_ID_FLAGS, flags, 1 << self._seal))
        if self._led is not None:
            attributes.append((ATTR_ID_FLAGS, FLAG_OUTPUT, 1 << self._led))
            attributes.append((ATTR_ID_OUTPUT_VALUES, 0, 1 << self._led))  # starts dark
        for index, (kind, value, mask) in enumerate(attributes):
            entry = request.config.attrs[index]
            entry.attr.id, entry.attr.value, entry.mask = kind, value, mask
        request.config.num_attrs = len(attributes)
        try:
            self._ioctl(chip_fd, GET_LINE, request)
        except OSError as exc:
            lines = ", ".join(map(str, self.lines))
            raise GpioError(f"{path}: cannot have lines {lines}: {exc.strerror or exc}") from exc
        return int(request.fd)

    def seal_intact(self) -> bool | None:
        if self._seal is None:
            return None
        values = LineValues(0, 1 << self._seal)
        self._ioctl(self._fd, GET_VALUES, values)
        return bool(values.bits & (1 << self._seal))

    def set_status_led(self, on: bool) -> None:
        if self._led is not None:
            self._ioctl(self._fd, SET_VALUES, LineValues(int(on) << self._led, 1 << self._led))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
