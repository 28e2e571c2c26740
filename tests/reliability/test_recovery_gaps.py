"""Gaps in recovery found by the power-cut and damage sweeps, now fixed in
terminal/app/polls.py: a cut between closing and the close checkpoint, and a lost log beside
stores that hold data."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.faulty_storage import FaultyStorage
from terminal.app.polls import InconsistentStores
from terminal.idscan.marks import FILE_NAME as MARKS_FILE
from terminal.tally.event_log import FILE_NAME as EVENTS
from tests.reliability.cuts import check_finished, count_operations, run_until_cut
from tests.reliability.polling import Terminal, World


@pytest.mark.parametrize("after", ["polls_closed written", "polls_closed synced", "half signed"])
def test_a_cut_between_closing_and_the_close_checkpoint_is_recovered(
    world: World, scratch: Path, monkeypatch: pytest.MonkeyPatch, after: str
) -> None:
    operations = count_operations(world, scratch / "uncut", 3, 41)
    closed = next(
        op.number for op in operations if op.name == EVENTS and b"polls_closed" in op.data
    )
    cut_after = {"polls_closed written": closed, "polls_closed synced": closed + 1}.get(
        after,
        closed + 2,  # checkpoint-close.txt replaced, its .sig not yet
    )
    day = run_until_cut(world, scratch / "day", 3, 41, cut_after)
    files = day.storage.files_now()  # everything written survives: the worst case here
    terminal = Terminal(world, FaultyStorage(files), scratch / "day" / "data", scratch / "export")
    terminal.start()
    people = day.people.copy()
    terminal.proceed(people)
    check_finished(terminal, people, world, 3)


def test_a_blank_log_beside_marked_voters_stops_the_terminal(world: World, scratch: Path) -> None:
    operations = count_operations(world, scratch / "uncut", 3, 42)
    marked = next(op.number for op in operations if op.name == MARKS_FILE and op.kind == "sync")
    day = run_until_cut(world, scratch / "day", 3, 42, marked)
    files = day.storage.durable()
    files[EVENTS] = b""  # the log lost, the marks kept: no power cut leaves this
    terminal = Terminal(world, FaultyStorage(files), scratch / "day" / "data", scratch / "export")
    with pytest.raises(InconsistentStores):
        terminal.start()
