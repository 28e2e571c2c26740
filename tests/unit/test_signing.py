"""Signed artifacts: X plus X.sig, checked by our code and by stock OpenSSL alike."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from terminal.trust.signing import (
    SignatureError,
    SigningKey,
    VerifyKey,
    read_signed,
    sig_path,
    write_signed,
)
from tests.unit.conftest import flip

DATA = b'{"format":"tamga-protocol/1","votes":{"asanov":12}}\n'

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def openssl_verifies(pub: Path, path: Path, sig: Path | None = None) -> bool:
    result = subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(pub),
            "-rawin",
            "-in",
            str(path),
            "-sigfile",
            str(sig or sig_path(path)),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    verified = result.returncode == 0 and "Signature Verified Successfully" in result.stdout
    assert verified or result.returncode != 0, result  # never "success" without saying so
    return verified


def test_written_data_reads_back(tmp_path: Path, terminal_key: SigningKey) -> None:
    path = tmp_path / "protocol.json"
    write_signed(path, DATA, terminal_key)
    assert path.read_bytes() == DATA
    assert len(sig_path(path).read_bytes()) == 64
    assert sig_path(path).name == "protocol.json.sig"
    assert read_signed(path, terminal_key.public) == DATA


def test_altered_data_or_signature_is_refused_naming_the_file(
    tmp_path: Path, terminal_key: SigningKey
) -> None:
    path = tmp_path / "protocol.json"
    write_signed(path, DATA, terminal_key)
    signature = sig_path(path).read_bytes()
    for index in range(0, len(DATA), 5):
        path.write_bytes(flip(DATA, index))
        with pytest.raises(
            SignatureError, match=r"bundle/protocol\.json: signature does not verify"
        ):
            read_signed(path, terminal_key.public, "bundle/protocol.json")
    path.write_bytes(DATA)
    for index in range(64):
        sig_path(path).write_bytes(flip(signature, index, 0x80))
        with pytest.raises(SignatureError, match=re.escape(str(path))):
            read_signed(path, terminal_key.public)
    path.write_bytes(DATA + b" ")
    sig_path(path).write_bytes(signature)
    with pytest.raises(SignatureError):
        read_signed(path, terminal_key.public)


def test_signature_by_another_key_is_refused(
    tmp_path: Path, terminal_key: SigningKey, other_key: SigningKey
) -> None:
    path = tmp_path / "protocol.json"
    write_signed(path, DATA, other_key)
    with pytest.raises(SignatureError, match="wrong key"):
        read_signed(path, terminal_key.public)


@pytest.mark.parametrize("size", [0, 1, 63, 65, 128])
def test_signature_of_the_wrong_size_is_refused(
    tmp_path: Path, terminal_key: SigningKey, size: int
) -> None:
    path = tmp_path / "X"
    write_signed(path, DATA, terminal_key)
    sig_path(path).write_bytes((sig_path(path).read_bytes() * 3)[:size])
    with pytest.raises(
        SignatureError, match=rf"X\.sig: a signature is 64 bytes, this one is {size}"
    ):
        read_signed(path, terminal_key.public, "X")


def test_missing_signature_or_file_is_named(tmp_path: Path, terminal_key: SigningKey) -> None:
    path = tmp_path / "events.checkpoint"
    write_signed(path, DATA, terminal_key)
    sig_path(path).unlink()
    with pytest.raises(SignatureError, match=r"bundle/events\.checkpoint\.sig: missing signature"):
        read_signed(path, terminal_key.public, "bundle/events.checkpoint")
    path.unlink()
    with pytest.raises(SignatureError, match=r"bundle/events\.checkpoint: missing"):
        read_signed(path, terminal_key.public, "bundle/events.checkpoint")


def test_keys_survive_saving_and_loading(tmp_path: Path, terminal_key: SigningKey) -> None:
    terminal_key.save(tmp_path / "terminal.key.pem")
    terminal_key.public.save(tmp_path / "terminal.pub.pem")
    loaded = SigningKey.load(tmp_path / "terminal.key.pem")
    public = VerifyKey.load(tmp_path / "terminal.pub.pem")
    assert loaded.public.raw() == public.raw() == terminal_key.public.raw()
    assert public.fingerprint() == terminal_key.public.fingerprint()
    assert len(public.fingerprint()) == 64
    assert (tmp_path / "terminal.pub.pem").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


def test_public_keys_that_are_not_ed25519_pem_are_refused(tmp_path: Path) -> None:
    x25519 = X25519PrivateKey.generate().public_key()
    pem = x25519.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(SignatureError, match="not an Ed25519 public key"):
        VerifyKey.from_pem(pem, "k.pem")
    with pytest.raises(SignatureError, match="not a PEM public key"):
        VerifyKey.from_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    with pytest.raises(SignatureError, match="cannot read"):
        VerifyKey.load(tmp_path / "missing.pem")


@needs_openssl
def test_openssl_verifies_every_signature_and_refuses_tampering(
    tmp_path: Path, terminal_key: SigningKey, other_key: SigningKey
) -> None:
    pub = tmp_path / "terminal.pub.pem"
    terminal_key.public.save(pub)
    samples = {
        "protocol.json": DATA,
        "ballots.bin": bytes(range(256)) * 40,
        "open.checkpoint": b"tamga/e/P1/T-1\n3\n" + b"A" * 43 + b"=\n",
    }
    for name, data in samples.items():
        write_signed(tmp_path / name, data, terminal_key)
        assert openssl_verifies(pub, tmp_path / name), name
    # Tampered data, tampered signature, another signer: OpenSSL refuses them as we do.
    path = tmp_path / "protocol.json"
    path.write_bytes(flip(DATA, 10))
    assert not openssl_verifies(pub, path)
    path.write_bytes(DATA)
    good = sig_path(path).read_bytes()
    sig_path(path).write_bytes(flip(good, 40))
    assert not openssl_verifies(pub, path)
    write_signed(path, DATA, other_key)
    assert not openssl_verifies(pub, path)


@needs_openssl
def test_a_signature_made_by_openssl_reads_with_our_code(
    tmp_path: Path, terminal_key: SigningKey
) -> None:
    key = tmp_path / "terminal.key.pem"
    terminal_key.save(key)
    path = tmp_path / "X"
    path.write_bytes(DATA)
    subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-sign",
            "-inkey",
            str(key),
            "-rawin",
            "-in",
            str(path),
            "-out",
            str(sig_path(path)),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    assert read_signed(path, terminal_key.public) == DATA
