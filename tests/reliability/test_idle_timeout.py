"""A voter who walks away from an open ballot: the real Polls over a real store, the real
Station with its clock. The warning and the void are logged, nothing is cast, and the poll
worker can issue the voter a ballot again."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from sim.faulty_storage import FaultyStorage
from terminal.app.ballot_session import IDLE_VOID, IDLE_WARNING
from terminal.app.screens import Fonts
from terminal.app.station import Station
from terminal.app.view import View
from terminal.tally.event_log import EventLog
from tests.reliability.polling import Terminal, World


def test_an_idle_ballot_is_void_and_issued_again(world: World, scratch: Path) -> None:
    terminal = Terminal(world, FaultyStorage(), scratch / "data", scratch / "export")
    terminal.start()
    polls = terminal.polls
    assert polls is not None and polls.open_polls() is None
    clock = terminal.clock
    station = Station(
        polls,
        SimpleNamespace(width=800, height=480, show=lambda frame: None),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        Fonts(),
        "ru",
        scratch / "export",
    )
    station.view = View.IDLE
    number = world.register.voters[0].number

    def scan() -> None:  # the voter's bare PIN, as the poll worker may type it
        station._identify(SimpleNamespace(data=number, symbology=""))  # type: ignore[arg-type]

    scan()
    assert station.view is View.VOTER_FOUND, station.lines
    station.on_tap("issue")
    station.on_tap("ru")
    assert station.view is View.BALLOT
    clock.time += IDLE_WARNING
    station.check_idle()
    assert station.view is View.IDLE_WARNING
    clock.time += IDLE_VOID
    station.check_idle()
    assert station.view is View.TIMED_OUT and station.session is None
    kinds = [(e.kind, e.data) for e in EventLog.open(terminal.storage, clock).events]
    assert ("ballot_idle_warning", {}) in kinds
    assert kinds[-1] == ("ballot_void", {"reason": "timed_out"})
    assert polls.box is not None and polls.box.count == 0
    # Back to the poll worker, who scans the voter's document again: a new ballot.
    station.on_tap("ok")
    assert station.view is View.IDLE
    scan()
    assert station.view is View.REISSUE_OFFER
    station.on_tap("issue")
    assert station.view is View.LANGUAGE
