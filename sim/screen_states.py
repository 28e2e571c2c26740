"""Every screen of the station in a known state, drawn without a store or a device.

The Station is real and its screen builders are real; its Polls is a stand-in holding only
what the screens read (the election, the precinct, counts). The golden images, the
accessibility checks and the render bench walk this catalogue: every view, each contest
kind and a later page of a long contest, in every voter language, display mode and panel.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sim import synthetic
from terminal.app import station as station_module
from terminal.app.ballot_session import VOTER_VIEWS, Session
from terminal.app.i18n import VOTER_LANGUAGES, every_language
from terminal.app.polls import Recovery
from terminal.app.screens import Fonts, Layout, layout
from terminal.app.view import View
from terminal.ballot.election import (
    Choice,
    Contest,
    ContestKind,
    Election,
    Logo,
    Mode,
    Party,
    Precinct,
    Role,
)
from terminal.ballot.logo import check_logo
from terminal.ballot.package import sha256_hex
from terminal.hal.interfaces import PrinterStatus
from terminal.idscan.ballot_codes import CodeProblem
from terminal.tally.spoiled import Spoiled
from terminal.trust import chair

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Panel:
    """A board config's display: its pixels and its active area in mm."""

    name: str
    width: int
    height: int
    width_mm: float

    @property
    def px_per_mm(self) -> float:
        return self.width / self.width_mm


def board_panels() -> tuple[Panel, ...]:
    """One panel of each distinct size among the board configs (board_configs/*.toml)."""
    from terminal.hal.board_config import load_board

    seen: dict[tuple[int, int, float], Panel] = {}
    for path in sorted((REPO / "board_configs").glob("*.toml")):
        d = load_board(path).display
        key = (d.width, d.height, d.width_mm)
        seen.setdefault(key, Panel(f"{d.width}x{d.height}", d.width, d.height, d.width_mm))
    return tuple(seen.values())


MODES = {
    "normal": (False, False),
    "large": (True, False),
    "contrast": (False, True),
}


def _names(text: str) -> dict[str, str]:
    return {"ky": text, "ru": text, "kk": text, "en": synthetic.latin(text.upper()).title()}


LOGOS = REPO / "examples" / "logos"
# The example definition's invented emblems, for the first parties of the party list
# (a logo is optional: the others have none).
LOGO_FILES = ("ala-too.png", "birdik.png", "kelechek.png")


def catalogue_logos() -> dict[str, bytes]:
    """The catalogue's logo files by SHA-256."""
    return {sha256_hex(data): data for data in ((LOGOS / f).read_bytes() for f in LOGO_FILES)}


@cache
def catalogue_logo_images() -> dict[str, Any]:
    """The catalogue's logos decoded as a terminal decodes them, once for every screen."""
    return {sha: check_logo(data, sha) for sha, data in catalogue_logos().items()}


def catalogue_election() -> Election:
    """An election with one contest of each kind, one of them with 30 choices, and party
    logos on the party list."""
    logos = [Logo.named(sha) for sha in catalogue_logos()]
    parties = [
        Party(
            {"ru": f"Партия «{name}»", "kk": f"«{name}» партиясы", "en": f"{name} party"},
            number,
            logos[number - 1] if number <= len(logos) else None,
        )
        for number, name in enumerate(
            ("Ала-Тоо", "Бирдик", "Келечек", "Жасыл жол", "Көк-Жар", "Таң шолпан"), 1
        )
    ]
    rng = random.Random(14)
    people = [f"{s} {n}" for s in synthetic.SURNAMES for n in synthetic.MALE_NAMES[:3]]
    rng.shuffle(people)
    contests = (
        synthetic.president_contest(),
        Contest(
            "mazhilis",
            {"ru": "Мажилис Парламента", "kk": "Парламент Мәжілісі", "en": "Mazhilis"},
            tuple(Choice(f"party-{p.number}", p.names, party=p) for p in parties),
            kind=ContestKind.PARTY_LIST,
        ),
        Contest(
            "maslikhat",
            {"ru": "Маслихат: до 3 депутатов", "kk": "Мәслихат", "en": "Maslikhat, up to 3"},
            tuple(
                Choice(f"cand-{i}", _names(name), ballot_number=i)
                for i, name in enumerate(people[:30], 1)
            ),
            max_selections=3,
            kind=ContestKind.UP_TO_K,
            blank_allowed=True,
        ),
        Contest(
            "referendum",
            {
                "ru": "Согласны ли вы со строительством АЭС?",
                "kk": "АЭС салуға келісесіз бе?",
                "en": "Do you agree to building a nuclear power plant?",
            },
            (
                Choice("yes", {"ru": "Да", "kk": "Иә", "ky": "Ооба", "en": "Yes"}),
                Choice("no", {"ru": "Нет", "kk": "Жоқ", "ky": "Жок", "en": "No"}),
            ),
            kind=ContestKind.REFERENDUM,
            blank_allowed=True,
        ),
    )
    precinct = Precinct(
        "1234",
        {"ru": "Участок 1234"},
        bytes(32),
        "register-1234.bin",
        "0" * 64,
        3000,
        3000,
        "1234",
    )
    return Election(
        "KZ-20261130-MULTI",
        {"ru": "Выборы 30 ноября 2026 года", "kk": "2026 жылғы 30 қарашадағы сайлау"},
        dt.date(2026, 11, 30),
        "+05:00",
        dt.time(7),
        dt.time(20),
        Mode.OFFICIAL,
        "KZ",
        contests,
        (precinct,),
    )


