"""A stand-in for the kernel's GPIO character devices (drivers/gpio/gpiolib-cdev.c): chip
info, a line request that returns a new fd, line values by mask, over regular files standing
in for /dev/gpiochip*."""

from __future__ import annotations

import ctypes
import errno
import os
from pathlib import Path

from terminal.hal import gpio


class Kernel:
    """gpiolib-cdev for the chips in a directory: {file name: (label, lines)}."""

    def __init__(self, root: Path, chips: dict[str, tuple[str, int]]) -> None:
        self.root = root
        self.chips = chips
        for name in chips:
            (root / name).write_bytes(b"")
        self.requests: list[gpio.LineRequest] = []
        self.levels: dict[int, int] = {}  # line -> physical level (1 high, 0 low)
        self.driven: dict[int, int] = {}  # output line -> value set (logical)
        self.busy: set[int] = set()
        self._line_fds: dict[int, list[int]] = {}

    def __call__(self, fd: int, request: int, arg: ctypes.Structure) -> object:
        if fd in self._line_fds:
            return self._values(self._line_fds[fd], request, arg)
        name = Path(os.readlink(f"/proc/self/fd/{fd}")).name
        label, lines = self.chips[name]
        if request == gpio.GET_CHIPINFO:
            assert isinstance(arg, gpio.ChipInfo)
            arg.name, arg.label, arg.lines = name.encode(), label.encode(), lines
            return 0
        assert request == gpio.GET_LINE and isinstance(arg, gpio.LineRequest)
        offsets = list(arg.offsets[: arg.num_lines])
        if self.busy & set(offsets):
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        self.requests.append(arg)
        line_fd = os.open(self.root / name, os.O_RDONLY)
        self._line_fds[line_fd] = offsets
        arg.fd = line_fd
        return 0

    def _flags(self, line: int) -> int:
        request = self.requests[-1]
        index = list(request.offsets[: request.num_lines]).index(line)
        flags = request.config.flags
        for attr in request.config.attrs[: request.config.num_attrs]:
            if attr.attr.id == gpio.ATTR_ID_FLAGS and attr.mask & (1 << index):
                flags = attr.attr.value
        return int(flags)

    def _values(self, offsets: list[int], request: int, arg: ctypes.Structure) -> object:
        assert isinstance(arg, gpio.LineValues)
        if request == gpio.GET_VALUES:
            arg.bits = 0
            for index, line in enumerate(offsets):
                if arg.mask & (1 << index):
                    active_low = bool(self._flags(line) & gpio.FLAG_ACTIVE_LOW)
                    arg.bits |= (self.levels.get(line, 1) ^ active_low) << index
            return 0
        assert request == gpio.SET_VALUES
        for index, line in enumerate(offsets):
            if arg.mask & (1 << index):
                assert self._flags(line) & gpio.FLAG_OUTPUT, "a value set on an input line"
                self.driven[line] = (arg.bits >> index) & 1
        return 0
