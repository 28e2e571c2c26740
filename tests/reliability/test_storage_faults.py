"""A full card (ENOSPC) at every write, and a failing card (EIO from fsync) at every sync.

The terminal never retries a failed write or sync: after a failed fsync the kernel may have
dropped the data (Linux marks the pages clean), so the only honest thing is to stop
(terminal/__main__.py shows the "storage failed" screen for a StorageError). At the Polls
level that means: the StorageError comes out of the transition at once; a voter whose
Polls.cast raised was never told the ballot is cast; and what was stored before is intact:
after space returns (or on the card after a reboot) a fresh start recovers as after a
power cut, and the day finishes with every confirmed ballot counted once.

The mirror card (terminal/hal/mirror.py) fails the other way: a day over MirroredStorage
whose mirror fails (full, or EIO) at any of its operations goes on to its export with every
ballot counted once, and only the mirror's warning says so; when the stick comes back it is
caught up byte for byte.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sim.faulty_storage import Fault, FaultyStorage, Image
from terminal.hal.mirror import MirroredStorage
from terminal.hal.storage import StorageError
from tests.reliability.cuts import (
    Failed,
    FaultDay,
    check_finished,
    check_restart,
    count_operations,
    run_until_fault,
    sample_tears,
    torn,
)
from tests.reliability.polling import People, Terminal, World, plan

VOTERS = 3


def unsynced_lost(storage: FaultyStorage) -> list[Image]:
    return [Image("every unsynced write lost", storage.durable())]


def finish(world: World, run: Path, day_root: Path, files: dict[str, bytes], day: FaultDay) -> None:
    people = day.people.copy()
    if (day_root / "export").exists():  # the bundle on the USB stick when the card failed
        shutil.copytree(day_root / "export", run / "export")
    terminal = Terminal(world, FaultyStorage(files), day_root / "data", run / "export")
    terminal.start()
    check_restart(terminal, people, day.state, files)
    terminal.proceed(people)
    check_finished(terminal, people, world, VOTERS)
    if day.stored:
        assert day.people.current in people.recovered, "a stored ballot was not counted"


def sweep(
    world: World,
    scratch: Path,
    kinds: tuple[str, ...],
    error: int,
    seed: int,
    images: Callable[[FaultyStorage], list[Image]] | None = None,
    partial: bool = True,
) -> dict[str, int]:
    """Fail each operation of these kinds in turn; restart on what the card holds (and on
    `images` of it: what a power cut right after the error may leave) and finish the day."""
    operations = count_operations(world, scratch / "uncut", VOTERS, seed)
    found = {"faults": 0, "in cast": 0, "in cast, ballot already stored": 0, "restarts": 0}
    started = time.monotonic()
    for op in operations:
        if op.kind not in kinds:
            continue
        variants = [Fault(op.number, error, lasting=error == errno.ENOSPC)]
        if partial and op.kind == "write" and len(op.data) > 1:
            variants.append(Fault(op.number, error, written=len(op.data) // 2, lasting=True))
        for number, fault in enumerate(variants):
            root = scratch / f"fault-{op.number}-{number}"
            day = run_until_fault(world, root, VOTERS, seed, fault)
            found["faults"] += 1
            found["in cast"] += day.casting
            found["in cast, ballot already stored"] += day.stored
            assert day.error.errno == error or (fault.written and day.error.errno == error)
            if error == errno.ENOSPC:
                # Still full: the restart stops with a StorageError too, damaging nothing.
                still_full = FaultyStorage(
                    day.storage.files_now(), faults=[Fault(1, error, lasting=True)]
                )
                with pytest.raises(StorageError):
                    Terminal(world, still_full, root / "data", root / "full").start()
            kept = [day.storage.files_now()]
            if images is not None:
                kept += [image.files for image in images(day.storage)]
            for index, files in enumerate(kept):
                try:
                    finish(world, root / f"restart-{index}", root, files, day)
                except Exception as exc:
                    raise Failed(f"{fault} on {op}: {type(exc).__name__}: {exc}") from exc
                found["restarts"] += 1
    print(f"\n{found}, {time.monotonic() - started:.1f} s")
    return found


def test_a_full_card_at_any_write_stops_the_terminal_and_loses_nothing(
    world: World, scratch: Path
) -> None:
    found = sweep(world, scratch, ("write", "create", "replace"), errno.ENOSPC, 11, partial=False)
    assert found["in cast"] > 0 and found["in cast, ballot already stored"] > 0


@pytest.mark.slow
def test_a_full_card_at_any_write_cut_short_or_at_any_sync_loses_nothing(
    world: World, scratch: Path
) -> None:
    """Short writes (half the bytes written, then ENOSPC), and ENOSPC reported by fsync (as
    ext4 with delayed allocation does)."""
    sweep(world, scratch, ("write", "create", "replace"), errno.ENOSPC, 12)
    sweep(world, scratch, ("sync",), errno.ENOSPC, 13)


def test_an_io_error_at_any_sync_stops_the_terminal_and_loses_nothing(
    world: World, scratch: Path
) -> None:
    """After EIO from fsync, what reached the card is unknown: restart on what is there and
    on the card with the unsynced write lost."""
    found = sweep(
        world, scratch, ("sync",), errno.EIO, 14, images=lambda s: [Image("lost", s.durable())]
    )
    assert found["in cast, ballot already stored"] > 0


@pytest.mark.slow
def test_an_io_error_at_any_sync_then_a_power_cut_loses_nothing(
    world: World, scratch: Path
) -> None:
    sweep(world, scratch, ("sync",), errno.EIO, 15, images=torn(sample_tears))


MIRROR_OPERATIONS = ("exists", "read", "create", "pwrite", "truncate", "sync", "replace")


def _mirrored(root: Path, fail_after: int | None, error: int) -> tuple[MirroredStorage, list[int]]:
    """A FaultyStorage data card with a mirror directory whose operations fail, every one
    from operation `fail_after` on (a full or broken stick stays so), and their count."""
    (root / "mirror").mkdir(parents=True)
    storage = MirroredStorage(FaultyStorage(), root / "mirror", retry_seconds=3600)
    mirror = storage.mirror
    assert mirror is not None
    calls = [0]
    for name in MIRROR_OPERATIONS:
        original = getattr(mirror, name)

        def failing(*args: object, _original: Callable[..., object] = original) -> object:
            calls[0] += 1
            if fail_after is not None and calls[0] > fail_after:
                raise OSError(error, os.strerror(error))
            return _original(*args)

        setattr(mirror, name, failing)
    return storage, calls


def _mirror_day(world: World, root: Path, storage: MirroredStorage) -> None:
    attempts, selections = plan(VOTERS, 1)
    people = People(attempts, selections)
    terminal = Terminal(world, storage, root / "data", root / "export")
    terminal.start()
    terminal.proceed(people)
    check_finished(terminal, people, world, VOTERS)


def _same_as_primary(storage: MirroredStorage, mirror: Path) -> None:
    files = sorted(p.name for p in mirror.iterdir())
    assert files and all(mirror.joinpath(n).read_bytes() == storage.read(n) for n in files)


def test_a_failing_mirror_at_any_operation_warns_and_loses_nothing(
    world: World, scratch: Path
) -> None:
    storage, calls = _mirrored(scratch / "whole", None, errno.ENOSPC)
    _mirror_day(world, scratch / "whole", storage)
    assert storage.warning() is None
    _same_as_primary(storage, scratch / "whole" / "mirror")
    for at in range(calls[0]):
        error = errno.ENOSPC if at % 2 else errno.EIO
        root = scratch / f"mirror-{at}"
        storage, _ = _mirrored(root, at, error)
        try:
            _mirror_day(world, root, storage)
        except Exception as exc:
            raise Failed(
                f"mirror failing from operation {at}: {type(exc).__name__}: {exc}"
            ) from exc
        warning = storage.warning()
        assert warning is not None and os.strerror(error) in warning, (at, warning)
        if at % 7 == 0:  # the stick is replaced: caught up before the warning clears
            storage.retry_seconds = 0
            shutil.rmtree(root / "mirror")
            (root / "mirror").mkdir()
            assert storage.warning() is None
            _same_as_primary(storage, root / "mirror")
    print(f"\nmirror: {calls[0]} operations in a day, each failed in turn")
