"""The enclosure controller (an RP2040 on the enclosure's own battery, firmware/enclosure/):
seal and lid switches, the ballot box's slip counter, the tactile keys, the status lights.

`SerialEnclosure` speaks its framed, MACed protocol (enclosure_protocol.py) over a serial
line with pyserial: it makes a session at start and again whenever either side restarted,
refuses garbled, forged, replayed and out-of-order frames, and turns what the controller
says into `Notice`s for the station to log and show. `NoEnclosure` is a board without one.

The controller numbers its events itself (a counter in its flash that never goes back);
the station says which number it has logged last (`acknowledge`), and the controller
keeps and resends every event after it, so an event is logged once whatever restarts.

A USB-serial adapter can be pulled or reset: a read or write that fails closes the line
(the session is lost, said once), `fileno()` becomes a descriptor that is never readable,
and `poll()` tries to open the port again every RECONNECT_S until it is back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from terminal.hal import enclosure_protocol as wire
from terminal.hal import interfaces
from terminal.hal.enclosure_protocol import ControllerEvent, FrameType, Refusal
from terminal.hal.interfaces import NeverReadable
from terminal.invariants import InvariantError

HELLO_RETRY_S = 1.0  # no WELCOME by then: a new HELLO (the controller may be waking up)
STATE_EVERY_S = 1.0  # the lights and the acknowledgement, and the Pi's sign of life
LOST_AFTER_S = 3.0  # no authentic frame for this long: the controller is gone
GAP_WAIT_S = 5.0  # an event missing this long after a later one came is not coming
KEYS_KEPT = 64  # key changes nobody has read yet: older ones are dropped, not hoarded
RECONNECT_S = 1.0  # a line that failed is opened again this often until it is back

log = logging.getLogger(__name__)


class Key(Enum):
    """The tactile keys, in the order of the controller's key numbers."""

    UP = "up"
    DOWN = "down"
    LEFT = "left"
    RIGHT = "right"
    SELECT = "select"
    BACK = "back"
    HELP = "help"


KEYS = tuple(Key)


@dataclass(frozen=True)
class KeyEvent:
    key: Key
    down: bool


@dataclass(frozen=True)
class Lights:
    polls_open: bool = False
    attention: bool = False
    fault: bool = False
    alarm: bool = False  # the buzzer, pulsing


@dataclass(frozen=True)
class Status:
    """The controller's last STATUS."""

    seal_closed: bool
    lid_closed: bool
    jammed: bool
    slips: int  # counted since provisioning
    counter: int  # its last event's number
    tamper_off: int  # openings while no Pi was connected, since provisioning


@dataclass(frozen=True)
class Connected:
    boots: int
    counter: int


@dataclass(frozen=True)
class Lost:
    pass


@dataclass(frozen=True)
class Event:
    counter: int
    kind: ControllerEvent
    value: int


@dataclass(frozen=True)
class Gap:
    """Events `first`..`last` never came (the controller keeps 32 while the Pi is away)."""

    first: int
    last: int


@dataclass(frozen=True)
class CounterBack:
    """The controller's counter is below what was logged: its flash was wiped, or it is
    another controller."""

    logged: int
    reported: int


@dataclass(frozen=True)
class Refused:
    side: str  # "terminal": refused here; "controller": the controller's count went up
    reason: Refusal
    count: int


Notice = Connected | Lost | Event | Gap | CounterBack | Refused


class Enclosure(Protocol):
    status: Status | None

    def fileno(self) -> int:
        """The line to select on: readable when the controller has sent something."""

    def poll(self) -> list[Notice]:
        """Read the line, keep the session, send what is due; what happened since."""

    def acknowledge(self, counter: int) -> None:
        """Events up to `counter` are logged durably: the controller may forget them."""

    def set_lights(self, lights: Lights) -> None: ...

    def keys(self) -> list[KeyEvent]:
        """The key changes since the last call."""

    def close(self) -> None: ...


