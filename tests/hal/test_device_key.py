"""The device key readers: the Pi's OTP through a stand-in of `rpi-otp-private-key`, a key
file on another medium, and a disk of its own; every bad key is refused, naming where."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from terminal.hal.device_key import (
    DeviceKeyError,
    DiskDeviceKey,
    KeyFileDeviceKey,
    OtpDeviceKey,
)

KEY = bytes(range(1, 33))

# A stand-in of rpi-eeprom's tools/rpi-otp-private-key: with no arguments it prints the key
# rows as 64 lowercase hex digits and a newline (what `vcmailbox 0x00030081 ...` returns,
# cut to the key); it fails with a message on stderr when vcmailbox does.
STAND_IN = """#!/bin/sh
set -e
[ $# -eq 0 ] || {{ echo "stand-in: unexpected arguments $*" >&2; exit 1; }}
{body}
"""


def _tool(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rpi-otp-private-key"
    path.write_text(STAND_IN.format(body=body))
    path.chmod(0o755)
    return path


def test_the_otp_key_is_read_from_the_tool(tmp_path: Path) -> None:
    tool = _tool(tmp_path, f'echo "{KEY.hex()}"')
    assert OtpDeviceKey(tool).read() == KEY


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (f'echo "{bytes(32).hex()}"', "all zeros (never programmed)"),
        (f'echo "{KEY.hex()[:-2]}"', "a device key is 32 bytes, this one is 31"),
        (f'echo "{KEY.hex()}00"', "this one is 33"),
        ('echo "not hex at all"', "did not print hex digits"),
        ('echo "" ', "this one is 0"),
        (
            'echo "Failed to read the current key from OTP" >&2; exit 1',
            "exit 1: Failed to read the current key from OTP",
        ),
    ],
)
def test_a_bad_otp_answer_is_refused(tmp_path: Path, body: str, problem: str) -> None:
    with pytest.raises(DeviceKeyError) as caught:
        OtpDeviceKey(_tool(tmp_path, body)).read()
    assert problem in str(caught.value) and "OTP private key" in str(caught.value)


def test_a_missing_tool_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeviceKeyError, match="cannot run the tool"):
        OtpDeviceKey(tmp_path / "absent").read()


def test_the_key_file_holds_exactly_32_raw_bytes(tmp_path: Path) -> None:
    path = tmp_path / "device.key"
    path.write_bytes(KEY)
    assert KeyFileDeviceKey(path).read() == KEY
    for data, problem in ((KEY[:31], "is 31"), (KEY + b"\n", "is 33"), (bytes(32), "all zeros")):
        path.write_bytes(data)
        with pytest.raises(DeviceKeyError, match=problem) as caught:
            KeyFileDeviceKey(path).read()
        assert KEY.hex() not in str(caught.value)


def test_a_key_file_that_is_a_link_a_fifo_or_a_directory_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.key"
    real.write_bytes(KEY)
    link = tmp_path / "link.key"
    link.symlink_to(real)
    fifo = tmp_path / "fifo.key"
    os.mkfifo(fifo)
    for path, problem in (
        (link, "cannot open the device key"),
        (fifo, "not a regular file"),
        (tmp_path, "not a regular file"),
        (tmp_path / "absent.key", "cannot open the device key"),
    ):
        with pytest.raises(DeviceKeyError, match=problem):
            KeyFileDeviceKey(path).read()


def test_the_disk_key_is_its_first_32_bytes(tmp_path: Path) -> None:
    disk = tmp_path / "vda.img"
    disk.write_bytes(KEY + bytes(512 - 32))
    assert DiskDeviceKey(disk).read() == KEY
    disk.write_bytes(bytes(512))
    with pytest.raises(DeviceKeyError, match="all zeros"):
        DiskDeviceKey(disk).read()
