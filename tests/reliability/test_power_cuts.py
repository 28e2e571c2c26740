"""A power cut at every storage operation of a polling day, at the Polls level.

The day (tests/reliability/polling.py): install, open, voters who vote (one has a ballot
cancelled by the poll worker first), a person not on the register, a voter back again,
close, count with the key rebuilt from two share cards, export. Its K storage operations
are counted on an uncut day; then for every k in 0..K the day runs again with the power
cut after operation k, the terminal restarts on each image the card may hold (TORN model:
unsynced writes kept as an in-order prefix, the last one cut at a byte), the promises of
tests/reliability/cuts.py are checked, and the day is finished and counted.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability.cuts import (
    Tally,
    count_operations,
    every_byte,
    half_torn,
    sample_tears,
    survive_cut,
    torn,
)
from tests.reliability.polling import World


def sweep(
    world: World, scratch: Path, voters: int, seed: int, every: int = 1, **how: object
) -> Tally:
    """Cut after every `every`-th operation k in 0..K (every one by default)."""
    operations = count_operations(world, scratch / "uncut", voters, seed)
    tally = Tally()
    started = time.monotonic()
    for k in range(0, len(operations) + 1, every):
        survive_cut(world, scratch, voters, seed, k, tally=tally, **how)  # type: ignore[arg-type]
    print(
        f"\n{voters} voters: K={len(operations)} operations, {tally.cuts} cuts, "
        f"{tally.restarts} restarts checked, stops {tally.stops}, "
        f"{time.monotonic() - started:.1f} s"
    )
    assert tally.cuts >= len(operations) // every + 1
    return tally


def test_a_cut_at_every_operation_of_a_small_day_loses_nothing(world: World, scratch: Path) -> None:
    sweep(world, scratch, 3, 1, images=torn(sample_tears))


def test_a_cut_at_every_operation_of_a_booths_day_loses_nothing(
    booth: World, scratch: Path
) -> None:
    """The voting booth's day: coupons instead of identification, so the used codes are the
    position-addressed store that is cut (a torn entry is found and cleared at restart)."""
    sweep(booth, scratch, 3, 1, images=torn(sample_tears))


def test_a_second_cut_during_the_recovery_loses_nothing(world: World, scratch: Path) -> None:
    """A first cut after every third operation, then a cut at every operation of the restart."""
    sweep(world, scratch, 3, 2, every=3, images=half_torn, second_cuts=half_torn)


@pytest.mark.slow
def test_every_write_torn_at_every_byte_loses_nothing(world: World, scratch: Path) -> None:
    sweep(world, scratch, 3, 3, images=torn(every_byte))


@pytest.mark.slow
def test_every_second_cut_during_the_recovery_loses_nothing(world: World, scratch: Path) -> None:
    sweep(world, scratch, 3, 4, images=torn(sample_tears), second_cuts=torn(sample_tears))


@pytest.mark.slow
def test_a_cut_at_every_operation_of_a_larger_day_loses_nothing(
    world: World, scratch: Path
) -> None:
    sweep(world, scratch, 12, 5, images=torn(sample_tears))
