"""Sealed ballots: what the terminal writes for every vote, and what an auditor can check."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from terminal.jsonfmt import canonical_json
from terminal.tally.sealing import (
    PLAINTEXT_SIZE,
    RECORD_SIZE,
    SEALED_SIZE,
    Ballot,
    RecordError,
    SealError,
    check_record,
    open_record,
    open_records,
    seal,
)
from terminal.trust.signing import SigningKey
from tests.unit.conftest import flip, fuzz, json_objects, x25519_pair

BALLOT = Ballot("kg-2025", "P1", False, {"mayor": ("asanov",), "council": ("party-b", "party-a")})


def test_open_returns_what_was_sealed(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    private, public = precinct_key
    record = seal(BALLOT, public, terminal_key)
    opened = open_record(record, terminal_key.public, X25519PrivateKey.from_private_bytes(private))
    assert opened.election == "kg-2025" and opened.precinct == "P1" and opened.test is False
    # Choices come back in a fixed (sorted) order, so the order of tapping is not kept either.
    assert opened.selections == {"mayor": ("asanov",), "council": ("party-a", "party-b")}
    assert check_record(record, terminal_key.public) == record[:SEALED_SIZE]


def test_test_flag_and_blank_ballots_survive_sealing(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    private, public = precinct_key
    for ballot in (
        Ballot("e", "P", True, {"mayor": ()}),
        Ballot("e", "P", False, {}),
    ):
        assert open_record(
            seal(ballot, public, terminal_key),
            terminal_key.public,
            X25519PrivateKey.from_private_bytes(private),
        ) == (ballot)


def test_every_record_has_the_same_size_whatever_was_chosen(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    _, public = precinct_key
    ballots = [
        Ballot("e", "P", False, {}),
        Ballot("e", "P", False, {"mayor": ()}),
        Ballot("e", "P", False, {"mayor": ("a",)}),
        Ballot(
            "e",
            "P",
            False,
            {f"contest-{i}": tuple(f"c-{i}-{j}" for j in range(5)) for i in range(8)},
        ),
        Ballot("e", "P", True, {"mayor": ("x" * 600,)}),
    ]
    sizes = {len(seal(b, public, terminal_key)) for b in ballots}
    assert sizes == {RECORD_SIZE}


def test_ballot_too_large_for_the_fixed_size_is_refused(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    with pytest.raises(SealError, match="too large"):
        seal(Ballot("e", "P", False, {"c": ("x" * PLAINTEXT_SIZE,)}), precinct_key[1], terminal_key)


def test_equal_votes_give_unrelated_records(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    """Two voters choosing the same must not be recognisable as such in the box."""
    _, public = precinct_key
    a, b = seal(BALLOT, public, terminal_key), seal(BALLOT, public, terminal_key)
    assert a != b
    assert a[5:37] != b[5:37]  # a fresh ephemeral key each time


def test_sealed_record_shows_no_plaintext(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    _, public = precinct_key
    ballot = Ballot(
        "kg-2025-mayoral", "P-0042", False, {"mayor-of-bishkek": ("zhyldyz-toktosunova",)}
    )
    record = seal(ballot, public, terminal_key)
    for text in (b"zhyldyz-toktosunova", b"mayor-of-bishkek", b"kg-2025-mayoral", b"P-0042"):
        assert text not in record
    # No 8-byte stretch of the encoded ballot appears in the record.
    body = ballot.encode().rstrip(b"\0")
    assert all(body[i : i + 8] not in record for i in range(len(body) - 8))


def test_a_flipped_bit_anywhere_is_refused(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    private, public = precinct_key
    record = seal(BALLOT, public, terminal_key)
    for index in range(RECORD_SIZE):
        damaged = flip(record, index)
        with pytest.raises(SealError):
            check_record(damaged, terminal_key.public)
        with pytest.raises(SealError):
            open_record(damaged, terminal_key.public, X25519PrivateKey.from_private_bytes(private))


def test_ciphertext_altered_and_signed_again_does_not_decrypt(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    """The encryption is authenticated on its own, not only by the terminal's signature."""
    private, public = precinct_key
    sealed = seal(BALLOT, public, terminal_key)[:SEALED_SIZE]
    for index in (5, 40, 100, SEALED_SIZE - 1):
        altered = flip(sealed, index)
        resigned = altered + terminal_key.sign(altered)
        check_record(resigned, terminal_key.public)  # the signature is fine
        with pytest.raises(SealError, match="does not decrypt"):
            open_record(resigned, terminal_key.public, X25519PrivateKey.from_private_bytes(private))


@pytest.mark.parametrize("point", [bytes(32), (1).to_bytes(32, "little")])
def test_a_signed_record_with_a_low_order_ephemeral_key_does_not_decrypt(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes], point: bytes
) -> None:
    """X25519 with a low-order point gives no shared secret (cryptography raises): a record
    made so by a faulty or hostile terminal is refused like any other, and a count that
    meets it names it."""
    private, public = precinct_key
    sealed = seal(BALLOT, public, terminal_key)[:SEALED_SIZE]
    sealed = sealed[:5] + point + sealed[37:]
    record = sealed + terminal_key.sign(sealed)
    with pytest.raises(SealError, match="does not decrypt"):
        open_record(record, terminal_key.public, X25519PrivateKey.from_private_bytes(private))
    good = seal(BALLOT, public, terminal_key)
    with pytest.raises(RecordError, match="record 1: sealed ballot does not decrypt") as caught:
        open_records(
            [good, record], terminal_key.public, X25519PrivateKey.from_private_bytes(private)
        )
    assert caught.value.index == 1


