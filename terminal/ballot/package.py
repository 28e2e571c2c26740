"""The signed election package: what the commission hands to every terminal and auditor.

Layout of the package directory:
    election.json, election.json.sig   the election definition, signed by the commission
    commission.pub.pem                 the commission's public key (for auditors; terminals
                                       check it against the key pinned at provisioning)
    registers/<precinct>.json.enc      voter registers, encrypted with the precinct's register
                                       key and bound by their SHA-256 in election.json
    terminals/<terminal id>.pub.pem    registered terminal keys, bound the same way
    recording-<hash>.wav               recorded audio-ballot lines (optional), bound the same way
    logo-<hash>.png                    party logos (optional), bound the same way
Only election.json is signed; everything else is bound to it by hash, so one signature
check and one hash per file verify the whole package.

The register is personal data: it travels encrypted, and only the terminals of its
precinct can read it. election.json gives each registered terminal the precinct's keys
(the register key, the key that authenticates ballot codes, and the chair's PIN verifier,
which would let a photographed chair card be searched for its PIN offline) sealed to the
X25519 key the terminal made at provisioning.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PIL import Image

from terminal.ballot.election import Election, Recording
from terminal.ballot.logo import LOGO_CAP, LogoError, check_logo
from terminal.idscan.register import Register
from terminal.jsonfmt import FormatError
from terminal.trust import envelope, files
from terminal.trust.chair import ChairVerifier, VerifierError
from terminal.trust.files import write_public_file
from terminal.trust.signing import SignatureError, SigningKey, VerifyKey, read_signed, write_signed

ELECTION_FILE = "election.json"
COMMISSION_KEY_FILE = "commission.pub.pem"
# Size caps: a file above its cap is refused before it is read whole.
ELECTION_CAP = 64 << 20  # thousands of precincts and terminals, each terminal's sealed keys
REGISTER_CAP = 64 << 20  # an encrypted register of tens of thousands of voters
RECORDING_CAP = 4 << 20  # a recorded line: a name or a prompt, seconds of 16-bit audio
KEY_CAP = 4096  # a PEM public key
REGISTER_PURPOSE = b"tamga-register/1"
KEYS_PURPOSE = b"tamga-precinct-keys/1"


@dataclass(frozen=True)
class PrecinctKeys:
    """What only a precinct's own terminals hold; never written to a terminal's storage."""

    register_key: bytes = field(repr=False)
    code_key: bytes = field(repr=False)
    chair: ChairVerifier = field(repr=False)

    @classmethod
    def generate(cls, chair: ChairVerifier) -> PrecinctKeys:
        return cls(os.urandom(32), os.urandom(32), chair)

    def seal_to(self, encryption_key: bytes) -> bytes:
        """The keys sealed to one terminal's X25519 public key, for election.json."""
        plain = self.register_key + self.code_key + self.chair.to_bytes()
        return envelope.seal(plain, encryption_key, KEYS_PURPOSE)


def encrypt_register(register: Register, key: bytes) -> bytes:
    """The register file of the package: only a holder of the precinct's keys reads it."""
    return envelope.encrypt(key, register.to_json(), REGISTER_PURPOSE + register.precinct.encode())


class PackageError(Exception):
    """The package is missing, altered, unsigned or signed by the wrong commission."""


def register_path(code: str) -> str:
    return f"registers/{code}.json.enc"


def terminal_key_path(terminal_id: str) -> str:
    return f"terminals/{terminal_id}.pub.pem"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_package(
    directory: Path,
    election: Election,
    register_files: dict[str, bytes],
    terminal_keys: dict[str, VerifyKey],
    commission: SigningKey,
    media: Mapping[str, bytes] | None = None,
) -> None:
    """Write every file of the package and sign election.json (host side).

    `register_files` are the encrypted registers (encrypt_register) by precinct code,
    `media` the recorded clips' and party logos' files by name.
    """
    bound = [(r.file, r.sha256, "recording") for r in election.recordings]
    bound += [(logo.file, logo.sha256, "logo") for logo in election.logos()]
    for name, sha256, what in bound:
        data = (media or {}).get(name)
        if data is None or sha256_hex(data) != sha256:
            raise PackageError(f"{what} {name} does not match election.json")
        write_public_file(directory / name, data)
    for precinct in election.precincts:
        data = register_files[precinct.code]
        if sha256_hex(data) != precinct.register_sha256:
            raise PackageError(f"register of {precinct.code} does not match election.json")
        write_public_file(directory / precinct.register_file, data)
    for terminal in election.terminals:
        pem = terminal_keys[terminal.id].pem()
        if sha256_hex(pem) != terminal.public_key_sha256:
            raise PackageError(f"key of terminal {terminal.id} does not match election.json")
        write_public_file(directory / terminal.public_key_file, pem)
    commission.public.save(directory / COMMISSION_KEY_FILE)
    write_signed(directory / ELECTION_FILE, election.to_json(), commission)


