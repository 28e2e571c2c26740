"""General-purpose I/O: the enclosure's seal (tamper) switch and a status LED.

Only the interface and its "none" implementation exist so far; a board config without a
[gpio] section, or with driver = "none", gets `NoGpio`.

The plan for a real driver, kept free of new dependencies (Debian's python3-libgpiod is not
in the terminal's package list, and the sysfs GPIO interface is deprecated, see the kernel's
Documentation/admin-guide/gpio/sysfs.rst, and numbers the Pi 5's pins differently):
- the GPIO character device, found by its label rather than its number (the Pi 5's header
  pins are on the chip labelled "pinctrl-rp1", which older kernels numbered gpiochip4),
  through its v2 ioctls (include/uapi/linux/gpio.h):
  GPIO_V2_GET_LINE_IOCTL requests the two lines, the switch as an input with a pull-up and
  edge events, the LED as an output; GPIO_V2_LINE_GET_VALUES_IOCTL and _SET_VALUES_IOCTL
  read and drive them; ctypes structures as for the framebuffer's ioctls;
- the switch's line request fd joins the main loop's select() like the touch and scanner,
  and an opened seal becomes an event in the log;
- tests against the kernel's gpio-sim module (configfs), skipped where it is unavailable,
  like the uinput tests of the input drivers;
- board config keys `chip`, `seal_line`, `seal_active_low`, `led_line`, validated like the
  rest, added together with the driver, so that a configured pin is never silently ignored.
"""

from __future__ import annotations

from typing import Protocol


class Gpio(Protocol):
    def seal_intact(self) -> bool | None:
        """Whether the enclosure's seal switch is closed; None if no switch is fitted."""

    def set_status_led(self, on: bool) -> None:
        """Light or darken the status LED (nothing if none is fitted)."""


class NoGpio:
    """A board without a seal switch or a status LED."""

    def seal_intact(self) -> bool | None:
        return None

    def set_status_led(self, on: bool) -> None:
        pass
