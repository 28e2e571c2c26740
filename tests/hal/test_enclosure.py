"""The Pi's enclosure driver (terminal/hal/enclosure.py): sessions, refusals, events told
once and in order, against a controller played with the protocol module; and once over a
real pseudo-terminal against the firmware itself in MicroPython."""

from __future__ import annotations

import random
import shutil
import struct
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.app.enclosure_pairing import (
    PAIRING_FILE,
    PairingError,
    load_pairing,
    provision_pairing,
)
from terminal.hal import enclosure as hal
from terminal.hal import enclosure_protocol as wire
from terminal.hal.board_config import BoardConfigError, parse_board_config
from terminal.hal.enclosure_protocol import ControllerEvent, FrameType, Refusal
from terminal.trust.sealed_store import DeviceSealer

PAIRING = bytes(range(32))


class Wire:
    """Both ends of the line: what the driver wrote, and what it will read."""

    def __init__(self) -> None:
        self.to_pi = b""
        self.from_pi = b""

    def read(self, size: int = 1) -> bytes:
        data, self.to_pi = self.to_pi, b""
        return data

    def write(self, data: bytes, /) -> int:
        self.from_pi += data
        return len(data)

    def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Controller:
    """The controller's side, written with the protocol module."""

    def __init__(self, line: Wire, key: bytes = PAIRING) -> None:
        self.line = line
        self.key = key
        self.session: bytes | None = None
        self.seq = 0
        self.decoder = wire.Decoder()
        self.sent: list[bytes] = []
        self.states: list[tuple[int, int, int]] = []
        self.counter = 0  # the last event number it tells in WELCOME

    def read_pi(self) -> None:
        data, self.line.from_pi = self.line.from_pi, b""
        for frame in self.decoder.feed(data):
            if frame.kind == FrameType.HELLO:
                assert frame.authentic(self.key, wire.FROM_PI)
                nonce = random.randbytes(16)
                self.session = wire.session_key(self.key, frame.payload, nonce)
                self.seq = 0
                payload = nonce + frame.payload + struct.pack(">II", 1, self.counter)
                self.push(
                    wire.encode(self.key, wire.FROM_CONTROLLER, FrameType.WELCOME, 0, payload)
                )
            elif frame.kind == FrameType.STATE:
                assert self.session is not None
                assert frame.authentic(self.session, wire.FROM_PI)
                self.states.append(wire.STATE_PAYLOAD.unpack(frame.payload))

    def push(self, data: bytes) -> None:
        self.sent.append(data)
        self.line.to_pi += data

    def send(self, kind: int, payload: bytes) -> bytes:
        assert self.session is not None
        self.seq += 1
        data = wire.encode(self.session, wire.FROM_CONTROLLER, kind, self.seq, payload)
        self.push(data)
        return data

    def event(self, counter: int, kind: ControllerEvent, value: int = 0) -> bytes:
        return self.send(FrameType.EVENT, wire.EVENT_PAYLOAD.pack(counter, kind, value))

    def status(self, flags: int = 3, slips: int = 0, counter: int = 0) -> bytes:
        payload = wire.STATUS_PAYLOAD.pack(flags, slips, counter, 0, 0, 0, 0)
        return self.send(FrameType.STATUS, payload)


def connected(logged: int = 0) -> tuple[hal.SerialEnclosure, Controller, Clock]:
    line, clock = Wire(), Clock()
    driver = hal.SerialEnclosure(line, PAIRING, logged, clock, random.randbytes)
    controller = Controller(line)
    controller.counter = logged
    assert driver.poll() == []  # HELLO
    controller.read_pi()
    assert driver.poll() == [hal.Connected(1, logged)]
    controller.read_pi()
    return driver, controller, clock


def test_enclosure_session_then_status_and_lights() -> None:
    driver, controller, _clock = connected()
    controller.status(flags=wire.STATUS_LID_CLOSED, slips=5, counter=9)
    assert driver.poll() == []
    assert driver.status == hal.Status(False, True, False, 5, 9, 0)
    driver.set_lights(hal.Lights(polls_open=True, alarm=True))
    driver.poll()
    controller.read_pi()
    assert controller.states[-1] == (wire.LIGHT_POLLS_OPEN, wire.BUZZER_ALARM, 0)


def test_enclosure_events_told_once_in_order_and_acknowledged() -> None:
    driver, controller, clock = connected(logged=3)
    controller.event(3, ControllerEvent.SLIP, 3)  # logged before: not again
    controller.event(5, ControllerEvent.SEAL_CLOSED)  # early: waits for 4
    assert driver.poll() == []
    controller.event(4, ControllerEvent.SEAL_OPENED)
    assert driver.poll() == [
        hal.Event(4, ControllerEvent.SEAL_OPENED, 0),
        hal.Event(5, ControllerEvent.SEAL_CLOSED, 0),
    ]
    # Only what the station says it logged is acknowledged to the controller.
    clock.now += 1.5
    driver.poll()
    controller.read_pi()
    assert controller.states[-1][2] == 3
    driver.acknowledge(5)
    clock.now += 1.5
    driver.poll()
    controller.read_pi()
    assert controller.states[-1][2] == 5


