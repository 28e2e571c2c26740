"""Counting: decrypt sealed records and total the votes per choice.

The terminal counts its own box at close with this code, and the host tools recount a
bundle with the same code, so a recount can only differ if the data does.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from terminal.ballot import selection
from terminal.ballot.election import Election, Mode, Precinct
from terminal.tally import decryption
from terminal.tally.decryption import Decryption, DecryptionError
from terminal.tally.encrypted_ballot import precinct_secret
from terminal.tally.sealing import (
    RecordError,
    SealError,
    ballot_body,
    check_record,
    context,
    open_records,
    record_format,
)
from terminal.trust.signing import VerifyKey


class CountError(Exception):
    """A record that cannot be counted: the message gives its index in the sorted records."""


@dataclass(frozen=True)
class Count:
    votes: dict[str, dict[str, int]]  # contest id -> choice id -> votes
    blank: dict[str, int]  # contest id -> ballots with no selection in it
    ballots: int
    # Ballot format 2: the proven decryptions the totals are (decryption.json in the bundle).
    decryption: Decryption | None = None


def count_records(
    records: list[bytes], signer: VerifyKey, private_key: bytes, election: Election, precinct: str
) -> Count:
    """Decrypt and count every record; any ballot that does not fit the election is an error."""
    # Made once: making the key object derives its public half, as costly as a decryption.
    private = X25519PrivateKey.from_private_bytes(private_key)
    votes = {c.id: {ch.id: 0 for ch in c.choices} for c in election.contests}
    blank = {c.id: 0 for c in election.contests}
    test = election.mode is Mode.TEST
    try:
        ballots = open_records(records, signer, private)
    except RecordError as exc:
        raise CountError(str(exc)) from exc
    for index, ballot in enumerate(ballots):
        if (ballot.election, ballot.precinct, ballot.test) != (election.id, precinct, test):
            raise CountError(f"record {index}: a ballot of another election, precinct or mode")
        if set(ballot.selections) - set(votes):
            raise CountError(f"record {index}: selections for an unknown contest")
        for contest in election.contests:
            chosen = ballot.selections.get(contest.id, ())
            problem = selection.problem(contest, chosen)
            if problem is not None:
                raise CountError(f"record {index}: contest {contest.id}: {problem.value}")
            if not chosen:
                blank[contest.id] += 1
            for choice in chosen:
                votes[contest.id][choice] += 1
    return Count(votes, blank, len(records))


def count_verifiable(
    records: list[bytes],
    signer: VerifyKey,
    private_key: bytes,
    election: Election,
    precinct: Precinct,
    terminal: str,
) -> Count:
    """Count format-2 records: check each one's signature, add up the ciphertexts of every
    option, decrypt each sum with the key the share cards rebuilt and prove it. The count
    is the decryptions'; no single ballot is ever decrypted."""
    shape = record_format(election)
    for index, record in enumerate(records):
        try:
            check_record(record, signer, shape)
        except SealError as exc:
            raise CountError(f"record {index}: {exc}") from exc
    try:
        ctx = context(election, precinct)
        sums = decryption.aggregate([ballot_body(r) for r in records], election)
        result = decryption.decrypt(
            sums, election, ctx, precinct_secret(private_key), len(records), terminal
        )
    except (DecryptionError, ValueError, RuntimeError) as exc:  # RuntimeError: libsodium's
        raise CountError(str(exc)) from exc
    votes, blank = result.votes(election)
    return Count(votes, blank, len(records), result)
