"""One voter, one ballot across the whole polling station, with no network between terminals.

The attacks, tried on the terminals' own code (Polls, no screens): a coupon used at one
booth presented again at another; a voter who voted at one combined terminal identified at
a second one; a voter whose coupon was used presenting it again while another voter's
ballot is void. Each obtained a second ballot before the booth was bound into the code,
the register split between terminals and the void credit bound to its code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from host_tools import commission
from host_tools.commission import ElectionSpec, PrecinctSpec, TerminalRegistration
from sim import synthetic
from terminal.app.identity import ENCRYPTION_PUBLIC_FILE, load_encryption_public, load_identity
from terminal.app.identity import provision as provision_terminal
from terminal.app.polls import Polls
from terminal.app.software import software_hash
from terminal.ballot.election import Mode, Role
from terminal.hal.storage import DataDir
from terminal.idscan.eligibility import Decision
from terminal.idscan.register import Register
from terminal.idscan.scans import classify
from terminal.tally.event_log import EventLog
from terminal.trust.sealed_store import DeviceSealer
from tests.reliability.polling import PaperPrinter, StepClock

PRECINCT = "7002"
DAY = dt.date(2025, 11, 30)
CHOICE = {"president": ("cand-1",)}


@dataclass
class Station:
    """Terminals of one precinct, each with its own storage, all open."""

    terminals: dict[str, Polls]
    register: Register
    coupons: list[str]  # every code a desk has printed, in order


def _station(root: Path, roles: dict[str, Role], voters: int = 6) -> Station:
    office = root / "office"
    office.mkdir(parents=True)
    key = commission.create_commission_key(office / "commission.key.pem")
    registrations = []
    devices = {t: DeviceSealer(os.urandom(32)) for t in roles}  # each board's device key
    for terminal, role in roles.items():
        data = root / terminal
        provision_terminal(data, terminal, key.public.pem(), devices[terminal])
        identity = load_identity(data, devices[terminal])
        encryption = load_encryption_public(
            (data / ENCRYPTION_PUBLIC_FILE).read_bytes(), ENCRYPTION_PUBLIC_FILE
        )
        registrations.append(
            TerminalRegistration(terminal, PRECINCT, role, identity.key.public, encryption)
        )
    register = synthetic.make_register(PRECINCT, voters, DAY, random.Random(3))
    spec = ElectionSpec(
        id="KG-20251130-ONE",
        names=synthetic.ELECTION_NAMES,
        date=DAY,
        timezone="+06:00",
        polls_open=dt.time(8),
        polls_close=dt.time(20),
        mode=Mode.OFFICIAL,
        country="KG",
        contests=(synthetic.president_contest(),),
    )
    created = commission.build_election(
        spec,
        [PrecinctSpec(PRECINCT, synthetic.PRECINCT_NAMES, register)],
        threshold=2,
        share_count=3,
        terminals=registrations,
    )
    commission.write_commission_outputs(office, created, key)
    coupons: list[str] = []

    def render(kind: str, data: dict[str, object]) -> Image.Image:
        if kind == "coupon":
            assert isinstance(data["code"], str)
            if data["code"] not in coupons:
                coupons.append(data["code"])
        return Image.new("1", (1, 1), 1)

    terminals = {}
    for terminal, role in roles.items():
        data = root / terminal
        storage = DataDir(data)
        log = EventLog.open(storage, StepClock())
        log.append("terminal_started", software=software_hash())
        polls = Polls(
            load_identity(data, devices[terminal]),
            data,
            storage,
            log,
            PaperPrinter(),
            render,
            board_role=role,
        )
        assert polls.install(office / commission.PACKAGE_DIR) is None
        assert polls.open_polls() is None
        terminals[terminal] = polls
    return Station(terminals, register, coupons)


def _document(station: Station, voter: int) -> str:
    """The voter's ID card, as its MRZ reader reads it."""
    person = station.register.voters[voter]
    return synthetic.document_scan(person, "id-card", DAY, random.Random(voter))


def _identify(polls: Polls, station: Station, voter: int) -> tuple[Decision, int | None]:
    outcome = polls.identify(classify(_document(station, voter), today=DAY))
    return outcome.decision, outcome.position


def test_a_coupon_used_at_one_booth_is_refused_at_every_other(tmp_path: Path) -> None:
    roles = {"T-7002-01": Role.IDENTIFY, "T-7002-02": Role.VOTE, "T-7002-03": Role.VOTE}
    station = _station(tmp_path, roles)
    desk = station.terminals["T-7002-01"]
    booths = [station.terminals["T-7002-02"], station.terminals["T-7002-03"]]
    for voter in range(4):
        decision, position = _identify(desk, station, voter)
        assert decision is Decision.ELIGIBLE and position is not None
        desk.issue(position, reissue=False)
        assert desk.coupon_job()() is None
        coupon = station.coupons[-1]
        accepted = 0
        for booth in booths:  # the voter tries every booth of the station with one coupon
            if booth.accept_code(coupon) is None:
                accepted += 1
                assert booth.cast(CHOICE, {}) is None
        assert accepted == 1, f"voter {voter}'s one coupon opened {accepted} ballots"
    assert sum(b.box.count for b in booths if b.box) == 4


