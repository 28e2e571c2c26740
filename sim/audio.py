"""The simulated booth headphones: the simulator's side of terminal/hal/socket_audio.py.

The device listens on `audio.sock` and keeps every clip the terminal plays as
`<out>/NNNN-<name>.wav`, NNNN counting the clips of the day, so that what a voter would
have heard can be measured (sox) and checked against the screens shown. It accepts the
terminal again after a restart, as the panel does.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from pathlib import Path
from types import TracebackType

from sim.panel import listen_unix
from terminal.hal.socket_audio import read_clip

log = logging.getLogger(__name__)

AUDIO_SOCKET = "audio.sock"
# A clip's name becomes part of a file name: anything else is replaced.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class SimulatedAudio:
    """Headphones the terminal process connects to; use it as a context manager."""

    def __init__(self, directory: Path, out: Path) -> None:
        """Listen on audio.sock in `directory` (made if missing); keep the clips in `out`
        (made when the first one arrives)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / AUDIO_SOCKET
        self.out = out
        self.played: list[Path] = []  # every clip kept, in the order played
        self._lock = threading.Lock()
        self._listener = listen_unix(self.path)
        self._thread = threading.Thread(target=self._run, name="simulated-audio", daemon=True)
        self._thread.start()

    def __enter__(self) -> SimulatedAudio:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def clips(self) -> list[Path]:
        """The clips kept so far, in the order played."""
        with self._lock:
            return list(self.played)

    def close(self) -> None:
        """Stop listening (the clips kept stay on disk)."""
        # Wakes the thread's accept(); a socket that never listened cannot be shut down.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self.path.unlink(missing_ok=True)

    def _run(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:
                return  # closed
            with connection:
                self._receive(connection)

    def _receive(self, connection: socket.socket) -> None:
        while True:
            try:
                clip = read_clip(connection)
            except (OSError, ValueError) as exc:
                # A terminal killed mid-clip: the partial clip is dropped, as headphones
                # would have said half a word.
                log.info("audio connection ended: %s", exc)
                return
            if clip is None:
                return
            name, wav = clip
            with self._lock:
                self.out.mkdir(parents=True, exist_ok=True)
                path = self.out / f"{len(self.played) + 1:04d}-{_UNSAFE.sub('_', name)}.wav"
                path.write_bytes(wav)
                self.played.append(path)
