"""The wire format between the terminal and the simulated touchscreen panel (sim/panel.py).

Both directions are written and read here, so the two sides cannot drift apart.

Display socket, terminal to simulator, one message per frame:
    4-byte big-endian length N, then N bytes of UTF-8 JSON header
        {"name": str, "width": int, "height": int, "mode": "RGB",
         "targets": [{"id": str, "label": str, "box": [left, top, right, bottom]}, ...],
         "focus": the id of the target the keypad has focused, or null}
    then width * height * 3 bytes of RGB pixels, row by row.

Touch socket, simulator to terminal, one JSON object per line:
    {"x": int, "y": int, "down": bool}

Keypad socket, simulator to terminal, one JSON object per line:
    {"key": "up" | "down" | "select" | "back" | "help"}

The readers are strict: the simulator is where a malformed screen (a target off the screen,
two targets with one id) should be caught, long before a real panel shows it.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from PIL import Image

from terminal.hal.interfaces import Box, Frame, Key, Target, TouchEvent
from terminal.jsonfmt import Fields, FormatError, canonical_json, load_object

# Bounds that keep a corrupt or hostile stream from making the reader allocate without limit.
MAX_HEADER_BYTES = 1 << 20
MAX_SIDE = 4096
MAX_TOUCH_LINE = 256

_LENGTH = struct.Struct(">I")
_HEADER_KEYS = {"name", "width", "height", "mode", "targets", "focus"}
_TARGET_KEYS = {"id", "label", "box"}
_TOUCH_KEYS = {"x", "y", "down"}
_KEY_KEYS = {"key"}


@dataclass(frozen=True)
class FrameHeader:
    """What a frame message says about its picture."""

    name: str
    width: int
    height: int
    targets: tuple[Target, ...]
    focus: str | None


def encode_frame(frame: Frame) -> bytes:
    """One display message for `frame`, to be sent whole."""
    image = frame.image if frame.image.mode == "RGB" else frame.image.convert("RGB")
    header = canonical_json(
        {
            "name": frame.name,
            "width": image.width,
            "height": image.height,
            "mode": "RGB",
            "targets": [
                {
                    "id": target.id,
                    "label": target.label,
                    "box": [target.box.left, target.box.top, target.box.right, target.box.bottom],
                }
                for target in frame.targets
            ],
            "focus": frame.focus,
        }
    )
    return _LENGTH.pack(len(header)) + header + image.tobytes()


def read_frame(sock: socket.socket) -> tuple[FrameHeader, Image.Image]:
    """Read one display message from a blocking socket.

    Raises EOFError if the stream ends cleanly between messages, FormatError if a message is
    malformed or cut short, and OSError (including a timeout) if the socket fails.
    """
    start = sock.recv(_LENGTH.size)
    if not start:
        raise EOFError("the terminal closed the display connection")
    (size,) = _LENGTH.unpack(start + _recv_exactly(sock, _LENGTH.size - len(start)))
    if not 0 < size <= MAX_HEADER_BYTES:
        raise FormatError(f"panel frame: header length {size} is not in 1..{MAX_HEADER_BYTES}")
    header = _parse_header(_recv_exactly(sock, size))
    pixels = _recv_exactly(sock, header.width * header.height * 3)
    return header, Image.frombytes("RGB", (header.width, header.height), pixels)


def encode_touch(event: TouchEvent) -> bytes:
    """One touch line, newline included."""
    return canonical_json({"x": event.x, "y": event.y, "down": event.down})


def decode_touch(line: bytes) -> TouchEvent:
    """Parse one touch line (without its newline); raises FormatError if it is malformed."""
    fields = load_object(line, "touch event")
    _require_keys(fields, _TOUCH_KEYS)
    return TouchEvent(
        x=_coordinate(fields, "x", MAX_SIDE - 1),
        y=_coordinate(fields, "y", MAX_SIDE - 1),
        down=fields.bool("down"),
    )


def encode_key(key: Key) -> bytes:
    """One keypad line, newline included."""
    return canonical_json({"key": key.value})


def decode_key(line: bytes) -> Key:
    """Parse one keypad line (without its newline); raises FormatError if it is malformed."""
    fields = load_object(line, "keypad event")
    _require_keys(fields, _KEY_KEYS)
    value = fields.str("key")
    for key in Key:
        if key.value == value:
            return key
    raise FormatError(f"{fields.where}: field 'key' must be one of {[k.value for k in Key]}")


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    buffer = bytearray(size)
    view = memoryview(buffer)
    received = 0
    while received < size:
        count = sock.recv_into(view[received:])
        if count == 0:
            raise FormatError("panel frame: the stream ended in the middle of a message")
        received += count
    return bytes(buffer)


def _parse_header(data: bytes) -> FrameHeader:
    fields = load_object(data, "panel frame header")
    _require_keys(fields, _HEADER_KEYS)
    name = fields.str("name")
    if not name:
        raise FormatError(f"{fields.where}: field 'name' must not be empty")
    if fields.str("mode") != "RGB":
        raise FormatError(f"{fields.where}: field 'mode' must be \"RGB\"")
    width = _coordinate(fields, "width", MAX_SIDE, low=1)
    height = _coordinate(fields, "height", MAX_SIDE, low=1)
    targets = tuple(_parse_target(item, width, height) for item in fields.objects("targets"))
    ids = [target.id for target in targets]
    if len(set(ids)) != len(ids):
        raise FormatError(f"{fields.where}: target ids are not unique: {ids}")
    focus = fields.value["focus"]
    if focus is not None and focus not in ids:
        raise FormatError(f"{fields.where}: field 'focus' must be null or a target id: {focus!r}")
    return FrameHeader(name, width, height, targets, focus)


def _parse_target(fields: Fields, width: int, height: int) -> Target:
    _require_keys(fields, _TARGET_KEYS)
    box = fields.list("box")
    if len(box) != 4 or not all(type(value) is int for value in box):
        raise FormatError(f"{fields.where}: field 'box' must be four whole numbers")
    left, top, right, bottom = box
    if not (0 <= left < right <= width and 0 <= top < bottom <= height):
        raise FormatError(f"{fields.where}: box {box} is empty or off the {width}x{height} screen")
    return Target(fields.str("id"), fields.str("label"), Box(left, top, right, bottom))


def _coordinate(fields: Fields, key: str, high: int, low: int = 0) -> int:
    value = fields.int(key, minimum=low)
    if value > high:
        raise FormatError(f"{fields.where}: field {key!r} must be at most {high}")
    return value


def _require_keys(fields: Fields, expected: set[str]) -> None:
    if set(fields.value) != expected:
        raise FormatError(
            f"{fields.where}: fields must be exactly {sorted(expected)}, got {sorted(fields.value)}"
        )