def test_a_voter_who_voted_at_one_combined_terminal_is_refused_at_the_other(
    tmp_path: Path,
) -> None:
    roles = {"T-7002-01": Role.COMBINED, "T-7002-02": Role.COMBINED}
    station = _station(tmp_path, roles)
    terminals = list(station.terminals.values())
    for voter in range(6):
        given = 0
        for polls in terminals:  # the voter goes round every terminal of the station
            decision, position = _identify(polls, station, voter)
            if decision is Decision.ELIGIBLE:
                assert position is not None
                polls.issue(position, reissue=False)
                assert polls.cast(CHOICE, {}) is None
                given += 1
        assert given == 1, f"voter {voter} received {given} ballots"
    assert sum(p.box.count for p in terminals if p.box) == 6


def test_a_void_ballot_lets_only_its_own_code_vote_again(tmp_path: Path) -> None:
    """A ballot proven not cast gives its voter one more try, with the same coupon. Another
    voter, whose coupon was used, gets nothing from that credit."""
    roles = {"T-7002-01": Role.IDENTIFY, "T-7002-02": Role.VOTE}
    station = _station(tmp_path, roles)
    desk, booth = station.terminals["T-7002-01"], station.terminals["T-7002-02"]
    for voter in range(2):
        _, position = _identify(desk, station, voter)
        assert position is not None
        desk.issue(position, reissue=False)
        assert desk.coupon_job()() is None
    first, second = station.coupons
    assert booth.accept_code(first) is None
    assert booth.cast(CHOICE, {}) is None
    assert booth.accept_code(second) is None
    booth.cancel()  # the second voter's ballot is void: one credit, for their code
    assert booth.accept_code(first) is not None, "a used coupon took another voter's credit"
    assert booth.accept_code(second) is None
    assert booth.cast(CHOICE, {}) is None
    assert booth.accept_code(second) is not None
    assert booth.box is not None and booth.box.count == 2


# --- what the station-wide formats do besides ---------------------------------------------


def test_the_desk_sends_voters_to_the_booths_in_turn(tmp_path: Path) -> None:
    roles = {"T-7002-01": Role.IDENTIFY, "T-7002-02": Role.VOTE, "T-7002-03": Role.VOTE}
    station = _station(tmp_path, roles)
    desk = station.terminals["T-7002-01"]
    for voter in range(6):
        _, position = _identify(desk, station, voter)
        assert position is not None
        desk.issue(position, reissue=False)
        assert desk.coupon_job()() is None
    booths = [code.split(":")[4] for code in station.coupons]
    assert booths == ["T-7002-02", "T-7002-03"] * 3
    issued = desk.log.of_kind("ballot_code_issued")
    assert [e.data["booth"] for e in issued] == booths


def test_combined_terminals_hold_disjoint_parts_that_cover_the_register(tmp_path: Path) -> None:
    roles = {f"T-7002-0{i}": Role.COMBINED for i in (1, 2, 3)}
    station = _station(tmp_path, roles, voters=7)
    parts = [p.entry.register_part for p in station.terminals.values()]
    assert [(p.start, p.stop) for p in parts if p is not None] == [(0, 2), (2, 4), (4, 7)]
    polls = station.terminals["T-7002-01"]
    decision, position = _identify(polls, station, 5)
    assert decision is Decision.OTHER_TERMINAL and position == 5
    found = polls.terminal_of(5)
    assert found is not None and found[0] == 3 and found[1].id == "T-7002-03"
    assert polls.log.of_kind("voter_refused")[-1].data == {"reason": "other_terminal"}


def test_overlapping_or_incomplete_register_parts_are_refused(tmp_path: Path) -> None:
    from terminal.ballot.election import Election, RegisterPart
    from terminal.jsonfmt import FormatError

    roles = {"T-7002-01": Role.COMBINED, "T-7002-02": Role.COMBINED}
    election = _station(tmp_path, roles).terminals["T-7002-01"].election
    a, b = election.terminals
    for parts, message in (
        ((RegisterPart(0, 4), RegisterPart(3, 6)), "overlaps"),
        ((RegisterPart(0, 3), RegisterPart(4, 6)), "cover"),
        ((None, RegisterPart(3, 6)), "overlaps"),
        ((RegisterPart(0, 3), RegisterPart(3, 7)), "cover"),
    ):
        changed = dataclasses.replace(
            election,
            terminals=(
                dataclasses.replace(a, register_part=parts[0]),
                dataclasses.replace(b, register_part=parts[1]),
            ),
        )
        with pytest.raises(FormatError, match=message):
            Election.from_json(changed.to_json())
