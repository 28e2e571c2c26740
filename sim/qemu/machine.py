"""One arm64 board under QEMU: the virt machine with the terminal's devices.

- display: virtio-gpu-pci at the panel's size; the guest's DRM fbdev emulation is /dev/fb0
  (XRGB8888), captured from the host with QMP `screendump`;
- touch: virtio-tablet-pci (ABS_X/ABS_Y 0..32767 and BTN_LEFT), fed with QMP input-send-event;
- scanner and printer: two usb-serial (FTDI) devices on qemu-xhci, /dev/ttyUSB0 and
  /dev/ttyUSB1 in port order, each on a socket chardev. QEMU connects as the client to sockets
  the host already listens on: the device is then connected before the guest enumerates USB,
  which it must be, or the guest never sees it (shared/notes/qemu-aarch64.md);
- the run directory over 9p (virtio-9p-pci), so the terminal's files are on the host as it
  writes them, and nothing needs copying back;
- the device key on a disk of its own (virtio-blk-pci, read-only, raw: /dev/vda, its first
  32 bytes), a medium apart from the data directory, as board_configs/qemu-virt.toml says;
- power: /init ends with `poweroff -f` (QEMU exits 0); a power cut is QMP `quit`, and a kill
  timer SIGKILLs QEMU if a run hangs.

The virtio devices are the -pci variants: virtio-mmio ones default to legacy mode, where the
gpu and input drivers silently do not bind. `-nic none`: the virt board adds a NIC otherwise.
"""

from __future__ import annotations

import contextlib
import io
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from sim.qemu.image import GuestImage
from sim.qemu.qmp import Qmp, QmpError
from sim.qemu.setup import tool

MARKER = re.compile(r"^TAMGA: (\S+)(?: (.*))?$")


class MachineError(Exception):
    """QEMU could not start, stopped unexpectedly, or the guest did not get where expected."""


@dataclass(frozen=True)
class MachineConfig:
    """What one boot needs. `serial_sockets` are in USB port order: ttyUSB0, ttyUSB1, ..."""

    image: GuestImage
    initrd: Path
    workdir: Path  # console log, QMP socket, screen dumps
    shares: dict[str, Path] = field(default_factory=dict)  # 9p mount tag -> host directory
    serial_sockets: tuple[Path, ...] = ()
    disks: tuple[Path, ...] = ()  # raw images, read-only, /dev/vda, /dev/vdb, ... in order
    width: int = 800
    height: int = 480
    memory_mb: int = 1024
    cpu: str = "cortex-a72"  # the Raspberry Pi 4's core
    timeout: float = 600.0  # the kill timer, seconds from start


def qemu_command(config: MachineConfig, qmp_socket: Path, console_log: Path) -> list[str]:
    """The qemu-system-aarch64 command line for a config (pure, for the tests)."""
    command = [
        tool("qemu-system-aarch64"),
        "-M",
        "virt",
        "-cpu",
        config.cpu,
        "-m",
        str(config.memory_mb),
        "-smp",
        "1",
        "-nographic",
        "-nic",
        "none",
        "-no-reboot",
        "-kernel",
        str(config.image.kernel),
        "-initrd",
        str(config.initrd),
        # panic=-1 with -no-reboot: a kernel panic ends QEMU at once instead of hanging.
        "-append",
        "console=ttyAMA0 panic=-1 loglevel=4",
        "-chardev",
        f"file,id=console,path={console_log}",
        "-serial",
        "chardev:console",
        "-monitor",
        "none",
        "-qmp",
        f"unix:{qmp_socket},server=on,wait=off",
        "-device",
        f"virtio-gpu-pci,xres={config.width},yres={config.height}",
        "-device",
        "virtio-tablet-pci",
    ]
    if config.serial_sockets:
        command += ["-device", "qemu-xhci,id=xhci"]
    for port, path in enumerate(config.serial_sockets, 1):
        command += [
            "-chardev",
            f"socket,id=serial{port},path={path},server=off",
            "-device",
            f"usb-serial,bus=xhci.0,port={port},chardev=serial{port}",
        ]
    for index, disk in enumerate(config.disks):
        command += [
            "-drive",
            f"file={disk},if=none,format=raw,readonly=on,id=disk{index}",
            "-device",
            f"virtio-blk-pci,drive=disk{index}",
        ]
    for tag, directory in sorted(config.shares.items()):
        command += [
            "-fsdev",
            f"local,id=fs-{tag},path={directory},security_model=none",
            "-device",
            f"virtio-9p-pci,fsdev=fs-{tag},mount_tag={tag}",
        ]
    return command


