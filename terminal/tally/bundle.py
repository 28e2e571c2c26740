"""The results bundle: what leaves the terminal at close, written and verified here.

    protocol.json(.sig)              the signed results protocol
    events.jsonl                     the event log, whole
    checkpoints/<reason>.txt(.sig)   signed log checkpoints (open, close, export)
    ballots.bin                      the filled slots, compacted and sorted by their bytes
    ballots.commitment.json(.sig)    the signed count and hash of ballots.bin
    decryption.json(.sig)            ballot format 2: every option's sum over the ballots,
                                     its decryption and proof (tally/decryption.py)
    spoiled.json                     ballot format 2: the challenged ballots, their choices
                                     and nonces, never counted (tally/spoiled.py)
    terminal.pub.pem                 the terminal's key (the package's copy is the one trusted)
    manifest.json(.sig)              the SHA-256 of every other file, signed last

Verification trusts nothing the bundle says about itself: the terminal's key comes from
the election package, every signature, hash, chain link and count is checked, and every
failure names the file it was found in.
"""

from __future__ import annotations

import contextlib
import hashlib
import operator
import os
import stat
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terminal.ballot.election import Election, Precinct, Role
from terminal.ballot.package import ELECTION_CAP, ELECTION_FILE, Package, PackageError
from terminal.invariants import InvariantError
from terminal.jsonfmt import FormatError, canonical_json, load_object
from terminal.tally import decryption, elgamal, spoiled
from terminal.tally.ballot_box import Commitment, split_records
from terminal.tally.code_ledger import CodeLedger, read_ledger
from terminal.tally.count import CountError, count_records, count_verifiable
from terminal.tally.decryption import (
    Aggregates,
    BallotProofError,
    Decryption,
    DecryptionError,
    check_ballots,
)
from terminal.tally.enclosure_lines import OPENING_KINDS, SLIP_KINDS, while_open
from terminal.tally.encrypted_ballot import Context
from terminal.tally.event_log import (
    CHECKPOINT_REASONS,
    Checkpoint,
    Log,
    LogError,
    origin,
    read_log,
)
from terminal.tally.protocol import ENCLOSURE_OPENINGS, SLIPS_COUNTED, Protocol
from terminal.tally.sealing import (
    MAX_RECORD_SIZE,
    SealError,
    ballot_body,
    check_record,
    context,
    record_format,
)
from terminal.tally.spoiled import SpoiledError
from terminal.tally.tracking import tracking_code
from terminal.trust import files as safe_files
from terminal.trust.files import write_public_file
from terminal.trust.signing import SIGNATURE_SIZE, SigningKey, VerifyKey, sig_path

FORMAT = "tamga-bundle/1"
MANIFEST = "manifest.json"
PROTOCOL = "protocol.json"
EVENTS = "events.jsonl"
BALLOTS = "ballots.bin"
COMMITMENT = "ballots.commitment.json"
TERMINAL_KEY = "terminal.pub.pem"
# Size caps of the format (size_cap): a file above its cap is refused before it is read.
MANIFEST_CAP = 1 << 20  # a few hundred names with their hashes
SMALL_FILE_CAP = 4096  # a checkpoint, the commitment, a PEM public key
FILE_CAPS = {PROTOCOL: 1 << 20, COMMITMENT: SMALL_FILE_CAP, TERMINAL_KEY: SMALL_FILE_CAP}
# The log of a day: some ten records a voter of a few thousand, a few hundred bytes each,
# with room for every refused scan of a long day.
FILE_CAPS[EVENTS] = 256 << 20
OTHER_FILE_CAP = 64 << 20  # a file a later format adds, until it names its own cap
DECRYPTION = decryption.FILE
SPOILED = spoiled.FILE

# Checks the proofs of format-2 ballot bodies and returns their aggregates (BallotProofError
# naming the first ballot that fails): check_ballots here, a process pool on the host.
ProofChecker = Callable[[Sequence[bytes], Election, Context], Aggregates]