def test_enclosure_missing_events_are_a_gap() -> None:
    driver, controller, clock = connected()
    controller.event(3, ControllerEvent.SLIP, 1)
    assert driver.poll() == []
    clock.now += hal.GAP_WAIT_S
    controller.status()  # keeps the session alive
    assert driver.poll() == [hal.Gap(1, 2), hal.Event(3, ControllerEvent.SLIP, 1)]


def test_enclosure_replayed_forged_and_garbled_frames_are_refused() -> None:
    driver, controller, _clock = connected()
    first = controller.status(slips=1)
    second = controller.status(slips=2)
    assert driver.poll() == []
    forged = bytearray(controller.status(slips=3))
    controller.line.to_pi = b""
    forged[10] ^= 0x40  # the payload, CRC made good again: only the MAC can tell
    body = bytes(forged[2 : 8 + forged[2]])
    forged[8 + forged[2] : 12 + forged[2]] = wire.crc32(body).to_bytes(4, "big")
    controller.line.to_pi = first + second + bytes(forged) + b"\x00\xa5\x5anoise"
    notices = driver.poll()
    assert hal.Refused("terminal", Refusal.REPLAY, 1) in notices
    assert notices.count(hal.Refused("terminal", Refusal.REPLAY, 1)) == 2
    assert hal.Refused("terminal", Refusal.MAC, 1) in notices
    assert any(n == hal.Refused("terminal", Refusal.GARBLED, n.count) for n in notices)
    assert driver.status is not None and driver.status.slips == 2  # nothing else taken


def test_enclosure_old_welcome_and_other_key_refused() -> None:
    line, clock = Wire(), Clock()
    driver = hal.SerialEnclosure(line, PAIRING, 0, clock, random.randbytes)
    stranger = Controller(line, key=bytes(32))
    driver.poll()
    stranger.decoder.feed(line.from_pi)
    line.from_pi = b""
    nonce = random.randbytes(16)
    welcome = nonce + b"x" * 16 + struct.pack(">II", 1, 0)
    line.to_pi = wire.encode(bytes(32), wire.FROM_CONTROLLER, FrameType.WELCOME, 0, welcome)
    assert driver.poll() == [hal.Refused("terminal", Refusal.MAC, 1)]
    # The right key, but not the answer to the HELLO outstanding: an old WELCOME.
    line.to_pi = wire.encode(PAIRING, wire.FROM_CONTROLLER, FrameType.WELCOME, 0, welcome)
    assert driver.poll() == [hal.Refused("terminal", Refusal.REPLAY, 1)]


def test_enclosure_lost_then_new_session_and_counter_back() -> None:
    driver, controller, clock = connected(logged=0)
    controller.event(1, ControllerEvent.BOOT, 1)
    controller.event(2, ControllerEvent.SLIP, 1)
    assert len(driver.poll()) == 2
    clock.now += hal.LOST_AFTER_S + 0.1
    assert driver.poll() == [hal.Lost()]
    assert driver.status is None
    controller.read_pi()  # the new HELLO: this controller (wiped) says its counter is 0
    controller.counter = 0
    assert driver.poll() == [hal.Connected(1, 0), hal.CounterBack(2, 0)]


def test_enclosure_announce_restarts_the_session() -> None:
    driver, controller, _clock = connected()
    first_session = controller.session
    controller.push(
        wire.encode(PAIRING, wire.FROM_CONTROLLER, FrameType.ANNOUNCE, 0, struct.pack(">I", 2))
    )
    driver.poll()
    controller.read_pi()
    assert controller.session != first_session
    assert driver.poll() == [hal.Connected(1, 0)]


def test_enclosure_keys_reach_the_keypad() -> None:
    driver, controller, _clock = connected()
    controller.send(FrameType.KEY, bytes((4, 1)))
    controller.send(FrameType.KEY, bytes((4, 0)))
    controller.send(FrameType.KEY, bytes((99, 1)))  # no such key
    notices = driver.poll()
    assert notices == [hal.Refused("terminal", Refusal.MALFORMED, 1)]
    assert driver.keys() == [
        hal.KeyEvent(hal.Key.SELECT, True),
        hal.KeyEvent(hal.Key.SELECT, False),
    ]
    assert driver.keys() == []


