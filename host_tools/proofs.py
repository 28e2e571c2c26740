"""Checking the proofs of format-2 ballots on every core of the host.

A precinct's 3,000 ballots take some 30 CPU seconds to check (every option's 0/1 proof and
every contest's limits: docs/performance.md), so the sorted records are cut into runs and
checked in worker processes; each worker returns the sums of its run, and the sums of the
runs are added up here. A failing ballot is named by its index in the sorted records, as
terminal.tally.decryption.check_ballots names it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from types import TracebackType

from terminal.ballot.election import Election
from terminal.tally.decryption import (
    Aggregates,
    BallotProofError,
    add_aggregates,
    check_ballots,
)
from terminal.tally.encrypted_ballot import BallotError, Context

# Below this many ballots the workers' start-up costs more than they save.
SERIAL_BELOW = 64
RUNS_PER_WORKER = 4  # shorter runs even out the workers' finishing times

Outcome = tuple[Aggregates, None] | tuple[None, tuple[int, str, str]]


def _check_run(bodies: list[bytes], election: Election, ctx: Context, start: int) -> Outcome:
    """A worker's run; a failure comes back as plain values (exceptions pickle poorly)."""
    try:
        return check_ballots(bodies, election, ctx, start), None
    except BallotProofError as exc:
        return None, (exc.index, exc.problem.where, str(exc.problem))


class PoolChecker:
    """A ProofChecker (terminal.tally.bundle) over a pool of worker processes, one per core.
    The pool is started on first use; close() (or leaving a `with` block) shuts it down."""

    def __init__(self, workers: int | None = None, serial_below: int = SERIAL_BELOW) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.serial_below = serial_below
        self._pool: Executor | None = None

    def __enter__(self) -> PoolChecker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __call__(self, bodies: Sequence[bytes], election: Election, ctx: Context) -> Aggregates:
        if self.workers == 1 or len(bodies) < self.serial_below:
            return check_ballots(bodies, election, ctx)
        if self._pool is None:
            # Spawned, not forked: a forked worker would walk (and copy) the parent's heap.
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        size = -(-len(bodies) // (self.workers * RUNS_PER_WORKER))
        starts = range(0, len(bodies), size)
        futures = [
            self._pool.submit(_check_run, list(bodies[s : s + size]), election, ctx, s)
            for s in starts
        ]
        sums: list[Aggregates] = []
        failures: list[tuple[int, str, str]] = []
        for future in futures:
            found, failure = future.result()
            if failure is not None:
                failures.append(failure)
            elif found is not None:
                sums.append(found)
        if failures:
            index, where, message = min(failures)
            problem = BallotError(where, message.removeprefix(f"{where}: "))
            raise BallotProofError(index, problem)
        return add_aggregates(sums)