class BundleError(Exception):
    """The bundle does not verify; the message starts with the file at fault."""


def checkpoint_name(reason: str) -> str:
    return f"checkpoints/{reason}.txt"


def write_bundle(
    directory: Path, files: dict[str, bytes], signer: SigningKey, ids: dict[str, str]
) -> None:
    """Write the bundle's files, then the signed manifest over all of them (terminal side).

    `files` maps bundle-relative names to bytes, signatures included; `ids` holds the
    election, precinct and terminal ids.
    """
    for name, data in files.items():
        write_public_file(directory / name, data)
    manifest = canonical_json(
        {
            "format": FORMAT,
            **ids,
            "files": {
                name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())
            },
        }
    )
    write_public_file(directory / MANIFEST, manifest)
    write_public_file(sig_path(directory / MANIFEST), signer.sign(manifest))


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose every check passed."""

    path: Path
    protocol: Protocol
    kinds: Counter[str]  # events of each kind up to the close (see _count_kinds)
    # Counts, not the records: a host verifying a region would hold gigabytes of them. A
    # recount reads ballots.bin again and checks it against this verified hash first.
    ballots: int
    ballots_sha256: str
    recount: dict[str, dict[str, int]] | None  # per contest, from decrypted ballots
    codes: CodeLedger  # the ballot codes its log shows issued (desk) or used (booth)
    proofs_checked: bool = False  # format 2: every ballot's proofs and the decryptions verified


def _fail(bundle: Path, name: str, message: str) -> BundleError:
    return BundleError(f"{bundle}/{name}: {message}")


def size_cap(name: str, precinct: Precinct) -> int:
    """The most bytes the format lets the bundle file `name` of a terminal of `precinct`
    hold: a larger file is refused before it is read whole."""
    if name.endswith(".sig"):
        return SIGNATURE_SIZE
    if name == BALLOTS:
        return precinct.ballot_slots * MAX_RECORD_SIZE  # whichever ballot format
    if name.startswith("checkpoints/"):
        return SMALL_FILE_CAP
    return FILE_CAPS.get(name, OTHER_FILE_CAP)


class _Reader:
    """A bundle directory opened once, without following links at any level; every file
    is read relative to it with lstat-checked, no-follow opens and its size cap."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle
        try:
            self.fd = safe_files.open_directory(bundle)
        except FileNotFoundError as exc:
            raise BundleError(f"{bundle}: missing (no such directory)") from exc
        except OSError as exc:
            raise BundleError(f"{bundle}: cannot be read as a bundle ({exc})") from exc

    def close(self) -> None:
        os.close(self.fd)

    def read(self, name: str, cap: int) -> bytes:
        *parents, leaf = name.split("/")
        fd = self.fd
        try:
            for part in parents:
                child = safe_files.open_subdirectory(fd, part, self.bundle / part)
                if fd != self.fd:
                    os.close(fd)
                fd = child
            return safe_files.read_at(fd, leaf, self.bundle / name, cap)
        except safe_files.UnsafeFileError as exc:
            raise BundleError(str(exc)) from exc  # names the file, or the link on its way
        except OSError as exc:
            raise _fail(self.bundle, name, f"missing or unreadable ({exc.strerror})") from exc
        finally:
            if fd != self.fd:
                os.close(fd)

    def entries(self) -> tuple[set[str], set[str]]:
        """The regular files and the directories under the bundle, by relative name;
        a link, FIFO, device file or socket is refused naming it."""
        regular: set[str] = set()
        directories: set[str] = set()
        try:
            self._walk(self.fd, "", regular, directories, 0)
        except OSError as exc:
            raise BundleError(f"{self.bundle}: cannot list the bundle ({exc})") from exc
        return regular, directories

    def _walk(
        self, fd: int, prefix: str, regular: set[str], directories: set[str], depth: int
    ) -> None:
        if depth > safe_files.MAX_TREE_DEPTH:
            raise _fail(self.bundle, prefix, "nests too deep: refused")
        for name in sorted(os.listdir(fd)):
            relative = prefix + name
            mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            if stat.S_ISREG(mode):
                regular.add(relative)
            elif stat.S_ISDIR(mode):
                directories.add(relative)
                child = safe_files.open_subdirectory(fd, name, self.bundle / relative)
                try:
                    self._walk(child, relative + "/", regular, directories, depth + 1)
                finally:
                    os.close(child)
            else:
                what = safe_files.describe(mode)
                raise _fail(self.bundle, relative, f"is {what}, not a file of a bundle: refused")


