"""The simulated touchscreen panel: the simulator's side of terminal/hal/socket_panel.py.

The panel listens on two Unix sockets in a directory, `display.sock` (frames from the
terminal) and `touch.sock` (touch events to the terminal), and accepts the terminal again
whenever it is killed and restarted, as a real panel stays powered across a reboot of the
board. A background thread receives frames; the caller waits for screens and taps targets.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import selectors
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from terminal.hal.interfaces import Frame, Key, TouchEvent
from terminal.hal.panel_protocol import encode_key, encode_touch, read_frame
from terminal.jsonfmt import FormatError

log = logging.getLogger(__name__)

DISPLAY_SOCKET = "display.sock"
TOUCH_SOCKET = "touch.sock"
KEYPAD_SOCKET = "keypad.sock"
# Once a frame has started arriving the rest follows at once; a stall is a broken terminal.
RECEIVE_TIMEOUT = 5.0
# Time a tap waits for the terminal to (re)connect its touch socket.
TAP_TIMEOUT = 5.0


class PanelError(Exception):
    """The panel cannot do what was asked (no terminal connected, no such target)."""


class SimulatedPanel:
    """A touchscreen the terminal process connects to; use it as a context manager."""

    def __init__(self, directory: Path) -> None:
        """Listen on display.sock, touch.sock and keypad.sock in `directory` (created if
        missing)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.display_path = directory / DISPLAY_SOCKET
        self.touch_path = directory / TOUCH_SOCKET
        self._display_listener = listen_unix(self.display_path)
        self._touch_listener = listen_unix(self.touch_path)
        self.keypad_path = directory / KEYPAD_SOCKET
        self._keypad_listener = listen_unix(self.keypad_path)
        # Guards the latest frame, the frame count, the errors and the touch connection.
        self._changed = threading.Condition()
        self._frame: Frame | None = None
        self._frame_count = 0
        self._errors: list[str] = []
        # The terminal's latest touch and keypad connections, by listener.
        self._inputs: dict[socket.socket, socket.socket | None] = {
            self._touch_listener: None,
            self._keypad_listener: None,
        }
        self._save_lock = threading.Lock()
        self._save_directory: Path | None = None
        self._saved: set[bytes] = set()
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="simulated-panel", daemon=True)
        self._thread.start()

    def __enter__(self) -> SimulatedPanel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def frame(self) -> Frame | None:
        """The screen shown now (None until the terminal has sent one)."""
        with self._changed:
            return self._frame

    @property
    def frame_count(self) -> int:
        """How many frames have been received, over every connection."""
        with self._changed:
            return self._frame_count

    @property
    def errors(self) -> list[str]:
        """Why connections were dropped: malformed frames or failed sockets."""
        with self._changed:
            return list(self._errors)

    def wait_for(self, predicate: Callable[[Frame], bool], timeout: float) -> Frame:
        """Wait until the latest screen satisfies `predicate`; return it.

        Only the latest screen is tested, as a person looking at the panel would see it.
        Raises TimeoutError naming the screen shown when `timeout` seconds have passed.
        """
        with self._changed:
            if not self._changed.wait_for(
                lambda: self._frame is not None and predicate(self._frame), timeout
            ):
                shown = self._frame.name if self._frame is not None else "nothing"
                raise TimeoutError(f"no matching screen within {timeout:g} s; showing {shown}")
            assert self._frame is not None
            return self._frame

    def tap(self, x: int, y: int, timeout: float = TAP_TIMEOUT) -> None:
        """Touch the screen at (x, y) and lift the finger.

        Waits up to `timeout` seconds for a terminal to be connected; raises PanelError if
        none is.
        """
        message = encode_touch(TouchEvent(x, y, True)) + encode_touch(TouchEvent(x, y, False))
        self._send(self._touch_listener, self.touch_path, message, timeout)

    def press_key(self, key: Key, timeout: float = TAP_TIMEOUT) -> None:
        """Press and release a key of the booth's tactile keypad."""
        self._send(self._keypad_listener, self.keypad_path, encode_key(key), timeout)

    def _send(self, listener: socket.socket, path: Path, message: bytes, timeout: float) -> None:
        """Send on the terminal's connection to `listener`, waiting up to `timeout` seconds
        for one; raises PanelError if none comes."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                remaining = deadline - time.monotonic()
                if not self._changed.wait_for(
                    lambda: self._inputs[listener] is not None, remaining
                ):
                    raise PanelError(f"no terminal connected to {path}")
                conn = self._inputs[listener]
                assert conn is not None
                try:
                    conn.sendall(message)
                    return
                except OSError as exc:
                    # The terminal died; its restarted process will connect again. The
                    # receiving thread closes the old socket when it sees the hang-up.
                    log.info("connection to %s lost while sending: %s", path, exc)
                    self._inputs[listener] = None

    def tap_target(self, target_id: str, timeout: float = TAP_TIMEOUT) -> None:
        """Tap the centre of the target `target_id` of the latest screen."""
        frame = self.frame
        if frame is None:
            raise PanelError("nothing on the screen yet")
        for target in frame.targets:
            if target.id == target_id:
                self.tap(*target.box.center, timeout=timeout)
                return
        ids = [target.id for target in frame.targets]
        raise PanelError(f"screen {frame.name!r} has no target {target_id!r}; it has {ids}")

    def save_distinct(self, directory: Path) -> None:
        """From now on, write every frame whose pixels are new as `<NNNN>-<name>.png`.

        The screen shown now is written too, so the directory holds every screen seen from
        this call on, each once, numbered in the order it first appeared.
        """
        directory.mkdir(parents=True, exist_ok=True)
        with self._save_lock:
            self._save_directory = directory
        frame = self.frame
        if frame is not None:
            self._save(frame)

    def close(self) -> None:
        """Stop the receiving thread, close every socket and remove the socket files."""
        os.write(self._wake_write, b"x")
        self._thread.join()
        for sock in (self._display_listener, self._touch_listener, self._keypad_listener):
            sock.close()
        for path in (self.display_path, self.touch_path, self.keypad_path):
            path.unlink(missing_ok=True)
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._wake_read, selectors.EVENT_READ)
        for listening in (self._display_listener, *self._inputs):
            selector.register(listening, selectors.EVENT_READ)
        display: socket.socket | None = None
        touches: list[socket.socket] = []
        try:
            while True:
                for key, _ in selector.select():
                    ready = key.fileobj
                    if ready == self._wake_read:
                        return
                    if ready is self._display_listener:
                        if display is not None:
                            _drop(display, selector)  # a restarted terminal replaces it
                        display = _accept(self._display_listener, selector)
                    elif ready in self._inputs:
                        assert isinstance(ready, socket.socket)
                        touches.append(_accept(ready, selector))
                        with self._changed:
                            self._inputs[ready] = touches[-1]
                            self._changed.notify_all()
                    elif ready is display:
                        if not self._receive(display):
                            _drop(display, selector)
                            display = None
                    elif ready in touches:
                        # The terminal never writes on the touch or keypad socket: readable
                        # means it hung up (or misbehaves, which ends the connection too).
                        conn = touches.pop(touches.index(ready))
                        with self._changed:
                            for listener, current in self._inputs.items():
                                if current is conn:
                                    self._inputs[listener] = None
                        _drop(conn, selector)
                    # Otherwise: a display connection replaced earlier in this same batch.
        finally:
            with self._changed:
                for listener in self._inputs:
                    self._inputs[listener] = None
            for conn in [*touches, *([display] if display is not None else [])]:
                conn.close()
            selector.close()

    def _receive(self, display: socket.socket) -> bool:
        """Take one frame; False when the connection is over."""
        try:
            header, image = read_frame(display)
        except EOFError:
            return False
        except (FormatError, OSError) as exc:
            log.warning("dropped the display connection: %s", exc)
            with self._changed:
                self._errors.append(str(exc))
            return False
        frame = Frame(header.name, image, header.targets, header.focus)
        # Saved before it is published, so that a caller woken by this frame finds its file.
        self._save(frame)
        with self._changed:
            self._frame = frame
            self._frame_count += 1
            self._changed.notify_all()
        return True

    def _save(self, frame: Frame) -> None:
        with self._save_lock:
            if self._save_directory is None:
                return
            digest = hashlib.sha256(frame.image.tobytes()).digest()
            if digest in self._saved:
                return
            self._saved.add(digest)
            name = re.sub(r"[^\w.-]", "_", frame.name, flags=re.ASCII)
            frame.image.save(self._save_directory / f"{len(self._saved):04d}-{name}.png")


def _accept(listener: socket.socket, selector: selectors.BaseSelector) -> socket.socket:
    conn, _ = listener.accept()
    conn.settimeout(RECEIVE_TIMEOUT)
    selector.register(conn, selectors.EVENT_READ)
    return conn


def _drop(conn: socket.socket, selector: selectors.BaseSelector) -> None:
    selector.unregister(conn)
    conn.close()


def listen_unix(path: Path) -> socket.socket:
    """A Unix stream socket listening at `path` (a socket left there by a killed simulator
    is removed first)."""
    if path.is_socket():
        path.unlink()  # left by a simulator that was killed
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(os.fspath(path))
        # A restarted terminal may connect before the old connection's hang-up is handled.
        sock.listen(4)
    except OSError:
        sock.close()
        raise
    return sock
