"""Envelopes: data sealed to one X25519 public key, and data under a symmetric key.

The package uses them to give each terminal of a precinct, and only those, the precinct's
secrets: the key of its encrypted voter register and the key that authenticates ballot
codes. A sealed envelope is an ephemeral X25519 key agreement, HKDF-SHA256 and
ChaCha20-Poly1305 (the same construction as a sealed ballot, for another purpose):

    sealed    = ephemeral public key (32) || ciphertext
    encrypted = nonce (12) || ciphertext
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

NONCE_SIZE = 12


class EnvelopeError(ValueError):
    """The envelope is damaged, or not for this key or purpose."""


def raw_public(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _key(shared: bytes, ephemeral: bytes, recipient: bytes, purpose: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=purpose
    ).derive(shared)


def seal(plaintext: bytes, recipient: bytes, purpose: bytes) -> bytes:
    """Seal `plaintext` so that only the holder of `recipient`'s private key opens it."""
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = raw_public(ephemeral)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    key = _key(shared, ephemeral_raw, recipient, purpose)
    # A fresh key per envelope makes a fixed nonce safe.
    return ephemeral_raw + ChaCha20Poly1305(key).encrypt(bytes(NONCE_SIZE), plaintext, purpose)


def open_sealed(sealed: bytes, private: X25519PrivateKey, purpose: bytes) -> bytes:
    """Open one envelope sealed to `private`'s public half."""
    if len(sealed) < 32 + 16:
        raise EnvelopeError("sealed envelope too short")
    opened = open_many([sealed], private, purpose)[0]
    if opened is None:
        raise EnvelopeError("sealed envelope does not open with this key")
    return opened


def open_many(
    envelopes: Sequence[bytes], private: X25519PrivateKey, purpose: bytes
) -> list[bytes | None]:
    """Open many envelopes sealed to one key: each one's plaintext, or None where it does
    not open. Each step runs over all of them in turn, not envelope by envelope: a recount
    opens thousands, and keeping each primitive's code and tables in cache makes that about
    a fifth faster (bench/host.py, measured beside the primitives alone)."""
    public = raw_public(private)
    ephemerals = [e[:32] if len(e) >= 32 + 16 else None for e in envelopes]
    shared = [_exchange(private, e) if e is not None else None for e in ephemerals]
    keys = [
        _key(s, e, public, purpose) if s is not None and e is not None else None
        for s, e in zip(shared, ephemerals, strict=True)
    ]
    nonce = bytes(NONCE_SIZE)
    opened: list[bytes | None] = []
    for key, envelope in zip(keys, envelopes, strict=True):
        try:
            opened.append(
                None
                if key is None
                else ChaCha20Poly1305(key).decrypt(nonce, envelope[32:], purpose)
            )
        except InvalidTag:
            opened.append(None)
    return opened


def _exchange(private: X25519PrivateKey, ephemeral: bytes) -> bytes | None:
    """The shared secret, or None for an ephemeral key that gives none (a low-order point)."""
    try:
        return private.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    except ValueError:
        return None


def encrypt(key: bytes, plaintext: bytes, purpose: bytes) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    return nonce + ChaCha20Poly1305(key).encrypt(nonce, plaintext, purpose)


def decrypt(key: bytes, data: bytes, purpose: bytes) -> bytes:
    if len(data) < NONCE_SIZE + 16:
        raise EnvelopeError("encrypted data too short")
    try:
        return ChaCha20Poly1305(key).decrypt(data[:NONCE_SIZE], data[NONCE_SIZE:], purpose)
    except InvalidTag as exc:
        raise EnvelopeError("encrypted data does not decrypt with this key") from exc