def _signed(bundle: Path, name: str, key: VerifyKey, files: dict[str, bytes]) -> bytes:
    data, signature = files[name], files[name + ".sig"]
    if len(signature) != SIGNATURE_SIZE or not key.verify(signature, data):
        raise _fail(bundle, name, "signature does not verify with the registered terminal key")
    return data


def _manifest(
    bundle: Path, package: Package
) -> tuple[dict[str, Any], VerifyKey, dict[str, bytes], dict[str, str]]:
    """The signed manifest's ids, the terminal's key, and every listed file with its SHA-256
    (each checked against the manifest)."""
    reader = _Reader(bundle)
    try:
        return _read_manifest(reader, package)
    finally:
        reader.close()


def _read_manifest(
    reader: _Reader, package: Package
) -> tuple[dict[str, Any], VerifyKey, dict[str, bytes], dict[str, str]]:
    bundle = reader.bundle
    data = reader.read(MANIFEST, MANIFEST_CAP)
    signature = reader.read(MANIFEST + ".sig", SIGNATURE_SIZE)
    try:
        f = load_object(data, f"{bundle}/{MANIFEST}")
        if f.str("format") != FORMAT:
            raise FormatError(f"{bundle}/{MANIFEST}: format must be {FORMAT!r}")
        terminal = f.str("terminal")
        listed = f.strings("files")
        ids = {"election": f.str("election"), "precinct": f.str("precinct"), "terminal": terminal}
    except FormatError as exc:
        raise BundleError(str(exc)) from exc
    try:
        key = package.terminal_key(terminal)
    except PackageError as exc:
        raise _fail(bundle, MANIFEST, f"made by an unregistered terminal ({exc})") from exc
    if not key.verify(signature, data):
        raise _fail(bundle, MANIFEST, "signature does not verify with the registered terminal key")
    # Only now is anything the manifest lists looked at.
    entry = package.election.terminal(terminal)
    precinct = package.election.precinct(entry.precinct) if entry is not None else None
    if precinct is None:
        raise _fail(bundle, MANIFEST, f"terminal {terminal} has no precinct in the package")
    for name in listed:
        parts = name.split("/")
        if name in (MANIFEST, MANIFEST + ".sig") or any(p in ("", ".", "..") for p in parts):
            raise _fail(bundle, MANIFEST, f"lists a file outside the bundle: {name!r}")
    regular, directories = reader.entries()
    # A directory is there only to hold listed files (checkpoints/): any other is refused.
    holders = {
        "/".join(name.split("/")[:i]) for name in listed for i in range(1, name.count("/") + 1)
    }
    stray = sorted(directories - holders)
    if stray:
        raise _fail(bundle, stray[0], "a directory the signed manifest does not list: refused")
    extra = sorted(regular - set(listed) - {MANIFEST, MANIFEST + ".sig"})
    if extra:
        raise _fail(bundle, extra[0], "not listed in the signed manifest")
    contents: dict[str, bytes] = {}
    for name, digest in listed.items():
        content = reader.read(name, size_cap(name, precinct))
        if hashlib.sha256(content).hexdigest() != digest:
            raise _fail(bundle, name, "altered (its SHA-256 differs from the signed manifest)")
        contents[name] = content
    required = [PROTOCOL, EVENTS, BALLOTS, COMMITMENT]
    for name in required + [checkpoint_name(r) for r in CHECKPOINT_REASONS]:
        for needed in (name, name + ".sig") if name != EVENTS and name != BALLOTS else (name,):
            if needed not in contents:
                raise _fail(bundle, needed, "missing from the bundle")
    return ids, key, contents, listed