def test_enclosure_pairing_key_sealed_under_the_device_key(tmp_path: Path) -> None:
    device = DeviceSealer(bytes(range(32)))
    copy = tmp_path / "controller-pairing.key"
    path = provision_pairing(tmp_path / "data", device, copy)
    assert path == tmp_path / "data" / PAIRING_FILE
    key = copy.read_bytes()
    assert len(key) == 32 and copy.stat().st_mode & 0o077 == 0
    assert key not in path.read_bytes()  # sealed on the card, not in the clear
    assert load_pairing(path, device) == key
    with pytest.raises(FileExistsError):
        provision_pairing(tmp_path / "data", device, tmp_path / "other")
    with pytest.raises(PairingError, match="does not open"):
        load_pairing(path, DeviceSealer(bytes(32)))  # the card in another terminal
    with pytest.raises(PairingError, match="cannot read"):
        load_pairing(tmp_path / "missing", device)


# --- the board file's [enclosure] -------------------------------------------------------

BASE = {
    "terminal": {"role": "combined"},
    "display": {
        "driver": "socket",
        "socket": "d",
        "width": 800,
        "height": 480,
        "width_mm": 154.2,
        "height_mm": 85.9,
    },
    "touch": {"driver": "socket", "socket": "t"},
    "scanner": {"driver": "serial", "port": "s", "suffix": "LF"},
    "printer": {"driver": "serial", "port": "p", "width_dots": 384},
    "storage": {"data": "data", "export": "bundle"},
    "clock": {"source": "system"},
    "device_key": {"source": "file", "path": "/boot/device.key"},
}
SERIAL = {"driver": "serial", "port": "/dev/serial0", "pairing_key": "/var/lib/tamga/enclosure.key"}
GPIO_SEAL = {"driver": "chardev", "chip": "pinctrl-rp1", "seal_line": 5}


@pytest.mark.parametrize(
    ("enclosure", "gpio", "key", "problem"),
    [
        ({**SERIAL, "baudrate": 12345}, None, "enclosure.baudrate", "must be one of"),
        ({"driver": "serial", "pairing_key": "k"}, None, "enclosure.port", "missing"),
        ({"driver": "serial", "port": "p"}, None, "enclosure.pairing_key", "missing"),
        ({**SERIAL, "sael": "gpio"}, None, "enclosure.sael", "unknown key"),
        (SERIAL, GPIO_SEAL, "enclosure.seal", r"\[gpio\] has a seal_line too"),
        ({**SERIAL, "seal": "gpio"}, None, "enclosure.seal", r"\[gpio\] has no seal_line"),
        ({**SERIAL, "seal": "both"}, GPIO_SEAL, "enclosure.seal", "must be one of"),
        ({"driver": "i2c"}, None, "enclosure.driver", "must be one of"),
    ],
)
def test_enclosure_board_section_refused(
    enclosure: dict[str, object], gpio: dict[str, object] | None, key: str, problem: str
) -> None:
    data = {**BASE, "enclosure": enclosure, **({"gpio": gpio} if gpio else {})}
    with pytest.raises(BoardConfigError, match=problem) as caught:
        parse_board_config(data, Path("board.toml"))
    assert caught.value.key == key


def test_enclosure_board_section_read() -> None:
    board = parse_board_config(
        {**BASE, "enclosure": {**SERIAL, "seal": "gpio"}, "gpio": GPIO_SEAL}, Path("b.toml")
    )
    assert board.enclosure.port == Path("/dev/serial0")
    assert board.enclosure.baudrate == 115200
    assert board.enclosure.seal.value == "gpio"
    assert parse_board_config(BASE, Path("b.toml")).enclosure.driver.value == "none"


# --- against the firmware, over a pseudo-terminal ----------------------------------------


def test_enclosure_driver_against_the_firmware_over_a_pty(tmp_path: Path) -> None:
    """pyserial on the pty, the firmware in MicroPython at the other end: a session, an
    opened seal told as an event, a slip counted, and a restart of the controller (its
    watchdog) made into a new session with the counter carried on in its flash; the seal
    still open then is an opening it did not see (tamper while off)."""
    assert shutil.which("node"), "node is not installed: run scripts/setup-node.sh"
    from sim.enclosure import SimulatedController

    controller = SimulatedController(tmp_path, PAIRING)
    driver = hal.SerialEnclosure.open(str(tmp_path / "enclosure"), 115200, PAIRING, 0)
    try:
        notices = _poll_until(driver, lambda ns: any(isinstance(n, hal.Event) for n in ns))
        assert notices[0] == hal.Connected(1, 1)
        assert hal.Event(1, ControllerEvent.BOOT, 1) in notices
        driver.acknowledge(1)
        controller.set("seal", 1)
        notices = _poll_until(driver, lambda ns: any(isinstance(n, hal.Event) for n in ns))
        assert hal.Event(2, ControllerEvent.SEAL_OPENED, 0) in notices
        driver.acknowledge(2)
        controller.drop_slip()
        notices = _poll_until(driver, lambda ns: any(isinstance(n, hal.Event) for n in ns))
        assert hal.Event(3, ControllerEvent.SLIP, 1) in notices
        driver.acknowledge(3)
        controller.restart()
        notices = _poll_until(driver, lambda ns: any(isinstance(n, hal.Event) for n in ns))
        # Booted by its watchdog, it finds the seal open, not knowing since when.
        assert hal.Connected(2, 5) in notices
        assert hal.Event(4, ControllerEvent.BOOT, 2) in notices
    finally:
        driver.close()
        controller.stop()


