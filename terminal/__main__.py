"""Run the terminal: `python -m terminal --board BOARD.toml [--package DIR] [--data DIR]`,
or provision it: `python -m terminal provision --board BOARD.toml --data DIR --id ID
--commission-key PEM` (the board config names the device key the private keys are sealed
under), or give the data partition's LUKS2 key to cryptsetup on its standard input:
`python -m terminal data-key --board BOARD.toml | cryptsetup open --key-file - ...`, or,
after a finished TEST day, reset it for the official package: `python -m terminal
reset-test --board BOARD.toml --election TEST_ID` (terminal/app/test_reset.py), or pair
it with its enclosure controller: `python -m terminal provision-enclosure --board BOARD.toml
--data DIR --out FILE`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from terminal.app.audio_clips import AudioError
from terminal.app.enclosure_pairing import PairingError, load_pairing, provision_pairing
from terminal.app.enclosure_watch import EnclosureWatch, last_counter
from terminal.app.i18n import translator
from terminal.app.identity import NotProvisioned, load_identity, provision
from terminal.app.polls import InconsistentStores, Polls
from terminal.app.response_times import ResponseLog
from terminal.app.screens import Fonts, Style, render
from terminal.app.software import software_hash
from terminal.app.station import Station, fatal_screen
from terminal.app.test_reset import reset_command
from terminal.ballot.election import Role
from terminal.ballot.package import PackageError
from terminal.hal.board_config import (
    AudioDriver,
    BoardConfig,
    BoardConfigError,
    EnclosureDriver,
    SealAuthority,
    load_board,
)
from terminal.hal.device_key import DeviceKeyError
from terminal.hal.devices import board_keypad, open_device_key, open_devices, open_enclosure
from terminal.hal.mirror import MirroredStorage
from terminal.hal.storage import DataDir, StorageError
from terminal.idscan.ballot_codes import CodesError
from terminal.idscan.marks import MarksError
from terminal.tally import elgamal
from terminal.tally.event_log import EventLog, LogError
from terminal.tally.key_process import harden_process
from terminal.tally.sealing import SealError
from terminal.trust.sealed_store import DeviceSealer, Purpose, SealedError


def _sealer(board: BoardConfig) -> DeviceSealer:
    """The device key of the board, read once at start (raises DeviceKeyError)."""
    return DeviceSealer(open_device_key(board.device_key).read())


def _provision(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal provision")
    parser.add_argument("--board", type=Path, required=True, help="board config: the device key")
    parser.add_argument("--data", type=Path, required=True, help="the terminal's data directory")
    parser.add_argument("--id", required=True, help="the terminal's id, e.g. T-0001")
    parser.add_argument("--commission-key", type=Path, required=True, help="commission.pub.pem")
    args = parser.parse_args(argv)
    try:
        device = _sealer(load_board(args.board))
    except (BoardConfigError, DeviceKeyError) as exc:
        print(f"device key: {exc}", file=sys.stderr)
        return 2
    public = provision(args.data, args.id, args.commission_key.read_bytes(), device)
    print(f"terminal {args.id} provisioned; register {args.data / 'terminal.pub.pem'}")
    print(f"key fingerprint {public.fingerprint()}")
    return 0


def _data_key(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal data-key")
    parser.add_argument("--board", type=Path, required=True, help="board config: the device key")
    args = parser.parse_args(argv)
    if sys.stdout.isatty():
        print("data-key writes a secret: pipe it to cryptsetup, not to a screen", file=sys.stderr)
        return 2
    try:
        device = _sealer(load_board(args.board))
    except (BoardConfigError, DeviceKeyError) as exc:
        print(f"device key: {exc}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(device.wrapping_key(Purpose.DATA_PARTITION))
    sys.stdout.buffer.flush()
    return 0


def _provision_enclosure(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal provision-enclosure")
    parser.add_argument("--board", type=Path, required=True, help="board config: the device key")
    parser.add_argument("--data", type=Path, required=True, help="the terminal's data directory")
    parser.add_argument(
        "--out", type=Path, required=True, help="the plain copy for the controller's flash"
    )
    args = parser.parse_args(argv)
    try:
        device = _sealer(load_board(args.board))
        provision_pairing(args.data, device, args.out)
    except (BoardConfigError, DeviceKeyError) as exc:
        print(f"device key: {exc}", file=sys.stderr)
        return 2
    except FileExistsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print("pairing key made; put it into the controller, then destroy the copy:")
    print(f"  mpremote fs cp {args.out} :pairing.key && shred -u {args.out}")
    return 0


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal")
    parser.add_argument("--board", type=Path, required=True, help="board config (board_configs/)")
    parser.add_argument("--package", type=Path, help="the signed election package to install")
    parser.add_argument("--data", type=Path, help="data directory (default: the board config's)")
    parser.add_argument(
        "--response-log",
        type=Path,
        help="append input-to-frame times to this file, one JSON line each (diagnostics)",
    )
    args = parser.parse_args(argv)
    try:
        board = load_board(args.board)
    except BoardConfigError as exc:
        print(f"board config: {exc}", file=sys.stderr)
        return 2
    data = args.data or board.storage.data
    try:
        device = _sealer(board)
        identity = load_identity(data, device)
        pairing = (
            load_pairing(board.enclosure.pairing_key, device)
            if board.enclosure.pairing_key is not None
            else b""
        )
    except (NotProvisioned, DeviceKeyError, PairingError) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        devices = open_devices(board)
    except (BoardConfigError, OSError) as exc:
        # No display to show it on, perhaps: the journal (stderr) is where it is read.
        print(f"devices of {args.board}: {exc}", file=sys.stderr)
        return 2
    language = board.terminal.language
    style = Style(board.display.width / board.display.width_mm)

    def stop(reason: str, exc: Exception, code: int) -> int:
        print(f"terminal stopped ({reason}): {exc}", file=sys.stderr)
        frame = render(
            fatal_screen(reason, str(exc), translator(language)),
            devices.display.width,
            devices.display.height,
            fonts,
            style,
        )
        devices.display.show(frame)
        return code

    fonts = Fonts(str(board.fonts.regular), str(board.fonts.bold))
    # Before anything is stored: a libsodium that accepts points with a small-order
    # component (CVE-2025-69277) could let one ballot break the count or leak key bits.
    unsafe = elgamal.self_test()
    if unsafe is not None:
        return stop("crypto_unsafe", RuntimeError(unsafe), 2)
    storage = MirroredStorage(DataDir(data), board.storage.mirror)
    try:
        log = EventLog.open(storage, devices.clock)
        log.append("terminal_started", software=software_hash())
    except LogError as exc:
        return stop("stores_inconsistent", exc, 3)
    except StorageError as exc:
        return stop("storage_failed", exc, 3)
    try:
        enclosure = open_enclosure(board.enclosure, last_counter(log), pairing)
    except OSError as exc:  # the serial port's SerialException
        print(f"enclosure controller of {args.board}: {exc}", file=sys.stderr)
        return 2
    watch = None
    if board.enclosure.driver is not EnclosureDriver.NONE:
        watch = EnclosureWatch(enclosure, log, board.enclosure.seal is SealAuthority.ENCLOSURE)
    station: Station
    polls = Polls(
        identity,
        data,
        storage,
        log,
        devices.printer,
        lambda k, d: station.render_printout(k, d),
        Role(board.terminal.role.value),
    )
    station = Station(
        polls,
        devices.display,
        devices.touch,
        devices.scanner,
        fonts,
        language,
        board.storage.export,
        devices.gpio,
        px_per_mm=style.px_per_mm,
        enclosure_watch=watch,
        keypad=board_keypad(board.keypad, devices.keypad, enclosure),
        response_log=None if args.response_log is None else ResponseLog(args.response_log),
        audio=None if board.audio.driver is AudioDriver.NONE else devices.audio,
    )
    try:
        station.start(args.package)
    except (PackageError, PermissionError) as exc:
        return stop("package_refused", exc, 2)
    except AudioError as exc:  # the board has headphones, but no clips can be made
        return stop("audio_unavailable", exc, 2)
    except (InconsistentStores, MarksError, CodesError, LogError, SealError, SealedError) as exc:
        return stop("stores_inconsistent", exc, 3)
    except StorageError as exc:
        return stop("storage_failed", exc, 3)
    try:
        station.run()
    except StorageError as exc:
        # Never retried: after a failed fsync the kernel may have dropped the data.
        return stop("storage_failed", exc, 3)
    return 0


def main(argv: list[str]) -> int:
    if argv and argv[0] == "provision":
        return _provision(argv[1:])
    if argv and argv[0] == "provision-enclosure":
        return _provision_enclosure(argv[1:])
    if argv and argv[0] == "data-key":
        return _data_key(argv[1:])
    harden_process()
    if argv and argv[0] == "reset-test":  # it opens the device key too
        return reset_command(argv[1:])
    return _run(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