def _check_ids(bundle: Path, name: str, found: dict[str, str], expected: dict[str, str]) -> None:
    for field in ("election", "precinct", "terminal"):
        if found[field] != expected[field]:
            raise _fail(
                bundle,
                name,
                f"is for {field} {found[field]!r}, the bundle is for {expected[field]!r}",
            )


def _lines_of_kind(log: Log, kind: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, data) of every record of a kind that is rare in a log."""
    found = []
    for shape, (_, shape_kind, data) in enumerate(log.meanings):
        if shape_kind == kind:
            index = -1
            with contextlib.suppress(ValueError):  # list.index: the search runs in C
                while True:
                    index = log.shapes.index(shape, index + 1)
                    found.append((index + 1, data))
    return sorted(found, key=operator.itemgetter(0))


def _count_kinds(log: Log, end: int) -> Counter[str]:
    """How many of the first `end` records are of each kind; a first issue of a ballot or
    coupon (not a reissue) counts under "<kind>/first" as well."""
    kinds: Counter[str] = Counter()
    for shape, count in Counter(log.shapes[:end]).items():
        _, kind, data = log.meanings[shape]
        kinds[kind] += count
        if data.get("reissue") is False:
            kinds[f"{kind}/first"] += count
    return kinds


def _check_protocol_logged(bundle: Path, log: Log, closed_at: int, protocol: bytes) -> None:
    """The log (pinned by the export checkpoint) says which protocol the terminal signed
    after the close: a protocol re-signed later with the terminal's key is not that one."""
    signed = [data for number, data in _lines_of_kind(log, "protocol_signed") if number > closed_at]
    if not signed:
        raise _fail(bundle, EVENTS, "records no protocol_signed after the close checkpoint")
    digest = hashlib.sha256(protocol).hexdigest()
    if signed[-1].get("protocol_sha256") != digest:
        raise _fail(
            bundle,
            PROTOCOL,
            "is not the protocol the terminal logged signing (the last protocol_signed record "
            f"names {signed[-1].get('protocol_sha256')!r}, this file's SHA-256 is {digest})",
        )


