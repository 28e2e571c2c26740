"""The TEST -> official reset (terminal/app/test_reset.py): only after a finished, exported
TEST day; the test's files are kept aside; the new log starts with the logged reset; the
terminal is blank and the next package gets an empty ballot box."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.app.polls import PollsState
from terminal.app.test_reset import ResetRefused, reset_test
from terminal.ballot.election import Mode
from terminal.hal.storage import DataDir
from terminal.tally.event_log import EventLog
from tests.reliability.polling import People, StepClock, Terminal, World, build_world, plan

VOTERS = 3


def day(world: World, root: Path, finish: bool = True) -> Terminal:
    """A TEST (or official) day to its export, or only to the opening of the polls."""
    storage = DataDir(world.root / "terminal")
    terminal = Terminal(world, storage, world.root / "terminal", root / "export")
    terminal.start()
    assert terminal.polls is not None
    if finish:
        terminal.proceed(People(*plan(VOTERS, 1)))
    else:
        terminal.polls.open_polls()
    storage.close()  # the terminal program is stopped for the reset
    return terminal


def test_a_finished_test_day_is_reset_to_a_blank_terminal(tmp_path: Path) -> None:
    world = build_world(tmp_path, VOTERS, mode=Mode.TEST)
    data = world.root / "terminal"
    terminal = day(world, tmp_path)
    assert terminal.state is PollsState.COUNTED and terminal.polls is not None
    old_head = terminal.polls.log.head
    cast = terminal.polls.count_events("ballot_cast")
    assert cast == VOTERS
    done = reset_test(world.identity, data, None, StepClock())
    assert (done.election, done.ballots_cast) == (world.election.id, VOTERS)
    # The test day's files are kept aside, the identity stays.
    assert done.archive == data / "test-runs" / f"{world.election.id}-1"
    for name in ("events.jsonl", "ballots.slots", "marks.sealed", "protocol.json", "package"):
        assert (done.archive / name).exists(), name
    assert not (data / "ballots.slots").exists() and not (data / "package").exists()
    assert (data / "terminal.pub.pem").exists()
    # The new log: one record, the reset, chained to nothing but naming the test day.
    log = EventLog.open(DataDir(data), StepClock())
    (reset,) = log.events
    assert reset.kind == "test_reset"
    assert reset.data["test_log_head"] == old_head and reset.data["ballots_cast"] == VOTERS
    # Blank: the next start installs the package afresh, with an empty ballot box.
    storage = DataDir(data)
    again = Terminal(world, storage, data, tmp_path / "export2")
    again.start()
    assert again.installed and again.state is PollsState.READY
    assert again.polls is not None and again.polls.box is not None
    assert again.polls.box.count == 0
    storage.close()


def test_an_official_terminal_is_never_reset(tmp_path: Path) -> None:
    world = build_world(tmp_path, VOTERS)
    day(world, tmp_path)
    before = sorted(p.name for p in (world.root / "terminal").iterdir())
    with pytest.raises(ResetRefused, match="is official: an official terminal is never reset"):
        reset_test(world.identity, world.root / "terminal", None, StepClock())
    assert sorted(p.name for p in (world.root / "terminal").iterdir()) == before


def test_an_unfinished_test_day_or_a_blank_terminal_is_not_reset(tmp_path: Path) -> None:
    world = build_world(tmp_path, VOTERS, mode=Mode.TEST)
    data = world.root / "terminal"
    with pytest.raises(ResetRefused, match="nothing to reset"):
        reset_test(world.identity, data, None, StepClock())
    assert day(world, tmp_path, finish=False).state is PollsState.OPEN
    with pytest.raises(ResetRefused, match="not finished: close the polls"):
        reset_test(world.identity, data, None, StepClock())
    assert not (data / "test-runs").exists()
