"""Sealed ballots: the one module that knows how a ballot is encrypted, in each format.

The election package says which format its ballots take (Election.ballot_format).

Format 1 (sealed):

A ballot is canonical JSON of the selections only (no time, no order, no voter), padded
to a fixed length so every sealed ballot has the same size, then sealed to the precinct's
X25519 key: an ephemeral X25519 key agreement, HKDF-SHA256, ChaCha20-Poly1305 (the
construction of trust/envelope.py); the terminal signs the sealed bytes with Ed25519.

    record  = sealed || signature(64)
    sealed  = "TMGB" || version(1) || ephemeral public key(32) || ciphertext(PLAINTEXT_SIZE + 16)
    (the ciphertext's associated data and key-derivation info are "tamga-ballot/1")

Format 2 (verifiable): every option of every contest is an exponential-ElGamal ciphertext
to the precinct's ElGamal key with its proofs (encrypted_ballot.py); anyone can check the
proofs and the count, and nobody can read one ballot without the share cards.

    record  = sealed || signature(64)
    sealed  = "TMGB" || version(2) || body (encrypted_ballot.py; its size fixed by the election)

Both fit one 4 KiB slot; every record of an election has the same size.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from terminal.ballot.election import Contest, Election, Precinct
from terminal.jsonfmt import FormatError, canonical_json, load_canonical
from terminal.tally import encrypted_ballot
from terminal.tally.encrypted_ballot import BallotError, Context, EncryptedBallot, Nonces
from terminal.trust import envelope
from terminal.trust.signing import SIGNATURE_SIZE, SigningKey, VerifyKey

MAGIC = b"TMGB"
VERSION = 1
HEADER = MAGIC + bytes([VERSION])
PURPOSE = b"tamga-ballot/1"
PLAINTEXT_SIZE = 1024
SEALED_SIZE = len(HEADER) + 32 + PLAINTEXT_SIZE + 16
RECORD_SIZE = SEALED_SIZE + SIGNATURE_SIZE
BALLOT_FORMAT = "tamga-ballot/1"
HEADER_2 = MAGIC + bytes([2])
# A slot holds "SLOT", a 2-byte length and the record in 4,096 bytes (ballot_box.py).
MAX_RECORD_SIZE = 4096 - 6


class SealError(ValueError):
    """A record that is not a valid sealed ballot; the message says what failed."""


@dataclass(frozen=True)
class Ballot:
    """What a voter chose. Deliberately nothing else."""

    election: str
    precinct: str
    test: bool
    selections: dict[str, tuple[str, ...]]

    def encode(self) -> bytes:
        body = canonical_json(
            {
                "format": BALLOT_FORMAT,
                "election": self.election,
                "precinct": self.precinct,
                "test": self.test,
                "selections": {k: sorted(v) for k, v in self.selections.items()},
            }
        )
        if len(body) + 2 > PLAINTEXT_SIZE:
            raise SealError("ballot too large for the fixed ballot size")
        return struct.pack(">H", len(body)) + body + bytes(PLAINTEXT_SIZE - 2 - len(body))

    @classmethod
    def decode(cls, padded: bytes) -> Ballot:
        """The ballot in a decrypted plaintext: exactly what encode() writes, or SealError."""
        (length,) = struct.unpack(">H", padded[:2])
        if length > PLAINTEXT_SIZE - 2 or padded[2 + length :] != bytes(
            PLAINTEXT_SIZE - 2 - length
        ):
            raise SealError("ballot padding is not zero")
        body = padded[2 : 2 + length]
        # Canonical JSON, as encode() writes it: one spelling per ballot. Read with plain
        # type checks rather than jsonfmt.Fields: a recount decodes millions.
        if not body.endswith(b"\n"):
            raise SealError("ballot: not in canonical form")
        try:
            value = load_canonical(body[:-1], "ballot")
        except FormatError as exc:
            raise SealError(str(exc)) from exc
        if value.keys() != _BALLOT_FIELDS:
            raise SealError(f"ballot: the fields must be exactly {sorted(_BALLOT_FIELDS)}")
        if value["format"] != BALLOT_FORMAT:
            raise SealError("unknown ballot format")
        election, precinct, test, raw = (
            value[k] for k in ("election", "precinct", "test", "selections")
        )
        if type(election) is not str or type(precinct) is not str:
            raise SealError("ballot: election and precinct must be strings")
        if type(test) is not bool:
            raise SealError("ballot: field 'test' must be true or false")
        if type(raw) is not dict:
            raise SealError("ballot: field 'selections' must be an object")
        selections: dict[str, tuple[str, ...]] = {}
        for contest, chosen in raw.items():
            if type(chosen) is not list or not all(type(c) is str for c in chosen):
                raise SealError(f"selections of {contest!r} must be a list of choice ids")
            selections[contest] = tuple(chosen)
        return cls(election, precinct, test, selections)


_BALLOT_FIELDS = frozenset(("format", "election", "precinct", "test", "selections"))


def seal(ballot: Ballot, recipient: bytes, signer: SigningKey) -> bytes:
    """Seal a ballot to the precinct's raw X25519 public key and sign it: a RECORD_SIZE record."""
    sealed = HEADER + envelope.seal(ballot.encode(), recipient, PURPOSE)
    return sealed + signer.sign(sealed)