def verify_bundle(
    bundle: Path,
    package: Package,
    private_key: bytes | None = None,
    check_records: bool = True,
    proofs: ProofChecker = check_ballots,
) -> VerifiedBundle:
    """Check every signature, hash, chain link and count of one bundle against the package.

    `check_records=False` skips each sealed ballot's own signature (the tally's path: the
    signed commitment covers ballots.bin whole), and in ballot format 2 each ballot's proofs
    (the decryption proofs are still checked against the signed sums).

    In ballot format 2, every ballot's proofs are checked with `proofs`, the ciphertexts
    added up and every decryption proof checked: the protocol's totals must be the proven
    decryptions. No key is needed for that.

    With the precinct's private key (rebuilt from share cards), also decrypt every ballot
    and check that the recount equals the signed protocol.
    """
    election: Election = package.election
    ids, key, files, digests = _manifest(bundle, package)
    if ids["election"] != election.id:
        raise _fail(bundle, MANIFEST, f"is for election {ids['election']!r}, not {election.id!r}")
    entry = election.terminal(ids["terminal"])
    if entry is None:
        raise InvariantError("invariant broken: entry is not None")
    if ids["precinct"] != entry.precinct:
        raise _fail(
            bundle,
            MANIFEST,
            f"terminal {entry.id} is registered for precinct "
            f"{entry.precinct}, not {ids['precinct']}",
        )
    precinct = election.precinct(entry.precinct)
    if precinct is None:
        raise InvariantError("invariant broken: precinct is not None")

    try:
        protocol = Protocol.from_json(_signed(bundle, PROTOCOL, key, files), f"{bundle}/{PROTOCOL}")
    except FormatError as exc:
        raise BundleError(str(exc)) from exc
    _check_ids(bundle, PROTOCOL, vars(protocol), ids)
    if protocol.mode != election.mode.value:
        raise _fail(
            bundle, PROTOCOL, f"is a {protocol.mode} protocol in a {election.mode.value} election"
        )

    try:
        log, torn = read_log(files[EVENTS], f"{bundle}/{EVENTS}")
    except LogError as exc:
        raise BundleError(str(exc)) from exc
    if torn:
        raise _fail(bundle, EVENTS, "ends in an incomplete record")
    loaded = _lines_of_kind(log, "package_loaded")
    if not loaded or any(
        {k: data[k] for k in ("election", "precinct", "terminal")} != ids for _, data in loaded
    ):
        raise _fail(
            bundle, EVENTS, "was not written by this terminal for this election and precinct"
        )
    package_sha256 = hashlib.sha256(
        safe_files.read_file(package.directory / ELECTION_FILE, ELECTION_CAP)
    ).hexdigest()
    if any(data["package_sha256"] != package_sha256 for _, data in loaded):
        raise _fail(bundle, EVENTS, "the terminal loaded another version of the election package")
    # The protocol's mode is checked above; the log also shows a test package and an official
    # one sharing an election id in one terminal, where test ballots could have entered the box.
    mode = election.mode.value
    for number, data in loaded:
        if data["mode"] != mode:
            raise _fail(
                bundle,
                EVENTS,
                f"line {number}: the terminal loaded a {data['mode']} package, "
                f"this is a {mode} election; test and official ballots never mix",
            )
    expected_origin = origin(ids["election"], ids["precinct"], ids["terminal"])
    checkpoints = {}
    for reason in CHECKPOINT_REASONS:
        name = checkpoint_name(reason)
        try:
            checkpoint = Checkpoint.from_bytes(
                _signed(bundle, name, key, files), f"{bundle}/{name}", reason
            )
        except LogError as exc:
            raise BundleError(str(exc)) from exc
        if checkpoint.origin != expected_origin:
            raise _fail(bundle, name, f"origin {checkpoint.origin!r} is not {expected_origin!r}")
        if not checkpoint.matches(log.hashes):
            raise _fail(bundle, EVENTS, f"does not extend the signed {reason} checkpoint")
        checkpoints[reason] = checkpoint
    close, export = checkpoints["close"], checkpoints["export"]
    if (protocol.log_size, protocol.log_head) != (close.size, close.head):
        raise _fail(bundle, PROTOCOL, "log size and head differ from the close checkpoint")
    # Every exported record is signed: a record past the export checkpoint would be pinned
    # by the manifest alone, which a terminal key signs at any time after the fact.
    if len(log) != export.size:
        raise _fail(
            bundle,
            EVENTS,
            f"holds {len(log)} records, the signed export checkpoint covers {export.size}",
        )
    if not checkpoints["open"].size <= close.size <= export.size:
        raise _fail(bundle, checkpoint_name("close"), "is not between the open and export ones")
    _check_protocol_logged(bundle, log, close.size, files[PROTOCOL])

    try:
        commitment = Commitment.from_json(
            _signed(bundle, COMMITMENT, key, files), f"{bundle}/{COMMITMENT}"
        )
    except FormatError as exc:
        raise BundleError(str(exc)) from exc
    _check_ids(bundle, COMMITMENT, vars(commitment), ids)
    if hashlib.sha256(files[COMMITMENT]).hexdigest() != protocol.ballots_commitment:
        raise _fail(
            bundle, PROTOCOL, "names another ballot commitment than ballots.commitment.json"
        )
    ballots = files[BALLOTS]
    if digests[BALLOTS] != commitment.sha256:  # the file's own hash, checked by _manifest
        raise _fail(bundle, BALLOTS, "hash differs from the signed commitment")
    try:
        shape = record_format(election)
        records = split_records(ballots, f"{bundle}/{BALLOTS}", shape.size)
    except (FormatError, SealError) as exc:
        raise BundleError(str(exc)) from exc
    # Each record's own signature: checked here for an audit, or while decrypting for a
    # recount (once, not twice). A tally needs neither: the signed commitment already binds
    # every byte of ballots.bin to the terminal, and the totals come from the signed protocol.
    if check_records and private_key is None:
        for index, record in enumerate(records):
            try:
                check_record(record, key, shape)
            except SealError as exc:
                raise _fail(bundle, BALLOTS, f"record {index}: {exc}") from exc
    if commitment.count != len(records):
        raise _fail(
            bundle, COMMITMENT, f"says {commitment.count} ballots, ballots.bin has {len(records)}"
        )

    lines = protocol.lines
    role = entry.role
    # What this role gives a voter on the register: a coupon at the desk, else a ballot.
    kinds = _count_kinds(log, close.size)
    issue = "coupon_issued" if role is Role.IDENTIFY else "ballot_issued"
    first_issues = 0 if role is Role.VOTE else kinds[f"{issue}/first"]
    checks = [
        ("voters_on_register", precinct.voters),
        ("ballots_cast", len(records)),
        ("ballots_cast", kinds["ballot_cast"]),
        ("ballots_issued", kinds["ballot_issued"]),
        ("voters_received_ballot", first_issues),
        ("ballots_void", kinds["ballot_void"]),
        ("coupons_issued", kinds["coupon_issued"]),
        ("coupons_void", kinds["coupon_void"]),
        ("codes_refused", kinds["ballot_code_refused"] + kinds["ballot_code_other_booth"]),
        ("issued_on_bare_number", kinds["issued_on_bare_number"]),
    ]
    if SLIPS_COUNTED in lines or ENCLOSURE_OPENINGS in lines:
        kinds_in_order = [log.meanings[shape][1] for shape in log.shapes[: close.size]]
        checks.append((SLIPS_COUNTED, while_open(kinds_in_order, SLIP_KINDS)))
        checks.append((ENCLOSURE_OPENINGS, while_open(kinds_in_order, OPENING_KINDS)))
    for line, value in checks:
        if lines[line] != value:
            raise _fail(bundle, PROTOCOL, f"line {line} is {lines[line]}, the bundle shows {value}")
    if lines["ballots_issued"] != lines["ballots_cast"] + lines["ballots_void"]:
        raise _fail(bundle, PROTOCOL, "ballots issued differ from ballots cast plus void")
    if role is Role.IDENTIFY and (lines["ballots_issued"] or records):
        raise _fail(bundle, PROTOCOL, "an identification desk cannot hold ballots")
    if lines["issued_on_bare_number"] and not election.identification.accept_bare_number:
        raise _fail(
            bundle,
            PROTOCOL,
            f"{lines['issued_on_bare_number']} issued on a bare IIN/PIN, which the election "
            "does not accept",
        )
    part = entry.register_part
    if part is not None and lines["voters_received_ballot"] > part.stop - part.start:
        raise _fail(
            bundle,
            PROTOCOL,
            f"{lines['voters_received_ballot']} voters received a ballot, the terminal's part "
            f"of the register has {part.stop - part.start}",
        )
    if set(protocol.contests) != {c.id for c in election.contests}:
        raise _fail(bundle, PROTOCOL, "contests differ from the election's")
    for contest in election.contests:
        result = protocol.contests[contest.id]
        if set(result.votes) != {c.id for c in contest.choices}:
            raise _fail(
                bundle, PROTOCOL, f"choices of contest {contest.id} differ from the election's"
            )
        if sum(result.votes.values()) + result.blank > len(records) * contest.max_selections:
            raise _fail(bundle, PROTOCOL, f"contest {contest.id} has more votes than ballots")
        if contest.max_selections == 1 and sum(result.votes.values()) + result.blank != len(
            records
        ):
            raise _fail(
                bundle, PROTOCOL, f"contest {contest.id}: votes plus blank differ from ballots cast"
            )

    checked = False
    if election.ballot_format == 2 and role is not Role.IDENTIFY:
        _verify_decryption(
            bundle, election, ids, key, files, records, protocol, proofs if check_records else None
        )
        checked = check_records
        _verify_spoiled(bundle, election, precinct, key, files, records)
    recount = None
    if private_key is not None:
        try:
            if election.ballot_format == 2:
                counted = count_verifiable(
                    records, key, private_key, election, precinct, ids["terminal"]
                )
            else:
                counted = count_records(records, key, private_key, election, ids["precinct"])
        except CountError as exc:
            raise _fail(bundle, BALLOTS, str(exc)) from exc
        recount = counted.votes
        if recount != {cid: r.votes for cid, r in protocol.contests.items()} or counted.blank != {
            cid: r.blank for cid, r in protocol.contests.items()
        }:
            raise _fail(
                bundle,
                PROTOCOL,
                f"precinct {ids['precinct']}: the recount of the decrypted ballots differs "
                "from the protocol",
            )
    codes = read_ledger(log, close.size)
    return VerifiedBundle(
        bundle, protocol, kinds, len(records), digests[BALLOTS], recount, codes, checked
    )


