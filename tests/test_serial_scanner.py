"""SerialScanner against a real pseudo-terminal, as a USB scanner's tty would behave."""

from __future__ import annotations

import logging
import os
import select
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from terminal.hal.board_config import Suffix
from terminal.hal.interfaces import Scan
from terminal.hal.serial_scanner import MAX_SCAN_BYTES, SerialScanner


class Pty:
    """The device end of a pseudo-terminal: what the scanner hardware would write into."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        os.close(slave)
        self.plugged = True

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        if self.plugged:
            os.close(self.master)
            self.plugged = False


@pytest.fixture
def pty() -> Iterator[Pty]:
    device = Pty()
    yield device
    device.unplug()


def wait_readable(scanner: SerialScanner, timeout: float) -> bool:
    readable, _, _ = select.select([scanner.fileno()], [], [], timeout)
    return bool(readable)


def read_scans(scanner: SerialScanner, count: int, timeout: float = 2.0) -> list[Scan]:
    """Select and read like the main loop until `count` scans arrived or time is up."""
    scans: list[Scan] = []
    deadline = time.monotonic() + timeout
    while len(scans) < count and time.monotonic() < deadline:
        if wait_readable(scanner, deadline - time.monotonic()):
            scans += scanner.read()
    return scans


def drain(scanner: SerialScanner, quiet: float = 0.2) -> list[Scan]:
    """Read until the device has been quiet for `quiet` seconds (a pty delivers asynchronously)."""
    scans: list[Scan] = []
    while wait_readable(scanner, quiet):
        scans += scanner.read()
    return scans


def test_a_scan_split_across_writes_arrives_whole(pty: Pty) -> None:
    scanner = SerialScanner(pty.path)
    pty.write(b"AB12")
    assert drain(scanner) == []
    pty.write(b"34\rCD")
    assert read_scans(scanner, 1) == [Scan("AB1234")]
    pty.write(b"\r")
    assert read_scans(scanner, 1) == [Scan("CD")]
    scanner.close()


@pytest.mark.parametrize("suffix", ["CR", "LF", "CRLF"])
def test_each_suffix_separates_scans(pty: Pty, suffix: str) -> None:
    scanner = SerialScanner(pty.path, suffix=suffix)
    end = Suffix(suffix).separator
    pty.write(b"first" + end + b"second" + end[:1])
    pty.write(end[1:] + b"third" + end)
    assert read_scans(scanner, 3) == [Scan("first"), Scan("second"), Scan("third")]
    scanner.close()


def test_only_the_configured_suffix_ends_a_scan(pty: Pty) -> None:
    scanner = SerialScanner(pty.path, suffix=Suffix.CRLF)
    pty.write(b"a\rb\nc\r\n")
    assert read_scans(scanner, 1) == [Scan("a\rb\nc")]
    scanner.close()


def test_empty_lines_are_not_scans(pty: Pty) -> None:
    scanner = SerialScanner(pty.path)
    pty.write(b"\r\rX\r")
    assert read_scans(scanner, 1) == [Scan("X")]
    assert drain(scanner) == []
    scanner.close()


def test_aim_identifiers_become_the_symbology(pty: Pty) -> None:
    scanner = SerialScanner(pty.path, aim_prefix=True)
    pty.write("]Q1Сайлоо\r]C0123456\r]L2@ANSI\r]d2GS1\r]zCaztec\rplain\r".encode())
    assert read_scans(scanner, 6) == [
        Scan("Сайлоо", "]Q1"),
        Scan("123456", "]C0"),
        Scan("@ANSI", "]L2"),
        Scan("GS1", "]d2"),  # Data Matrix: lower-case code character
        Scan("aztec", "]zC"),  # Aztec: a letter as modifier
        Scan("plain", ""),
    ]
    scanner.close()


def test_aim_identifiers_are_kept_as_data_unless_configured(pty: Pty) -> None:
    scanner = SerialScanner(pty.path, aim_prefix=False)
    pty.write(b"]Q1data\r")
    assert read_scans(scanner, 1) == [Scan("]Q1data")]
    scanner.close()


def test_bytes_that_are_not_utf8_arrive_marked_not_as_a_crash(pty: Pty) -> None:
    scanner = SerialScanner(pty.path, aim_prefix=True)
    pty.write(b"]Q1ab\xff\xfe\xc3cd\rnext\r")
    scans = read_scans(scanner, 2)
    assert scans[0].symbology == "]Q1"
    assert scans[0].data.startswith("ab") and scans[0].data.endswith("cd")
    assert "\ufffd" in scans[0].data
    assert scans[1] == Scan("next")
    scanner.close()


def test_an_overlong_line_is_dropped_with_a_warning(
    pty: Pty, caplog: pytest.LogCaptureFixture
) -> None:
    scanner = SerialScanner(pty.path)
    longest = b"L" * MAX_SCAN_BYTES
    with caplog.at_level(logging.WARNING):
        pty.write(longest + b"\r")
        assert read_scans(scanner, 1) == [Scan(longest.decode())]
        assert not caplog.records
        # Sent in pieces, as a scanner without its suffix configured would keep sending.
        for _ in range(5):
            pty.write(b"x" * 2000)
            drain(scanner, quiet=0.02)
        pty.write(b"tail\rOK\r")
        assert read_scans(scanner, 1) == [Scan("OK")]
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "longer than 4096 bytes" in caplog.text
    scanner.close()


def test_a_crlf_split_across_reads_still_ends_the_line(pty: Pty) -> None:
    scanner = SerialScanner(pty.path, suffix=Suffix.CRLF)
    longest = b"L" * MAX_SCAN_BYTES
    pty.write(longest + b"\r")
    assert drain(scanner) == []
    pty.write(b"\n")
    assert read_scans(scanner, 1) == [Scan(longest.decode())]
    # An over-long line's CR and LF split the same way still end it, and only it.
    pty.write(longest + b"xx\r")
    assert drain(scanner) == []
    pty.write(b"\nOK\r\n")
    assert read_scans(scanner, 1) == [Scan("OK")]
    scanner.close()


def test_a_missing_port_at_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(serial.SerialException, match="nothing-here"):
        SerialScanner(str(tmp_path / "nothing-here"))


def test_unplugged_scanner_reports_nothing_then_reconnects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A stable name for the device, like /dev/serial/by-id/..., that comes back on replug.
    link = tmp_path / "scanner"
    first = Pty()
    link.symlink_to(first.path)
    scanner = SerialScanner(str(link))
    first.write(b"before\rhalf-a-sc")
    assert read_scans(scanner, 1) == [Scan("before")]
    drain(scanner)

    with caplog.at_level(logging.WARNING):
        first.unplug()
        link.unlink()
        assert drain(scanner) == []
    assert not scanner.connected
    assert "disconnected" in caplog.text
    # While unplugged the descriptor is still valid to select on, and never readable.
    assert not wait_readable(scanner, 0.05)
    assert scanner.read() == []

    second = Pty()
    link.symlink_to(second.path)
    assert scanner.read() == []  # the main loop's idle tick: this reopens the port
    assert scanner.connected
    second.write(b"after\r")
    assert read_scans(scanner, 1) == [Scan("after")]
    second.unplug()
    scanner.close()