@dataclass(frozen=True)
class RecordFormat:
    """The version and the size of every ballot record of an election."""

    version: int
    size: int

    @property
    def header(self) -> bytes:
        return MAGIC + bytes([self.version])


FORMAT_1 = RecordFormat(1, RECORD_SIZE)


def verifiable_size(contests: Sequence[Contest]) -> int:
    """The size of a format-2 record of these contests."""
    body = sum(encrypted_ballot.contest_layout(c).size for c in contests)
    return len(HEADER_2) + body + SIGNATURE_SIZE


def default_ballot_format(contests: Sequence[Contest]) -> int:
    """Verifiable ballots (format 2) wherever one fits a 4 KiB slot, sealed ones otherwise:
    the format an election gets when its definition does not name one."""
    return 2 if verifiable_size(contests) <= MAX_RECORD_SIZE else 1


def record_format(election: Election) -> RecordFormat:
    """The record format of this election's ballots (its package says which version)."""
    if election.ballot_format == 1:
        return FORMAT_1
    size = verifiable_size(election.contests)
    if size > MAX_RECORD_SIZE:
        raise SealError(f"a ballot of this election is {size} bytes: it needs a 4 KiB slot")
    return RecordFormat(2, size)


def check_record(record: bytes, signer: VerifyKey, shape: RecordFormat = FORMAT_1) -> bytes:
    """Return the sealed part of a record whose signature verifies; SealError otherwise.
    `shape` is the election's record_format (format 1's by default)."""
    if len(record) != shape.size:
        raise SealError(
            f"a ballot record of this election is {shape.size} bytes, not {len(record)}"
        )
    sealed, signature = record[:-SIGNATURE_SIZE], record[-SIGNATURE_SIZE:]
    if sealed[: len(shape.header)] != shape.header:
        raise SealError(f"not a version {shape.version} ballot")
    if not signer.verify(signature, sealed):
        raise SealError("terminal signature on the sealed ballot does not verify")
    return sealed


def context(election: Election, precinct: Precinct) -> Context:
    """What every proof of a format-2 ballot of this precinct is bound to."""
    if precinct.elgamal_key is None:
        raise SealError(f"precinct {precinct.code} has no ElGamal key (a format-1 package)")
    return Context(election.id, precinct.code, election.mode.value == "test", precinct.elgamal_key)


def seal_verifiable(
    ballot: Ballot,
    election: Election,
    precinct: Precinct,
    signer: SigningKey,
    nonces: Nonces | None = None,
) -> tuple[bytes, EncryptedBallot, Nonces]:
    """Encrypt a ballot in format 2 with its proofs and sign it: the record, the encrypted
    ballot (its digest is the tracking code) and the nonces (kept only for a challenge;
    given back, they make the same ciphertexts again)."""
    if (ballot.election, ballot.precinct) != (election.id, precinct.code):
        raise SealError("the ballot is of another election or precinct")
    try:
        encrypted, used = encrypted_ballot.encrypt(
            election, context(election, precinct), ballot.selections, nonces
        )
    except BallotError as exc:
        raise SealError(str(exc)) from exc
    sealed = HEADER_2 + encrypted.encode()
    return sealed + signer.sign(sealed), encrypted, used


def seal_for(ballot: Ballot, election: Election, precinct: Precinct, signer: SigningKey) -> bytes:
    """Seal a ballot in the election's format: the record the terminal stores."""
    if election.ballot_format == 1:
        return seal(ballot, precinct.sealing_key, signer)
    return seal_verifiable(ballot, election, precinct, signer)[0]


def ballot_body(record: bytes) -> bytes:
    """The encrypted ballot inside a format-2 record (its signature checked elsewhere)."""
    return record[len(HEADER_2) : -SIGNATURE_SIZE]


class RecordError(SealError):
    """One of many records is not a valid sealed ballot: which one, and why."""

    def __init__(self, index: int, problem: SealError) -> None:
        super().__init__(f"record {index}: {problem}")
        self.index = index
        self.problem = problem


def open_records(
    records: Sequence[bytes], signer: VerifyKey, private: X25519PrivateKey
) -> list[Ballot]:
    """Check every record's signature, then decrypt them all with the precinct's private key
    (envelope.open_many: each step over all records in turn). RecordError names the first
    record that fails, by its index in `records`."""
    sealed = []
    for index, record in enumerate(records):
        try:
            sealed.append(check_record(record, signer)[len(HEADER) :])
        except SealError as exc:
            raise RecordError(index, exc) from exc
    ballots = []
    for index, padded in enumerate(envelope.open_many(sealed, private, PURPOSE)):
        try:
            if padded is None:
                raise SealError("sealed ballot does not decrypt with the precinct key")
            ballots.append(Ballot.decode(padded))
        except SealError as exc:
            raise RecordError(index, exc) from exc
    return ballots


def open_record(record: bytes, signer: VerifyKey, private: X25519PrivateKey) -> Ballot:
    """Check the signature, then decrypt a record with the precinct's private key."""
    try:
        return open_records([record], signer, private)[0]
    except RecordError as exc:
        raise exc.problem from None
