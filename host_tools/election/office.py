"""The election directory: the steps from a definition to a signed package, one command each.

    DIR/definition.toml          the definition as given (the record of what was decided)
    DIR/commission.pub.pem       the commission's public key: provision terminals with it
    DIR/commission.key.pem       its private key, PKCS#8 encrypted with the passphrase
                                 (unless --commission-key names one kept elsewhere)
    DIR/registers/<P>.json.enc   each precinct's register, encrypted with its register key
    DIR/registers/counts.json    entries per register (public: election.json states them)
    DIR/precinct-keys.enc        the precincts' register and ballot-code keys, encrypted
                                 under a key derived from the commission's private key
    DIR/election.json            the election (unsigned) once `election keys` made its keys
    DIR/terminals/<T>.pub.pem    registered terminals' public keys
    DIR/package/                 the signed package (`election sign`)

The precincts' sealing keys never touch DIR: `election keys` splits each at once into share
cards written to a directory the operator names outside DIR (a tmpfs, a removable medium).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import random
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from PIL import Image

from host_tools import commission
from host_tools.election.definition import Definition, PrecinctDefinition, load_definition
from host_tools.election.media import (
    Media,
    MediaError,
    files_of,
    read_bindings,
    read_media,
    write_media,
)
from host_tools.election.messages import _
from host_tools.voterlist.check import parse_date
from host_tools.voterlist.read import VoterListError, read_voter_list
from terminal.app.identity import (
    ENCRYPTION_PUBLIC_FILE,
    ID_FILE,
    PUBLIC_FILE,
    load_encryption_public,
)
from terminal.ballot import package as pkg
from terminal.ballot.election import Election, Precinct, TerminalEntry
from terminal.idscan.register import Register, Voter
from terminal.jsonfmt import FormatError, canonical_json, load_object
from terminal.trust import chair, envelope
from terminal.trust.files import (
    write_private_file,
    write_public_file,
)
from terminal.trust.signing import SignatureError, SigningKey, VerifyKey

DEFINITION_FILE = "definition.toml"
COMMISSION_PUBLIC = "commission.pub.pem"
COMMISSION_PRIVATE = "commission.key.pem"
REGISTERS_DIR = "registers"
COUNTS_FILE = "registers/counts.json"
PRECINCT_KEYS_FILE = "precinct-keys.enc"
ELECTION_FILE = "election.json"
PACKAGE_DIR = "package"
KEYS_AT_REST = b"tamga-precinct-keys-at-rest/1"
MIN_PASSPHRASE = 12


class OfficeError(Exception):
    """A step cannot be done; the message says why and what to do."""


# --- the commission key -----------------------------------------------------------------------


def save_commission_key(key: SigningKey, path: Path, passphrase: bytes) -> None:
    """The key as encrypted PKCS#8 PEM (0600): `openssl pkey -in FILE` asks for the phrase."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise OfficeError(
            _("the passphrase must have at least {n} characters").format(n=MIN_PASSPHRASE)
        )
    pem = key.private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    write_private_file(path, pem)