class NoEnclosure(NeverReadable):
    """A board without an enclosure controller."""

    status: Status | None = None

    def poll(self) -> list[Notice]:
        return []

    def acknowledge(self, counter: int) -> None:
        pass

    def set_lights(self, lights: Lights) -> None:
        pass

    def keys(self) -> list[KeyEvent]:
        return []

    def close(self) -> None:
        pass


class Line(Protocol):
    """A serial line: pyserial's Serial opened with timeout=0."""

    def fileno(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...

    def close(self) -> None: ...


class SerialEnclosure:
    def __init__(
        self,
        line: Line,
        pairing_key: bytes,
        logged: int,
        clock: Callable[[], float] = time.monotonic,
        random: Callable[[int], bytes] = os.urandom,
        reopen: Callable[[], Line] | None = None,
    ) -> None:
        """`logged` is the last controller event number the station has logged; `reopen`
        opens the port again after the line failed (None: it stays closed)."""
        self._line: Line | None = line
        self._reopen = reopen
        self._reopen_at = 0.0
        self._idle: tuple[int, int] | None = None  # a pipe nobody writes, while unplugged
        self._pending: list[Notice] = []  # what a failed write ended, said by the next poll
        self._pairing = pairing_key
        self._clock = clock
        self._random = random
        self._decoder = wire.Decoder()
        self._garbled_seen = 0
        self._delivered = logged  # the last event handed to the station
        self._acked = logged  # the last the station says it logged
        self._waiting: dict[int, tuple[Event, float]] = {}  # came early, by counter
        self._session: bytes | None = None
        self._nonce = b""
        self._earlier_nonces: deque[bytes] = deque(maxlen=4)
        self._hello_at: float | None = None
        self._seq_out = 0
        self._seq_in = 0
        self._last_rx = 0.0
        self._state_at: float | None = None
        self._lights = Lights()
        self._controller_refusals = (0, 0, 0)
        self._keys: list[KeyEvent] = []
        self.status: Status | None = None

    @classmethod
    def open(cls, port: str, baudrate: int, pairing_key: bytes, logged: int) -> SerialEnclosure:
        import serial

        def line() -> serial.Serial:
            return serial.Serial(port, baudrate, timeout=0)

        return cls(line(), pairing_key, logged, reopen=line)

    # --- the station's side -----------------------------------------------------------

    def acknowledge(self, counter: int) -> None:
        self._acked = max(self._acked, counter)

    def set_lights(self, lights: Lights) -> None:
        if lights != self._lights:
            self._lights = lights
            self._state_at = None  # now, not in a second

    def keys(self) -> list[KeyEvent]:
        keys, self._keys = self._keys, []
        return keys

    def fileno(self) -> int:
        if self._line is not None:
            return self._line.fileno()
        if self._idle is None:
            self._idle = os.pipe()
        return self._idle[0]

    def close(self) -> None:
        if self._line is not None:
            self._line.close()
            self._line = None
        if self._idle is not None:
            for fd in self._idle:
                os.close(fd)
            self._idle = None

    def poll(self) -> list[Notice]:
        now = self._clock()
        if self._line is None and not self._reconnect(now):
            notices, self._pending = self._pending, []
            return notices
        data = self._read(now)
        notices, self._pending = self._pending, []
        if data:
            for frame in self._decoder.feed(data):
                notices += self._receive(frame, now)
        if self._decoder.garbled > self._garbled_seen:
            notices.append(
                Refused("terminal", Refusal.GARBLED, self._decoder.garbled - self._garbled_seen)
            )
            self._garbled_seen = self._decoder.garbled
        if self._session is not None and now - self._last_rx > LOST_AFTER_S:
            notices += self._end_session()
        if self._session is None:
            if self._hello_at is None or now - self._hello_at >= HELLO_RETRY_S:
                self._hello(now)
        elif self._state_at is None or now - self._state_at >= STATE_EVERY_S:
            self._send_state(now)
        notices += self._overdue(now)
        return notices

    # --- the line ---------------------------------------------------------------------

    def _read(self, now: float) -> bytes:
        if self._line is None:
            return b""
        try:
            return self._line.read(4096)
        except OSError as exc:  # serial.SerialException is an OSError
            self._failed(exc, now)
            return b""

    def _write(self, data: bytes) -> None:
        if self._line is None:
            return
        try:
            self._line.write(data)
        except OSError as exc:
            self._failed(exc, self._clock())

    def _failed(self, exc: OSError, now: float) -> None:
        log.warning("enclosure controller's line failed: %s", exc)
        if self._line is not None:
            # The device is gone already; closing only releases our descriptor.
            with contextlib.suppress(OSError):
                self._line.close()
        self._line = None
        self._reopen_at = now + RECONNECT_S
        # Half a frame from before the failure must not be glued to the first one after it.
        self._decoder = wire.Decoder()
        self._garbled_seen = 0
        self._hello_at = None
        self._pending += self._end_session()

    def _end_session(self) -> list[Notice]:
        if self._session is None:
            return []
        self._session = None
        self.status = None
        return [Lost()]

    def _reconnect(self, now: float) -> bool:
        if self._reopen is None or now < self._reopen_at:
            return False
        try:
            self._line = self._reopen()
        except OSError:
            self._reopen_at = now + RECONNECT_S
            return False  # still away; the failure was logged once
        log.info("enclosure controller's line open again")
        return True

    def _hello(self, now: float) -> None:
        if self._nonce:
            self._earlier_nonces.append(self._nonce)
        self._nonce = self._random(wire.NONCE)
        self._hello_at = now
        self._write(wire.encode(self._pairing, wire.FROM_PI, FrameType.HELLO, 0, self._nonce))

    def _send_state(self, now: float) -> None:
        if self._session is None:
            raise InvariantError("invariant broken: self._session is not None")
        lights = self._lights
        bits = (
            (wire.LIGHT_POLLS_OPEN if lights.polls_open else 0)
            | (wire.LIGHT_ATTENTION if lights.attention else 0)
            | (wire.LIGHT_FAULT if lights.fault else 0)
        )
        buzzer = wire.BUZZER_ALARM if lights.alarm else 0
        self._seq_out += 1
        payload = wire.STATE_PAYLOAD.pack(bits, buzzer, self._acked)
        frame = wire.encode(self._session, wire.FROM_PI, FrameType.STATE, self._seq_out, payload)
        self._write(frame)
        self._state_at = now

    def _receive(self, frame: wire.Frame, now: float) -> list[Notice]:
        if frame.kind in (FrameType.WELCOME, FrameType.ANNOUNCE):
            if not frame.authentic(self._pairing, wire.FROM_CONTROLLER):
                return [Refused("terminal", Refusal.MAC, 1)]
            if frame.kind == FrameType.ANNOUNCE:
                # The controller has no session (it restarted, or never had one): start one.
                if self._session is not None or self._hello_at is None:
                    self._session = None
                    self.status = None
                    self._hello(now)
                return []
            return self._welcome(frame, now)
        if self._session is None or not frame.authentic(self._session, wire.FROM_CONTROLLER):
            return [Refused("terminal", Refusal.MAC, 1)]
        if frame.seq <= self._seq_in:
            return [Refused("terminal", Refusal.REPLAY, 1)]
        self._seq_in = frame.seq
        self._last_rx = now
        if frame.kind == FrameType.STATUS and len(frame.payload) == wire.STATUS_PAYLOAD.size:
            return self._status(frame.payload)
        if frame.kind == FrameType.EVENT and len(frame.payload) == wire.EVENT_PAYLOAD.size:
            counter, kind, value = wire.EVENT_PAYLOAD.unpack(frame.payload)
            if kind in ControllerEvent._value2member_map_:
                return self._event(Event(counter, ControllerEvent(kind), value), now)
        if frame.kind == FrameType.KEY and len(frame.payload) == 2 and frame.payload[0] < len(KEYS):
            self._keys.append(KeyEvent(KEYS[frame.payload[0]], frame.payload[1] == 1))
            del self._keys[:-KEYS_KEPT]
            return []
        return [Refused("terminal", Refusal.MALFORMED, 1)]

    def _welcome(self, frame: wire.Frame, now: float) -> list[Notice]:
        payload = frame.payload
        if len(payload) != 2 * wire.NONCE + wire.WELCOME_TAIL.size or frame.seq != 0:
            return [Refused("terminal", Refusal.MALFORMED, 1)]
        echoed = payload[wire.NONCE : 2 * wire.NONCE]
        if self._session is None and echoed in self._earlier_nonces:
            return []  # the late answer to a HELLO sent again since: the next one counts
        if self._session is not None or echoed != self._nonce:
            # Not the answer to the HELLO outstanding: an old WELCOME played again.
            return [Refused("terminal", Refusal.REPLAY, 1)]
        boots, counter = wire.WELCOME_TAIL.unpack(payload[2 * wire.NONCE :])
        self._session = wire.session_key(self._pairing, self._nonce, payload[: wire.NONCE])
        self._seq_out = self._seq_in = 0
        self._last_rx = now
        self._state_at = None
        self._controller_refusals = (0, 0, 0)
        notices: list[Notice] = [Connected(boots, counter)]
        if counter < self._delivered:
            notices.append(CounterBack(self._delivered, counter))
            self._delivered = self._acked = counter
            self._waiting.clear()
        self._send_state(now)
        return notices

    def _status(self, payload: bytes) -> list[Notice]:
        flags, slips, counter, tamper, garbled, mac, replay = wire.STATUS_PAYLOAD.unpack(payload)
        self.status = Status(
            bool(flags & wire.STATUS_SEAL_CLOSED),
            bool(flags & wire.STATUS_LID_CLOSED),
            bool(flags & wire.STATUS_JAMMED),
            slips,
            counter,
            tamper,
        )
        notices: list[Notice] = []
        counts = (garbled, mac, replay)
        for reason, now_count, before in zip(
            (Refusal.GARBLED, Refusal.MAC, Refusal.REPLAY),
            counts,
            self._controller_refusals,
            strict=True,
        ):
            if now_count > before:
                notices.append(Refused("controller", reason, now_count - before))
        self._controller_refusals = counts
        return notices

    def _event(self, event: Event, now: float) -> list[Notice]:
        if event.counter <= self._delivered:
            return []  # sent again before our acknowledgement reached it
        self._waiting.setdefault(event.counter, (event, now))
        return self._release()

    def _release(self) -> list[Notice]:
        notices: list[Notice] = []
        while self._delivered + 1 in self._waiting:
            event, _ = self._waiting.pop(self._delivered + 1)
            notices.append(event)
            self._delivered = event.counter
        return notices

    def _overdue(self, now: float) -> list[Notice]:
        if not self._waiting:
            return []
        first = min(self._waiting)
        if now - self._waiting[first][1] < GAP_WAIT_S:
            return []
        gap = Gap(self._delivered + 1, first - 1)
        self._delivered = first - 1
        return [gap, *self._release()]


# The controller's arrows move the focus as the keypad's up and down do: left and up go to
# the previous target, right and down to the next.
KEYPAD_KEYS = {
    Key.UP: interfaces.Key.UP,
    Key.LEFT: interfaces.Key.UP,
    Key.DOWN: interfaces.Key.DOWN,
    Key.RIGHT: interfaces.Key.DOWN,
    Key.SELECT: interfaces.Key.SELECT,
    Key.BACK: interfaces.Key.BACK,
    Key.HELP: interfaces.Key.HELP,
}


class EnclosureKeypad:
    """The enclosure controller's tactile keys as the station's Keypad (`[keypad] driver =
    "enclosure"`). The station polls the controller every turn of its loop, after waiting
    on its line; a key acts when it goes down."""

    def __init__(self, enclosure: Enclosure) -> None:
        self._enclosure = enclosure

    def fileno(self) -> int:
        return self._enclosure.fileno()

    def read(self) -> list[interfaces.Key]:
        pressed = self._enclosure.keys()
        return [KEYPAD_KEYS[event.key] for event in pressed if event.down]
