"""A tactile keypad on a Linux input device: a USB keypad, or buttons wired to GPIO lines
through the kernel's gpio-keys overlay, read through python-evdev (hal/evdev_input.py).

A key counts when pressed (value 1): held keys' autorepeat (value 2) is ignored, so a
voter who rests a finger on Down moves one target, not twenty; releases mean nothing.
Several key codes serve one key, because keypads differ: a numeric pad's Enter, a remote's
OK, a gpio-keys overlay's KEY_SELECT are all "select".
"""

from __future__ import annotations

from pathlib import Path

import evdev
from evdev import ecodes

from terminal.hal.evdev_input import (
    RETRY_INTERVAL,
    Capabilities,
    InputSource,
    find_device,
    name_matches,
    open_device,
)
from terminal.hal.interfaces import Key

KEY_CODES: dict[int, Key] = {
    ecodes.KEY_UP: Key.UP,
    ecodes.KEY_KP8: Key.UP,
    ecodes.KEY_DOWN: Key.DOWN,
    ecodes.KEY_KP2: Key.DOWN,
    ecodes.KEY_ENTER: Key.SELECT,
    ecodes.KEY_KPENTER: Key.SELECT,
    ecodes.KEY_SELECT: Key.SELECT,
    ecodes.KEY_OK: Key.SELECT,
    ecodes.KEY_KP5: Key.SELECT,
    ecodes.KEY_BACKSPACE: Key.BACK,
    ecodes.KEY_ESC: Key.BACK,
    ecodes.KEY_BACK: Key.BACK,
    ecodes.KEY_HELP: Key.HELP,
    ecodes.KEY_F1: Key.HELP,
    ecodes.KEY_QUESTION: Key.HELP,
}
_PRESSED = 1


def decode_key(type_: int, code: int, value: int) -> Key | None:
    """The keypad key an input event presses, or None (a release, a repeat, another key)."""
    if type_ != ecodes.EV_KEY or value != _PRESSED:
        return None
    return KEY_CODES.get(code)


def has_every_key(caps: Capabilities) -> bool:
    """Whether a device can vote: it has every one of the five keys in some code."""
    return {KEY_CODES[code] for code in caps.keys if code in KEY_CODES} == set(Key)


def is_keypad(caps: Capabilities) -> bool:
    """Whether a device found by searching is a keypad: every key, and no letters. A whole
    keyboard has the five keys too, and so has a keyboard-wedge scanner, which must never be
    taken for the voter's keypad; a keyboard serves only when the board config names it."""
    return has_every_key(caps) and ecodes.KEY_A not in caps.keys


class EvdevKeypad:
    """A Keypad reading an evdev device, grabbed (no console sees its keys), without blocking."""

    def __init__(
        self,
        device: Path | None = None,
        name: str | None = None,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """Open the keypad at `device`, or the one input device with all five keys whose name
        matches `name` (a shell-style pattern; None: any). Raises OSError if it is not there."""
        if device is not None and name is not None:
            raise ValueError("give the keypad's device path or its name pattern, not both")
        self._path = device
        self._name = name
        what = f"keypad {device if device is not None else repr(name or '*')}"
        self._source = InputSource(what, self._open, retry_interval)

    @property
    def connected(self) -> bool:
        """Whether the device is open (False after an unplug, until it is found again)."""
        return self._source.connected

    def fileno(self) -> int:
        """The descriptor to select on now; it changes when the device is reopened."""
        return self._source.fileno()

    def read(self) -> list[Key]:
        """The keys pressed since the last call."""
        keys = (decode_key(*raw) for raw in self._source.read())
        return [key for key in keys if key is not None]

    def close(self) -> None:
        self._source.close()

    def _matches(self, name: str, caps: Capabilities) -> bool:
        if self._path is not None:
            return has_every_key(caps)
        return (self._name is None or name_matches(self._name, name)) and is_keypad(caps)

    def _open(self) -> evdev.InputDevice[str]:
        if self._path is None:
            return find_device(self._matches, f"keypad named {self._name or '*'!r}")
        return open_device(str(self._path), self._matches, "keypad (up, down, select, back, help)")