def load_commission_key(path: Path, passphrase: bytes) -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OfficeError(f"{path}: cannot read the commission key ({exc.strerror})") from exc
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as exc:
        raise OfficeError(
            f"{path}: the commission key is not encrypted; keep it encrypted with a passphrase"
        ) from exc
    except ValueError as exc:
        raise OfficeError(
            _("{path}: the passphrase does not open this key (or not a key)").format(path=path)
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise OfficeError(f"{path}: not an Ed25519 commission key")
    return SigningKey(key)


def _keys_at_rest_key(key: SigningKey, election_id: str) -> bytes:
    raw = key.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    hkdf = HKDF(hashes.SHA256(), 32, salt=None, info=KEYS_AT_REST + election_id.encode())
    return hkdf.derive(raw)


# --- create -----------------------------------------------------------------------------------


def _voters_from_csv(precinct: PrecinctDefinition, path: Path) -> tuple[Voter, ...]:
    """The register from a CEC-layout CSV: every row readable, every row of this precinct."""
    try:
        files = read_voter_list(path)
    except VoterListError as exc:
        raise OfficeError(f"precinct {precinct.code}: {exc}") from exc
    voters = []
    for voter_file in files:
        if voter_file.bad_rows:
            bad = voter_file.bad_rows[0]
            raise OfficeError(
                f"{bad.file} row {bad.row}: {bad.problem} (run `python -m host_tools voterlist "
                "check` on the list and correct it first)"
            )
        for record in voter_file.records:
            birth, issued = parse_date(record.birth_date), parse_date(record.document_issued)
            where = f"{record.file} row {record.row}"
            if record.precinct not in (precinct.number, precinct.code):
                raise OfficeError(
                    f"{where}: of precinct {record.precinct!r}, not {precinct.number} "
                    f"(give each precinct its own list)"
                )
            if birth is None or issued is None or not record.number or not record.surname:
                raise OfficeError(
                    f"{where}: incomplete or bad dates (run `python -m host_tools voterlist "
                    "check` on the list and correct it first)"
                )
            voters.append(
                Voter(
                    surname=record.surname,
                    name=record.name,
                    patronymic=record.patronymic,
                    birth_date=birth,
                    number=record.number,
                    document=record.document,
                    document_issued=issued,
                    address=record.address,
                    precinct=precinct.code,
                )
            )
    return tuple(voters)


def _synthetic_voters(precinct: PrecinctDefinition, day: dt.date, seed: int) -> tuple[Voter, ...]:
    # The simulator's voters (sim.synthetic): only for definitions that ask for them.
    from sim import synthetic

    rng = random.Random(f"{seed}:{precinct.code}")  # nosec B311: synthetic test voters
    return synthetic.make_register(precinct.code, precinct.voters_on_list, day, rng).voters


def read_registers(definition: Definition, seed: int = 1) -> dict[str, Register]:
    registers = {}
    for p in definition.precincts:
        if p.register is None:
            voters = _synthetic_voters(p, definition.spec.date, seed)
        else:
            voters = _voters_from_csv(p, p.register)
        if len(voters) != p.voters_on_list:
            raise OfficeError(
                f"precinct {p.code}: the register has {len(voters)} voters, the definition "
                f"says voters_on_list = {p.voters_on_list}; correct one of them"
            )
        try:
            registers[p.code] = Register(p.code, voters)
        except FormatError as exc:
            raise OfficeError(f"precinct {p.code}: {exc}") from exc
    return registers


def _new_directory(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise OfficeError(
            _("{dir}: exists and is not empty; name a new directory").format(dir=directory)
        )
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)


def create(
    definition_path: Path,
    directory: Path,
    passphrase: bytes,
    commission_key: Path | None = None,
    seed: int = 1,
) -> Definition:
    """`election create`: check the definition, read the registers, write DIR."""
    definition = load_definition(definition_path)
    registers = read_registers(definition, seed)
    try:
        media = read_media(definition)
    except MediaError as exc:
        raise OfficeError(str(exc)) from exc
    if commission_key is None and len(passphrase) < MIN_PASSPHRASE:
        raise OfficeError(
            _("the passphrase must have at least {n} characters").format(n=MIN_PASSPHRASE)
        )
    if commission_key is not None:
        key = load_commission_key(commission_key, passphrase)
    else:
        key = SigningKey.generate()
    _new_directory(directory)
    if commission_key is None:
        save_commission_key(key, directory / COMMISSION_PRIVATE, passphrase)
    key.public.save(directory / COMMISSION_PUBLIC)
    write_public_file(directory / DEFINITION_FILE, definition_path.read_bytes())
    keys: dict[str, dict[str, str]] = {}
    counts: dict[str, int] = {}
    for code, register in registers.items():
        # The chair's verifier joins these keys at `election keys`, when the card is made.
        register_key, code_key = os.urandom(32), os.urandom(32)
        write_public_file(
            directory / pkg.register_path(code), pkg.encrypt_register(register, register_key)
        )
        keys[code] = {"register_key": register_key.hex(), "code_key": code_key.hex()}
        counts[code] = len(register.voters)
    write_public_file(directory / COUNTS_FILE, canonical_json(counts))
    write_media(directory, media)
    _write_key_file(directory, key, definition.spec.id, keys)
    return definition


def _bindings(directory: Path) -> Media:
    try:
        return read_bindings(directory)
    except MediaError as exc:
        raise OfficeError(str(exc)) from exc


def commission_key_path(directory: Path, given: Path | None) -> Path:
    return given if given is not None else directory / COMMISSION_PRIVATE


def require_directory(directory: Path) -> None:
    """Stop unless `directory` was made by `election create`."""
    if not (directory / DEFINITION_FILE).is_file():
        raise OfficeError(
            _(
                "{dir}: not an election directory (no {file}); make one with `election create`"
            ).format(dir=directory, file=DEFINITION_FILE)
        )


def _definition(directory: Path) -> Definition:
    if not (directory / DEFINITION_FILE).is_file():
        raise OfficeError(
            _(
                "{dir}: not an election directory (no {file}); make one with `election create`"
            ).format(dir=directory, file=DEFINITION_FILE)
        )
    return load_definition(directory / DEFINITION_FILE, check_files=False)


def _read_key_file(directory: Path, key: SigningKey, election_id: str) -> dict[str, Any]:
    path = directory / PRECINCT_KEYS_FILE
    try:
        plain = envelope.decrypt(
            _keys_at_rest_key(key, election_id), path.read_bytes(), KEYS_AT_REST
        )
    except OSError as exc:
        raise OfficeError(f"{path}: {exc.strerror}") from exc
    except envelope.EnvelopeError as exc:
        raise OfficeError(
            f"{path}: does not open with this commission key (the key this directory was "
            "created with?)"
        ) from exc
    value: dict[str, Any] = json.loads(plain)
    return value


def _write_key_file(
    directory: Path, key: SigningKey, election_id: str, value: dict[str, Any]
) -> None:
    sealed = envelope.encrypt(
        _keys_at_rest_key(key, election_id), canonical_json(value), KEYS_AT_REST
    )
    write_private_file(directory / PRECINCT_KEYS_FILE, sealed)


def _precinct_keys(
    directory: Path, key: SigningKey, election_id: str
) -> dict[str, pkg.PrecinctKeys]:
    """Each precinct's keys as they are sealed to its terminals (after `election keys`)."""
    return {
        code: pkg.PrecinctKeys(
            bytes.fromhex(v["register_key"]),
            bytes.fromhex(v["code_key"]),
            chair.ChairVerifier.from_bytes(bytes.fromhex(v["chair"])),
        )
        for code, v in _read_key_file(directory, key, election_id).items()
    }


def _check_commission(directory: Path, key: SigningKey) -> None:
    if key.public.raw() != VerifyKey.load(directory / COMMISSION_PUBLIC).raw():
        raise OfficeError(
            f"this is not the commission key of {directory} (its public half is "
            f"{directory / COMMISSION_PUBLIC})"
        )


# --- keys -------------------------------------------------------------------------------------


def _inside(path: Path, directory: Path) -> bool:
    path, directory = path.resolve(), directory.resolve()
    return path == directory or directory in path.parents


def _pdf(png: bytes) -> bytes:
    image = Image.open(io.BytesIO(png)).convert("L")
    out = io.BytesIO()
    # 300 dpi: an A6 card prints at its size.
    image.save(out, format="PDF", resolution=300.0)
    return out.getvalue()


def make_keys(directory: Path, cards_dir: Path, key: SigningKey) -> list[Path]:
    """`election keys`: each precinct's sealing key, split at once into its share cards,
    and the chair's card and PIN letter; election.json gets the public halves. Returns
    the files written (all 0600, in `cards_dir`)."""
    definition = _definition(directory)
    if _inside(cards_dir, directory):
        raise OfficeError(
            _(
                "{dir}: inside the election directory; the cards are the only copies of "
                "the keys and must go elsewhere (a tmpfs or a removable medium)"
            ).format(dir=cards_dir)
        )
    if (directory / ELECTION_FILE).exists():
        raise OfficeError(
            _(
                "{file}: the keys were made already; new cards would orphan the old ones "
                "(make a new election directory to start again)"
            ).format(file=directory / ELECTION_FILE)
        )
    if cards_dir.exists() and any(cards_dir.iterdir()):
        raise OfficeError(f"{cards_dir}: not empty; name an empty directory for the cards")
    _check_commission(directory, key)
    counts = load_object((directory / COUNTS_FILE).read_bytes(), str(directory / COUNTS_FILE))
    spec = definition.spec
    secrets = _read_key_file(directory, key, spec.id)
    media = _bindings(directory)
    precincts = []
    cards: list[tuple[str, bytes]] = []
    for p in definition.precincts:
        sealing_key, elgamal_key, shares = commission.new_precinct_key(
            spec.id, p.code, definition.threshold, definition.members
        )
        chair_card, pin, verifier = chair.issue(spec.id, p.code)
        secrets[p.code]["chair"] = verifier.to_bytes().hex()
        register = (directory / pkg.register_path(p.code)).read_bytes()
        voters = counts.int(p.code)
        precincts.append(
            Precinct(
                code=p.code,
                names=p.names,
                sealing_key=sealing_key,
                register_file=pkg.register_path(p.code),
                register_sha256=pkg.sha256_hex(register),
                voters=voters,
                ballot_slots=commission.ballot_slots(voters),
                share_cards=tuple(share.digest() for share in shares),
                number=p.number,
                territory=p.district,
                premises=p.premises,
                address=p.address,
                restricted_access=p.restricted_access,
                new=p.new,
                abolished=p.abolished,
                voters_on_list=p.voters_on_list,
                elgamal_key=elgamal_key if spec.ballot_format == 2 else None,
            )
        )
        election_so_far = _election(definition, tuple(precincts), media)
        for member, share in enumerate(shares, 1):
            stem = commission.share_card_name(p.code, member, definition.members)
            png = commission.share_card_png(
                election_so_far, share, member, definition.threshold, definition.members
            )
            # The .txt is what `verify --shares` and `recount --shares` read.
            payload = share.payload().encode() + b"\n"
            cards += [(f"{stem}.png", png), (f"{stem}.pdf", _pdf(png)), (f"{stem}.txt", payload)]
        png = commission.chair_card_png(election_so_far, chair_card)
        stem = commission.chair_card_name(p.code)
        cards += [(f"{stem}.png", png), (f"{stem}.pdf", _pdf(png))]
        cards.append(
            (
                commission.pin_letter_name(p.code),
                commission.pin_letter(election_so_far, p.code, pin),
            )
        )
    election = _election(definition, tuple(precincts), media)
    cards_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = []
    for name, data in cards:
        write_private_file(cards_dir / name, data)
        written.append(cards_dir / name)
    _write_key_file(directory, key, spec.id, secrets)
    # election.json last: its presence says the cards were written.
    write_public_file(directory / ELECTION_FILE, _checked(election).to_json())
    return written


def _election(definition: Definition, precincts: tuple[Precinct, ...], media: Media) -> Election:
    spec = definition.spec
    return Election(
        id=spec.id,
        names=spec.names,
        date=spec.date,
        timezone=spec.timezone,
        polls_open=spec.polls_open,
        polls_close=spec.polls_close,
        mode=spec.mode,
        country=spec.country,
        contests=media.with_logos(spec.contests),
        precincts=precincts,
        identification=spec.identification,
        kind=spec.kind,
        territories=spec.territories,
        ballot_format=spec.ballot_format,
        recordings=media.recordings,
    )


def _checked(election: Election) -> Election:
    try:
        parsed = Election.from_json(election.to_json(), "election.json")
    except FormatError as exc:
        raise OfficeError(f"the election would not load on a terminal: {exc}") from exc
    return parsed


def load_draft(directory: Path) -> Election:
    path = directory / ELECTION_FILE
    if not path.is_file():
        raise OfficeError(f"{directory}: no {ELECTION_FILE} yet; run `election keys` first")
    try:
        return Election.from_json(path.read_bytes(), str(path))
    except FormatError as exc:
        raise OfficeError(str(exc)) from exc


# --- terminals register -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProvisionedTerminal:
    id: str
    key: VerifyKey
    encryption_key: bytes


def read_provisioned(data: Path) -> ProvisionedTerminal:
    """What `python -m terminal provision --data DATA` left for the commission."""
    try:
        terminal_id = load_object((data / ID_FILE).read_bytes(), str(data / ID_FILE)).str(
            "terminal"
        )
        key = VerifyKey.load(data / PUBLIC_FILE)
        encryption = load_encryption_public(
            (data / ENCRYPTION_PUBLIC_FILE).read_bytes(), str(data / ENCRYPTION_PUBLIC_FILE)
        )
    except OSError as exc:
        raise OfficeError(
            f"{data}: not a provisioned terminal ({exc.filename}: {exc.strerror}); run "
            "`python -m terminal provision --board BOARD --data DIR --id ID --commission-key "
            "DIR/commission.pub.pem` first"
        ) from exc
    except (FormatError, SignatureError, ValueError) as exc:
        raise OfficeError(f"{data}: {exc}") from exc
    return ProvisionedTerminal(terminal_id, key, encryption)


def register_terminals(
    directory: Path, terminals: Sequence[Path], key: SigningKey
) -> list[TerminalEntry]:
    """`terminals register`: each provisioned terminal must be one the definition plans;
    the precinct's keys are sealed to it and its public key joins the directory."""
    definition = _definition(directory)
    election = load_draft(directory)
    _check_commission(directory, key)
    plans = {t.id: (p.code, t) for p in definition.precincts for t in p.terminals}
    keys = _precinct_keys(directory, key, election.id)
    entries = list(election.terminals)
    added: list[TerminalEntry] = []
    for data in terminals:
        terminal = read_provisioned(data)
        if terminal.id not in plans:
            raise OfficeError(
                f"{data}: terminal {terminal.id} is not planned in the definition "
                f"(planned: {', '.join(sorted(plans))})"
            )
        if election.terminal(terminal.id) is not None or terminal.id in [e.id for e in added]:
            raise OfficeError(f"{data}: terminal {terminal.id} is registered already")
        code, plan = plans[terminal.id]
        entry = TerminalEntry(
            id=terminal.id,
            precinct=code,
            role=plan.role,
            public_key_file=pkg.terminal_key_path(terminal.id),
            public_key_sha256=pkg.sha256_hex(terminal.key.pem()),
            encryption_key=terminal.encryption_key,
            sealed_secrets=keys[code].seal_to(terminal.encryption_key),
        )
        added.append(entry)
        write_public_file(directory / entry.public_key_file, terminal.key.pem())
    entries += added
    updated = _checked(dataclasses.replace(election, terminals=tuple(entries)))
    write_public_file(directory / ELECTION_FILE, updated.to_json())
    return added


# --- sign -------------------------------------------------------------------------------------


def sign(directory: Path, key: SigningKey) -> pkg.Package:
    """`election sign`: write DIR/package/ signed with the commission key, and read it back
    as a terminal will (pinned to this key)."""
    election = load_draft(directory)
    _check_commission(directory, key)
    missing = [
        p.code for p in election.precincts if not p.abolished and not election.terminals_of(p.code)
    ]
    if missing:
        raise OfficeError(
            f"precincts without a registered terminal: {', '.join(missing)}; "
            "run `terminals register` for them first"
        )
    registers = {p.code: (directory / p.register_file).read_bytes() for p in election.precincts}
    terminal_keys = {
        t.id: VerifyKey.load(directory / t.public_key_file) for t in election.terminals
    }
    staging = directory / (PACKAGE_DIR + ".new")
    if staging.exists():
        shutil.rmtree(staging)
    try:
        media = files_of(directory, election)
        pkg.write_package(staging, election, registers, terminal_keys, key, media)
        package = pkg.load_package(staging, key.public)
    except (pkg.PackageError, SignatureError, MediaError) as exc:
        raise OfficeError(f"the package did not verify after signing: {exc}") from exc
    target = directory / PACKAGE_DIR
    if target.exists():
        shutil.rmtree(target)
    os.replace(staging, target)
    return dataclasses.replace(package, directory=target)
