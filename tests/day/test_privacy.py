"""Nothing the terminals store or export links a ballot to a voter or to a moment."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from collections import defaultdict
from pathlib import Path

import shamir_mnemonic

from terminal.app.identity import load_identity
from terminal.ballot.election import Election
from terminal.ballot.package import load_package
from terminal.hal.storage import DataDir
from terminal.idscan.marks import FILE_NAME as MARKS
from terminal.idscan.marks import VoterMarks
from terminal.tally.ballot_box import FILE_NAME as SLOTS
from terminal.tally.ballot_box import SLOT_SIZE, decode_slot
from terminal.tally.bundle import BALLOTS
from terminal.tally.event_kinds import CATALOGUE
from terminal.tally.sealing import record_format
from terminal.trust.shares import parse_card
from terminal.trust.signing import VerifyKey
from tests.ballot_reader import read_selections
from tests.day.conftest import DayRun, device_of


def _precinct_key(day: DayRun) -> bytes:
    cards = sorted((day.out / "cards").glob("*-share-*.txt"))[:2]
    mnemonics = []
    for card in cards:
        parsed = parse_card(card.read_text())
        assert parsed is not None
        mnemonics.append(parsed.mnemonic)
    return shamir_mnemonic.combine_mnemonics(mnemonics)


def _election(day: DayRun) -> Election:
    return Election.from_json((day.package / "election.json").read_bytes())


def test_a_ballot_holds_its_selections_and_nothing_else(day: DayRun) -> None:
    """A format-2 ballot is its ciphertexts and proofs only: the fixed layout of the
    election, each option 0 or 1, nothing else (tests/ballot_reader.py checks each)."""
    key = VerifyKey.load(next((day.package / "terminals").glob("*.pub.pem")))
    private = _precinct_key(day)
    election = _election(day)
    assert election.ballot_format == 2
    size = record_format(election).size
    exported = (day.bundle / BALLOTS).read_bytes()
    records = [exported[i : i + size] for i in range(0, len(exported), size)]
    assert len(records) == 24
    assert records == sorted(records), "the export is sorted by bytes, not by casting order"
    for record in records:
        selections = read_selections(record, key, private, election)
        assert set(selections) == {"president"} and len(selections["president"]) == 1


def test_no_event_names_a_voter_a_slot_or_a_ballot(day: DayRun) -> None:
    events = [json.loads(line) for line in (day.bundle / "events.jsonl").read_text().splitlines()]
    exported = (day.bundle / BALLOTS).read_bytes()
    size = record_format(_election(day)).size
    digests = {hashlib.sha256(exported[i : i + size]).hexdigest()
               for i in range(0, len(exported), size)}  # fmt: skip
    for event in events:
        assert set(event["data"]) <= {
            "software", "bytes", "election", "precinct", "terminal", "mode", "package_sha256",
            "slots", "filled", "damaged", "purpose", "reason", "printout", "reissue",
            "recovered", "problem", "ballots", "protocol_sha256", "size",
        }, event  # fmt: skip
        text = json.dumps(event)
        assert not any(d in text for d in digests)
    issued = [e for e in events if e["kind"] == "ballot_issued"]
    cast = [e for e in events if e["kind"] == "ballot_cast"]
    assert (
        issued and cast and all(set(e["data"]) <= {"reissue", "recovered"} for e in issued + cast)
    )


def test_the_slot_file_does_not_keep_the_casting_order(day: DayRun) -> None:
    """The i-th voter's choice is known to the test; the slot a ballot landed in must not
    follow the order the voters came in."""
    key = VerifyKey.load(next((day.package / "terminals").glob("*.pub.pem")))
    private = _precinct_key(day)
    election = _election(day)
    shape = record_format(election)
    data = (day.out / "data" / SLOTS).read_bytes()
    by_slot = []
    for slot in range(len(data) // SLOT_SIZE):
        record = decode_slot(data[slot * SLOT_SIZE : (slot + 1) * SLOT_SIZE], key, shape)
        if record is not None:
            by_slot.append(read_selections(record, key, private, election)["president"][0])
    in_order = [choice["president"][0] for choice in day.choices]
    assert sorted(by_slot) == sorted(in_order)
    assert by_slot != in_order, "ballots sit in the slots in the order the voters cast them"


def test_marks_are_one_byte_per_register_entry_sealed(day: DayRun) -> None:
    identity = load_identity(day.out / "data", device_of(day.out))
    package = load_package(day.package)
    register = package.register("1234", package.keys(identity.terminal_id, identity.decryption))
    marks = VoterMarks(DataDir(day.out / "data"), len(register.voters), identity.device)
    assert marks.count == 24
    # Two copies of one page each: 3,000 voters would fit, so no page tells a voter's range.
    assert len((day.out / "data" / MARKS).read_bytes()) == 2 * 4096


def test_identical_choices_print_identical_slips(day: DayRun) -> None:
    """A slip carries no serial number and no time: same choices, same language, same dots."""
    voters = [json.loads(x) for x in (day.out / "voters.jsonl").read_text().splitlines()]
    groups: dict[str, set[bytes]] = defaultdict(set)
    for voter in voters:
        image = (day.out / "printouts" / voter["slip"]).read_bytes()
        groups[json.dumps(day.choices[voter["voter"]])].add(hashlib.sha256(image).digest())
    assert len(groups) < len(voters), "the test needs two voters with the same choice"
    # Within one choice the slips differ only by the voter's language (4 at most).
    assert all(len(images) <= 4 for images in groups.values())


def test_a_coupon_code_never_reaches_the_ballots(split_day: DayRun) -> None:
    codes = []
    for coupon in sorted((split_day.out / "printouts").glob("*-coupon.png")):
        scanned = subprocess.run(["zbarimg", "-q", "--raw", str(coupon)], capture_output=True,
                                 text=True).stdout.split()  # fmt: skip
        codes += scanned
    assert codes
    exported = (split_day.bundle / BALLOTS).read_bytes()
    events = (split_day.bundle / "events.jsonl").read_bytes()
    for code in codes:
        nonce = base64.b32decode(code.split(":")[6])
        for secret in (nonce, hashlib.sha256(nonce).digest()[:16], code.encode()):
            assert secret not in exported and secret not in events
    assert not list(Path(split_day.bundle).rglob("codes.bin")), "used codes are not exported"


def test_voter_events_are_timed_to_the_minute_only(split_day: DayRun) -> None:
    """A log with seconds could be joined to a camera's record of who entered the booth, or
    to snapshots of the ballot box: the events of serving voters carry the minute alone."""
    voter_events = 0
    for log in (split_day.bundle / "events.jsonl", split_day.out / "bundle-identify/events.jsonl"):
        for line in log.read_text().splitlines():
            record = json.loads(line)
            if CATALOGUE[record["kind"]].voter:
                voter_events += 1
                assert record["time"].endswith(":00.000000Z"), record
    assert voter_events > 100
