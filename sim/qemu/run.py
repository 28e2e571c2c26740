"""A polling day with the terminal running in the arm64 guest, driven by sim/day.py's Day.

The guest's framebuffer has only pixels, so the runner needs another way to know which screen
is shown and where its buttons are. It runs a *shadow*: the same unchanged terminal as a host
process with the simulated panel (board_configs/sim.toml), fed the same scans and taps. Day
drives the shadow exactly as in `python -m sim day`; every scan and tap goes to the guest as
well, and after every screen Day waits for, the runner waits until the guest's framebuffer
(QMP screendump) shows the same picture as the shadow's frame, within a small tolerance
(sim/qemu/screens.py). So the guest is never driven blind: a step goes on only once the
guest shows the screen it should, and a guest that shows anything else stops the day.

What counts comes from the guest alone: the printouts are the guest printer's (the shadow's
are set aside), and the bundle that is verified and tallied is the one the guest exported to
the shared run directory. After a power cut (QMP quit) the shadow is given a copy of the
guest's data directory, so both recover from the same stores and show the same screen.
"""

from __future__ import annotations

import hashlib
import os
import queue
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from sim.channels import SocketChannel
from sim.day import SCREEN_TIMEOUT, SIM_DEVICE_KEY, Day, SimTerminal
from sim.printer import PrintedPage, SimulatedPrinter
from sim.qemu import payload
from sim.qemu.image import GuestImage
from sim.qemu.machine import Machine, MachineConfig, MachineError
from sim.qemu.screens import RANDOM_CONTENT_TOLERANCE, TOLERANCE, matches, same_printout
from terminal.ballot.election import Role
from terminal.hal.board_config import load_board

# The guest's board config; TAMGA_QEMU_BOARD points the tests at another one.
GUEST_BOARD = Path(
    os.environ.get("TAMGA_QEMU_BOARD", payload.REPO / "board_configs" / "qemu-virt.toml")
).resolve()
# Measured: pure Python ~35x slower under TCG, Pillow and crypto ~15-25x.
SLOWDOWN = 25.0
# From power on to the terminal's first screen: boot ~8 s, imports and start-up the rest.
BOOT_TIMEOUT = 240.0
# One step in the guest: the slowest is casting (sealing, fsync over 9p, printing the slip).
STEP_TIMEOUT = 120.0
# Between two screendumps that do not show the screen yet. The guest draws most screens
# within ~35 ms of a tap, so the first screendump usually comes too early and this sleep
# is paid once a screen: at 0.15 s it was most of the 2.1 s a voter took (1.4 s at 0.04 s,
# the guest's own tap-to-frame unchanged); a screendump costs QEMU a few ms of PNG.
POLL_SECONDS = 0.04
# In the run directory: the guest terminal's input-to-frame times (terminal/app/response_times.py).
RESPONSE_LOG = "responses.jsonl"


class GuestMismatch(Exception):
    """The guest did not come to show the screen the shadow shows (a real difference, or a
    guest that stopped); not a DayFailed, so Day does not take it for a lost scan."""


@dataclass
class GuestStats:
    """What the guest run measured, for the report."""

    boots: list[dict[str, float]] = field(default_factory=list)
    screens_matched: int = 0
    max_difference: float = 0.0
    distinct_screens: int = 0


def write_key_disk(disk: Path, key_file: Path) -> None:
    """A one-page raw disk image whose first 32 bytes are the key (mode 0600)."""
    key = key_file.read_bytes()
    fd = os.open(disk, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, key + bytes(4096 - len(key)))
    finally:
        os.close(fd)


