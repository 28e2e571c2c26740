"""`python -m sim.qemu build | boot-check | test`: the terminal on an emulated arm64 board.

- build: the guest image (Debian 12 arm64 kernel and packages), cached;
- boot-check: boot it, import everything the terminal needs, list the devices, power off;
- test: a whole polling day in the guest, then a day with power cuts (make qemu-test).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sim.channels import SocketChannel
from sim.qemu import harness, image, payload
from sim.qemu.machine import Machine, MachineConfig, MachineError
from sim.qemu.run import GUEST_BOARD
from sim.qemu.setup import SetupError, ensure_tools


def _build(args: argparse.Namespace) -> int:
    started = time.monotonic()
    built = image.build(force=args.force)
    took = time.monotonic() - started
    manifest = built.manifest
    print(
        f"guest image {built.directory}: kernel {built.kernel_version}, "
        f"{len(manifest['packages'])} packages, "  # type: ignore[arg-type]
        f"initramfs {int(manifest['initrd_bytes']) // 2**20} MiB "  # type: ignore[call-overload]
        f"({manifest['files']} entries), ready in {took:.1f} s"
    )
    return 0


def boot_check(workdir: Path, timeout: float = 180.0) -> dict[str, float]:
    """Boot the guest with the import check; return timings. Raises MachineError."""
    built = image.build()
    workdir.mkdir(parents=True, exist_ok=True)
    initrd = workdir / "initrd.cpio"
    payload.write_initrd(built.initrd, initrd, payload.boot_check_script())
    shared = workdir / "shared"
    shared.mkdir(exist_ok=True)
    sockets = tempfile.mkdtemp(prefix="tamga-qemu-")
    lines = [SocketChannel(Path(sockets) / f"serial{i}.sock") for i in (0, 1)]
    machine = Machine(
        MachineConfig(
            image=built,
            initrd=initrd,
            workdir=workdir,
            shares={"run": shared},
            serial_sockets=tuple(Path(line.port) for line in lines),
            timeout=timeout,
        )
    )
    try:
        machine.start()
        _, init_at = machine.wait_marker("init", timeout)
        imports, _ = machine.wait_marker("imports", timeout)
        machine.wait_marker("done", timeout)
        code = machine.wait(timeout)
    finally:
        machine.kill()
        for line in lines:
            line.close()
    console = machine.console_log.read_text(errors="replace")
    for name, value, at in machine.markers:
        print(f"  {at:6.1f}s  {name} {value}")
    if "imports-failed" in console or "terminal-imports-ok" not in console:
        raise MachineError(f"the imports failed in the guest; see {machine.console_log}")
    if code != 0:
        raise MachineError(f"QEMU exited with {code}; see {machine.console_log}")
    done_at = next(at for name, _, at in machine.markers if name == "done")
    return {"boot_to_init_s": init_at, "imports_s": float(imports), "total_s": done_at}


def _boot_check(args: argparse.Namespace) -> int:
    try:
        timings = boot_check(args.out.resolve())
    except MachineError as exc:
        print(f"boot check failed: {exc}", file=sys.stderr)
        return 1
    print("boot check passed: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.qemu")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="install qemu-system-arm and kmod if missing")
    build = commands.add_parser("build", help="build (or find cached) the guest image")
    build.add_argument("--force", action="store_true", help="rebuild even if cached")
    check = commands.add_parser("boot-check", help="boot, import the terminal's packages, stop")
    check.add_argument("--out", type=Path, default=Path("runs/qemu-boot-check"))
    test = commands.add_parser("test", help="polling days in the guest (make qemu-test)")
    test.add_argument("--out", type=Path, default=Path("runs/qemu"))
    test.add_argument("--voters", type=int, default=50, help="voters of the day without cuts")
    test.add_argument("--cut-voters", type=int, default=20, help="voters of the day with cuts")
    test.add_argument("--cuts", type=int, default=5, help="power cuts in the second day")
    test.add_argument("--seed", type=int, default=1)
    test.add_argument("--board", type=Path, default=GUEST_BOARD, help="the guest's board config")
    args = parser.parse_args(argv)
    try:
        ensure_tools()
    except SetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.command == "setup":
        return 0
    if args.command == "build":
        return _build(args)
    if args.command == "boot-check":
        return _boot_check(args)
    return harness.qemu_test(
        args.out.resolve(), args.voters, args.cut_voters, args.cuts, args.seed, args.board.resolve()
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