@dataclass
class _Clock:
    source: str = "manual"
    moment: dt.datetime = dt.datetime(2026, 11, 30, 9, 5, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.moment


@dataclass
class _Log:
    clock: _Clock = field(default_factory=_Clock)

    def of_kind(self, *kinds: str) -> list[Any]:
        return []

    def append(self, kind: str, **data: Any) -> None:
        pass


class ScreenPolls:
    """A stand-in for Polls with just what the screen builders read."""

    def __init__(self, election: Election, role: Role = Role.COMBINED) -> None:
        self.election = election
        self.precinct = election.precincts[0]
        self.package = object()  # a package is installed
        self.logo_images = catalogue_logo_images()
        self.box = SimpleNamespace(count=1187)
        self.role = role
        self.storage = SimpleNamespace(warning=lambda: None)
        self.log = _Log()

    def count_events(self, kind: str, **match: object) -> int:
        return 1187


@dataclass(frozen=True)
class State:
    """One screen in one state: a name for its file, and how to put the station there."""

    name: str
    view: View
    role: Role = Role.COMBINED
    contest: int = 0
    page: int = 0
    marks: int = 1  # how many choices of each contest are marked
    setup: Callable[[station_module.Station], None] | None = None


def _lines(*messages: str) -> Callable[[station_module.Station], None]:
    def set_lines(s: station_module.Station) -> None:
        s.lines = tuple(s._w(m) for m in messages)

    return set_lines


def _listening(s: station_module.Station) -> None:
    """The voter turned the audio ballot on: the language screen offers "screen off"."""
    if s.session is not None:
        s.session.audio = True


def _recovered(s: station_module.Station) -> None:
    s.recovery = Recovery.BALLOT_VOID


def _sealed(s: station_module.Station) -> None:
    """A receipt's tracking code: a fixed one (any bytes hash to a code of the same shape)."""
    assert s.session is not None
    s.session.sealed = Spoiled(bytes(200), {}, ())


def _pin(s: station_module.Station) -> None:
    s.pin = "1" * (chair.PIN_DIGITS - 2)


STATES = (
    State("ready", View.READY),
    State("chair_pin", View.CHAIR_PIN, setup=_pin),
    State("idle", View.IDLE),
    State("idle-booth", View.IDLE, role=Role.VOTE),
    State("voter_found", View.VOTER_FOUND),
    State("reissue_offer", View.REISSUE_OFFER),
    State("refused", View.REFUSED, setup=_lines("This voter has already received a ballot.")),
    State(
        "refused-booth",
        View.REFUSED,
        role=Role.VOTE,
        setup=lambda s: setattr(
            s, "lines", every_language(station_module.CODE_TEXT[CodeProblem.USED])
        ),
    ),
    State(
        "other_terminal",
        View.OTHER_TERMINAL,
        setup=lambda s: setattr(
            s,
            "lines",
            (
                s._w(
                    "This voter is on the register of terminal {number} ({terminal}): "
                    "send them there. They cannot be given a ballot here."
                ).format(number=2, terminal="T-1234-02"),
                "ASANOVA AIGUL NURLANOVNA",
            ),
        ),
    ),
    State(
        "wrong_booth",
        View.WRONG_BOOTH,
        role=Role.VOTE,
        setup=lambda s: setattr(
            s,
            "lines",
            tuple(
                line.format(number=2, booth="T-1234-03")
                for line in every_language(station_module.CODE_TEXT[CodeProblem.OTHER_BOOTH])
            ),
        ),
    ),
    State("language", View.LANGUAGE),
    State("language_audio", View.LANGUAGE, setup=_listening),
    State("ballot-one-of", View.BALLOT, contest=0),
    State("ballot-party-list", View.BALLOT, contest=1),
    State("ballot-up-to-k", View.BALLOT, contest=2, marks=3),
    State("ballot-up-to-k-last-page", View.BALLOT, contest=2, page=99),
    State("ballot-referendum", View.BALLOT, contest=3, marks=0),
    State("review", View.REVIEW),
    State("review-blank", View.REVIEW, marks=0),
    State("idle_warning", View.IDLE_WARNING),
    State("receipt", View.RECEIPT, setup=_sealed),
    State("challenged", View.CHALLENGED),
    State("cast", View.CAST),
    State("timed_out", View.TIMED_OUT),
    State("coupon", View.COUPON, role=Role.IDENTIFY),
    State(
        "printer_problem",
        View.PRINTER_PROBLEM,
        setup=_lines(station_module.PRINTER_TEXT[PrinterStatus.PAPER_OUT]),
    ),
    State("close_confirm", View.CLOSE_CONFIRM),
    State("shares", View.SHARES, setup=_lines("Card accepted.")),
    State("counted", View.COUNTED),
    State("recovered", View.RECOVERED),
)


def station_in(
    state: State, election: Election, language: str, mode: str, panel: Panel
) -> station_module.Station:
    """A real Station showing `state`: the poll worker's and the voter's language `language`."""
    polls = ScreenPolls(election, state.role)
    display = SimpleNamespace(width=panel.width, height=panel.height, show=lambda frame: None)
    s = station_module.Station(
        polls,  # type: ignore[arg-type]
        display,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]  # touch and scanner: not read when drawing
        None,  # type: ignore[arg-type]
        Fonts(),
        language,
        Path("bundle"),
        px_per_mm=panel.px_per_mm,
    )
    register = synthetic.make_register("1234", 1, election.date, random.Random(1))
    large, contrast = MODES[mode]
    session = Session(0, register.voters[0], reissue=state.view is View.REISSUE_OFFER)
    session.language, session.large_text, session.high_contrast = language, large, contrast
    session.contest, session.page = state.contest, state.page
    for c in election.contests:
        wanted = [ch.id for ch in c.choices if not ch.against_all][
            : min(state.marks, c.max_selections)
        ]
        session.selections[c.id] = tuple(wanted)
    if state.view is View.IDLE_WARNING:
        session.warned_view = View.BALLOT
    s.session = session
    s.view = state.view
    if state.setup is not None:
        state.setup(s)
    if state.view is View.RECOVERED:
        _recovered(s)
    return s


