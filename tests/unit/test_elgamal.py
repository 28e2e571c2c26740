"""Exponential ElGamal over the Ed25519 group and its proofs: what an auditor relies on."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terminal.tally import elgamal
from terminal.tally.elgamal import Ciphertext, DecryptionProof, GroupError, RangeProof

SECRET = elgamal.random_scalar()
PUBLIC = elgamal.public_key(SECRET)
CONTEXT = b"election|precinct|contest"


def test_the_installed_libsodium_passes_the_self_test() -> None:
    assert elgamal.self_test() is None


@pytest.mark.parametrize("small", elgamal.SMALL_ORDER_POINTS)
def test_a_point_with_a_small_order_component_is_refused(small: bytes) -> None:
    mixed = elgamal.add(elgamal.base(7), small)
    with pytest.raises(GroupError, match="small-order"):
        elgamal.point(mixed, "A")
    with pytest.raises(GroupError):
        elgamal.point(small, "A")
    good = elgamal.encrypt(PUBLIC, 1, 5)
    with pytest.raises(GroupError):
        Ciphertext.decode(good.a + mixed, "ciphertext")


def test_points_and_scalars_must_be_canonical() -> None:
    with pytest.raises(GroupError, match="32 bytes"):
        elgamal.point(bytes(31), "A")
    with pytest.raises(GroupError):
        elgamal.point(b"\xff" * 32, "A")  # not canonical (y >= p)
    with pytest.raises(GroupError):
        elgamal.point(elgamal.IDENTITY, "A")
    with pytest.raises(GroupError, match="reduced"):
        elgamal.decode_scalar(elgamal.L.to_bytes(32, "little"), "z")
    assert elgamal.decode_scalar((elgamal.L - 1).to_bytes(32, "little"), "z") == elgamal.L - 1


def test_ciphertexts_add_up_and_decrypt_with_a_proof() -> None:
    votes = [1, 0, 1, 1, 0, 1]
    cts = [elgamal.encrypt(PUBLIC, v, elgamal.random_scalar()) for v in votes]
    total = elgamal.aggregate(cts)
    logs = elgamal.DiscreteLog(len(votes))
    m, proof = elgamal.decrypt(SECRET, total, logs, CONTEXT)
    assert m == 4
    assert elgamal.check_decryption(PUBLIC, total, 4, proof, CONTEXT)
    # The proof says exactly this count of exactly this aggregate in exactly this context.
    assert not elgamal.check_decryption(PUBLIC, total, 3, proof, CONTEXT)
    assert not elgamal.check_decryption(PUBLIC, total, 5, proof, CONTEXT)
    assert not elgamal.check_decryption(PUBLIC, total, 4, proof, CONTEXT + b"x")
    assert not elgamal.check_decryption(PUBLIC, total + cts[0], 4, proof, CONTEXT)
    other = elgamal.public_key(elgamal.random_scalar())
    assert not elgamal.check_decryption(other, total, 4, proof, CONTEXT)
    bad = DecryptionProof(proof.challenge, (proof.response + 1) % elgamal.L)
    assert not elgamal.check_decryption(PUBLIC, total, 4, bad, CONTEXT)


def test_zero_votes_decrypt_to_zero() -> None:
    total = elgamal.aggregate([elgamal.encrypt(PUBLIC, 0, elgamal.random_scalar())] * 3)
    m, proof = elgamal.decrypt(SECRET, total, elgamal.DiscreteLog(3), CONTEXT)
    assert m == 0 and elgamal.check_decryption(PUBLIC, total, 0, proof, CONTEXT)


def test_a_count_beyond_the_table_is_refused() -> None:
    total = elgamal.aggregate([elgamal.encrypt(PUBLIC, 1, elgamal.random_scalar())] * 3)
    with pytest.raises(GroupError, match="count"):
        elgamal.decrypt(SECRET, total, elgamal.DiscreteLog(2), CONTEXT)


@pytest.mark.parametrize("m", [0, 1])
def test_a_zero_one_proof_verifies_for_its_statement_only(m: int) -> None:
    r = elgamal.random_scalar()
    ct = elgamal.encrypt(PUBLIC, m, r)
    proof = elgamal.prove_range(PUBLIC, ct, m, r, (0, 1), CONTEXT)
    assert elgamal.check_range(PUBLIC, ct, (0, 1), proof, CONTEXT)
    assert not elgamal.check_range(PUBLIC, ct, (0, 1), proof, CONTEXT + b"other contest")
    assert not elgamal.check_range(PUBLIC, ct, (0, 2), proof, CONTEXT)
    assert not elgamal.check_range(elgamal.public_key(3), ct, (0, 1), proof, CONTEXT)
    other = elgamal.encrypt(PUBLIC, m, elgamal.random_scalar())
    assert not elgamal.check_range(PUBLIC, other, (0, 1), proof, CONTEXT)
    again = RangeProof.decode(proof.encode(), 2, "proof")
    assert again == proof and len(proof.encode()) == elgamal.proof_size(2)


def test_a_value_outside_the_set_cannot_be_proven() -> None:
    r = elgamal.random_scalar()
    ct = elgamal.encrypt(PUBLIC, 2, r)
    with pytest.raises(ValueError):
        elgamal.prove_range(PUBLIC, ct, 2, r, (0, 1), CONTEXT)
    # A prover who pretends it is 1 makes a proof that does not verify.
    forged = elgamal.prove_range(PUBLIC, ct, 1, r, (0, 1), CONTEXT)
    assert not elgamal.check_range(PUBLIC, ct, (0, 1), forged, CONTEXT)


def test_a_set_of_several_values() -> None:
    values = (1, 2, 3, 4)
    r = elgamal.random_scalar()
    ct = elgamal.encrypt(PUBLIC, 3, r)
    proof = elgamal.prove_range(PUBLIC, ct, 3, r, values, CONTEXT)
    assert elgamal.check_range(PUBLIC, ct, values, proof, CONTEXT)
    assert not elgamal.check_range(PUBLIC, ct, (1, 2, 4, 5), proof, CONTEXT)


def test_the_same_nonce_reencrypts_to_the_same_ciphertext() -> None:
    r = elgamal.random_scalar()
    ct = elgamal.encrypt(PUBLIC, 1, r)
    assert elgamal.reencrypt_check(PUBLIC, ct, 1, r)
    assert not elgamal.reencrypt_check(PUBLIC, ct, 0, r)
    assert not elgamal.reencrypt_check(PUBLIC, ct, 1, r + 1)


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=128, max_size=128), st.binary(min_size=64, max_size=64))
def test_random_bytes_are_never_a_valid_proof(proof: bytes, ciphertext: bytes) -> None:
    ct = elgamal.encrypt(PUBLIC, 1, 9)
    try:
        decoded = RangeProof.decode(proof, 2, "proof")
    except GroupError:
        decoded = None
    if decoded is not None:
        assert not elgamal.check_range(PUBLIC, ct, (0, 1), decoded, CONTEXT)
    # Random bytes are almost never a point; when they are, they are a whole valid one.
    with contextlib.suppress(GroupError):
        decoded_ct = Ciphertext.decode(ciphertext, "ciphertext")
        assert elgamal.point(decoded_ct.a, "A") and elgamal.point(decoded_ct.b, "B")
