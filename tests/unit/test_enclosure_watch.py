"""The station's side of the enclosure controller: what it logs, what it shows in each
worker language, which lights it asks for, and the protocol's lines from the log."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from terminal.app import station as station_module
from terminal.app.enclosure_watch import EnclosureWatch, last_counter
from terminal.app.i18n import translator
from terminal.app.pages import enclosure as page
from terminal.app.polls import PollsState
from terminal.ballot.election import Role
from terminal.hal import enclosure as hal
from terminal.hal.enclosure_protocol import ControllerEvent, Refusal
from terminal.tally.enclosure_lines import protocol_lines
from terminal.tally.event_log import EventLog
from tests.hal.test_gpio import Pins
from tests.unit.conftest import FixedClock, MemoryStorage


class ScriptedEnclosure:
    """Hands the watch the notices a test gives it."""

    def __init__(self) -> None:
        self.status: hal.Status | None = None
        self.notices: list[hal.Notice] = []
        self.acked = 0
        self.lights = hal.Lights()

    def poll(self) -> list[hal.Notice]:
        notices, self.notices = self.notices, []
        return notices

    def acknowledge(self, counter: int) -> None:
        self.acked = max(self.acked, counter)

    def set_lights(self, lights: hal.Lights) -> None:
        self.lights = lights

    def keys(self) -> list[hal.KeyEvent]:
        return []

    def close(self) -> None:
        pass


def status(seal: bool = True, lid: bool = True, jammed: bool = False) -> hal.Status:
    return hal.Status(seal, lid, jammed, 0, 0, 0)


@pytest.fixture
def rig() -> tuple[EnclosureWatch, ScriptedEnclosure, EventLog]:
    log = EventLog.open(MemoryStorage(), FixedClock())
    enclosure = ScriptedEnclosure()
    return EnclosureWatch(enclosure, log, authoritative_seal=True), enclosure, log


def test_enclosure_events_logged_and_acknowledged(rig) -> None:  # type: ignore[no-untyped-def]
    watch, enclosure, log = rig
    enclosure.notices = [
        hal.Connected(3, 7),
        hal.Event(8, ControllerEvent.BOOT, 2),
        hal.Event(9, ControllerEvent.TAMPER_WHILE_OFF, 2),
        hal.Event(10, ControllerEvent.SLIP, 41),
        hal.Gap(11, 12),
        hal.Event(13, ControllerEvent.JAM, 0),
    ]
    enclosure.status = status(jammed=True)
    assert watch.check(polls_open=True, now=0.0)
    data = [(e.kind, e.data) for e in log.events]
    assert data == [
        ("enclosure_connected", {"boots": 3, "counter": 7}),
        ("enclosure_boot", {"counter": 8, "reset": "watchdog"}),
        ("enclosure_tamper_while_off", {"counter": 9, "switch": "lid"}),
        ("enclosure_slip", {"counter": 10, "total": 41}),
        ("enclosure_events_missing", {"first": 11, "last": 12}),
        ("enclosure_jam", {"counter": 13}),
    ]
    assert enclosure.acked == 13
    assert last_counter(log) == 13
    assert enclosure.lights == hal.Lights(polls_open=True, attention=True, fault=True)


def test_enclosure_refusals_logged_at_most_every_ten_seconds(rig) -> None:  # type: ignore[no-untyped-def]
    watch, enclosure, log = rig
    for second in range(25):
        enclosure.notices = [hal.Refused("terminal", Refusal.MAC, 3)]
        watch.check(polls_open=False, now=float(second))
    records = [e.data for e in log.events if e.kind == "enclosure_frame_refused"]
    assert [r["count"] for r in records] == [3, 30, 30]
    assert all(r == {"side": "terminal", "reason": "mac", "count": r["count"]} for r in records)


@pytest.mark.parametrize("language", ["ky", "ru", "kk", "en"])
def test_enclosure_warnings_on_the_worker_screen(rig, language: str) -> None:  # type: ignore[no-untyped-def]
    watch, enclosure, _log = rig
    station = SimpleNamespace(enclosure_watch=watch, _w=translator(language))
    lines = page.warnings(station)  # type: ignore[arg-type]
    assert len(lines) == 1  # not connected yet
    enclosure.notices = [hal.Connected(1, 0), hal.Event(1, ControllerEvent.TAMPER_WHILE_OFF, 1)]
    enclosure.status = status(lid=False, jammed=True)
    watch.check(polls_open=True, now=0.0)
    lines = page.warnings(station)  # type: ignore[arg-type]
    assert len(lines) == 3  # opened while off, lid open, jammed
    if language != "en":  # translated, not the English message
        english = page.warnings(SimpleNamespace(enclosure_watch=watch, _w=translator("en")))  # type: ignore[arg-type]
        assert not set(lines) & set(english)
    enclosure.status = status()
    watch.check(polls_open=True, now=1.0)
    assert len(page.warnings(station)) == 1  # the opening while off stays for the day  # type: ignore[arg-type]


def test_enclosure_protocol_lines_count_while_the_polls_are_open() -> None:
    log = EventLog.open(MemoryStorage(), FixedClock())
    assert protocol_lines(log) == {}  # no controller: no lines
    log.append("enclosure_connected", boots=1, counter=0)
    log.append("enclosure_slip", counter=1, total=1)  # before opening: not this day's
    log.append("polls_opened")
    for n in range(2, 5):
        log.append("enclosure_slip", counter=n, total=n)
    log.append("enclosure_slip_while_off", counter=5, total=5)
    log.append("enclosure_seal_opened", counter=6)
    log.append("polls_closed")
    log.append("enclosure_lid_opened", counter=7)
    assert protocol_lines(log) == {"slips_counted": 4, "enclosure_openings": 1}


@pytest.mark.parametrize("authority", ["enclosure", "gpio"])
def test_enclosure_or_gpio_seal_whichever_the_board_names(authority: str) -> None:
    """With both seal switches, the one the board config names is the screen's seal; the
    controller's openings are logged either way."""
    log = EventLog.open(MemoryStorage(), FixedClock())
    polls = SimpleNamespace(
        log=log,
        state=PollsState.OPEN,
        role=Role.COMBINED,
        box=SimpleNamespace(count=3),
        storage=SimpleNamespace(warning=lambda: None),
        package=None,
    )
    pins = Pins()
    enclosure = ScriptedEnclosure()
    watch = EnclosureWatch(enclosure, log, authoritative_seal=authority == "enclosure")
    station = station_module.Station(
        polls,  # type: ignore[arg-type]
        SimpleNamespace(width=800, height=480, show=lambda frame: None),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        station_module.Fonts(),
        "en",
        Path("bundle"),
        pins,
        enclosure_watch=watch,
    )
    station.view = station_module.View.IDLE
    warning = "Warning: the terminal's seal is open. Call the chair."
    enclosure.notices = [hal.Connected(1, 0)]
    enclosure.status = status()
    station.check_enclosure()
    assert warning not in station._screen().lines
    # The controller's seal opens; the Pi's own switch stays closed.
    enclosure.notices = [hal.Event(1, ControllerEvent.SEAL_OPENED, 0)]
    enclosure.status = status(seal=False)
    station.check_enclosure()
    assert "enclosure_seal_opened" in [e.kind for e in log.events]
    assert (warning in station._screen().lines) is (authority == "enclosure")
    # Now the Pi's switch opens too, and the controller's closes.
    pins.intact = False
    enclosure.status = status()
    station.check_enclosure()
    assert (warning in station._screen().lines) is (authority == "gpio")
    assert ("seal_opened" in [e.kind for e in log.events]) is (authority == "gpio")
    assert enclosure.lights.polls_open
