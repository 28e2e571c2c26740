"""The precinct's private key exists only in a short-lived child process.

At close the chair's share cards rebuild the key that opens the ballot box. It is rebuilt,
used and forgotten in a child forked for that alone: the terminal's own process never holds
it, and when the child exits the kernel frees its memory, whatever copies Python made
(`bytes` objects cannot be wiped; a `bytearray` overwritten in place may still have been
copied by the library that read it, so wiping in Python is best effort only). The child
first hardens itself:

- prctl(PR_SET_DUMPABLE, 0): no core dump, and no other process of the same user may
  ptrace it or read its /proc/<pid>/mem;
- RLIMIT_CORE 0: no core file even if dumpable were set again;
- mlockall(MCL_CURRENT | MCL_FUTURE): its pages never go to swap (best effort: it needs
  CAP_IPC_LOCK or a large enough RLIMIT_MEMLOCK, which deploy/tamga-terminal.service gives;
  the Pi has swap off as well, docs/raspberry-pi.md).

Only the job's result (the count, or a refusal) comes back, pickled over a pipe.

What stays in the terminal's process: the share cards as scanned (strings, and the collector's
Share objects until the count is done). Any k of them rebuild the key, so they are dropped as
soon as the count is signed; Python strings cannot be wiped, which is again best effort, and
why the process is undumpable and swap is off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import pickle  # nosec B403: only between this process and its own fork
import resource
import sys
from collections.abc import Callable
from typing import TypeVar

from terminal.trust.shares import ShareCollector, ShareProblem

T = TypeVar("T")

PR_SET_DUMPABLE = 4  # <linux/prctl.h>
MCL_CURRENT = 1  # <sys/mman.h>
MCL_FUTURE = 2


class KeyProcessError(Exception):
    """The child died or could not report (not a refusal of the job: those come back)."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def harden_process() -> None:
    """No core dump of this process and no ptrace or /proc/<pid>/mem by other processes of
    its user: the terminal's own process holds its signing key and the register all day.
    Raises OSError if the kernel refuses."""
    if _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def harden() -> list[str]:
    """harden_process(), and lock every page in RAM; what failed, for the journal (locking
    is best effort; the rest raises OSError)."""
    harden_process()
    if _libc().mlockall(MCL_CURRENT | MCL_FUTURE) != 0:
        return [f"mlockall: {os.strerror(ctypes.get_errno())}"]
    return []


def run_with_key(job: Callable[[], T]) -> T:
    """Run `job` in a hardened child and return its result; an exception the job raises is
    raised here again (its type and message; it must never carry the key)."""
    read_end, write_end = os.pipe()
    # Whatever the parent buffered would be written twice: once by each process.
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_end)
            warnings = harden()
            try:
                outcome: tuple[str, object] = ("ok", job())
            except Exception as exc:
                outcome = ("raised", exc)
            for warning in warnings:
                print(f"key process: {warning} (its pages may be swapped)", file=sys.stderr)
            try:
                data = pickle.dumps(outcome)
            except Exception as exc:
                data = pickle.dumps(("raised", KeyProcessError(f"{type(exc).__name__}: {exc}")))
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)  # no atexit handlers, no flushing of the parent's buffers
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        while chunk := pipe.read(1 << 16):
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or not chunks:
        raise KeyProcessError(f"the key process ended with status {status:#x} and no result")
    # The child is this program itself, a fork of this very process: its pickle is trusted.
    kind, value = pickle.loads(b"".join(chunks))  # noqa: S301  # nosec B301
    if kind == "raised" and isinstance(value, BaseException):
        raise value
    return value  # type: ignore[no-any-return]


def count_with_shares(collector: ShareCollector, count: Callable[[bytes], T]) -> T | ShareProblem:
    """Rebuild the precinct's key from the cards `collector` holds and `count` with it, both
    in the key process; the refusal if the cards do not open the precinct's key (the caller
    then tells the collector, whose changes in the child are lost with it)."""

    def job() -> T | ShareProblem:
        key = collector.combine()
        return key if isinstance(key, ShareProblem) else count(key)

    return run_with_key(job)