@dataclass(frozen=True)
class Package:
    """A verified election package. Files bound by hash are checked when read."""

    directory: Path
    election: Election
    commission: VerifyKey

    def _bound_file(self, relative: str, expected_sha256: str, cap: int = REGISTER_CAP) -> bytes:
        path = self.directory / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise PackageError(f"{relative}: file names must stay inside the package")
        try:
            data = files.read_file(path, cap)
        except files.UnsafeFileError as exc:
            raise PackageError(str(exc)) from exc
        except OSError as exc:
            raise PackageError(f"package/{relative}: missing ({exc.strerror})") from exc
        if sha256_hex(data) != expected_sha256:
            raise PackageError(f"package/{relative}: altered (hash differs from election.json)")
        return data

    def keys(self, terminal_id: str, private: X25519PrivateKey) -> PrecinctKeys:
        """Open the precinct's keys sealed to this terminal."""
        entry = self.election.terminal(terminal_id)
        if entry is None:
            raise PackageError(f"terminal {terminal_id!r} is not registered in this election")
        try:
            raw = envelope.open_sealed(entry.sealed_secrets, private, KEYS_PURPOSE)
        except envelope.EnvelopeError as exc:
            raise PackageError(
                f"package/{ELECTION_FILE}: the precinct keys of terminal {terminal_id} do not "
                "open with this terminal's key (sealed to another terminal?)"
            ) from exc
        try:
            return PrecinctKeys(raw[:32], raw[32:64], ChairVerifier.from_bytes(raw[64:]))
        except VerifierError as exc:
            raise PackageError(f"package/{ELECTION_FILE}: terminal {terminal_id}: {exc}") from exc

    def register(self, code: str, keys: PrecinctKeys) -> Register:
        """Decrypt and read a precinct's register (in memory only)."""
        precinct = self.election.precinct(code)
        if precinct is None:
            raise PackageError(f"precinct {code!r} is not in this election")
        data = self._bound_file(precinct.register_file, precinct.register_sha256)
        try:
            plain = envelope.decrypt(keys.register_key, data, REGISTER_PURPOSE + code.encode())
            register = Register.from_json(plain, f"package/{precinct.register_file}")
        except (envelope.EnvelopeError, FormatError) as exc:
            raise PackageError(f"package/{precinct.register_file}: {exc}") from exc
        if register.precinct != code or len(register.voters) != precinct.voters:
            raise PackageError(f"package/{precinct.register_file}: not the register of {code}")
        return register

    def recording(self, recording: Recording) -> bytes:
        """A recorded clip's bytes, checked against its hash in the signed election."""
        return self._bound_file(recording.file, recording.sha256, RECORDING_CAP)

    def logo_images(self) -> dict[str, Image.Image]:
        """Every party logo of the ballot, by its SHA-256, checked against the signed
        election and decoded (terminal/ballot/logo.py): what the ballot screens draw."""
        images = {}
        for logo in self.election.logos():
            name = f"package/{logo.file}"
            try:
                data = self._bound_file(logo.file, logo.sha256, LOGO_CAP)
                images[logo.sha256] = check_logo(data, name)
            except LogoError as exc:
                raise PackageError(str(exc)) from exc
        return images

    def terminal_key(self, terminal_id: str) -> VerifyKey:
        entry = self.election.terminal(terminal_id)
        if entry is None:
            raise PackageError(f"terminal {terminal_id!r} is not registered in this election")
        data = self._bound_file(entry.public_key_file, entry.public_key_sha256)
        try:
            return VerifyKey.from_pem(data, f"package/{entry.public_key_file}")
        except SignatureError as exc:
            raise PackageError(str(exc)) from exc


def read_commission_key(directory: Path) -> VerifyKey:
    """The package's own copy of the commission key (to be compared with a pinned one)."""
    if not (directory / ELECTION_FILE).exists():
        raise PackageError(f"{directory}: no {ELECTION_FILE}: not an election package")
    path = directory / COMMISSION_KEY_FILE
    try:
        return VerifyKey.from_pem(files.read_file(path, KEY_CAP), str(path))
    except files.UnsafeFileError as exc:
        raise PackageError(str(exc)) from exc
    except OSError as exc:
        raise PackageError(
            f"package/{COMMISSION_KEY_FILE}: cannot read it ({exc.strerror})"
        ) from exc
    except SignatureError as exc:
        raise PackageError(f"package/{COMMISSION_KEY_FILE}: {exc}") from exc


def load_package(directory: Path, trusted_commission: VerifyKey | None = None) -> Package:
    """Verify and read a package.

    A terminal passes the commission key pinned at provisioning: a package signed by any
    other key is refused even if it carries that key. An auditor may pass None to trust the
    package's own commission.pub.pem, having compared its fingerprint by other means.
    """
    commission = read_commission_key(directory)
    if trusted_commission is not None and commission.raw() != trusted_commission.raw():
        raise PackageError(
            "package is signed by another commission key than the one this terminal trusts"
        )
    key = trusted_commission or commission
    try:
        data = read_signed(directory / ELECTION_FILE, key, f"package/{ELECTION_FILE}", ELECTION_CAP)
    except SignatureError as exc:
        raise PackageError(str(exc)) from exc
    try:
        election = Election.from_json(data, f"package/{ELECTION_FILE}")
    except FormatError as exc:
        raise PackageError(str(exc)) from exc
    return Package(directory, election, key)
