"""The simulated enclosure controller, and the polling day with one (`sim day --enclosure`).

The controller is the firmware itself (firmware/enclosure/: board.py and controller.py
over a faked `machine`) running in real MicroPython: the webassembly port under Node
(firmware/enclosure/run.mjs --serve). This module bridges the terminal's serial port, a
pseudo-terminal, to it, and plays the physical world: the seal, the lid, slips falling
through the slot's light beam. It can also put hostile bytes on the line towards the
terminal: a forged frame, a frame played again, noise.

On the day, every voter drops their slip into the box after it is printed; in the middle
of the day someone opens the seal for a moment and meddles with the line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from sim.channels import PtyChannel
from sim.day import REPO, Day, DayFailed, SimTerminal, VoterOutcome
from terminal.hal import enclosure_protocol as wire
from terminal.hal.enclosure import KEYS
from terminal.hal.enclosure import Key as EnclosureKey
from terminal.hal.interfaces import Key

FIRMWARE = REPO / "firmware" / "enclosure"
RUNNER = FIRMWARE / "run.mjs"
SLIP_IN_BEAM_MS = 30  # a falling slip blocks the beam some 10-40 ms
SETTLE_S = 0.1  # longer than any debounce of the firmware (30 ms)
# A keypad key's line on the controller: its place in the controller's key numbers.
KEY_PINS = {key: KEYS.index(EnclosureKey(key.value)) for key in Key}
WAIT_S = 20.0
# The plain copy of the pairing key that provisioning writes for the controller's flash.
CONTROLLER_COPY = "controller-pairing.key"


def node() -> str:
    found = shutil.which("node")
    if found is None or not (FIRMWARE / "node_modules").is_dir():
        raise DayFailed(
            "the enclosure needs Node (scripts/setup-system.sh) and firmware/enclosure's npm "
            "package (scripts/setup-node.sh); make test runs both"
        )
    return found


class SimulatedController:
    """The firmware in MicroPython behind a pty the terminal opens as `dev/enclosure`."""

    def __init__(self, dev: Path, pairing_key: bytes, firmware: Path = FIRMWARE) -> None:
        self.channel = PtyChannel()
        link = dev / "enclosure"
        link.unlink(missing_ok=True)
        link.symlink_to(self.channel.port)
        self.process = subprocess.Popen(
            [node(), str(RUNNER), "--path", str(firmware), "--path", str(FIRMWARE / "fake"),
             "--serve", "sim_controller"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=FIRMWARE,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.sent: list[bytes] = []  # every frame the controller sent the terminal
        self.received: list[bytes] = []  # every frame the terminal sent the controller
        self._decoder = wire.Decoder()
        self._pi_decoder = wire.Decoder()
        self.command(f"pair {pairing_key.hex()}")
        self.command("boot power_on")
        self._threads = [
            threading.Thread(target=self._to_controller, daemon=True),
            threading.Thread(target=self._to_terminal, daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def command(self, line: str) -> None:
        assert self.process.stdin is not None
        with self._lock:
            if self._stop.is_set():
                return  # stopping: the line is dead
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()

    def _to_controller(self) -> None:
        while not self._stop.is_set():
            data = self.channel.read(0.05)
            if data:
                self.received += [frame_bytes(f) for f in self._pi_decoder.feed(data)]
                self.command(f"rx {data.hex()}")

    def _to_terminal(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            verb, _, argument = line.decode().strip().partition(" ")
            if verb != "tx":
                continue
            data = bytes.fromhex(argument)
            for frame in self._decoder.feed(data):
                self.sent.append(frame_bytes(frame))
            self.channel.write(data)

    # --- the physical world -------------------------------------------------------------

    def set(self, pin: str, level: int) -> None:
        self.command(f"pin {pin} {level}")
        time.sleep(SETTLE_S)

    def drop_slip(self) -> None:
        """A slip falls through the slot's beam into the box."""
        self.command(f"pulse slip 0 {SLIP_IN_BEAM_MS}")
        time.sleep(SETTLE_S)

    def restart(self) -> None:
        """The controller's watchdog fires: it boots again with what its flash kept."""
        self.command("boot watchdog")

    # --- the hostile line ------------------------------------------------------------------

    def inject(self, data: bytes) -> None:
        """Bytes onto the line towards the terminal, as a tap on the wire would."""
        self.channel.write(data)

    def inject_to_controller(self, data: bytes) -> None:
        """Bytes onto the line towards the controller."""
        self.command(f"rx {data.hex()}")

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            if self.process.stdin is not None:
                self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.channel.close()