def _poll_until(driver: hal.SerialEnclosure, done: object, timeout: float = 15) -> list[hal.Notice]:
    assert callable(done)
    found: list[hal.Notice] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found += driver.poll()
        if done(found):
            return found
        time.sleep(0.02)
    raise AssertionError(f"nothing came: {found}")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=120), max_size=8))
def test_enclosure_fuzzed_line_changes_nothing(chunks: list[bytes]) -> None:
    """Whatever arrives on the line without the keys is refused: no event, no status, no
    key, no exception; and the session still works afterwards."""
    driver, controller, _clock = connected(logged=0)
    for chunk in chunks:
        controller.line.to_pi = chunk
        for notice in driver.poll():
            assert isinstance(notice, hal.Refused)
    assert driver.status is None and driver.keys() == []
    # A frame with a MAGIC-shaped prefix left in the buffer may swallow the next bytes; a
    # clean frame after a pause of junk gets through.
    controller.line.to_pi = b"\x00" * 200
    driver.poll()
    controller.status(slips=7)
    driver.poll()
    assert driver.status is not None and driver.status.slips == 7


def test_enclosure_frames_of_an_earlier_session_refused() -> None:
    """After either side restarts the sequence numbers start again at 1: a frame recorded in
    the session before, its number now unused, still does not verify."""
    driver, controller, clock = connected()
    old = [controller.status(slips=n) for n in range(1, 4)]
    driver.poll()
    clock.now += hal.LOST_AFTER_S + 0.1
    assert driver.poll() == [hal.Lost()]
    controller.read_pi()
    assert driver.poll() == [hal.Connected(1, 0)]
    controller.status(slips=9)
    driver.poll()
    controller.line.to_pi = b"".join(old)  # seq 1, 2, 3 of the old session
    assert driver.poll() == [hal.Refused("terminal", Refusal.MAC, 1)] * 3
    assert driver.status is not None and driver.status.slips == 9


class Unplugged(Wire):
    """A USB-serial adapter that was pulled: pyserial's reads and writes fail."""

    def read(self, size: int = 1) -> bytes:
        raise OSError(5, "device reports readiness to read but returned no data")

    def write(self, data: bytes, /) -> int:
        raise OSError(5, "Input/output error")


def test_enclosure_unplugged_line_is_lost_then_reopened() -> None:
    line, clock = Wire(), Clock()
    lines: list[Wire] = []

    def reopen() -> Wire:
        if not lines:
            raise OSError(2, "could not open port /dev/ttyACM0")
        return lines.pop()

    driver = hal.SerialEnclosure(line, PAIRING, 0, clock, random.randbytes, reopen)
    controller = Controller(line)
    driver.poll()
    controller.read_pi()
    assert driver.poll() == [hal.Connected(1, 0)]
    line.to_pi = b"\x00\x07half a frame"  # cut off by the unplug
    line.__class__ = Unplugged
    assert driver.poll() == [hal.Lost()]
    assert driver.status is None
    idle = driver.fileno()
    assert select_readable(idle) is False  # the loop waits on it without spinning
    clock.now += hal.RECONNECT_S
    assert driver.poll() == []  # the port is not back yet: tried, quietly
    back = Wire()
    lines.append(back)
    clock.now += hal.RECONNECT_S
    driver.poll()  # open again: a new HELLO on the new line
    controller = Controller(back)
    controller.read_pi()
    assert driver.poll() == [hal.Connected(1, 0)]
    controller.event(1, ControllerEvent.SLIP, 1)
    assert driver.poll() == [hal.Event(1, ControllerEvent.SLIP, 1)]
    driver.close()


class WriteFails(Wire):
    def write(self, data: bytes, /) -> int:
        raise OSError(5, "Input/output error")


def test_enclosure_failed_write_ends_the_session_once() -> None:
    driver, controller, clock = connected()
    controller.line.__class__ = WriteFails
    clock.now += hal.STATE_EVERY_S
    assert driver.poll() == []  # the STATE frame's write fails after the read
    assert driver.poll() == [hal.Lost()]
    clock.now += hal.RECONNECT_S
    assert driver.poll() == []  # said once; no reopen without a way to open the port


def select_readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0)[0])