class Guest:
    """The emulated board with the terminal's scanner and printer on the host's side."""

    def __init__(
        self,
        image: GuestImage,
        run_dir: Path,
        on_page: Callable[[PrintedPage], None],
        device_key: Path,
        board: Path = GUEST_BOARD,
    ) -> None:
        """`device_key` is the key file of the board whose data the guest runs on."""
        self.image = image
        self.run_dir = run_dir
        self.stats = GuestStats()
        config = load_board(board)
        self.width, self.height = config.display.width, config.display.height
        # What the guest's scanner ends each scan with, as set in its board config.
        self.suffix = config.scanner.suffix.separator
        self.shares = {"run": run_dir}
        self.export = self._export_share(config.storage.export)
        # Unix socket paths must stay under 108 bytes: a short directory of their own.
        self._sockets = Path(tempfile.mkdtemp(prefix="tamga-qemu-"))
        self.scanner = SocketChannel(self._sockets / "scanner.sock")
        self.printer = SimulatedPrinter(
            on_page, width=384, channel=SocketChannel(self._sockets / "printer.sock")
        )
        initrd = run_dir / "guest" / "initrd.cpio"
        initrd.parent.mkdir(parents=True, exist_ok=True)
        payload.write_initrd(image.initrd, initrd, payload.terminal_script(), board)
        key_disk = run_dir / "guest" / "device-key.img"
        write_key_disk(key_disk, device_key)
        self.machine = Machine(
            MachineConfig(
                image=image,
                initrd=initrd,
                workdir=run_dir / "guest",
                shares=self.shares,
                # Port order is ttyUSB order: the board config's scanner, then its printer.
                serial_sockets=(Path(self.scanner.port), Path(self.printer.port)),
                disks=(key_disk,),
                width=self.width,
                height=self.height,
                timeout=3600.0,
            )
        )
        self.screens = run_dir / "guest-screens"
        self.screens.mkdir(parents=True, exist_ok=True)
        self._saved: set[bytes] = set()
        self.shown: Image.Image | None = None  # the host frame the guest last matched
        self.booted_at: float | None = None

    def _export_share(self, export: Path) -> Path:
        """Where the guest's bundle lands on the host. A relative export path is in the run
        directory; an absolute one must lie under /mnt/<name> (the USB stick's mount point),
        which /init mounts from the 9p share <name>, a folder of the run directory."""
        if not export.is_absolute():
            return export
        parts = export.parts
        if len(parts) < 3 or parts[1] != "mnt":
            raise MachineError(f"the guest can export under /mnt/<name>/ only, not to {export}")
        tag = parts[2]
        medium = self.run_dir / tag
        medium.mkdir(parents=True, exist_ok=True)
        self.shares[tag] = medium
        return Path(tag, *parts[3:])

    def power_on(self, first: bool) -> None:
        # Every start appends its input-to-frame times to one log (the day's p50/p95).
        args = f"--response-log {RESPONSE_LOG}" + (" --package package" if first else "")
        (self.run_dir / "boot-args").write_text(args + "\n")
        self.machine.start()
        self.booted_at = time.monotonic()
        self.shown = None

    def power_cut(self) -> None:
        self.machine.power_cut()

    def stop(self) -> None:
        self.machine.power_cut()
        self.printer.close()
        self.scanner.close()
        shutil.rmtree(self._sockets, ignore_errors=True)

    def scan(self, data: str) -> None:
        self.scanner.write(data.encode() + self.suffix)

    def tap(self, x: int, y: int) -> None:
        self.machine.tap(x, y)

    def wait_for(self, name: str, expected: Image.Image) -> None:
        """Wait until the framebuffer shows `expected`; raise GuestMismatch if it never does."""
        booting = self.booted_at is not None
        deadline = time.monotonic() + (BOOT_TIMEOUT if booting else STEP_TIMEOUT)
        best = 1.0
        while True:
            # Read as it comes, so that the boot markers carry the host time they appeared.
            self.machine.read_console()
            if not self.machine.running:
                raise GuestMismatch(
                    f"QEMU exited ({self.machine.exit_code}) while the guest should show "
                    f"{name}; see {self.machine.console_log} and {self.run_dir / 'terminal.stderr'}"
                )
            try:
                captured = self.machine.screendump()
            except MachineError as exc:
                raise GuestMismatch(str(exc)) from exc
            tolerance = RANDOM_CONTENT_TOLERANCE.get(name, TOLERANCE)
            ok, distance = matches(captured, expected, self.shown, tolerance)
            best = min(best, distance)
            if ok:
                break
            if time.monotonic() > deadline:
                captured.save(self.run_dir / "guest" / "mismatch-guest.png")
                expected.save(self.run_dir / "guest" / "mismatch-host.png")
                raise GuestMismatch(
                    f"the guest never showed {name} (closest: {best:.2%} of pixels differ); "
                    f"see {self.run_dir / 'guest'}/mismatch-*.png"
                )
            time.sleep(POLL_SECONDS)
        if booting:
            assert self.booted_at is not None
            _, init_at = self.machine.wait_marker("init", 0)
            _, start_at = self.machine.wait_marker("terminal-start", 0)
            self.stats.boots.append(
                {
                    "boot_to_init_s": init_at,
                    "terminal_start_s": time.monotonic() - self.machine.started_at - start_at,
                    "power_on_to_screen_s": time.monotonic() - self.booted_at,
                }
            )
            self.booted_at = None
        self.shown = expected
        self.stats.screens_matched += 1
        self.stats.max_difference = max(self.stats.max_difference, distance)
        digest = hashlib.sha256(captured.tobytes()).digest()
        if digest not in self._saved:
            self._saved.add(digest)
            self.stats.distinct_screens += 1
            captured.save(self.screens / f"{len(self._saved):04d}-{name}.png")


