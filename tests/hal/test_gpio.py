"""The GPIO character-device driver (seal switch, status LED) against a kernel stand-in.

No GPIO chip here: the driver's ioctls go to `Kernel`, which answers as
drivers/gpio/gpiolib-cdev.c does (chip info; a line request that returns a new fd; line
values by mask), over regular files standing in for /dev/gpiochip*. The structures and
request numbers are checked against the kernel's own values (include/uapi/linux/gpio.h on
64-bit Linux), so what the stand-in accepts is what the kernel would.
"""

from __future__ import annotations

import ctypes
from pathlib import Path
from types import SimpleNamespace

import pytest

from terminal.app import station as station_module
from terminal.app.polls import PollsState
from terminal.ballot.election import Role
from terminal.hal import gpio
from terminal.hal.gpio import ChardevGpio, GpioError
from terminal.tally.event_log import EventLog
from tests.unit.conftest import FixedClock, MemoryStorage

from .fake_gpio import Kernel


def test_the_structures_and_requests_are_the_kernels() -> None:
    assert ctypes.sizeof(gpio.ChipInfo) == 68
    assert ctypes.sizeof(gpio.LineRequest) == 592
    assert ctypes.sizeof(gpio.LineValues) == 16
    assert gpio.LineRequest.fd.offset == 588 and gpio.LineRequest.config.offset == 288
    assert (gpio.GET_CHIPINFO, gpio.GET_LINE) == (0x8044B401, 0xC250B407)
    assert (gpio.GET_VALUES, gpio.SET_VALUES) == (0xC010B40E, 0xC010B40F)


@pytest.fixture
def kernel(tmp_path: Path) -> Kernel:
    return Kernel(tmp_path, {"gpiochip0": ("pinctrl-bcm2711", 58), "gpiochip1": ("brcmvirt", 2)})


def test_the_lines_are_requested_from_the_chip_with_that_label(kernel: Kernel) -> None:
    pins = ChardevGpio("pinctrl-bcm2711", 17, True, 27, devices=kernel.root, ioctl=kernel)
    [request] = kernel.requests
    assert list(request.offsets[: request.num_lines]) == [17, 27]
    assert request.consumer == b"tamga"
    attrs = [(a.attr.id, a.attr.value, a.mask) for a in request.config.attrs[:3]]
    assert attrs == [
        (gpio.ATTR_ID_FLAGS, gpio.FLAG_INPUT | gpio.FLAG_BIAS_PULL_UP | gpio.FLAG_ACTIVE_LOW, 1),
        (gpio.ATTR_ID_FLAGS, gpio.FLAG_OUTPUT, 2),
        (gpio.ATTR_ID_OUTPUT_VALUES, 0, 2),  # the LED starts dark
    ]
    pins.close()


def test_the_seal_reads_intact_while_the_switch_holds_its_line_low(kernel: Kernel) -> None:
    pins = ChardevGpio("pinctrl-bcm2711", 17, True, 27, devices=kernel.root, ioctl=kernel)
    kernel.levels[17] = 0  # the closed switch pulls the line to ground
    assert pins.seal_intact() is True
    kernel.levels[17] = 1  # opened: the pull-up wins
    assert pins.seal_intact() is False
    pins.set_status_led(True)
    assert kernel.driven == {27: 1}
    pins.set_status_led(False)
    assert kernel.driven == {27: 0}
    pins.close()


def test_a_board_with_only_an_led_or_only_a_switch(kernel: Kernel) -> None:
    led = ChardevGpio("brcmvirt", None, True, 1, devices=kernel.root, ioctl=kernel)
    assert led.seal_intact() is None
    led.set_status_led(True)
    assert kernel.driven == {1: 1}
    switch = ChardevGpio("gpiochip0", 4, False, None, devices=kernel.root, ioctl=kernel)
    kernel.levels[4] = 1
    assert switch.seal_intact() is True  # active high: closed reads high
    switch.set_status_led(True)  # no LED: nothing to drive, no error
    for pins in (led, switch):
        pins.close()


def test_a_missing_chip_a_missing_line_and_a_busy_line_are_clear_errors(kernel: Kernel) -> None:
    with pytest.raises(GpioError, match="no GPIO chip labelled 'pinctrl-rp1'"):
        ChardevGpio("pinctrl-rp1", 17, True, 27, devices=kernel.root, ioctl=kernel)
    with pytest.raises(GpioError, match="has 2 lines, no line 5"):
        ChardevGpio("brcmvirt", 5, True, None, devices=kernel.root, ioctl=kernel)
    kernel.busy.add(27)
    with pytest.raises(GpioError, match="cannot have lines 17, 27: Device or resource busy"):
        ChardevGpio("pinctrl-bcm2711", 17, True, 27, devices=kernel.root, ioctl=kernel)


class Pins:
    """A seal switch and LED to set by hand, for the station."""

    def __init__(self) -> None:
        self.intact: bool | None = True
        self.led: list[bool] = []

    def seal_intact(self) -> bool | None:
        return self.intact

    def set_status_led(self, on: bool) -> None:
        self.led.append(on)

    def close(self) -> None:
        pass


def test_an_opened_seal_is_logged_and_stays_on_the_poll_workers_screen() -> None:
    log = EventLog.open(MemoryStorage(), FixedClock())
    polls = SimpleNamespace(
        log=log,
        state=PollsState.OPEN,
        role=Role.COMBINED,
        box=SimpleNamespace(count=12),
        storage=SimpleNamespace(warning=lambda: None),
        package=None,
    )
    pins = Pins()
    station = station_module.Station(
        polls,  # type: ignore[arg-type]
        SimpleNamespace(width=800, height=480, show=lambda frame: None),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        station_module.Fonts(),
        "en",
        Path("bundle"),
        pins,
    )
    station.view = station_module.View.IDLE
    warning = "Warning: the terminal's seal is open. Call the chair."
    station.check_enclosure()
    assert [e.kind for e in log.events] == [] and pins.led == [True]
    assert warning not in station._screen().lines
    pins.intact = False
    station.check_enclosure()
    station.check_enclosure()  # still open: logged once
    assert [e.kind for e in log.events] == ["seal_opened"]
    assert warning in station._screen().lines
    pins.intact = True
    station.check_enclosure()
    assert [e.kind for e in log.events] == ["seal_opened", "seal_closed"]
    assert warning not in station._screen().lines
    polls.state = PollsState.CLOSED
    station.check_enclosure()
    assert pins.led[-1] is False
