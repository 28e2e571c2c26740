"""Tracking codes and spoiled (challenged) ballots: what a voter and an auditor check."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from host_tools import commission as office
from terminal.ballot.election import Election, Precinct
from terminal.jsonfmt import FormatError
from terminal.tally import elgamal, spoiled
from terminal.tally.sealing import HEADER_2, Ballot, ballot_body, seal_verifiable
from terminal.tally.spoiled import Spoiled, SpoiledError
from terminal.tally.tracking import TrackingCodeError, parse, tracking_code
from terminal.trust.signing import SIGNATURE_SIZE, SigningKey
from tests.test_host_tools import PRECINCTS, registrations, spec

CHOICES = {"mayor": ("asanov",), "council": ("a", "b")}


@pytest.fixture(scope="module")
def election() -> tuple[Election, Precinct, SigningKey]:
    terminals = {tid: SigningKey.generate() for tid in ("T-1001", "T-2001", "T-2002")}
    the_spec = dataclasses.replace(spec(), ballot_format=2)
    created = office.build_election(the_spec, PRECINCTS, 2, 3, registrations(terminals))
    precinct = created.election.precinct("P1")
    assert precinct is not None
    return created.election, precinct, terminals["T-1001"]


def _challenged(setup: tuple[Election, Precinct, SigningKey]) -> Spoiled:
    election, precinct, signer = setup
    ballot = Ballot(election.id, precinct.code, False, dict(CHOICES))
    record, _, nonces = seal_verifiable(ballot, election, precinct, signer)
    return Spoiled(record, dict(CHOICES), nonces)


def test_a_tracking_code_is_160_bits_of_the_ballots_hash_in_8_groups_of_4() -> None:
    code = tracking_code(b"a ballot body")
    assert re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){7}", code), code
    assert tracking_code(b"a ballot body!") != code
    assert parse(code.lower().replace("-", " ")) == code
    for bad in ("", code[:-1], code.replace(code[0], "1", 1), code + "A"):
        with pytest.raises(TrackingCodeError):
            parse(bad)


def test_a_challenged_ballot_re_encrypts_to_its_committed_ciphertext(
    election: tuple[Election, Precinct, SigningKey],
) -> None:
    e, precinct, signer = election
    challenged = _challenged(election)
    read = spoiled.decode(spoiled.encode([challenged]), "spoiled.json")
    assert read == [challenged]
    assert spoiled.check(read, e, precinct, signer.public, set()) == [challenged.tracking_code]
    # The file says nothing but the ballot: no time, no order, no voter.
    entry = json.loads(spoiled.encode([challenged]))["ballots"][0]
    assert set(entry) == {"tracking_code", "record", "selections", "nonces"}


def test_a_spoiled_ballot_with_other_choices_or_a_bent_nonce_is_refused_by_its_code(
    election: tuple[Election, Precinct, SigningKey],
) -> None:
    e, precinct, signer = election
    challenged = _challenged(election)
    code = challenged.tracking_code
    other = dataclasses.replace(challenged, selections={"mayor": ("bekova",), "council": ()})
    first = challenged.nonces[0]
    bent = ((first[0] ^ 1, *first[1:]), *challenged.nonces[1:])
    for wrong in (other, dataclasses.replace(challenged, nonces=bent)):
        with pytest.raises(SpoiledError, match=f"spoiled ballot {code}: its nonces"):
            spoiled.check([wrong], e, precinct, signer.public, set())
    with pytest.raises(SpoiledError, match=f"spoiled ballot {code} is among the cast"):
        spoiled.check([challenged], e, precinct, signer.public, {code})


@pytest.mark.parametrize("where", ["ciphertext", "signature"])
def test_a_bit_changed_in_a_spoiled_ballots_record_is_refused_naming_it(
    election: tuple[Election, Precinct, SigningKey], where: str
) -> None:
    e, precinct, signer = election
    challenged = _challenged(election)
    record = bytearray(challenged.record)
    record[len(HEADER_2) + 3 if where == "ciphertext" else -1] ^= 0x01
    if where == "ciphertext":  # signed again: a dishonest terminal's own signature
        sealed = bytes(record[:-SIGNATURE_SIZE])
        record = bytearray(sealed + signer.sign(sealed))
    bent = dataclasses.replace(challenged, record=bytes(record))
    with pytest.raises(SpoiledError, match=f"spoiled ballot {bent.tracking_code}"):
        spoiled.check([bent], e, precinct, signer.public, set())


def test_a_malformed_spoiled_file_is_refused_with_where() -> None:
    for data, message in (
        (b"{}", "missing field"),
        (b'{"format": "x", "ballots": []}', "not a tamga-spoiled/1"),
        (
            b'{"format": "tamga-spoiled/1", "ballots": [{"tracking_code": "A", "record": "zz", '
            b'"selections": {}, "nonces": []}]}',
            "spoiled ballot 1",
        ),
    ):
        with pytest.raises(FormatError, match=message):
            spoiled.decode(data, "spoiled.json")
    body = ballot_body(b"\0" * 200)
    entry = {
        "tracking_code": "WRONG",
        "record": (b"\0" * 200).hex(),
        "selections": {},
        "nonces": [[elgamal.encode_scalar(1).hex()]],
    }
    data = json.dumps({"format": "tamga-spoiled/1", "ballots": [entry]}).encode()
    with pytest.raises(FormatError, match="is not its record's"):
        spoiled.decode(data, "spoiled.json")
    assert tracking_code(body)
