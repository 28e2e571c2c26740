"""Sealed ballots, format version 1: the one module that knows how a ballot is encrypted.

A ballot is canonical JSON of the selections only (no time, no order, no voter), padded
to a fixed length so every sealed ballot has the same size, then sealed to the precinct's
X25519 key: an ephemeral X25519 key agreement, HKDF-SHA256, ChaCha20-Poly1305 (the
construction of trust/envelope.py); the terminal signs the sealed bytes with Ed25519. A
verifiable format (exponential ElGamal with proofs) is planned as version 2; the 4 KiB
slot leaves room for it.

    record  = sealed || signature(64)
    sealed  = "TMGB" || version(1) || ephemeral public key(32) || ciphertext(PLAINTEXT_SIZE + 16)
    (the ciphertext's associated data and key-derivation info are "tamga-ballot/1")
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from terminal.jsonfmt import FormatError, canonical_json, load_object
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
        (length,) = struct.unpack(">H", padded[:2])
        if length > PLAINTEXT_SIZE - 2 or any(padded[2 + length :]):
            raise SealError("ballot padding is not zero")
        try:
            f = load_object(padded[2 : 2 + length], "ballot")
            if f.str("format") != BALLOT_FORMAT:
                raise SealError("unknown ballot format")
            raw = f.obj("selections").value
            selections: dict[str, tuple[str, ...]] = {}
            for contest, chosen in raw.items():
                if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
                    raise SealError(f"selections of {contest!r} must be a list of choice ids")
                selections[contest] = tuple(chosen)
            return cls(f.str("election"), f.str("precinct"), f.bool("test"), selections)
        except FormatError as exc:
            raise SealError(str(exc)) from exc


def seal(ballot: Ballot, recipient: bytes, signer: SigningKey) -> bytes:
    """Seal a ballot to the precinct's raw X25519 public key and sign it: a RECORD_SIZE record."""
    sealed = HEADER + envelope.seal(ballot.encode(), recipient, PURPOSE)
    return sealed + signer.sign(sealed)


def check_record(record: bytes, signer: VerifyKey) -> bytes:
    """Return the sealed part of a record whose signature verifies; SealError otherwise."""
    if len(record) != RECORD_SIZE:
        raise SealError(f"a sealed ballot record is {RECORD_SIZE} bytes, not {len(record)}")
    sealed, signature = record[:SEALED_SIZE], record[SEALED_SIZE:]
    if sealed[: len(HEADER)] != HEADER:
        raise SealError("not a version 1 sealed ballot")
    if not signer.verify(signature, sealed):
        raise SealError("terminal signature on the sealed ballot does not verify")
    return sealed


def open_record(record: bytes, signer: VerifyKey, private: X25519PrivateKey) -> Ballot:
    """Check the signature, then decrypt a record with the precinct's private key."""
    sealed = check_record(record, signer)
    try:
        padded = envelope.open_sealed(sealed[len(HEADER) :], private, PURPOSE)
    except envelope.EnvelopeError as exc:
        raise SealError("sealed ballot does not decrypt with the precinct key") from exc
    return Ballot.decode(padded)
