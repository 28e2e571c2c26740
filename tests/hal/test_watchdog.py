"""systemd notifications, received on a datagram socket the test binds in systemd's place."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.hal.watchdog import WatchdogPinger, notify_ready


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def manager(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """systemd's end: a datagram socket at a path, and its $NOTIFY_SOCKET value."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.settimeout(0.5)
    yield sock, str(path)
    sock.close()


def received(sock: socket.socket) -> list[bytes]:
    messages = []
    sock.setblocking(False)
    try:
        while True:
            messages.append(sock.recv(4096))
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(0.5)
    return messages


def test_ready_is_sent_to_a_path_socket(manager: tuple[socket.socket, str]) -> None:
    sock, address = manager
    notify_ready({"NOTIFY_SOCKET": address})
    assert sock.recv(4096) == b"READY=1"


def test_an_abstract_socket_is_named_with_an_at_sign() -> None:
    name = f"tamga-test-{secrets.token_hex(8)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(0.5)
        notify_ready({"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"READY=1"


def test_the_watchdog_is_pinged_every_half_interval(manager: tuple[socket.socket, str]) -> None:
    sock, address = manager
    clock = Clock()
    pinger = WatchdogPinger({"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "10000000"}, clock)
    assert pinger.interval == 10.0
    pinger.tick()
    assert received(sock) == [b"WATCHDOG=1"], "the first tick pings at once"
    for step in (1.0, 2.0, 1.9):
        clock.now += step
        pinger.tick()
    assert received(sock) == []
    clock.now += 0.1  # 5 s since the last ping
    pinger.tick()
    pinger.tick()
    assert received(sock) == [b"WATCHDOG=1"]


def test_a_watchdog_meant_for_another_process_is_not_pinged(
    manager: tuple[socket.socket, str],
) -> None:
    sock, address = manager
    environ = {"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "10000000"}
    other = WatchdogPinger({**environ, "WATCHDOG_PID": str(os.getpid() + 1)})
    other.tick()
    assert other.interval is None and received(sock) == []
    mine = WatchdogPinger({**environ, "WATCHDOG_PID": str(os.getpid())})
    mine.tick()
    assert received(sock) == [b"WATCHDOG=1"]


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"WATCHDOG_USEC": "10000000"},  # no socket to tell
        {"NOTIFY_SOCKET": "/run/systemd/notify"},  # notify but no watchdog
        {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "0"},
    ],
)
def test_outside_systemd_nothing_is_sent(environ: dict[str, str]) -> None:
    pinger = WatchdogPinger(environ)
    pinger.tick()
    assert pinger.interval is None or "NOTIFY_SOCKET" not in environ


def test_a_failing_or_strange_socket_is_a_warning_not_an_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        notify_ready({"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})
        notify_ready({"NOTIFY_SOCKET": "vsock:2:1234"})
        pinger = WatchdogPinger({"NOTIFY_SOCKET": "@x", "WATCHDOG_USEC": "ten"})
    assert pinger.interval is None
    assert "cannot notify systemd (READY=1)" in caplog.text
    assert "unsupported address" in caplog.text
    assert "WATCHDOG_USEC 'ten' is not a number" in caplog.text