@dataclass(frozen=True)
class Shot:
    """One screen of the matrix: a state on a panel, in a display mode and a language."""

    state: State
    panel: Panel
    mode: str
    language: str

    @property
    def name(self) -> str:
        return f"{self.state.name}-{self.panel.name}-{self.mode}-{self.language}"

    def station(self, election: Election | None = None) -> station_module.Station:
        return station_in(
            self.state, election or catalogue_election(), self.language, self.mode, self.panel
        )

    def layout(self, election: Election | None = None) -> Layout:
        s = self.station(election)
        return layout(s._screen(), self.panel.width, self.panel.height, s.fonts, s.style())


def shots(
    languages: tuple[str, ...] = VOTER_LANGUAGES,
    modes: tuple[str, ...] = tuple(MODES),
    panels: tuple[Panel, ...] | None = None,
    states: tuple[State, ...] = STATES,
) -> Iterator[Shot]:
    """Every combination; the display modes only for the voter's screens (they are the
    voter's: other screens ignore them)."""
    for panel in panels or board_panels():
        for mode in modes:
            for language in languages:
                for state in states:
                    if mode == "normal" or state.view in VOTER_VIEWS:
                        yield Shot(state, panel, mode, language)


def plans(**options: Any) -> Iterator[tuple[str, Layout, station_module.Station]]:
    """(name, layout, station) of every shot (see `shots` for the options)."""
    election = catalogue_election()
    for shot in shots(**options):
        s = shot.station(election)
        plan = layout(s._screen(), shot.panel.width, shot.panel.height, s.fonts, s.style())
        yield shot.name, plan, s
