"""What a polling day leaves behind: no secrets in logs or exports, private file modes, and a
terminal that never listens on a socket."""

from __future__ import annotations

import ast
import base64
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import shamir_mnemonic
from cryptography.hazmat.primitives import serialization

from sim.day import Day
from terminal.app.identity import load_identity
from terminal.ballot.package import load_package
from terminal.trust.chair import parse_card
from terminal.trust.shares import parse_card as parse_share
from tests.day.conftest import REPO, DayRun, device_of


def _files(*roots: Path) -> Iterator[Path]:
    for root in roots:
        yield from (p for p in root.rglob("*") if p.is_file())


def _secrets(day: DayRun) -> dict[str, bytes]:
    """Every secret of the day, in each form it could leak in."""
    found: dict[str, bytes] = {}
    cards = sorted((day.out / "cards").glob("*-share-*.txt"))
    payloads = [p.read_text().strip() for p in cards]
    mnemonics = []
    for payload in payloads[:2]:
        card = parse_share(payload)
        assert card is not None
        mnemonics.append(card.mnemonic)
    key = shamir_mnemonic.combine_mnemonics(mnemonics)
    for name, value in (("precinct key", key),):
        found[f"{name} raw"] = value
        found[f"{name} hex"] = value.hex().encode()
        found[f"{name} b64"] = base64.b64encode(value).rstrip(b"=")
    for payload in payloads:
        found[f"share words {payload[-30:]}"] = " ".join(
            payload.split(":")[-1].split()[:4]
        ).encode()
    chair_card = parse_card((day.out / "cards" / "1234-chair.txt").read_text())
    assert chair_card is not None
    found["chair secret"] = base64.urlsafe_b64encode(chair_card.secret).rstrip(b"=")
    identity = load_identity(day.out / "data", device_of(day.out))
    raw = serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    for name, key in (
        ("terminal key", identity.key.private),
        ("terminal encryption key", identity.decryption),
    ):
        value = key.private_bytes(*raw)
        found[f"{name} raw"] = value
        found[f"{name} hex"] = value.hex().encode()
        found[f"{name} b64"] = base64.b64encode(value).rstrip(b"=")
    device = (day.out / "device.key").read_bytes()
    found["device key raw"] = device
    found["device key hex"] = device.hex().encode()
    return found


def test_no_secret_and_no_voter_number_in_logs_exports_or_errors(day: DayRun) -> None:
    secrets = _secrets(day)
    identity = load_identity(day.out / "data", device_of(day.out))
    package = load_package(day.package)
    register = package.register("1234", package.keys(identity.terminal_id, identity.decryption))
    numbers = [v.number.encode() for v in register.voters]
    pin = (day.out / "pin-letters" / "1234-chair-pin.txt").read_text()
    chair_pin = re.search(r"\b(\d{6})\b", pin)
    assert chair_pin is not None
    # The terminal's whole storage too: the register is never there in plain text.
    texts = [day.out / "terminal.stderr", *_files(day.out / "data"), *_files(day.bundle)]
    for path in texts:
        data = path.read_bytes()
        for name, secret in secrets.items():
            # Not even the terminal's key files: they hold the keys sealed.
            assert secret not in data, f"{name} found in {path}"
        for number in numbers:
            assert number not in data, f"a voter's number found in {path}"
        for voter in register.voters[:50]:
            assert voter.full_name().encode() not in data, f"a voter's name found in {path}"
        if path.suffix in (".jsonl", ".stderr", ".json"):
            assert not re.search(rb"\b" + chair_pin[1].encode() + rb"\b", data), f"PIN in {path}"


def test_the_terminal_data_and_the_secret_cards_are_private(day: DayRun) -> None:
    private = [
        *_files(day.out / "data"),
        *_files(day.out / "cards"),
        *_files(day.out / "pin-letters"),
        day.out / "office" / "commission.key.pem",
        day.out / "device.key",
    ]
    for path in private:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == 0o600, f"{path} has mode {mode:o}"
    for directory in (day.out / "data", day.out / "cards", day.out / "pin-letters"):
        assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0, directory


def test_the_terminal_code_never_listens() -> None:
    listening = {"listen", "bind", "create_server", "accept"}
    for path in (REPO / "terminal").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in listening:
                pytest.fail(f"{path.relative_to(REPO)}:{node.lineno} calls .{node.attr}()")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not {"socketserver", "http.server", "asyncio"} & set(names), path


def test_the_running_terminal_has_no_listening_socket(tmp_path: Path) -> None:
    day = Day(2, 1, tmp_path, None, 0)
    day.prepare()
    terminal = day.booth
    terminal.start_devices(tmp_path / "screens")
    try:
        terminal.start(first=True)
        terminal.screen("ready")
        assert terminal.process is not None
        inodes = set()
        fd_dir = Path(f"/proc/{terminal.process.pid}/fd")
        for fd in fd_dir.iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        assert inodes, "the terminal talks to the panel over sockets"
        # /proc/net/unix: Flags 00010000 is __SO_ACCEPTCON, a listening socket.
        for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[6] in inodes:
                assert fields[3] != "00010000", f"listening unix socket {line}"
        for table in ("tcp", "tcp6", "udp", "udp6"):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                assert line.split()[9] not in inodes, f"the terminal has an inet socket: {line}"
    finally:
        terminal.stop()
