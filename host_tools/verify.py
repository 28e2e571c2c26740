"""Verifying results bundles against a signed election package, each alone and all together.

Each bundle is checked by terminal.tally.bundle.verify_bundle (signatures, hashes, chain,
counts; with the precinct key, a full recount). Across bundles, the same bundle given
twice is one bundle, and two bundles with different results from one terminal are a
conflict nobody may silently resolve by picking one.

With key-share cards, the precinct keys are rebuilt here from the cards' payload files;
every refused card gets its own message, naming the file.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from host_tools.proofs import PoolChecker
from terminal.ballot.package import Package
from terminal.jsonfmt import FormatError, load_object
from terminal.tally.bundle import (
    MANIFEST,
    MANIFEST_CAP,
    PROTOCOL,
    BundleError,
    VerifiedBundle,
    verify_bundle,
)
from terminal.tally.protocol import SLIPS_COUNTED
from terminal.tally.reconcile import ReconcileError, reconcile
from terminal.trust.files import read_file
from terminal.trust.shares import ShareCollector, ShareProblem, parse_card

CARD_CAP = 4096  # a card's payload is one line of words


class ShareCardError(Exception):
    """Key-share cards that do not rebuild a key; one line per problem, each naming a file."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


_PROBLEMS = {
    ShareProblem.NOT_A_SHARE: "not a Tamga key-share card",
    ShareProblem.OTHER_PRECINCT: "a card of another election or precinct",
    ShareProblem.DAMAGED: "damaged: the words fail the SLIP-39 checksum (misread or misprinted)",
    ShareProblem.DUPLICATE: "duplicate: the same member's card was already given",
    ShareProblem.FOREIGN_SET: "from a foreign set of cards: it does not belong with the cards "
    "given before it (another key split)",
    ShareProblem.WRONG_KEY: "wrong key: with the cards before it, it rebuilds a key that is not "
    "this precinct's sealing key in the package",
    ShareProblem.NOT_REGISTERED: "not one of the cards the package lists for this precinct "
    "(a forged card, or one of another key ceremony); the other cards are kept",
}


def rebuild_keys(package: Package, card_files: Sequence[Path]) -> dict[str, bytes]:
    """The raw private sealing key of every precinct that cards were given for.

    Each file holds one card's payload (the text of its QR code). Cards beyond the
    threshold of a precinct are not needed and not read. Raises ShareCardError listing
    every refused card and every precinct with too few good cards.
    """
    election = package.election
    collectors: dict[str, ShareCollector] = {}
    keys: dict[str, bytes] = {}
    problems: list[str] = []
    for path in card_files:
        try:
            payload = read_file(path, CARD_CAP).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read the card file ({exc})")
            continue
        card = parse_card(payload)
        if card is None:
            problems.append(f"{path}: {_PROBLEMS[ShareProblem.NOT_A_SHARE]}")
            continue
        if card.election != election.id:
            problems.append(
                f"{path}: a foreign card: it is of election {card.election!r}, not {election.id!r}"
            )
            continue
        precinct = election.precinct(card.precinct)
        if precinct is None:
            problems.append(f"{path}: precinct {card.precinct!r} is not in this election")
            continue
        if precinct.code in keys:
            continue
        collector = collectors.setdefault(
            precinct.code,
            ShareCollector(election.id, precinct.code, precinct.sealing_key, precinct.share_cards),
        )
        result = collector.add(payload)
        if isinstance(result, bytes):
            keys[precinct.code] = result
        elif result is not None:
            member = collector.last_member
            card_no = f" card {member} of {len(precinct.share_cards)}:" if member else ""
            problems.append(f"{path}: precinct {precinct.code}:{card_no} {_PROBLEMS[result]}")
    for code, collector in collectors.items():
        if code not in keys:
            problems.append(
                f"precinct {code}: too few good cards: {len(collector.shares)} given, "
                f"{collector.needed} needed"
            )
    if problems:
        raise ShareCardError(problems)
    return keys


@dataclass(frozen=True)
class BundleResult:
    """The outcome for one bundle path: verified (perhaps a copy of another), or an error."""

    path: Path
    bundle: VerifiedBundle | None
    error: str | None = None
    same_as: Path | None = None  # a bundle given earlier with the same results: counted once
    reexport: bool = False  # same_as is another export, not a copy, of the same results

    def describe(self) -> str:
        """One line for the auditor: OK with what was found, or FAIL with the reason."""
        if self.bundle is None:
            return f"FAIL {self.error}"
        p = self.bundle.protocol
        text = f"OK {self.path}: terminal {p.terminal}, precinct {p.precinct}, "
        text += f"{self.bundle.ballots} ballots"
        if self.bundle.proofs_checked:
            text += ", every ballot proof and decryption proof verifies"
        if self.bundle.recount is not None:
            text += ", recount matches the protocol"
        slips = p.lines.get(SLIPS_COUNTED)
        if slips is not None:
            cast = p.lines["ballots_cast"]
            text += f", {slips} paper slips counted in the ballot box"
            if slips != cast:
                text += f" (DIFFERENCE: {slips - cast:+d} against {cast} ballots cast)"
        if self.reexport:
            text += f" (another export of the same results as {self.same_as}: counted once)"
        elif self.same_as is not None:
            text += f" (the same bundle as {self.same_as}: counted once)"
        return text


