"""The host verifies a precinct as a whole: a desk and its booths, or combined terminals.

Each bundle here verifies alone; what fails is the set: a registered terminal's bundle
missing, a booth using a code the desk never issued to it (or one used at another booth
too), more ballots than voters who received one, a bare-number count the election forbids.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest

from host_tools import commission as office
from host_tools.__main__ import main
from terminal.ballot.election import Election, Role
from terminal.tally.protocol import Protocol
from terminal.trust.signing import SigningKey
from tests.bundle_factory import code_of, make_bundle
from tests.test_host_tools import _encryption_key, make_register, spec

DESK, BOOTH_1, BOOTH_2 = "T-3001", "T-3002", "T-3003"
BALLOT = {"mayor": ["bekova"], "council": ["b"]}


@dataclass(frozen=True)
class Station:
    package: Path
    election: Election
    keys: dict[str, SigningKey]
    root: Path

    def bundle(self, terminal: str, ballots: int = 0, **bend: object) -> Path:
        return make_bundle(
            self.root / f"{terminal}-{len(list(self.root.iterdir()))}",
            self.election,
            "P3",
            terminal,
            self.keys[terminal],
            [BALLOT] * ballots,
            **bend,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Station:
    root = tmp_path_factory.mktemp("station")
    roles = {DESK: Role.IDENTIFY, BOOTH_1: Role.VOTE, BOOTH_2: Role.VOTE}
    keys = {t: SigningKey.generate() for t in roles}
    registrations = [
        office.TerminalRegistration(t, "P3", role, keys[t].public, _encryption_key())
        for t, role in roles.items()
    ]
    precinct = office.PrecinctSpec("P3", {"en": "Precinct 3"}, make_register("P3", 8, 300))
    created = office.build_election(spec(), [precinct], 2, 3, registrations)
    commission = office.create_commission_key(root / office.COMMISSION_KEY_FILE)
    office.write_commission_outputs(root, created, commission)
    bundles = root / "bundles"
    bundles.mkdir()
    (root / "pin.txt").write_text(commission.public.fingerprint())
    return Station(root / office.PACKAGE_DIR, created.election, keys, bundles)


def verify(capsys: pytest.CaptureFixture[str], *bundles: Path) -> tuple[int, str, str]:
    root = bundles[0].parents[1]
    pin = (root / "pin.txt").read_text()
    code = main(
        ["verify", "--commission-key", pin, "--package", str(root / "package"), *map(str, bundles)]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_a_whole_station_verifies(station: Station, capsys: pytest.CaptureFixture[str]) -> None:
    # Six coupons: three to each booth in turn; booth 1 used three, booth 2 two.
    code, out, err = verify(
        capsys,
        station.bundle(DESK, coupons=6),
        station.bundle(BOOTH_1, 3),
        station.bundle(BOOTH_2, 2),
    )
    assert code == 0, err
    assert "precinct P3: 3 of 3 registered terminals reported; 5 ballots" in out
    assert f"booth 1 ({BOOTH_1}): 3 codes issued to it, 3 used, 0 not used, 3 ballots" in out
    assert f"booth 2 ({BOOTH_2}): 3 codes issued to it, 2 used, 1 not used, 2 ballots" in out
    assert "6 printed (print_finished)" in out and "0 never printed (coupon_void)" in out


@pytest.mark.parametrize(
    ("left_out", "named"),
    [(DESK, f"the identification desk {DESK}"), (BOOTH_2, f"booth 2 ({BOOTH_2})")],
)
def test_a_missing_desk_or_booth_bundle_fails_naming_it(
    station: Station, capsys: pytest.CaptureFixture[str], left_out: str, named: str
) -> None:
    bundles = {
        DESK: station.bundle(DESK, coupons=4),
        BOOTH_1: station.bundle(BOOTH_1, 2),
        BOOTH_2: station.bundle(BOOTH_2, 2),
    }
    del bundles[left_out]
    code, _, err = verify(capsys, *bundles.values())
    assert code == 1
    assert f"FAIL precinct P3: no bundle of {named}, which the package registers" in err


def test_a_code_the_desk_never_issued_to_the_booth_fails(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    # Booth 1 uses one of booth 2's codes (a coupon replayed there, or minted).
    stolen = code_of(station.election, BOOTH_2, 0)
    codes = [code_of(station.election, BOOTH_1, 0), stolen]
    code, _, err = verify(
        capsys,
        station.bundle(DESK, coupons=4),
        station.bundle(BOOTH_1, 2, booth_codes=codes),
        station.bundle(BOOTH_2, 1),
    )
    assert code == 1
    assert f"booth 1 ({BOOTH_1}) used 1 codes the desk never issued to it: {stolen[:16]}" in err
    assert f"code {stolen[:16]} used at booth 2 ({BOOTH_2}) and at booth 1 ({BOOTH_1})" in err


def test_one_code_casting_two_ballots_fails(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    again = code_of(station.election, BOOTH_1, 0)
    code, _, err = verify(
        capsys,
        station.bundle(DESK, coupons=4),
        station.bundle(BOOTH_1, 2, booth_codes=[again, again]),
        station.bundle(BOOTH_2, 0),
    )
    assert code == 1
    assert f"booth 1 ({BOOTH_1}) cast more than one ballot with 1 codes: {again[:16]}" in err


def test_more_ballots_than_voters_who_received_one_fails(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two voters got a coupon (a desk whose log shows two first issues); the booths hold
    # three ballots, with codes the desk did issue (four, two of them reissues).
    desk = station.bundle(DESK, coupons=4, first_coupons=2)
    code, _, err = verify(capsys, desk, station.bundle(BOOTH_1, 2), station.bundle(BOOTH_2, 1))
    assert code == 1
    assert "precinct P3: 3 ballots in the boxes, only 2 voters received" in err


def test_ballots_on_a_bare_number_the_election_forbids_fail(
    station: Station, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not station.election.identification.accept_bare_number
    honest = station.bundle(DESK, coupons=2)
    lines = Protocol.from_json((honest / "protocol.json").read_bytes()).lines
    bent = station.bundle(
        DESK, coupons=2, protocol_changes={"lines": {**lines, "issued_on_bare_number": 1}}
    )
    code, _, err = verify(capsys, bent, station.bundle(BOOTH_1, 1), station.bundle(BOOTH_2, 1))
    assert code == 1
    assert "issued_on_bare_number is 1, the bundle shows 0" in err


def test_register_parts_go_to_every_terminal_that_marks_voters() -> None:
    roles = {"T-1": Role.COMBINED, "T-2": Role.COMBINED, "T-3": Role.IDENTIFY, "T-4": Role.VOTE}
    registrations = [
        office.TerminalRegistration(t, "P3", role, SigningKey.generate().public, _encryption_key())
        for t, role in roles.items()
    ]
    precinct = office.PrecinctSpec("P3", {"en": "Precinct 3"}, make_register("P3", 10, 300))
    created = office.build_election(spec(), [precinct], 2, 3, registrations[:1])
    assert created.election.terminals[0].register_part is None  # alone: the whole register
    later = office.register_terminals(created, registrations[1:])
    parts = {t.id: t.register_part for t in later.election.terminals}
    assert {t: (p.start, p.stop) if p else None for t, p in parts.items()} == {
        "T-1": (0, 3),
        "T-2": (3, 6),
        "T-3": (6, 10),
        "T-4": None,
    }
    assert dataclasses.asdict(later.election) == dataclasses.asdict(
        Election.from_json(later.election.to_json())
    )
