"""Tests read single ballots, which no tool of the project ever does: with the precinct key a
test opens a format-1 record, or decrypts each option of a format-2 record one by one."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from terminal.ballot.election import Election
from terminal.tally import elgamal
from terminal.tally.encrypted_ballot import BLANK, layouts, precinct_secret
from terminal.tally.sealing import ballot_body, check_record, open_record, record_format
from terminal.trust.signing import VerifyKey


def read_selections(
    record: bytes, signer: VerifyKey, private_key: bytes, election: Election
) -> dict[str, tuple[str, ...]]:
    """The choices in one record (signature checked), in the election's format."""
    if election.ballot_format == 1:
        return open_record(
            record, signer, X25519PrivateKey.from_private_bytes(private_key)
        ).selections
    check_record(record, signer, record_format(election))
    secret = precinct_secret(private_key)
    body = ballot_body(record)
    at = 0
    found: dict[str, tuple[str, ...]] = {}
    for layout in layouts(election):
        chosen = []
        for option in layout.options:
            a, b = body[at : at + 32], body[at + 32 : at + 64]
            plain = elgamal.sub(b, elgamal.mul(secret, a))
            assert plain in (elgamal.IDENTITY, elgamal.G), "an option is neither 0 nor 1"
            if plain == elgamal.G and option != BLANK:
                chosen.append(option)
            at += 2 * 32 + elgamal.proof_size(2)
        at += elgamal.proof_size(len(layout.allowed))
        found[layout.contest] = tuple(sorted(chosen))
    return found
