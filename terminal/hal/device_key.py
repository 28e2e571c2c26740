"""The device key: 32 secret bytes that belong to the board, never to the data card.

The data card and the mirror stick can be taken out and read anywhere, so every secret the
terminal keeps on them is sealed under keys derived from this one (terminal/trust/sealed.py).
Where it comes from depends on the board, and the board config says which:

- `otp`: the 256-bit customer private key in the OTP memory of a Raspberry Pi 4, 400, CM4
  or 5, read with Raspberry Pi's `rpi-otp-private-key` (rpi-eeprom's tools), which prints it
  as 64 hex digits. It is written once with `rpi-otp-private-key -w` and that cannot be
  undone (OTP bits only ever go from 0 to 1). Any root process on the board (on the Pi 4,
  any member of the `video` group through vcmailbox) can read it: it protects the card
  taken away alone, not the card together with the board, unless signed boot is enforced.
- `file`: 32 raw bytes in a file on another medium than the data card (the Pi 3 and the
  Zero 2 W have no such OTP row); the simulator's key is such a file outside its data dir.
- `disk`: the first 32 bytes of a block device of their own (QEMU's second virtual disk).

A key of all zero bytes is refused: that is an OTP never programmed or a blank disk.
"""

from __future__ import annotations

import binascii
import os
import stat
import subprocess  # nosec B404: runs the board's own OTP tool, no shell
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

KEY_SIZE = 32
# rpi-otp-private-key as the rpi-eeprom package installs it.
OTP_TOOL = Path("/usr/bin/rpi-otp-private-key")
# The tool asks the firmware through vcmailbox: well under a second on a Pi 4.
_TOOL_TIMEOUT = 10.0


class DeviceKeyError(Exception):
    """The device key cannot be read or is not a key; the message says where it looked."""


class DeviceKeySource(Protocol):
    """Where a board keeps its device key."""

    def read(self) -> bytes:
        """The 32-byte device key. Raises DeviceKeyError, never returns a partial key."""

    def describe(self) -> str:
        """Where the key comes from, for messages (never the key itself)."""


def _checked(key: bytes, where: str) -> bytes:
    if len(key) != KEY_SIZE:
        raise DeviceKeyError(f"{where}: a device key is {KEY_SIZE} bytes, this one is {len(key)}")
    if not any(key):
        raise DeviceKeyError(f"{where}: the device key is all zeros (never programmed)")
    return key


@dataclass(frozen=True)
class OtpDeviceKey:
    """The Raspberry Pi's OTP customer private key, through `rpi-otp-private-key`."""

    tool: Path = OTP_TOOL

    def describe(self) -> str:
        return f"the board's OTP private key ({self.tool})"

    def read(self) -> bytes:
        try:
            result = subprocess.run(  # nosec B603: the configured tool, no arguments
                [str(self.tool)], capture_output=True, timeout=_TOOL_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise DeviceKeyError(f"{self.describe()}: cannot run the tool ({exc})") from exc
        if result.returncode != 0:
            # Its stderr says why (no vcmailbox, no permission); it never holds the key.
            reason = result.stderr.decode(errors="replace").strip()[:200]
            raise DeviceKeyError(f"{self.describe()}: exit {result.returncode}: {reason}")
        text = result.stdout.strip()
        try:
            key = binascii.unhexlify(text)
        except (binascii.Error, ValueError) as exc:
            raise DeviceKeyError(f"{self.describe()}: the tool did not print hex digits") from exc
        return _checked(key, self.describe())


def _read_start(path: Path, want_block_device: bool, size: int) -> bytes:
    """The first `size` bytes of a regular file or a block device, opened without following
    a link: a key planted as a link on a medium would otherwise point anywhere."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError as exc:
        raise DeviceKeyError(f"{path}: cannot open the device key ({exc.strerror})") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or (want_block_device and stat.S_ISBLK(mode))):
            raise DeviceKeyError(f"{path}: not a regular file or a disk, refused")
        data = os.pread(fd, size, 0)
    except OSError as exc:
        raise DeviceKeyError(f"{path}: cannot read the device key ({exc.strerror})") from exc
    finally:
        os.close(fd)
    return data


@dataclass(frozen=True)
class KeyFileDeviceKey:
    """A file of exactly 32 raw bytes on a medium other than the data card."""

    path: Path

    def describe(self) -> str:
        return f"the device key file {self.path}"

    def read(self) -> bytes:
        # One byte more than a key: a longer file is refused, not cut.
        return _checked(_read_start(self.path, False, KEY_SIZE + 1), self.describe())


@dataclass(frozen=True)
class DiskDeviceKey:
    """The first 32 bytes of a disk that holds nothing else (QEMU's second virtual disk;
    a regular file stands in for it in the tests)."""

    device: Path

    def describe(self) -> str:
        return f"the device key disk {self.device}"

    def read(self) -> bytes:
        return _checked(_read_start(self.device, True, KEY_SIZE), self.describe())