class QemuTerminal(SimTerminal):
    """The booth/desk terminal in the guest, with its shadow on the host (see the module)."""

    def __init__(self, day: Day, guest_factory: Callable[[Callable[[PrintedPage], None]], Guest]):
        super().__init__(day, "T-1234-01", Role.COMBINED, day.out / "shadow", "sim.toml")
        self.slowdown = SLOWDOWN
        self._guest_factory = guest_factory
        self.guest: Guest | None = None

    @property
    def guest_data(self) -> Path:
        return self.day.out / "data"

    def start_devices(self, screens: Path) -> None:
        super().start_devices(screens)
        # The shadow's printer keeps filling the queue it was given; Day reads self.pages,
        # which from here on is the guest's printer.
        self.shadow_pages = self.pages
        self.pages = queue.Queue()
        self.guest = self._guest_factory(self.pages.put)
        # The terminal's identity, made at provisioning, is the same for guest and shadow.
        if not self.guest_data.exists():
            shutil.copytree(self.data, self.guest_data)

    def start(self, first: bool = False) -> None:
        assert self.guest is not None
        if not first:
            # Both recover from the stores the guest had when its power was cut.
            shutil.rmtree(self.data)
            shutil.copytree(self.guest_data, self.data)
        super().start(first)
        self.guest.power_on(first)

    def kill(self) -> None:
        if self.guest is not None:
            self.guest.power_cut()
        super().kill()

    def stop(self) -> None:
        super().stop()
        if self.guest is not None:
            self.guest.stop()

    def send_scan(self, data: str) -> None:
        super().send_scan(data)
        assert self.guest is not None
        self.guest.scan(data)

    def press(self, target: str) -> None:
        frame = self.panel.frame
        super().press(target)
        assert frame is not None and self.guest is not None
        box = next(t.box for t in frame.targets if t.id == target)
        self.guest.tap(*box.center)

    def screen(self, *names: str, after: int = -1, timeout: float = SCREEN_TIMEOUT) -> str:
        name = super().screen(*names, after=after, timeout=timeout)
        frame = self.panel.frame
        assert frame is not None and self.guest is not None
        self.guest.wait_for(frame.name, frame.image)
        return name


class QemuDay(Day):
    """Day with its one combined terminal in the guest."""

    def __init__(
        self,
        image: GuestImage,
        voters: int,
        seed: int,
        out: Path,
        power_cuts: int,
        board: Path = GUEST_BOARD,
    ) -> None:
        super().__init__(voters, seed, out, None, power_cuts)

        def guest(on_page: Callable[[PrintedPage], None]) -> Guest:
            # The guest runs on a copy of the shadow's data: it has the shadow's device key.
            return Guest(image, out, on_page, out / "shadow" / SIM_DEVICE_KEY, board)

        self.terminal = QemuTerminal(self, guest)
        self.booth = self.desk = self.terminal
        self.terminals = self.booths = [self.terminal]
        self.by_id = {self.terminal.terminal_id: self.terminal}

    def same_slip(self, printed: Image.Image, expected: Image.Image) -> bool:
        # Rendered by the guest's Pillow 9.4 against the runner's: a tolerance, not equality.
        return same_printout(printed, expected)
