"""A small client for QEMU's machine protocol (QMP): commands, screen dumps, touch input.

QMP is JSON objects over a socket: a greeting, `qmp_capabilities`, then commands each
answered by a `return` or an `error` carrying the command's `id`; asynchronous `event`
messages may come in between and are set aside. The encoding functions are pure, so the tests
check them without a QEMU.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

# QEMU's absolute pointer range (INPUT_EVENT_ABS_MIN/MAX in include/ui/input.h): what the
# guest's virtio tablet reports as ABS_X/ABS_Y 0..32767.
ABS_MAX = 0x7FFF


class QmpError(Exception):
    """QEMU answered a command with an error, or the connection broke."""


def encode_command(name: str, arguments: dict[str, Any] | None, command_id: int) -> bytes:
    """One QMP command as a line of JSON."""
    message: dict[str, Any] = {"execute": name, "id": command_id}
    if arguments:
        message["arguments"] = arguments
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def scale(position: int, size: int) -> int:
    """A pixel coordinate on a `size`-pixel axis as QEMU's absolute value 0..32767.

    Both ends map onto both ends (pixel 0 is 0, the last pixel is 32767), as QEMU scales its
    own pointer and as the terminal's evdev driver maps the axis back, so that each pixel
    comes back as itself.
    """
    if not 0 <= position < size:
        raise ValueError(f"{position} is outside 0..{size - 1}")
    if size == 1:
        return 0
    return round(position * ABS_MAX / (size - 1))


def touch_events(x: int, y: int, width: int, height: int, down: bool) -> list[dict[str, Any]]:
    """`input-send-event` events: move the tablet to (x, y) and press or lift the button."""
    return [
        {"type": "abs", "data": {"axis": "x", "value": scale(x, width)}},
        {"type": "abs", "data": {"axis": "y", "value": scale(y, height)}},
        {"type": "btn", "data": {"down": down, "button": "left"}},
    ]


class Qmp:
    """A connected QMP session; every call waits for its answer."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        """Connect to QEMU's QMP socket at `path`, waiting up to `timeout` for it to appear."""
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                sock.close()
                if time.monotonic() > deadline:
                    raise QmpError(f"no QMP socket at {path}: {exc}") from exc
                time.sleep(0.05)
        sock.settimeout(timeout)
        self._sock = sock
        self._buffer = b""
        self._next_id = 1
        self.events: list[dict[str, Any]] = []
        greeting = self._read()
        if "QMP" not in greeting:
            raise QmpError(f"not a QMP greeting: {greeting}")
        self.execute("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self._buffer:
            try:
                chunk = self._sock.recv(65536)
            except OSError as exc:
                raise QmpError(f"QMP connection failed: {exc}") from exc
            if not chunk:
                raise QmpError("QEMU closed the QMP connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        message: dict[str, Any] = json.loads(line)
        return message

    def execute(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run a command; return its `return` value or raise QmpError with QEMU's message."""
        command_id = self._next_id
        self._next_id += 1
        try:
            self._sock.sendall(encode_command(name, arguments, command_id))
        except OSError as exc:
            raise QmpError(f"QMP connection failed: {exc}") from exc
        while True:
            message = self._read()
            if "event" in message:
                self.events.append(message)
                continue
            if message.get("id") != command_id:
                continue
            if "error" in message:
                raise QmpError(f"{name}: {message['error'].get('desc', message['error'])}")
            return message.get("return")

    def screendump(self, path: Path) -> None:
        """Write the guest's display as a PNG file (QEMU 7.1 and later know the format)."""
        self.execute("screendump", {"filename": str(path), "format": "png"})

    def touch(self, x: int, y: int, width: int, height: int, down: bool) -> None:
        self.execute("input-send-event", {"events": touch_events(x, y, width, height, down)})

    def close(self) -> None:
        self._sock.close()