class Machine:
    """A running guest. Use start(); then markers, screens, taps; then wait() or power_cut()."""

    def __init__(self, config: MachineConfig) -> None:
        self.config = config
        config.workdir.mkdir(parents=True, exist_ok=True)
        self.console_log = config.workdir / "console.log"
        self.qmp_socket = config.workdir / "qmp.sock"
        self._process: subprocess.Popen[bytes] | None = None
        self._qmp: Qmp | None = None
        self._timer: threading.Timer | None = None
        self._console_offset = 0
        self._console_text = ""
        self.markers: list[tuple[str, str, float]] = []  # (name, value, host seconds from start)
        self.started_at = 0.0
        self.timed_out = False
        self._dump = 0

    # --- power ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start QEMU and connect to its QMP socket; the guest boots from here."""
        self.qmp_socket.unlink(missing_ok=True)
        # A new console log per boot: markers are read from the start of this boot.
        self.console_log.write_bytes(b"")
        self._console_offset = 0
        self._console_text = ""
        self.markers = []
        command = qemu_command(self.config, self.qmp_socket, self.console_log)
        stderr = (self.config.workdir / "qemu.stderr").open("ab")
        self.started_at = time.monotonic()
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr
        )
        stderr.close()
        self._timer = threading.Timer(self.config.timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()
        try:
            self._qmp = Qmp(self.qmp_socket, timeout=30.0)
        except QmpError as exc:
            self.kill()
            raise MachineError(f"QEMU did not start: {exc}; see {stderr.name}") from exc

    def _expire(self) -> None:
        self.timed_out = True
        self.kill()

    def kill(self) -> None:
        """SIGKILL QEMU (the kill timer, or a cleanup after a failure)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
        self._cleanup()

    def power_cut(self) -> None:
        """Cut the power: QEMU quits at once, the guest gets no shutdown of any kind."""
        if self._qmp is not None and self.running:
            # QEMU may be gone before it answers.
            with contextlib.suppress(QmpError):
                self._qmp.execute("quit")
        if self._process is not None:
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._cleanup()

    def wait(self, timeout: float) -> int:
        """Wait for the guest to power itself off; QEMU's exit code."""
        assert self._process is not None
        try:
            code = self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise MachineError(f"the guest did not power off within {timeout:g} s") from None
        self.read_console()
        self._cleanup()
        return code

    def _cleanup(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._qmp is not None:
            self._qmp.close()
            self._qmp = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def exit_code(self) -> int | None:
        return None if self._process is None else self._process.poll()

    # --- the serial console ----------------------------------------------------------------

    def read_console(self) -> str:
        """Take what the guest wrote to its console since the last call; record markers."""
        with self.console_log.open("rb") as log:
            log.seek(self._console_offset)
            chunk = log.read()
        # Only whole lines: a marker may be half-written.
        end = chunk.rfind(b"\n") + 1
        self._console_offset += end
        text = chunk[:end].decode(errors="replace")
        now = time.monotonic() - self.started_at
        for line in text.splitlines():
            match = MARKER.match(line.strip("\r"))
            if match:
                self.markers.append((match.group(1), match.group(2) or "", now))
        self._console_text += text
        return text

    def wait_marker(self, name: str, timeout: float) -> tuple[str, float]:
        """Wait for the console line `TAMGA: name ...`; (its value, host seconds from start)."""
        deadline = time.monotonic() + timeout
        while True:
            self.read_console()
            for marker, value, at in self.markers:
                if marker == name:
                    return value, at
            if not self.running:
                raise MachineError(
                    f"QEMU exited ({self.exit_code}) before {name!r}; see {self.console_log}"
                )
            if time.monotonic() > deadline:
                raise MachineError(f"no {name!r} from the guest within {timeout:g} s")
            time.sleep(0.1)

    # --- display and touch ---------------------------------------------------------------

    def screendump(self) -> Image.Image:
        """The guest's display now, as RGB."""
        if self._qmp is None:
            raise MachineError("the machine is not running")
        self._dump += 1
        path = self.config.workdir / "screendump.png"
        try:
            self._qmp.screendump(path)
        except QmpError as exc:
            raise MachineError(f"screendump failed: {exc}") from exc
        with Image.open(io.BytesIO(path.read_bytes())) as picture:
            return picture.convert("RGB")

    def tap(self, x: int, y: int) -> None:
        """Touch (x, y) in screen pixels and lift the finger, like the simulated panel's tap."""
        if self._qmp is None:
            raise MachineError("the machine is not running")
        width, height = self.config.width, self.config.height
        try:
            self._qmp.touch(x, y, width, height, down=True)
            self._qmp.touch(x, y, width, height, down=False)
        except QmpError as exc:
            raise MachineError(f"tap failed: {exc}") from exc
