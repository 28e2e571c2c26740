"""Cards (the terminal's storage) at chosen points of a scripted day, to damage."""

from __future__ import annotations

from pathlib import Path

from terminal.tally.event_log import FILE_NAME as EVENTS
from tests.reliability.cuts import count_operations, run_until_cut
from tests.reliability.damage import Card
from tests.reliability.polling import World


def card_while_open(world: World, root: Path, voters: int = 3, seed: int = 1) -> Card:
    """The card with the polls open and every voter's ballot cast: just before closing."""
    operations = count_operations(world, root / "uncut", voters, seed)
    closing = next(
        op.number for op in operations if op.name == EVENTS and b'"kind":"polls_closed"' in op.data
    )
    day = run_until_cut(world, root / "open", voters, seed, closing - 1)
    assert not day.storage.pending()
    return Card(day.storage.durable(), tuple(day.storage.operations), root / "open" / "data")


def card_after_export(world: World, root: Path, voters: int = 3, seed: int = 1) -> Card:
    """The card at the end of the day: counted, protocol signed, bundle exported."""
    day = run_until_cut(world, root / "end", voters, seed, 10**9)
    assert day.cut is None and not day.storage.pending()
    return Card(day.storage.durable(), tuple(day.storage.operations), root / "end" / "data")
