"""The terminal's side of the simulated touchscreen panel: a Display, a Touch and a Keypad over
Unix sockets.

The simulator (sim/panel.py) listens; the terminal only ever connects, so that the terminal
process never offers a socket to anyone. The wire format is in panel_protocol.py.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from terminal.hal.interfaces import Frame, Key, TouchEvent
from terminal.hal.line_buffer import LineBuffer
from terminal.hal.panel_protocol import MAX_TOUCH_LINE, decode_key, decode_touch, encode_frame
from terminal.jsonfmt import FormatError

log = logging.getLogger(__name__)
T = TypeVar("T")

# The simulator starts the terminal and its panel together; give the panel time to listen.
CONNECT_TIMEOUT = 5.0
# A simulator that stops reading frames must show up as an error, not as a hung terminal.
SEND_TIMEOUT = 10.0
_CONNECT_RETRY = 0.05
_MAX_READ_BYTES = 65536


class PanelConnectionError(ConnectionError):
    """The simulated panel is not there, or went away."""


def connect_unix(path: str | Path, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """Connect to a listening Unix stream socket, retrying until it appears or `timeout` ends."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            sock.close()
            if time.monotonic() >= deadline:
                raise PanelConnectionError(
                    f"no simulated panel listening at {path} after {timeout:g} s: {exc}"
                ) from exc
            time.sleep(_CONNECT_RETRY)
        except BaseException:
            sock.close()
            raise
        else:
            return sock


class SocketDisplay:
    """A Display that sends every frame to the simulated panel."""

    def __init__(
        self, path: str | Path, width: int, height: int, connect_timeout: float = CONNECT_TIMEOUT
    ) -> None:
        """Connect to the panel's display socket at `path`; raises PanelConnectionError."""
        self.width = width
        self.height = height
        self._sock = connect_unix(path, connect_timeout)
        self._sock.settimeout(SEND_TIMEOUT)

    def show(self, frame: Frame) -> None:
        """Send the whole frame; raises ValueError if it is not the size of the screen."""
        if frame.image.size != (self.width, self.height):
            raise ValueError(
                f"frame {frame.name!r} is {frame.image.width}x{frame.image.height}, "
                f"the screen is {self.width}x{self.height}"
            )
        self._sock.sendall(encode_frame(frame))

    def close(self) -> None:
        """Close the connection; the panel keeps the last frame on screen."""
        self._sock.close()


class _LineSocket(Generic[T]):
    """Lines of JSON from the simulated panel on a socket, read without blocking."""

    def __init__(
        self,
        path: str | Path,
        what: str,
        decode: Callable[[bytes], T],
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        """Connect to the panel's socket at `path`; raises PanelConnectionError."""
        self._path = path
        self._what = what
        self._decode = decode
        self._sock = connect_unix(path, connect_timeout)
        self._sock.setblocking(False)
        self._lines = LineBuffer(b"\n", MAX_TOUCH_LINE, f"{what} {path}")
        self._hung_up = False

    def fileno(self) -> int:
        """The socket to select on."""
        return self._sock.fileno()

    def read(self) -> list[T]:
        """The events received so far; malformed lines are logged and skipped.

        Raises PanelConnectionError once the panel has closed the connection, since a closed
        socket stays readable for ever and would otherwise spin the main loop.
        """
        if self._hung_up:
            raise PanelConnectionError(f"the simulated panel at {self._path} hung up")
        received = bytearray()
        # Bounded per call, so that a flood of events cannot starve the rest of the main loop.
        while len(received) < _MAX_READ_BYTES:
            try:
                chunk = self._sock.recv(_MAX_READ_BYTES - len(received))
            except BlockingIOError:
                break
            except OSError as exc:
                raise PanelConnectionError(f"the simulated panel at {self._path}: {exc}") from exc
            if not chunk:
                # Events sent just before the hang-up are still delivered; the next call raises.
                self._hung_up = True
                break
            received += chunk
        events = []
        for line in self._lines.feed(bytes(received)):
            try:
                events.append(self._decode(line))
            except FormatError as exc:
                log.warning("skipped a %s line: %s", self._what, exc)
        return events

    def close(self) -> None:
        """Close the connection."""
        self._sock.close()


class SocketTouch(_LineSocket[TouchEvent]):
    """A Touch reading the simulated panel's touch events, without blocking."""

    def __init__(self, path: str | Path, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect to the panel's touch socket at `path`; raises PanelConnectionError."""
        super().__init__(path, "touch", decode_touch, connect_timeout)


class SocketKeypad(_LineSocket[Key]):
    """A Keypad reading the simulated panel's key presses, without blocking."""

    def __init__(self, path: str | Path, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect to the panel's keypad socket at `path`; raises PanelConnectionError."""
        super().__init__(path, "keypad", decode_key, connect_timeout)
