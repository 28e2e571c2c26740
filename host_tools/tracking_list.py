"""The published list of tracking codes: every cast ballot's, and the spoiled ones marked.

A voter finds the code of their receipt here (the cast ballot counted) or, after a
challenge, the code of the ballot they spoiled (marked spoiled, never counted). Written by
`verify --tracking-codes FILE` and by `results --open-data` as tracking-codes.json:

    {"format": "tamga-tracking-codes/1", "election": id,
     "ballots": [{"tracking_code", "precinct", "spoiled": bool}, ...]}   sorted by code

The codes are recomputed from the bundle's bytes (terminal/tally/tracking.py), never taken
from what a bundle says about them. Only verified bundles are read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from terminal.ballot.election import Election
from terminal.jsonfmt import canonical_json
from terminal.tally import spoiled
from terminal.tally.ballot_box import split_records
from terminal.tally.bundle import BALLOTS, MANIFEST, VerifiedBundle
from terminal.tally.sealing import ballot_body, record_format
from terminal.tally.tracking import tracking_code

FORMAT = "tamga-tracking-codes/1"


@dataclass(frozen=True)
class Tracked:
    code: str
    precinct: str
    spoiled: bool


def codes_of(
    election: Election, precinct: str, ballots: bytes, spoiled_file: bytes | None, source: str
) -> list[Tracked]:
    """The tracking codes of one verified bundle's ballots.bin and spoiled.json."""
    size = record_format(election).size
    cast = [
        Tracked(tracking_code(ballot_body(r)), precinct, False)
        for r in split_records(ballots, f"{source}/ballots.bin", size)
    ]
    challenged = spoiled.decode(spoiled_file, f"{source}/{spoiled.FILE}") if spoiled_file else []
    return cast + [Tracked(b.tracking_code, precinct, True) for b in challenged]


def document(election_id: str, tracked: Iterable[Tracked]) -> bytes:
    """The published list, sorted by code: its order says nothing of when a ballot was cast."""
    entries = sorted(
        ({"tracking_code": t.code, "precinct": t.precinct, "spoiled": t.spoiled} for t in tracked),
        key=lambda e: (str(e["tracking_code"]), bool(e["spoiled"])),
    )
    return canonical_json({"format": FORMAT, "election": election_id, "ballots": entries})


def read(data: bytes) -> dict[str, bool]:
    """A published list as code -> spoiled (for a voter's or a test's look-up)."""
    value = json.loads(data)
    return {e["tracking_code"]: e["spoiled"] for e in value["ballots"]}


class TrackingListError(Exception):
    """A verified bundle changed before its codes were read."""


def tracked_of(election: Election, bundle: VerifiedBundle) -> list[Tracked]:
    """The codes of one verified bundle: its files are read again and must be the bytes
    that verified."""
    ballots = (bundle.path / BALLOTS).read_bytes()
    if hashlib.sha256(ballots).hexdigest() != bundle.ballots_sha256:
        raise TrackingListError(f"{bundle.path}/{BALLOTS}: changed since it was verified")
    listed = json.loads((bundle.path / MANIFEST).read_bytes())["files"]
    spoiled_file = None
    if spoiled.FILE in listed:
        spoiled_file = (bundle.path / spoiled.FILE).read_bytes()
        if hashlib.sha256(spoiled_file).hexdigest() != listed[spoiled.FILE]:
            raise TrackingListError(f"{bundle.path}/{spoiled.FILE}: changed since verified")
    precinct = bundle.protocol.precinct
    return codes_of(election, precinct, ballots, spoiled_file, str(bundle.path))


def from_bundles(election: Election, bundles: Iterable[VerifiedBundle]) -> bytes:
    """The published list of verified, counted bundles (each counted once)."""
    return document(election.id, [t for b in bundles for t in tracked_of(election, b)])
