"""A polling day at the Polls level, with no screens and no devices, that can be cut short
by the storage at any operation and continued after a restart, as people would continue it.

`World` is the commission's office (built once): the signed package, a provisioned
terminal, the share cards and the precinct key rebuilt from two of them. `People` is what
the people at the polling station know, which survives a power cut: which voters were told
their ballot is cast, who was being served when the power went. `Terminal` is one run of the
terminal's code over one storage: start-up as terminal/__main__.py and Station.start do it,
then the transitions of the day.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from host_tools import commission
from host_tools.commission import ElectionSpec, PrecinctSpec, TerminalRegistration
from sim import synthetic
from terminal.app.identity import (
    ENCRYPTION_PUBLIC_FILE,
    Identity,
    load_encryption_public,
    load_identity,
    provision,
)
from terminal.app.polls import Polls, PollsState, Recovery
from terminal.app.software import software_hash
from terminal.ballot.election import Election, Identification, Mode, Role
from terminal.ballot.package import Package, load_package
from terminal.hal.interfaces import PrinterStatus
from terminal.hal.storage import Storage
from terminal.idscan.ballot_codes import CodeProblem, new_code
from terminal.idscan.eligibility import Decision
from terminal.idscan.register import Register
from terminal.idscan.scans import classify
from terminal.tally.ballot_box import BallotBox
from terminal.tally.event_log import EventLog
from terminal.tally.sealing import record_format
from terminal.trust.sealed_store import DeviceSealer
from terminal.trust.shares import ShareCollector
from tests.ballot_reader import read_selections

TERMINAL_ID = "T-7001-01"
PRECINCT = "7001"
Selections = dict[str, tuple[str, ...]]
NEXT_STATE = {
    PollsState.BLANK: PollsState.READY,
    PollsState.READY: PollsState.OPEN,
    PollsState.OPEN: PollsState.CLOSED,
    PollsState.CLOSED: PollsState.COUNTED,
    PollsState.COUNTED: PollsState.COUNTED,
}


@dataclass(frozen=True)
class World:
    """The commission's office and one provisioned terminal, built once per test session."""

    root: Path
    identity: Identity
    package_dir: Path
    package: Package
    register: Register
    share_cards: tuple[str, ...]
    private_key: bytes
    unknown_number: str
    role: Role = Role.COMBINED
    code_key: bytes = b""  # the precinct's ballot-code key, to make the booth's coupons
    chair_card: str = ""  # the chair card's QR payload
    chair_pin: str = ""

    @property
    def election(self) -> Election:
        return self.package.election


def build_world(
    root: Path, voters: int, seed: int = 1, role: Role = Role.COMBINED, mode: Mode = Mode.OFFICIAL
) -> World:
    """Provision a terminal, then make and sign an election for it with the host tools.

    `role` is the terminal's: combined (it identifies the voters itself), or a voting booth
    whose voters bring coupons from a desk (their codes are made here with the precinct's
    code key, as the desk would)."""
    rng = random.Random(seed)
    office = root / "office"
    office.mkdir(parents=True)
    key = commission.create_commission_key(office / "commission.key.pem")
    terminal_data = root / "terminal"
    # The board's device key, which the card's secrets are sealed under (never on the card).
    device = DeviceSealer(os.urandom(32))
    provision(terminal_data, TERMINAL_ID, key.public.pem(), device)
    identity = load_identity(terminal_data, device)
    day = dt.date(2025, 11, 30)
    register = synthetic.make_register(PRECINCT, voters, day, rng)
    spec = ElectionSpec(
        id="KG-20251130-REL",
        names=synthetic.ELECTION_NAMES,
        date=day,
        timezone="+06:00",
        polls_open=dt.time(8),
        polls_close=dt.time(20),
        mode=mode,
        country="KG",
        contests=(synthetic.president_contest(),),
        # The poll worker scans the bare PIN here, as the election allows.
        identification=Identification(accept_bare_number=True),
        ballot_format=2,
    )
    encryption = load_encryption_public(
        (terminal_data / ENCRYPTION_PUBLIC_FILE).read_bytes(), ENCRYPTION_PUBLIC_FILE
    )
    registration = TerminalRegistration(
        TERMINAL_ID, PRECINCT, role, identity.key.public, encryption
    )
    created = commission.build_election(
        spec,
        [PrecinctSpec(PRECINCT, synthetic.PRECINCT_NAMES, register)],
        threshold=2,
        share_count=3,
        terminals=[registration],
    )
    commission.write_commission_outputs(office, created, key)
    package_dir = office / commission.PACKAGE_DIR
    package = load_package(package_dir, key.public)
    precinct = package.election.precinct(PRECINCT)
    assert precinct is not None
    cards = tuple(card.payload() for card in created.secrets[PRECINCT].share_cards)
    collector = ShareCollector(package.election.id, PRECINCT, precinct.sealing_key)
    assert collector.add(cards[2]) is None
    private_key = collector.add(cards[0])
    assert isinstance(private_key, bytes)
    return World(
        root,
        identity,
        package_dir,
        package,
        register,
        cards,
        private_key,
        synthetic.unknown_pin(register, rng),
        role,
        package.keys(TERMINAL_ID, identity.decryption).code_key,
        created.secrets[PRECINCT].chair_card.payload(),
        created.secrets[PRECINCT].chair_pin,
    )


