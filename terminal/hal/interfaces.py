"""The hardware interfaces the terminal is written against.

Each has a real driver for the Raspberry Pi and a simulated twin that talks over a real
pseudo-terminal or socket; which one runs is chosen by the board config (hal/board_config.py;
hal/devices.py opens it), never by the business code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol

from PIL import Image


@dataclass(frozen=True)
class Box:
    """A rectangle in screen pixels: left, top, right (exclusive), bottom (exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom

    @property
    def center(self) -> tuple[int, int]:
        return (self.left + self.right) // 2, (self.top + self.bottom) // 2


@dataclass(frozen=True)
class Target:
    """A touchable area of a screen, with the label read out by the audio interface."""

    id: str
    label: str
    box: Box


@dataclass(frozen=True)
class Frame:
    """One screen: the picture, its name and its touch targets (for hit-testing and audio)."""

    name: str
    image: Image.Image
    targets: tuple[Target, ...] = ()
    focus: str | None = None  # the target the keypad's select would activate, if any

    def target_at(self, x: int, y: int) -> Target | None:
        return next((t for t in self.targets if t.box.contains(x, y)), None)


class Display(Protocol):
    width: int
    height: int

    def show(self, frame: Frame) -> None:
        """Show a whole frame at once (never half-drawn)."""


@dataclass(frozen=True)
class TouchEvent:
    """A finger down or up at screen coordinates (already calibrated and rotated)."""

    x: int
    y: int
    down: bool


class Touch(Protocol):
    def fileno(self) -> int: ...

    def read(self) -> list[TouchEvent]:
        """The events available now; call when fileno() is readable."""


class Key(Enum):
    """The keys of a tactile keypad: a voter who cannot use the touchscreen votes with these."""

    UP = "up"  # focus the previous target of the screen, in reading order
    DOWN = "down"  # focus the next one
    SELECT = "select"  # activate the focused target, as a tap on it would
    BACK = "back"  # the screen's way back (Back, the previous page), if it has one
    HELP = "help"  # say the screen again


class Keypad(Protocol):
    def fileno(self) -> int: ...

    def read(self) -> list[Key]:
        """The keys pressed so far; call when fileno() is readable."""


class NeverReadable:
    """A descriptor to select on that never becomes readable: a device the board lacks."""

    def __init__(self) -> None:
        self._pipe: tuple[int, int] | None = None  # made when first selected on

    def fileno(self) -> int:
        if self._pipe is None:
            self._pipe = os.pipe()
        return self._pipe[0]


class NoKeypad(NeverReadable):
    """A board without a keypad: no keys, ever."""

    def read(self) -> list[Key]:
        return []


@dataclass(frozen=True)
class Sound:
    """A WAV clip to play; `name` says what it is ("ballot-choice-3"), for the simulator's
    record of what was played; it is never spoken."""

    path: Path
    name: str


class Audio(Protocol):
    """The booth's headphones: the audio ballot says each screen's lines through them."""

    def play(self, sounds: Sequence[Sound]) -> None:
        """Start playing `sounds` one after the other, stopping whatever is playing; returns
        at once (a voter's next key must not wait for the end of a sentence)."""

    def stop(self) -> None:
        """Stop whatever is playing (a voter's session ended, or audio was turned off)."""


class NoAudio:
    """A board without headphones: playing says nothing."""

    def play(self, sounds: Sequence[Sound]) -> None:
        """Nothing to play on."""

    def stop(self) -> None:
        """Nothing is playing."""


@dataclass(frozen=True)
class Scan:
    """One decoded scan: the payload text and the symbology if the scanner said (AIM id)."""

    data: str
    symbology: str = ""


class Scanner(Protocol):
    def fileno(self) -> int: ...

    def read(self) -> list[Scan]:
        """The complete scans available now; call when fileno() is readable."""


class PrinterStatus(Enum):
    OK = "ok"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"


class Printer(Protocol):
    width: int  # dots

    def status(self) -> PrinterStatus:
        """Ask the printer (never assumed: a silent printer is OFFLINE)."""

    def print_image(self, image: Image.Image) -> None:
        """Send a 1-bit raster image; returns once the bytes are handed to the device."""

    def cut(self) -> None: ...

    def abandon(self) -> None:
        """Finish whatever half-sent raster the printer may hold from before a crash."""
