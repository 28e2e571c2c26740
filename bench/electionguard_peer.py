"""The peer of bench/verifiable.py: ElectionGuard-python encrypting and verifying the same
13-selection ballot. Run by the bench with the Python of its own venv (runs/bench/
electionguard-venv, PyPI `electionguard`); it imports nothing of Tamga's. Prints one line of
JSON: the median CPU milliseconds of encrypt_ballot (proofs included, not self-checked)
and of CiphertextBallot.is_valid_encryption (every selection's and contest's proof).

    python bench/electionguard_peer.py COUNT
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
from datetime import datetime
from importlib.metadata import version

from electionguard.ballot import PlaintextBallot, PlaintextBallotContest
from electionguard.elgamal import elgamal_keypair_random
from electionguard.encrypt import (
    EncryptionDevice,
    encrypt_ballot,
    generate_device_uuid,
    selection_from,
)
from electionguard.group import TWO_MOD_Q
from electionguard.manifest import (
    BallotStyle,
    Candidate,
    CandidateContestDescription,
    ElectionType,
    GeopoliticalUnit,
    Manifest,
    ReferendumContestDescription,
    ReportingUnitType,
    SelectionDescription,
    SpecVersion,
    VoteVariationType,
)
from electionguard_tools.helpers.election_builder import ElectionBuilder

UNIT = "precinct-1234"
# The same ballot as bench/verifiable.py: one of 7, yes/no, up to 2 of 4.
CONTESTS = (
    ("president", [f"cand-{i}" for i in range(1, 7)] + ["against-all"], 1, ["cand-3"]),
    ("referendum", ["yes", "no"], 1, ["yes"]),
    ("council", [f"c{i}" for i in range(1, 5)], 2, ["c1", "c4"]),
)


def manifest() -> Manifest:
    contests = []
    candidates = []
    for order, (cid, options, allowed, _) in enumerate(CONTESTS):
        selections = [
            SelectionDescription(f"{cid}-{o}", i, f"{cid}-{o}") for i, o in enumerate(options)
        ]
        candidates += [Candidate(f"{cid}-{o}") for o in options]
        kind = ReferendumContestDescription if cid == "referendum" else CandidateContestDescription
        variation = VoteVariationType.one_of_m if allowed == 1 else VoteVariationType.n_of_m
        contests.append(kind(cid, order, UNIT, variation, allowed, allowed, cid, selections))
    style = BallotStyle("style-1")
    style.geopolitical_unit_ids = [UNIT]
    return Manifest(
        spec_version=SpecVersion.EG0_95,
        election_scope_id="bench",
        type=ElectionType.general,
        start_date=datetime(2025, 11, 30, 8),
        end_date=datetime(2025, 11, 30, 20),
        geopolitical_units=[GeopoliticalUnit(UNIT, UNIT, ReportingUnitType.precinct)],
        parties=[],
        candidates=candidates,
        contests=contests,
        ballot_styles=[style],
    )


def main(count: int) -> None:
    # ElectionGuard logs every encryption at INFO (keys and pads included): writing that
    # out would be timed as its work. Its results are the same without.
    logging.disable(logging.INFO)
    description = manifest()
    keys = elgamal_keypair_random()
    builder = ElectionBuilder(number_of_guardians=1, quorum=1, manifest=description)
    builder.set_public_key(keys.public_key)
    builder.set_commitment_hash(TWO_MOD_Q)
    built = builder.build()
    assert built is not None
    internal, context = built
    device = EncryptionDevice(generate_device_uuid(), 1, 1, UNIT)
    seed = device.get_hash()
    contests = []
    for contest in description.contests:
        chosen = next(c[3] for c in CONTESTS if c[0] == contest.object_id)
        contests.append(
            PlaintextBallotContest(
                contest.object_id,
                [
                    selection_from(s, False, s.object_id.split("-", 1)[1] in chosen)
                    for s in contest.ballot_selections
                ],
            )
        )
    plaintext = PlaintextBallot("ballot-1", "style-1", contests)
    encrypt_ms, verify_ms = [], []
    encrypted = None
    for _ in range(count + 2):
        c0 = time.process_time_ns()
        encrypted = encrypt_ballot(plaintext, internal, context, seed)
        encrypt_ms.append((time.process_time_ns() - c0) / 1e6)
        assert encrypted is not None
        c0 = time.process_time_ns()
        valid = encrypted.is_valid_encryption(
            internal.manifest_hash, keys.public_key, context.crypto_extended_base_hash
        )
        verify_ms.append((time.process_time_ns() - c0) / 1e6)
        assert valid, "ElectionGuard's own ballot does not verify"
    selections = sum(len(c.ballot_selections) for c in description.contests)
    print(
        json.dumps(
            {
                "version": version("electionguard"),
                "encrypt_ms": statistics.median(encrypt_ms[2:]),
                "verify_ms": statistics.median(verify_ms[2:]),
                "what": f"{selections} selections (plus its placeholders), CPU ms, "
                f"median of {count}",
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
