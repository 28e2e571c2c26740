"""The systemd service manager's readiness and watchdog notifications, without libsystemd.

The unit (deploy/tamga-terminal.service) is Type=notify with WatchdogSec: systemd counts the
terminal as started once it says READY=1, and restarts it if the main loop stops saying
WATCHDOG=1 for WatchdogSec, so a hung terminal comes back by itself instead of leaving a
frozen screen in front of a voter.

The protocol (sd_notify(3)): one datagram per message to the AF_UNIX socket named by
$NOTIFY_SOCKET, a path or, beginning with "@", a name in the abstract namespace. The
watchdog interval is $WATCHDOG_USEC, meant for the process $WATCHDOG_PID when that is set;
sd_watchdog_enabled(3) advises pinging at half the interval. Outside systemd (on a desktop,
in the simulator, in tests) the variables are unset and every call here does nothing.

The terminal only sends: it never binds or listens on a socket.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)


def _address(environ: Mapping[str, str]) -> str | None:
    """The notification socket's address, or None when not run by systemd."""
    name = environ.get("NOTIFY_SOCKET", "")
    if name.startswith("@"):
        return "\0" + name[1:]
    if name.startswith("/"):
        return name
    if name:
        # systemd 254 added vsock: addresses, for virtual machines; not a Pi's case.
        log.warning("NOTIFY_SOCKET %r: unsupported address, not notifying systemd", name)
    return None


def notify(message: str, environ: Mapping[str, str] = os.environ) -> None:
    """Send one notification ("READY=1", "WATCHDOG=1"); a failure is logged, not raised,
    since the service manager's own timeouts tell when notifications are missing."""
    address = _address(environ)
    if address is None:
        return
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(message.encode("ascii"), address)
    except OSError as exc:
        log.warning("cannot notify systemd (%s): %s", message, exc)


def notify_ready(environ: Mapping[str, str] = os.environ) -> None:
    """Tell systemd the terminal has started: devices open, first screen shown."""
    notify("READY=1", environ)


class WatchdogPinger:
    """Pings systemd's watchdog from the main loop, at most every half interval."""

    def __init__(
        self,
        environ: Mapping[str, str] = os.environ,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = environ
        self._clock = clock
        self.interval = _watchdog_interval(environ)
        self._last: float | None = None

    def tick(self) -> None:
        """Call on every main-loop iteration; sends WATCHDOG=1 when half the interval has
        passed since the last ping (at once on the first call)."""
        if self.interval is None:
            return
        now = self._clock()
        if self._last is not None and now - self._last < self.interval / 2:
            return
        self._last = now
        notify("WATCHDOG=1", self._environ)


def _watchdog_interval(environ: Mapping[str, str]) -> float | None:
    """WatchdogSec in seconds, or None when there is no watchdog for this process."""
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        interval = int(usec) / 1_000_000
    except ValueError:
        log.warning("WATCHDOG_USEC %r is not a number; not pinging the watchdog", usec)
        return None
    return interval if interval > 0 else None