def _claimed_precinct(path: Path) -> str | None:
    """The precinct the manifest claims, only to pick a key: verify_bundle checks the claim."""
    try:
        manifest = read_file(path / MANIFEST, MANIFEST_CAP)
        return load_object(manifest, str(path / MANIFEST)).str("precinct")
    except (OSError, FormatError):
        return None


def _verify_one(
    path: Path,
    package: Package,
    keys: Mapping[str, bytes] | None,
    check_records: bool,
    proofs: PoolChecker,
) -> VerifiedBundle:
    key = None
    if keys is not None:
        claimed = _claimed_precinct(path)
        key = keys.get(claimed) if claimed is not None else None
    bundle = verify_bundle(path, package, key, check_records, proofs)
    if keys is not None and bundle.recount is None:
        raise BundleError(
            f"{path}: no key-share cards were given for precinct {bundle.protocol.precinct}"
        )
    return bundle


def verify_bundles(
    package: Package,
    paths: Sequence[Path],
    keys: Mapping[str, bytes] | None = None,
    check_records: bool = True,
) -> list[BundleResult]:
    """Verify every bundle, then check them against each other.

    `check_records=False` (the tally) leaves out each sealed ballot's own signature: the
    signed commitment covers them all, and the totals come from the signed protocols.

    With `keys` (precinct code -> raw private key), every bundle is also decrypted and
    recounted, and a bundle of a precinct without a key fails.

    Two bundles of one terminal count once when their manifests are equal (the same
    bundle, copied) or when their signed protocols are (the terminal exported again after
    counting: the log grew by the new export, the results did not; the protocol pins the
    ballots and the log at close). Any other pair is a conflict.
    """
    results: list[BundleResult] = []
    # terminal id -> (manifest bytes, verified bundle) of the first bundle of that terminal
    seen: dict[str, tuple[bytes, VerifiedBundle]] = {}
    # Format-2 ballots' proofs on every core; the pool starts only for a big enough bundle.
    proofs = PoolChecker()
    for path in paths:
        try:
            bundle = _verify_one(path, package, keys, check_records, proofs)
        except BundleError as exc:
            results.append(BundleResult(path, None, str(exc)))
            continue
        # The manifest is signed and pins every file's hash: equal manifests, equal bundles.
        try:
            manifest = read_file(path / MANIFEST, MANIFEST_CAP)
        except OSError as exc:
            results.append(BundleResult(path, None, f"{path}/{MANIFEST}: cannot read it ({exc})"))
            continue
        terminal = bundle.protocol.terminal
        if terminal not in seen:
            seen[terminal] = (manifest, bundle)
            results.append(BundleResult(path, bundle))
            continue
        first_manifest, first = seen[terminal]
        if first_manifest == manifest or first.protocol == bundle.protocol:
            reexport = first_manifest != manifest
            results.append(BundleResult(path, bundle, same_as=first.path, reexport=reexport))
        else:
            results.append(
                BundleResult(
                    path,
                    None,
                    f"{path}/{PROTOCOL}: conflict: terminal {terminal} already has a bundle "
                    f"with other results at {first.path}; only one can count",
                )
            )
    proofs.close()
    return results


def all_verified(results: Sequence[BundleResult]) -> bool:
    return all(r.error is None for r in results)


def counted_bundles(results: Sequence[BundleResult]) -> list[VerifiedBundle]:
    """The verified bundles, each counted once; only call when all_verified(results)."""
    return [r.bundle for r in results if r.bundle is not None and r.same_as is None]


def report_results(package: Package, results: Sequence[BundleResult], quiet: bool) -> bool:
    """Print one line per bundle (OK lines only unless `quiet`), then reconcile the bundles
    of each precinct with each other; True if everything verified."""
    for result in results:
        if result.error is not None:
            print(result.describe(), file=sys.stderr)
        elif not quiet:
            print(result.describe())
    if not all_verified(results):
        return False
    try:
        notes = reconcile(counted_bundles(results), package.election)
    except ReconcileError as exc:
        for problem in exc.problems:
            print(f"FAIL {problem}", file=sys.stderr)
        return False
    for note in notes if not quiet else ():
        print(note)
    return True
