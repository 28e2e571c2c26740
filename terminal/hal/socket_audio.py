"""The terminal's side of the simulator's audio device: each clip played is sent whole
over a Unix socket, and the simulator keeps it as a WAV file (sim/audio.py).

The terminal only connects, as with the simulated panel (socket_panel.py). One message a
clip: a big-endian header (name length: 2 bytes, clip length: 4 bytes), the name in UTF-8,
then the WAV file's bytes. Stopping sends nothing: a file kept is a clip that was started
(the simulator cannot tell how much of it a voter heard).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence
from pathlib import Path

from terminal.hal.interfaces import Sound
from terminal.hal.socket_panel import CONNECT_TIMEOUT, SEND_TIMEOUT, connect_unix

HEADER = struct.Struct(">HI")
MAX_NAME = 200
# No spoken line comes near it: 30 s of 22 kHz 16-bit mono is 1.3 MB.
MAX_CLIP = 16 * 1024 * 1024


def encode_clip(name: str, wav: bytes) -> bytes:
    """One clip on the wire; raises ValueError for a name or clip over the limits."""
    encoded = name.encode()
    if not 0 < len(encoded) <= MAX_NAME or len(wav) > MAX_CLIP:
        raise ValueError(f"a clip of {len(wav)} bytes named {name!r} is over the limits")
    return HEADER.pack(len(encoded), len(wav)) + encoded + wav


def read_clip(sock: socket.socket) -> tuple[str, bytes] | None:
    """The next clip from `sock`, or None when the terminal closed it between clips.
    Raises ValueError for a message over the limits or cut short."""
    start = sock.recv(HEADER.size)
    if not start:
        return None
    name_length, clip_length = HEADER.unpack(_read_exactly(sock, HEADER.size, start))
    if not 0 < name_length <= MAX_NAME or clip_length > MAX_CLIP:
        raise ValueError(f"a clip header over the limits: {name_length}, {clip_length}")
    name = _read_exactly(sock, name_length)
    return name.decode(errors="replace"), _read_exactly(sock, clip_length)


def _read_exactly(sock: socket.socket, size: int, start: bytes = b"") -> bytes:
    chunks = bytearray(start)
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ValueError(f"a clip cut short after {len(chunks)} of {size} bytes")
        chunks += chunk
    return bytes(chunks)


class SocketAudio:
    """An Audio that sends every clip it plays to the simulator's audio device."""

    def __init__(self, path: str | Path, connect_timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect to the simulator's audio socket; raises PanelConnectionError."""
        self._sock = connect_unix(path, connect_timeout)
        self._sock.settimeout(SEND_TIMEOUT)

    def play(self, sounds: Sequence[Sound]) -> None:
        """Send each clip's file whole; returns once they are handed to the socket."""
        for sound in sounds:
            self._sock.sendall(encode_clip(sound.name, sound.path.read_bytes()))

    def stop(self) -> None:
        """Nothing to send: the simulator keeps every clip that was started."""

    def close(self) -> None:
        """Close the connection."""
        self._sock.close()