def _verify_spoiled(
    bundle: Path,
    election: Election,
    precinct: Precinct,
    key: VerifyKey,
    files: dict[str, bytes],
    records: list[bytes],
) -> None:
    """Every challenged ballot re-encrypts its printed choices and none is counted."""
    if SPOILED not in files:
        return  # nobody challenged (a terminal writes an empty list then; older ones none)
    try:
        ballots = spoiled.decode(files[SPOILED], f"{bundle}/{SPOILED}")
        cast = {tracking_code(ballot_body(r)) for r in records}
        spoiled.check(ballots, election, precinct, key, cast)
    except (FormatError, SpoiledError) as exc:
        raise _fail(bundle, SPOILED, str(exc)) from exc


def _verify_decryption(
    bundle: Path,
    election: Election,
    ids: dict[str, str],
    key: VerifyKey,
    files: dict[str, bytes],
    records: list[bytes],
    protocol: Protocol,
    proofs: ProofChecker | None,
) -> None:
    """Ballot format 2: the signed decryptions prove the protocol's totals. With `proofs`,
    every ballot's proofs are checked and the sums recomputed from ballots.bin; without
    (the tally), the decryption proofs are checked against the signed sums."""
    unsafe = elgamal.self_test()
    if unsafe is not None:
        raise BundleError(f"cannot check format-2 ballots here: {unsafe}")
    if DECRYPTION not in files or DECRYPTION + ".sig" not in files:
        raise _fail(bundle, DECRYPTION, "missing from the bundle (ballot format 2)")
    precinct = election.precinct(ids["precinct"])
    if precinct is None:
        raise InvariantError("invariant broken: precinct is not None")
    ctx = context(election, precinct)
    try:
        decrypted = Decryption.from_json(
            _signed(bundle, DECRYPTION, key, files), f"{bundle}/{DECRYPTION}", election
        )
    except FormatError as exc:
        raise BundleError(str(exc)) from exc
    _check_ids(bundle, DECRYPTION, vars(decrypted), ids)
    if decrypted.ballots != len(records):
        raise _fail(
            bundle, DECRYPTION, f"says {decrypted.ballots} ballots, ballots.bin has {len(records)}"
        )
    if proofs is not None:
        try:
            sums = proofs([ballot_body(r) for r in records], election, ctx)
        except BallotProofError as exc:
            raise _fail(bundle, BALLOTS, str(exc)) from exc
    else:
        sums = tuple(
            tuple(decrypted.contests[c.id][o].aggregate for o in decrypted.contests[c.id])
            for c in election.contests
        )
    try:
        decryption.verify(decrypted, election, ctx, sums)
    except DecryptionError as exc:
        raise _fail(bundle, DECRYPTION, str(exc)) from exc
    votes, blank = decrypted.votes(election)
    for contest in election.contests:
        result = protocol.contests[contest.id]
        if (result.votes, result.blank) != (votes[contest.id], blank[contest.id]):
            raise _fail(
                bundle,
                PROTOCOL,
                f"contest {contest.id}: the totals differ from the proven decryptions",
            )
