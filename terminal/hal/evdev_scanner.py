"""Keyboard-wedge barcode and QR scanners (USB HID keyboards) through evdev.

Such a scanner types each scan as keystrokes and ends it with Enter. It presses the keys a
person would press on the keyboard layout the scanner is set to, so the layout turns key
codes back into characters: "us", or "ru" (ЙЦУКЕН, the Windows Russian layout, whose letter
keys type Cyrillic and whose Shift+digits differ: Shift+3 is №). A scanner cannot type Latin
letters in the "ru" layout at all; "us" is the usual choice, for payloads in ASCII.

The device is grabbed, so its keystrokes never reach a console, and it is looked for again
after an unplug, by its path (a /dev/input/by-id/ link stays the same across plugs) or by a
name pattern (see terminal.hal.evdev_input).

A key the layout does not have, a key pressed with Ctrl, Alt or Meta held (Alt+numpad codes),
or events the kernel dropped become U+FFFD in the scan, as undecodable bytes do in the serial
scanner's, so that the layers above refuse the scan instead of acting on a wrong one.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import evdev
from evdev import ecodes

from terminal.hal.board_config import KeyboardLayout
from terminal.hal.evdev_input import (
    RETRY_INTERVAL,
    Capabilities,
    InputSource,
    find_device,
    name_matches,
    open_device,
)
from terminal.hal.interfaces import Scan
from terminal.hal.serial_scanner import MAX_SCAN_BYTES

log = logging.getLogger(__name__)

REPLACEMENT = "\ufffd"
# The same AIM symbology identifier as the serial scanner's (ISO/IEC 15424): `]`, a code
# letter, a modifier.
_AIM_ID = re.compile(r"\][A-Za-z][0-9A-Za-z]")

# The main block of a PC keyboard, in the order of the strings below; the same physical keys
# carry the "us" and the "ru" characters. (Split from text so that a row reads as a row.)
_MAIN_KEYS = (  # noqa: SIM905
    "GRAVE 1 2 3 4 5 6 7 8 9 0 MINUS EQUAL "
    "Q W E R T Y U I O P LEFTBRACE RIGHTBRACE BACKSLASH "
    "A S D F G H J K L SEMICOLON APOSTROPHE "
    "Z X C V B N M COMMA DOT SLASH SPACE TAB"
).split()
_KEYPAD_KEYS = "KP0 KP1 KP2 KP3 KP4 KP5 KP6 KP7 KP8 KP9 KPSLASH KPASTERISK KPMINUS KPPLUS".split()  # noqa: SIM905


def _layout(plain: str, shifted: str, keypad_dot: str) -> dict[int, tuple[str, str]]:
    """Key code -> (character, character with Shift)."""
    codes = [getattr(ecodes, f"KEY_{name}") for name in _MAIN_KEYS]
    table = dict(zip(codes, zip(plain, shifted, strict=True), strict=True))
    # The keypad types the same with or without Shift (NumLock on, as scanners assume).
    keypad = [getattr(ecodes, f"KEY_{name}") for name in _KEYPAD_KEYS]
    table |= {code: (char, char) for code, char in zip(keypad, "0123456789/*-+", strict=True)}
    table[ecodes.KEY_KPDOT] = (keypad_dot, keypad_dot)
    return table


_LAYOUTS = {
    KeyboardLayout.US: _layout(
        "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./ \t",
        '~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>? \t',
        ".",
    ),
    KeyboardLayout.RU: _layout(
        "ё1234567890-=йцукенгшщзхъ\\фывапролджэячсмитьбю. \t",
        'Ё!"№;%:?*()_+ЙЦУКЕНГШЩЗХЪ/ФЫВАПРОЛДЖЭЯЧСМИТЬБЮ, \t',
        ",",  # the Russian layout's keypad decimal separator
    ),
}
_SHIFT = frozenset((ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT))
_CONTROL = frozenset(
    (
        ecodes.KEY_LEFTCTRL,
        ecodes.KEY_RIGHTCTRL,
        ecodes.KEY_LEFTALT,
        ecodes.KEY_RIGHTALT,
        ecodes.KEY_LEFTMETA,
        ecodes.KEY_RIGHTMETA,
    )
)
_ENTER = frozenset((ecodes.KEY_ENTER, ecodes.KEY_KPENTER))
# Lock keys type nothing; the scanner's own setting decides the case of what it types.
_LOCKS = frozenset((ecodes.KEY_CAPSLOCK, ecodes.KEY_NUMLOCK, ecodes.KEY_SCROLLLOCK))


class ScanDecoder:
    """Turns a keyboard-wedge scanner's key events into scans, one per Enter."""

    def __init__(self, layout: KeyboardLayout, aim_prefix: bool = False, what: str = "") -> None:
        """`what` names the scanner in warnings."""
        self._keys = _LAYOUTS[layout]
        self._aim_prefix = aim_prefix
        self._what = what or "scanner"
        self._held: set[int] = set()  # modifier keys down
        self._chars: list[str] = []
        self._too_long = False
        self._dropping = False

    def reset(self) -> None:
        """Forget a partial scan and the keys held (the device went away in the middle)."""
        self._held.clear()
        self._chars.clear()
        self._too_long = False
        self._dropping = False

    def feed(self, type_: int, code: int, value: int) -> list[Scan]:
        """One event; the scan it completes, if it is the Enter ending one."""
        if type_ == ecodes.EV_SYN:
            if code == ecodes.SYN_DROPPED:
                self._dropping = True
            elif code == ecodes.SYN_REPORT and self._dropping:
                # Keys were lost (the kernel's buffer overflowed): spoil the scan in progress,
                # and forget the modifiers, whose releases may be among the lost.
                self._dropping = False
                self._held.clear()
                self._add(REPLACEMENT)
            return []
        if self._dropping or type_ != ecodes.EV_KEY:
            return []
        if code in _SHIFT or code in _CONTROL:
            if value == 1:
                self._held.add(code)
            elif value == 0:
                self._held.discard(code)
            return []
        # Only presses type: 0 is a release, and 2 the kernel's autorepeat of a key held
        # down, which a scanner never means.
        if value != 1 or code in _LOCKS:
            return []
        if code in _ENTER:
            return self._finish()
        chars = self._keys.get(code)
        if chars is None or self._held & _CONTROL:
            self._add(REPLACEMENT)
        else:
            self._add(chars[1] if self._held & _SHIFT else chars[0])
        return []

    def _add(self, char: str) -> None:
        if len(self._chars) < MAX_SCAN_BYTES:
            self._chars.append(char)
        else:
            self._too_long = True

    def _finish(self) -> list[Scan]:
        text = "".join(self._chars)
        too_long = self._too_long
        self._chars.clear()
        self._too_long = False
        if too_long:
            log.warning("%s: discarded a scan longer than %d characters", self._what, len(text))
            return []
        if not text:
            return []
        symbology = ""
        if self._aim_prefix and _AIM_ID.match(text):
            symbology, text = text[:3], text[3:]
        return [Scan(text, symbology)]


