"""Rendering: every screen of the station at 800x480 and 480x320, and every printout at
384 dots.

Screens are drawn the way Station.show draws them: Station._screen() builds the Screen
from the station's state and terminal.app.screens.render lays it out and draws it. The
states are sim/screen_states.py's (every view, each contest kind, a later page of the
30-choice contest), on a real Station whose Polls is a stand-in holding what the screens
read. Each screen is drawn in the four voter languages, normal and large text; the figure
is the slowest case's median CPU time (the wall time is printed next to it; drawing is
CPU-bound, and CPU time does not grow when other processes share the machine).

Printouts go through Station.render_printout, as Polls calls it when it prints, on the
simulated board's 58 mm paper (384 dots).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench import Context, Figure, Spread, fmt, info, section, timed
from bench.fixtures import Station as Precinct
from bench.fixtures import make_station, random_selections
from sim import screen_states
from sim.screen_states import Panel
from terminal.app import station as station_module
from terminal.app.i18n import VOTER_LANGUAGES
from terminal.app.screens import Fonts, render
from terminal.app.software import software_hash
from terminal.ballot.election import Election, Role
from terminal.ballot.election import Precinct as PrecinctEntry
from terminal.idscan.ballot_codes import new_code
from terminal.tally.event_log import Checkpoint, origin
from terminal.tally.protocol import LINES, ContestResult, Protocol

WIDTH, HEIGHT = 800, 480
SCREEN_PANELS = ("800x480", "480x320")
PAPER_DOTS = 384
SCREEN_TARGET_MS = 50.0
PRINTOUT_TARGET_MS = 200.0
# The printouts Station.render_printout knows, with the data Polls passes for each.
PRINTOUTS: dict[str, dict[str, object]] = {
    "setup-report": {},
    "zero-report": {},
    "slip": {},  # filled per language below
    "protocol": {},
    "void-notice": {"printout": "slip"},
    "coupon": {},  # a ballot code, filled below
}


@dataclass
class _Clock:
    source: str = "manual"
    moment: dt.datetime = dt.datetime(2025, 11, 30, 14, 5, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.moment


@dataclass
class _Log:
    """What screens and printouts read of the event log."""

    package_sha256: str
    clock: _Clock = field(default_factory=_Clock)

    def of_kind(self, *kinds: str) -> list[Any]:
        if "package_loaded" in kinds:
            return [
                SimpleNamespace(kind="package_loaded", data={"package_sha256": self.package_sha256})
            ]
        return []

    def append(self, kind: str, **data: Any) -> None:
        pass


@dataclass
class _Box:
    count: int = 0
    damaged: set[int] = field(default_factory=set)


class _Polls:
    """A stand-in for Polls with just what Station._screen and render_printout read."""

    def __init__(self, precinct: Precinct, protocol: tuple[bytes, bytes]) -> None:
        self._precinct = precinct
        self.package = object()  # not None: a package is installed
        self.box = _Box()
        self.role = Role.COMBINED
        self.identity = SimpleNamespace(terminal_id=precinct.terminal, key=precinct.signer)
        self.printer = SimpleNamespace(width=PAPER_DOTS)
        self.storage = SimpleNamespace(warning=lambda: None)  # no mirror-card problem
        self.log = _Log(hashlib.sha256(precinct.election.to_json()).hexdigest())
        self._protocol = protocol

    @property
    def election(self) -> Election:
        return self._precinct.election

    @property
    def precinct(self) -> PrecinctEntry:
        entry = self.election.precinct(self._precinct.code)
        assert entry is not None
        return entry

    def count_events(self, kind: str, **match: object) -> int:
        return 1187  # a count in the middle of the day, four digits like the real ones

    def checkpoint_bytes(self, reason: str) -> bytes:
        log_origin = origin(self.election.id, self.precinct.code, self._precinct.terminal)
        return Checkpoint(
            log_origin, 9, hashlib.sha256(reason.encode()).hexdigest(), reason
        ).to_bytes()

    def protocol(self) -> tuple[bytes, bytes]:
        return self._protocol

    def exported(self) -> bool:
        return True


def _signed_protocol(precinct: Precinct) -> tuple[bytes, bytes]:
    """The protocol a 3,000-voter day ends with, signed by the terminal."""
    election = precinct.election
    rng = random.Random(4)
    cast = 2874
    contests = {}
    for contest in election.contests:
        votes = {choice.id: 0 for choice in contest.choices}
        for _ in range(cast - 31):
            votes[rng.choice(contest.choices).id] += 1
        contests[contest.id] = ContestResult(votes, 31)
    lines = dict.fromkeys(LINES, 0)
    lines.update(
        voters_on_register=3000,
        voters_received_ballot=2881,
        ballots_issued=2883,
        ballots_void=9,
        ballots_cast=cast,
    )
    body = Protocol(
        election=election.id,
        precinct=precinct.code,
        terminal=precinct.terminal,
        mode=election.mode.value,
        software=software_hash(),
        lines=lines,
        contests=contests,
        ballots_commitment=hashlib.sha256(b"commitment").hexdigest(),
        log_size=6172,
        log_head=hashlib.sha256(b"head").hexdigest(),
    ).to_json()
    return body, precinct.signer.sign(body)


def _station(precinct: Precinct, polls: _Polls, language: str) -> station_module.Station:
    display = SimpleNamespace(width=WIDTH, height=HEIGHT, show=lambda frame: None)
    return station_module.Station(
        polls,  # type: ignore[arg-type]
        display,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # touch and scanner: not read when drawing
        None,  # type: ignore[arg-type]
        Fonts(),
        language,
        Path("bundle"),
    )


def run(ctx: Context) -> None:
    section("Rendering screens (800x480, 480x320) and printouts (384 dots)")
    precinct = make_station()
    polls = _Polls(precinct, _signed_protocol(precinct))
    _screens(ctx)
    _printouts(ctx, precinct, polls)


def _screens(ctx: Context) -> None:
    """Every state of sim/screen_states.py on the 800x480 and 480x320 panels, in the normal
    and the large-text mode: layout and drawing, as Station.show does them."""
    count = 8 if ctx.quick else 25
    fonts = Fonts()
    election = screen_states.catalogue_election()
    panels = tuple(p for p in screen_states.board_panels() if p.name in SCREEN_PANELS)
    cold = True
    for panel in panels:
        for state in screen_states.STATES:
            worst: Spread | None = None
            worst_wall = Spread(0, 0, 0)
            worst_case = ""
            for shot in screen_states.shots(
                modes=("normal", "large"), panels=(panel,), states=(state,)
            ):
                station = shot.station(election)

                def draw(s: station_module.Station = station, p: Panel = panel) -> object:
                    return render(s._screen(), p.width, p.height, fonts, s.style())

                if cold:
                    t0 = time.perf_counter()
                    draw()
                    info(
                        "first screen in the process (loads fonts, ms)",
                        fmt((time.perf_counter() - t0) * 1e3),
                    )
                    cold = False
                draw()  # warm-up of this screen's text and glyphs
                cpu, wall = timed(draw, count)
                spread = Spread.of(cpu).scaled(1e-6)
                if worst is None or spread.p50 > worst.p50:
                    worst, worst_case = spread, f"{shot.mode} {shot.language}"
                    worst_wall = Spread.of(wall).scaled(1e-6)
            assert worst is not None
            name = f"render_screen_{state.name.replace('-', '_')}_{panel.name}_ms"
            info(
                f"screen {state.name} at {panel.name} (CPU ms, slowest: {worst_case})",
                f"{worst}; wall p50 {fmt(worst_wall.p50)}",
            )
            ctx.results.add(Figure(name, worst.p50, "ms", SCREEN_TARGET_MS, "lower"))


def _coupon_code(precinct: Precinct) -> str:
    """A real ballot code (for booth 1), for a QR code of the real size."""
    return new_code(precinct.election.id, precinct.code, "T-B1", 29_000_000).payload(bytes(32))


def _printouts(ctx: Context, precinct: Precinct, polls: _Polls) -> None:
    count = 3 if ctx.quick else 10
    polls.box.count = 0  # the zero report refuses a box that is not empty
    cold = True
    for kind, data in PRINTOUTS.items():
        worst: Spread | None = None
        worst_wall = Spread(0, 0, 0)
        worst_language = ""
        try:
            for language in VOTER_LANGUAGES:
                station = _station(precinct, polls, language)
                args = dict(data)
                if kind == "slip":
                    args = {
                        "language": language,
                        "selections": random_selections(precinct.election, random.Random(9)),
                    }
                elif kind == "coupon":
                    args = {"code": _coupon_code(precinct), "booth": "T-B1", "number": 1}

                def draw(
                    s: station_module.Station = station,
                    k: str = kind,
                    a: dict[str, object] = args,
                ) -> object:
                    return s.render_printout(k, a)

                if cold:
                    t0 = time.perf_counter()
                    draw()
                    info(
                        "first printout in the process (ms)", fmt((time.perf_counter() - t0) * 1e3)
                    )
                    cold = False
                draw()
                cpu, wall = timed(draw, count)
                spread = Spread.of(cpu).scaled(1e-6)
                if worst is None or spread.p50 > worst.p50:
                    worst, worst_language = spread, language
                    worst_wall = Spread.of(wall).scaled(1e-6)
        except Exception as exc:
            ctx.results.unavailable(
                f"render_printout_{kind}_ms",
                "ms",
                PRINTOUT_TARGET_MS,
                "lower",
                f"{type(exc).__name__}: {exc}",
            )
            continue
        assert worst is not None
        info(
            f"printout {kind} (CPU ms, slowest: {worst_language})",
            f"{worst}; wall p50 {fmt(worst_wall.p50)}",
        )
        ctx.results.add(
            Figure(f"render_printout_{kind}_ms", worst.p50, "ms", PRINTOUT_TARGET_MS, "lower")
        )
