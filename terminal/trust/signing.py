"""Signed artifacts: the exact bytes of a file `X` plus `X.sig`, a raw 64-byte Ed25519 signature.

Anyone can check one with stock OpenSSL:
    openssl pkeyutl -verify -pubin -inkey key.pub.pem -rawin -in X -sigfile X.sig
Public keys are PEM SubjectPublicKeyInfo; private keys are PKCS#8 PEM files of mode 0600.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from terminal.trust.files import UnsafeFileError, read_file, write_private_file, write_public_file

SIGNATURE_SUFFIX = ".sig"
SIGNATURE_SIZE = 64


class SignatureError(Exception):
    """A signature is missing, malformed or does not match; the message names the file."""


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with the public half's fingerprint for messages and ids."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: Path) -> SigningKey:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise SignatureError(f"{path}: not an Ed25519 private key")
        return cls(key)

    def save(self, path: Path) -> None:
        """Write the private key as PKCS#8 PEM with mode 0600, durably."""
        pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private_file(path, pem)

    @property
    def public(self) -> VerifyKey:
        return VerifyKey(self.private.public_key())

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


@dataclass(frozen=True)
class VerifyKey:
    """An Ed25519 public key, stored as PEM SubjectPublicKeyInfo."""

    public: Ed25519PublicKey

    @classmethod
    def from_pem(cls, pem: bytes, source: str = "public key") -> VerifyKey:
        try:
            key = serialization.load_pem_public_key(pem)
        except ValueError as exc:
            raise SignatureError(f"{source}: not a PEM public key") from exc
        if not isinstance(key, Ed25519PublicKey):
            raise SignatureError(f"{source}: not an Ed25519 public key")
        return cls(key)

    @classmethod
    def load(cls, path: Path) -> VerifyKey:
        try:
            pem = path.read_bytes()
        except OSError as exc:
            raise SignatureError(f"{path}: cannot read public key ({exc.strerror})") from exc
        return cls.from_pem(pem, str(path))

    def pem(self) -> bytes:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def fingerprint(self) -> str:
        """SHA-256 of the raw key, hex: short enough to print, long enough to compare."""
        return hashlib.sha256(self.raw()).hexdigest()

    def save(self, path: Path) -> None:
        write_public_file(path, self.pem())

    def verify(self, signature: bytes, data: bytes) -> bool:
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            self.public.verify(signature, data)
        except InvalidSignature:
            return False
        return True


def sig_path(path: Path) -> Path:
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def write_signed(path: Path, data: bytes, key: SigningKey) -> None:
    """Write `data` to `path` and its signature to `path.sig`, both durably."""
    write_public_file(path, data)
    write_public_file(sig_path(path), key.sign(data))


def read_signed(
    path: Path, key: VerifyKey, name: str | None = None, limit: int | None = None
) -> bytes:
    """Return the bytes of `path` if `path.sig` is a valid signature by `key`.

    Both are read without following links, the file refused above `limit` bytes. Raises
    SignatureError naming the file (`name`, or the path) otherwise.
    """
    label = name or str(path)
    try:
        data = read_file(path, limit)
    except UnsafeFileError as exc:
        raise SignatureError(str(exc)) from exc
    except OSError as exc:
        raise SignatureError(f"{label}: missing or unreadable ({exc.strerror})") from exc
    try:
        # Read up to a page, so that a signature of the wrong size is named as such below.
        signature = read_file(sig_path(path), 4096)
    except UnsafeFileError as exc:
        raise SignatureError(str(exc)) from exc
    except OSError as exc:
        raise SignatureError(f"{label}.sig: missing signature ({exc.strerror})") from exc
    if len(signature) != SIGNATURE_SIZE:
        raise SignatureError(
            f"{label}.sig: a signature is {SIGNATURE_SIZE} bytes, this one is {len(signature)}"
        )
    if not key.verify(signature, data):
        raise SignatureError(f"{label}: signature does not verify (file altered or wrong key)")
    return data