def is_keyboard(caps: Capabilities) -> bool:
    """Whether a device can type a scan: it has an Enter key."""
    return ecodes.KEY_ENTER in caps.keys


class EvdevScanner:
    """A Scanner reading a keyboard-wedge scanner's evdev device, grabbed, without blocking."""

    def __init__(
        self,
        layout: KeyboardLayout,
        device: Path | None = None,
        name: str | None = None,
        aim_prefix: bool = False,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """Open the scanner at `device`, or the one keyboard whose name matches `name` (a
        shell-style pattern); exactly one of the two. Raises OSError if it is not there."""
        if (device is None) == (name is None):
            raise ValueError("give either the scanner's device path or its name pattern")
        self._path = device
        self._name = name
        self._what = f"scanner {device if device is not None else repr(name)}"
        self._decoder = ScanDecoder(layout, aim_prefix, self._what)
        self._source = InputSource(self._what, self._open, retry_interval)

    @property
    def connected(self) -> bool:
        """Whether the device is open (False after an unplug, until it is found again)."""
        return self._source.connected

    def fileno(self) -> int:
        """The descriptor to select on now; it changes when the device is reopened."""
        return self._source.fileno()

    def read(self) -> list[Scan]:
        """The complete scans typed so far."""
        scans = []
        for raw in self._source.read():
            scans += self._decoder.feed(*raw)
        return scans

    def close(self) -> None:
        self._source.close()

    def _matches(self, name: str, caps: Capabilities) -> bool:
        named = self._name is None or name_matches(self._name, name)
        return named and is_keyboard(caps)

    def _open(self) -> evdev.InputDevice[str]:
        if self._path is None:
            device = find_device(self._matches, f"scanner named {self._name!r}")
        else:
            device = open_device(str(self._path), self._matches, "keyboard-wedge scanner")
        # Half a scan from before an unplug must not be glued to the first one after it.
        self._decoder.reset()
        return device