class PaperPrinter:
    """The Printer interface in memory: what was printed, cut and abandoned; never a problem."""

    width = 384

    def __init__(self) -> None:
        self.images: list[Image.Image] = []
        self.cuts = 0
        self.abandons = 0

    def status(self) -> PrinterStatus:
        return PrinterStatus.OK

    def print_image(self, image: Image.Image) -> None:
        self.images.append(image)

    def cut(self) -> None:
        self.cuts += 1

    def abandon(self) -> None:
        self.abandons += 1


def render(kind: str, data: dict[str, object]) -> Image.Image:
    return Image.new("1", (1, 1), 1)


class StepClock:
    """A wall clock that moves one second per reading, from 07:00 local on election day."""

    source = "manual"

    def __init__(self) -> None:
        self.time = dt.datetime(2025, 11, 30, 1, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        self.time += dt.timedelta(seconds=1)
        return self.time


@dataclass(frozen=True)
class Attempt:
    """One person at the desk: a voter of the register who votes (perhaps having the poll
    worker cancel a first ballot), a person not on the register, or a voter back again."""

    kind: str  # "vote", "unknown", "again"
    voter: int = -1
    cancel_first: bool = False


def plan(voters: int, seed: int) -> tuple[list[Attempt], dict[int, Selections]]:
    """The day's attempts and each voter's choice: every voter votes; voter 1 has a ballot
    cancelled first; one unknown person and one voter coming back are refused; the last
    voter challenges their first encrypted ballot (CHALLENGER) and casts the same again."""
    rng = random.Random(seed)
    attempts = [Attempt("vote", i, cancel_first=i == 1) for i in range(voters)]
    attempts.insert(1, Attempt("unknown"))
    attempts.insert(min(3, len(attempts)), Attempt("again", 0))
    choices = [c.id for c in synthetic.president_contest().choices]
    return attempts, {i: {"president": (rng.choice(choices),)} for i in range(voters)}


@dataclass
class People:
    """What the people at the station know: it survives a power cut, the terminal's RAM not."""

    attempts: list[Attempt]
    selections: dict[int, Selections]
    next: int = 0
    acknowledged: dict[int, Selections] = field(default_factory=dict)
    # Voters whose ballot went into the box though the terminal never said so (the power went
    # in between): found at the restart, they count, and the voter is not served again.
    recovered: dict[int, Selections] = field(default_factory=dict)
    current: int | None = None  # the voter whose ballot was being issued or cast
    cancelled: set[int] = field(default_factory=set)
    exported: bool = False
    coupons: dict[int, str] = field(default_factory=dict)  # at a booth: each voter's coupon
    challenged: set[int] = field(default_factory=set)  # voters who challenged (Benaloh)

    def copy(self) -> People:
        return copy.deepcopy(self)

    @property
    def cast(self) -> dict[int, Selections]:
        return {**self.acknowledged, **self.recovered}

    def tally(self) -> Counter[tuple[str, str]]:
        return Counter(
            (contest, choice)
            for chosen in self.cast.values()
            for contest, choices in chosen.items()
            for choice in choices
        )


class Stop(Exception):
    """The day cannot go on as planned: the terminal did something people would not accept."""


class Terminal:
    """One run of the terminal's code on one storage: start-up, then the rest of the day."""

    def __init__(self, world: World, storage: Storage, data: Path, export: Path) -> None:
        self.world = world
        self.storage = storage
        self.data = data
        self.export_dir = export
        self.printer = PaperPrinter()
        self.clock = StepClock()
        self.polls: Polls | None = None
        self.recovery = Recovery.NOTHING
        self.installed = False  # start-up found a blank log and installed the package
        self.casting = False  # inside Polls.cast

    @property
    def state(self) -> PollsState | None:
        return self.polls.state if self.polls is not None else None

    def start(self) -> None:
        """What terminal/__main__.py and Station.start do at power-on."""
        log = EventLog.open(self.storage, self.clock)
        log.append("terminal_started", software=software_hash())
        polls = Polls(
            self.world.identity,
            self.data,
            self.storage,
            log,
            self.printer,
            render,
            board_role=self.world.role,
        )
        self.polls = polls
        if polls.state is PollsState.BLANK:
            self.installed = True
            if polls.install(self.world.package_dir) is not None:
                raise Stop("printer problem at install")
        else:
            polls.load()
            self.recovery = polls.recover()
            if polls.reprint_pending() is not None:
                raise Stop("printer problem at reprint")

    def proceed(self, people: People) -> None:
        """Go on with the day from whatever state the terminal is in, to the export."""
        polls = self.polls
        assert polls is not None
        while True:
            state = polls.state
            if state is PollsState.BLANK:
                raise Stop("the terminal is blank after start-up")
            if state is PollsState.READY:
                assert polls.box is not None
                if polls.box.count:
                    raise Stop("ballots in the box before opening")
                if polls.open_polls() is not None:
                    raise Stop("printer problem at opening")
            elif state is PollsState.OPEN:
                while people.next < len(people.attempts):
                    self.attend(people, people.attempts[people.next])
                    people.next += 1
                polls.close_polls()
            elif state is PollsState.CLOSED:
                if polls.count_and_sign(polls.count_box(self.world.private_key)) is not None:
                    raise Stop("printer problem at counting")
            else:
                if not polls.count_events("bundle_exported"):
                    polls.export(self.export_dir)
                people.exported = True
                return

    def identify(self, number: str) -> tuple[Decision, int | None]:
        """The poll worker scans a voter's document (here: the bare PIN)."""
        assert self.polls is not None
        document = classify(number, today=self.world.election.date)
        outcome = self.polls.identify(document)
        return outcome.decision, outcome.position

    def attend(self, people: People, attempt: Attempt) -> None:
        if self.world.role is Role.VOTE:
            self.attend_booth(people, attempt)
            return
        polls = self.polls
        assert polls is not None
        if attempt.kind == "unknown":
            decision, _ = self.identify(self.world.unknown_number)
            if decision is not Decision.NOT_ON_REGISTER:
                raise Stop(f"an unknown person was {decision}")
            return
        number = self.world.register.voters[attempt.voter].number
        if attempt.kind == "again":
            decision, _ = self.identify(number)
            if decision is Decision.REISSUE_POSSIBLE:
                polls.refuse_reissue()  # the poll worker knows this voter's ballot was cast
            elif decision is not Decision.ALREADY_VOTED:
                raise Stop(f"voter {attempt.voter} came back and was {decision}")
            return
        voter = attempt.voter
        if voter in people.cast:
            return
        decision, position = self.identify(number)
        if decision is Decision.ELIGIBLE:
            reissue = False
        elif decision is Decision.REISSUE_POSSIBLE and people.current == voter:
            reissue = True
        else:
            raise Stop(f"voter {voter} was {decision} (being served: {people.current})")
        assert position is not None
        people.current = voter
        polls.issue(position, reissue=reissue)
        if attempt.cancel_first and voter not in people.cancelled:
            polls.cancel()
            people.cancelled.add(voter)
            decision, position = self.identify(number)
            if decision is not Decision.REISSUE_POSSIBLE:
                raise Stop(f"voter {voter} was {decision} after a cancelled ballot")
            assert position is not None
            polls.issue(position, reissue=True)
        self.cast(people, voter)

    def cast(self, people: People, voter: int) -> None:
        """The voter chooses and casts the ballot issued to them; they see it is cast."""
        polls = self.polls
        assert polls is not None
        selections = people.selections[voter]
        challenger = voter == len(people.selections) - 1 and voter not in people.challenged
        if challenger:
            # Encrypted, its receipt printed, then challenged: spoiled, never counted; the
            # session stays open and the voter votes again with the same code.
            people.challenged.add(voter)
            spoiled = polls.seal_ballot(selections)
            if polls.print_document("receipt", {"ballot": spoiled}) is not None:
                raise Stop("printer problem at the receipt")
            if polls.challenge(spoiled, "ky") is not None:
                raise Stop("printer problem at the challenge")
        sealed = None
        if polls.election.ballot_format == 2:
            sealed = polls.seal_ballot(selections)
            if polls.print_document("receipt", {"ballot": sealed}) is not None:
                raise Stop("printer problem at the receipt")
        self.casting = True
        record = sealed.record if sealed is not None else None
        if polls.cast(selections, {"selections": selections}, record) is not None:
            raise Stop("printer problem at cast")
        self.casting = False
        people.acknowledged[voter] = selections
        people.current = None

    def coupon(self, people: People, voter: int) -> str:
        """The coupon the desk gave `voter` (once: the voter keeps it through any power cut),
        its code made at the minute the day's clock starts, well within the time limit."""
        if voter not in people.coupons:
            minute = int(StepClock().time.timestamp()) // 60
            code = new_code(self.world.election.id, PRECINCT, TERMINAL_ID, minute)
            people.coupons[voter] = code.payload(self.world.code_key)
        return people.coupons[voter]

    def attend_booth(self, people: People, attempt: Attempt) -> None:
        """At a voting booth: a forged coupon, a coupon used before, or a voter who votes
        with their coupon (again after a cut or a cancelled ballot, with the same one)."""
        polls = self.polls
        assert polls is not None
        if attempt.kind == "unknown":
            forged = new_code(self.world.election.id, PRECINCT, TERMINAL_ID, 0).payload(bytes(32))
            if polls.accept_code(forged) is not CodeProblem.FORGED:
                raise Stop("a forged coupon was not refused as forged")
            return
        if attempt.kind == "again":
            if polls.accept_code(self.coupon(people, attempt.voter)) is not CodeProblem.USED:
                raise Stop(f"voter {attempt.voter}'s used coupon was not refused")
            return
        voter = attempt.voter
        if voter in people.cast:
            return
        problem = polls.accept_code(self.coupon(people, voter))
        if problem is not None:
            raise Stop(f"voter {voter}'s coupon was refused: {problem}")
        people.current = voter
        if attempt.cancel_first and voter not in people.cancelled:
            polls.cancel()
            people.cancelled.add(voter)
            problem = polls.accept_code(self.coupon(people, voter))
            if problem is not None:
                raise Stop(f"voter {voter}'s coupon was refused after a cancel: {problem}")
        self.cast(people, voter)

    # --- what the box holds ------------------------------------------------------------------

    def box_contents(self) -> Counter[tuple[str, str]]:
        """Decrypt every filled slot (the test holds the precinct key) and count the votes."""
        polls = self.polls
        assert polls is not None and polls.box is not None
        signer = self.world.identity.key.public
        found: Counter[tuple[str, str]] = Counter()
        for record in polls.box.records():
            selections = read_selections(
                record, signer, self.world.private_key, self.world.package.election
            )
            for contest, choices in selections.items():
                for choice in choices:
                    found[(contest, choice)] += 1
        return found

    def reopened_box(self) -> BallotBox:
        shape = record_format(self.world.package.election)
        return BallotBox.open(self.storage, self.world.identity.key.public, shape)
