"""A synthetic election like the simulated polling day's, made with the commission's own code.

The presidential contest of sim.synthetic (six candidates and "against all"), one precinct
of 3,000 voters with a register from sim.synthetic.make_register, one combined terminal,
and the precinct's sealing key rebuilt from two of its three share cards, as at close.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from host_tools import commission as office
from sim import synthetic
from terminal.ballot.election import Election, Mode, Role
from terminal.idscan.register import Register
from terminal.tally.sealing import Ballot
from terminal.trust.shares import ShareCollector
from terminal.trust.signing import SigningKey

ELECTION_DAY = dt.date(2025, 11, 30)
PRECINCT = "1234"
TERMINAL = "T-1234-01"
VOTERS = 3000  # the most a precinct has (DESIGN.md)


def election_spec(
    election_id: str = "KG-20251130-PRES", ballot_format: int = 1
) -> office.ElectionSpec:
    return office.ElectionSpec(
        id=election_id,
        names=synthetic.ELECTION_NAMES,
        date=ELECTION_DAY,
        timezone="+06:00",
        polls_open=dt.time(8),
        polls_close=dt.time(20),
        mode=Mode.OFFICIAL,
        country="KG",
        contests=(synthetic.president_contest(),),
        ballot_format=ballot_format,
    )


def registration(terminal: str, precinct: str, key: SigningKey) -> office.TerminalRegistration:
    """A combined terminal's registration, with a fresh X25519 key where the format has one.

    The registration gained the terminal's encryption key while this bench was written;
    asking the dataclass keeps the bench working on either side of that change.
    """
    names = {f.name for f in dataclasses.fields(office.TerminalRegistration)}
    extra = {}
    if "encryption_key" in names:
        extra["encryption_key"] = (
            X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
    return office.TerminalRegistration(terminal, precinct, Role.COMBINED, key.public, **extra)


def rebuild_key(created: office.CreatedElection, code: str) -> bytes:
    """The precinct's private sealing key from two share cards, as the chair's terminal does."""
    precinct = created.election.precinct(code)
    assert precinct is not None
    collector = ShareCollector(created.election.id, code, precinct.sealing_key)
    key: bytes | None = None
    for card in created.secrets[code].share_cards[: created.threshold]:
        result = collector.add(card.payload())
        if isinstance(result, bytes):
            key = result
    if key is None:
        raise RuntimeError(f"precinct {code}: the share cards did not rebuild the key")
    return key


@dataclass(frozen=True)
class Station:
    """One precinct's election, its terminal's signing key and its sealing key pair."""

    created: office.CreatedElection
    code: str
    terminal: str
    signer: SigningKey
    sealing_private: bytes

    @property
    def election(self) -> Election:
        return self.created.election

    @property
    def register(self) -> Register:
        return self.created.registers[self.code]

    @property
    def sealing_public(self) -> bytes:
        precinct = self.election.precinct(self.code)
        assert precinct is not None
        return precinct.sealing_key

    @property
    def slots(self) -> int:
        precinct = self.election.precinct(self.code)
        assert precinct is not None
        return precinct.ballot_slots


def make_station(voters: int = VOTERS, seed: int = 1, format_2: bool = False) -> Station:
    rng = random.Random(seed)
    register = synthetic.make_register(PRECINCT, voters, ELECTION_DAY, rng)
    signer = SigningKey.generate()
    created = office.build_election(
        election_spec(ballot_format=2 if format_2 else 1),
        [office.PrecinctSpec(PRECINCT, synthetic.PRECINCT_NAMES, register)],
        threshold=2,
        share_count=3,
        terminals=[registration(TERMINAL, PRECINCT, signer)],
    )
    return Station(created, PRECINCT, TERMINAL, signer, rebuild_key(created, PRECINCT))


def random_selections(election: Election, rng: random.Random) -> dict[str, tuple[str, ...]]:
    """One choice per contest, uniformly, as the simulated voters choose."""
    return {c.id: (rng.choice(c.choices).id,) for c in election.contests}


def ballots(station: Station, count: int, seed: int = 2) -> Sequence[Ballot]:
    rng = random.Random(seed)
    election = station.election
    return [
        Ballot(
            election.id, station.code, election.mode is Mode.TEST, random_selections(election, rng)
        )
        for _ in range(count)
    ]