def test_record_signed_by_another_terminal_is_refused(
    terminal_key: SigningKey, other_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    private, public = precinct_key
    record = seal(BALLOT, public, other_key)
    with pytest.raises(SealError, match="signature"):
        check_record(record, terminal_key.public)
    with pytest.raises(SealError, match="signature"):
        open_record(record, terminal_key.public, X25519PrivateKey.from_private_bytes(private))


def test_another_precincts_key_does_not_open_the_record(
    terminal_key: SigningKey, precinct_key: tuple[bytes, bytes]
) -> None:
    record = seal(BALLOT, precinct_key[1], terminal_key)
    other_private, _ = x25519_pair()
    with pytest.raises(SealError, match="does not decrypt"):
        open_record(record, terminal_key.public, X25519PrivateKey.from_private_bytes(other_private))


def test_records_of_the_wrong_size_or_header_are_refused(terminal_key: SigningKey) -> None:
    for record in (b"", bytes(RECORD_SIZE - 1), bytes(RECORD_SIZE + 1)):
        with pytest.raises(SealError, match="bytes"):
            check_record(record, terminal_key.public)
    # A version 2 record would need a reader that knows it.
    sealed = b"TMGB\x02" + bytes(SEALED_SIZE - 5)
    with pytest.raises(SealError, match="version 1"):
        check_record(sealed + terminal_key.sign(sealed), terminal_key.public)


def test_decode_refuses_non_zero_padding() -> None:
    padded = BALLOT.encode()
    assert Ballot.decode(padded) == Ballot(
        "kg-2025", "P1", False, {"mayor": ("asanov",), "council": ("party-a", "party-b")}
    )
    (length,) = struct.unpack(">H", padded[:2])
    for index in (2 + length, PLAINTEXT_SIZE // 2, PLAINTEXT_SIZE - 1):
        with pytest.raises(SealError, match="padding"):
            Ballot.decode(flip(padded, index))
    with pytest.raises(SealError):
        Ballot.decode(struct.pack(">H", PLAINTEXT_SIZE - 1) + padded[2:])


def test_decode_refuses_bodies_that_are_not_ballots() -> None:
    def padded(body: bytes) -> bytes:
        return struct.pack(">H", len(body)) + body + bytes(PLAINTEXT_SIZE - 2 - len(body))

    good = (
        b'{"election":"e","format":"tamga-ballot/1","precinct":"P","selections":{},"test":false}\n'
    )
    assert Ballot.decode(padded(good)) == Ballot("e", "P", False, {})
    assert padded(good) == Ballot("e", "P", False, {}).encode()  # one spelling per ballot
    for body in (
        good.replace(b"tamga-ballot/1", b"tamga-ballot/2"),
        good.replace(b'"test":false', b'"test":0'),
        good.replace(b'"selections":{}', b'"selections":{"m":"a"}'),
        good.replace(b'"selections":{}', b'"selections":{"m":[1]}'),
        good.replace(b'"selections":{}', b'"selections":[]'),
        good.replace(b'"test":false', b'"test":false,"voter":"x"'),  # nothing else, ever
        good.replace(b'"format":"tamga-ballot/1",', b""),
        good.replace(b'"election":"e"', b'"election":1'),
        good.replace(b"{}", b"{ }"),  # another spelling of the same ballot
        good[:-1],  # without the newline encode() writes
        b"[]\n",
        b"not json",
        b"",
    ):
        with pytest.raises(SealError):
            Ballot.decode(padded(body))


RANDOM_SIGNER = SigningKey.generate()
RANDOM_PRIVATE, _ = x25519_pair()


@fuzz(80)
@given(st.binary(min_size=RECORD_SIZE, max_size=RECORD_SIZE), st.booleans())
def test_random_records_never_open(data: bytes, with_header: bool) -> None:
    if with_header:
        data = b"TMGB\x01" + data[5:]
    with pytest.raises(SealError):
        check_record(data, RANDOM_SIGNER.public)
    with pytest.raises(SealError):
        open_record(data, RANDOM_SIGNER.public, X25519PrivateKey.from_private_bytes(RANDOM_PRIVATE))


@fuzz(50)
@given(st.binary(min_size=PLAINTEXT_SIZE, max_size=PLAINTEXT_SIZE))
def test_random_plaintext_is_refused(data: bytes) -> None:
    with pytest.raises(SealError):
        Ballot.decode(data[:2] + data[2:].replace(b"\0", b"\1"))


@fuzz(100)
@given(json_objects, st.booleans())
def test_json_bodies_decode_to_a_ballot_or_a_seal_error(
    value: dict[str, Any], ballot: bool
) -> None:
    if ballot:  # mostly the shape of a ballot, with random parts
        value = {
            "format": "tamga-ballot/1",
            "election": "e",
            "precinct": "P",
            "test": False,
            "selections": value,
        }
    body = canonical_json(value)
    if len(body) > PLAINTEXT_SIZE - 2:
        return
    padded = struct.pack(">H", len(body)) + body + bytes(PLAINTEXT_SIZE - 2 - len(body))
    try:
        decoded = Ballot.decode(padded)
    except SealError:
        return
    assert all(isinstance(c, str) for chosen in decoded.selections.values() for c in chosen)