def frame_bytes(frame: wire.Frame) -> bytes:
    """A decoded frame's bytes on the wire again."""
    return wire.MAGIC + frame.body + wire.crc32(frame.body).to_bytes(4, "big") + frame.tag


class EnclosureDay(Day):
    """A combined terminal with an enclosure controller: every cast slip is dropped into the
    box; half-way through the day the seal is opened and closed again, and a forged frame,
    a replayed frame and a burst of noise are put on the line in each direction."""

    board = "sim-enclosure.toml"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.controller: SimulatedController | None = None
        self.slips_dropped = 0
        self.screens: dict[str, Path] = {}
        self.stuffed = 0  # slips pushed into the box by whoever opens the seal

    def terminal_provisioned(self, terminal: SimTerminal) -> None:
        subprocess.run(
            [sys.executable, "-m", "terminal", "provision-enclosure", "--board",
             str(terminal.board), "--data", "data", "--out", CONTROLLER_COPY],
            check=True, cwd=terminal.root, stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip

    def devices_started(self, terminal: SimTerminal) -> None:
        key = (terminal.root / CONTROLLER_COPY).read_bytes()
        self.controller = SimulatedController(terminal.root / "dev", key)

    def devices_stopped(self, terminal: SimTerminal) -> None:
        if self.controller is not None:
            self.controller.stop()

    def keypad_table(self) -> str | None:
        # --input keypad: the controller's keys are the booth's keypad.
        return 'driver = "enclosure"' if self.keypad else None

    def press_key(self, terminal: SimTerminal, key: Key) -> None:
        """The key's button pressed on the enclosure and let go: its line held low (the
        buttons pull up) for longer than the firmware's debounce."""
        assert self.controller is not None
        self.controller.set(f"key{KEY_PINS[key]}", 0)
        self.controller.set(f"key{KEY_PINS[key]}", 1)

    def slip_printed(self, outcome: VoterOutcome) -> None:
        assert self.controller is not None
        self.controller.drop_slip()
        self.slips_dropped += 1

    def vote(self, index: int) -> None:
        super().vote(index)
        if index == self.voters // 2 and "seal-open" not in self.screens:
            self.meddle()

    def meddle(self) -> None:
        """The seal opened and closed, and the line attacked, between two voters."""
        controller, booth = self.controller, self.booth
        assert controller is not None
        before = booth.panel.frame_count
        controller.set("seal", 1)
        self._new_idle(before, "seal-open")
        for _ in range(self.stuffed):
            controller.drop_slip()
            time.sleep(SETTLE_S)
        before = booth.panel.frame_count
        controller.set("seal", 0)
        self._new_idle(before, "seal-closed")
        sent = list(controller.sent)
        if len(sent) < 2:
            raise DayFailed("the controller has sent fewer than two frames")
        replayed = sent[-2]  # authentic, of this session, but its number is used up
        forged = bytearray(sent[-1])
        forged[-1] ^= 0x01  # a bit of its MAC
        controller.inject(replayed)
        controller.inject(bytes(forged))
        controller.inject(b"\x00\xa5\x5a\x10garbled line" + os.urandom(40))
        # And the same towards the controller, which counts them in its STATUS.
        from_pi = list(controller.received)
        if len(from_pi) < 2:
            raise DayFailed("the terminal has sent fewer than two frames")
        spoiled = bytearray(from_pi[-1])
        spoiled[-1] ^= 0x01
        controller.inject_to_controller(from_pi[-2])
        controller.inject_to_controller(bytes(spoiled))
        controller.inject_to_controller(b"\x00\xa5\x5a\x10garbled line" + os.urandom(40))
        time.sleep(1.5)  # the next STATUS tells the terminal

    def _new_idle(self, after: int, name: str) -> None:
        """Wait for the idle screen to be drawn again (with or without the warning)."""
        booth = self.booth
        booth.screen("idle", after=after, timeout=WAIT_S)
        frame = booth.panel.frame
        assert frame is not None
        path = self.out / "screens" / f"enclosure-{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.image.save(path)
        self.screens[name] = path

    def close_polls(self, terminal: SimTerminal) -> None:
        # The last slip's event reaches the terminal within a second (its loop polls the
        # line every 0.2 s); a poll worker takes longer than that to reach the chair.
        time.sleep(1.0)
        super().close_polls(terminal)
