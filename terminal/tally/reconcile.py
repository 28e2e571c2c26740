"""A precinct verified as a whole: the bundles of all its terminals, set against each other.

Each bundle has passed verify_bundle alone. The terminals of a precinct never talk to each
other, so one voter, one ballot holds across the station only if the host finds, for every
precinct that any bundle is given for:

- a bundle of every terminal the package registers for it (a missing desk or booth would
  hide what it did: its ballots, or the codes it issued);
- at each booth, every code used (its hash in the booth's log) issued by the desk to that
  booth, and printed; no code used at two booths; at most one ballot cast per code, and
  no ballot cast without a code;
- no more ballots in the precinct's boxes than voters who received a ballot or coupon.

Every problem is named (the terminal, the count, the first codes), all of them at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from terminal.ballot.election import Election, Role, TerminalEntry
from terminal.tally.bundle import BundleError, VerifiedBundle
from terminal.tally.code_ledger import CouponFate

SHOWN_CODES = 3  # code hashes named in a message, each cut to 16 hex digits


class ReconcileError(BundleError):
    """The bundles of one or more precincts do not add up; one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def _codes(hashes: set[str] | list[str]) -> str:
    shown = sorted(hashes)[:SHOWN_CODES]
    more = f" and {len(hashes) - len(shown)} more" if len(hashes) > len(shown) else ""
    return ", ".join(h[:16] for h in shown) + more


def _what(entry: TerminalEntry, election: Election) -> str:
    if entry.role is Role.IDENTIFY:
        return f"the identification desk {entry.id}"
    if entry.role is Role.VOTE:
        number = election.booths(entry.precinct).index(entry) + 1
        return f"booth {number} ({entry.id})"
    return f"the combined terminal {entry.id}"


def reconcile(bundles: Sequence[VerifiedBundle], election: Election) -> list[str]:
    """Check the bundles of each precinct against each other; return notes for people.

    Raises ReconcileError listing every problem of every precinct."""
    notes: list[str] = []
    problems: list[str] = []
    by_precinct: dict[str, dict[str, VerifiedBundle]] = {}
    for b in bundles:
        by_precinct.setdefault(b.protocol.precinct, {})[b.protocol.terminal] = b
    for precinct in election.precincts:
        given = by_precinct.get(precinct.code)
        if given:
            notes += _precinct(precinct.code, given, election, problems)
    if problems:
        raise ReconcileError(problems)
    return notes


def _precinct(
    code: str, given: dict[str, VerifiedBundle], election: Election, problems: list[str]
) -> list[str]:
    where = f"precinct {code}"
    registered = election.terminals_of(code)
    missing = [t for t in registered if t.id not in given]
    for entry in missing:
        problems.append(
            f"{where}: no bundle of {_what(entry, election)}, which the package registers: "
            "the precinct cannot be verified without it"
        )
    desks = [given[t.id] for t in registered if t.role is Role.IDENTIFY and t.id in given]
    booths = [t for t in registered if t.role is Role.VOTE and t.id in given]
    notes = []
    ballots = sum(b.ballots for b in given.values())
    received = sum(b.protocol.lines["voters_received_ballot"] for b in given.values())
    if not missing and ballots > received:
        problems.append(
            f"{where}: {ballots} ballots in the boxes, only {received} voters received a "
            f"ballot or coupon: {ballots - received} ballots too many"
        )
    if desks or booths:
        notes += _codes_of_precinct(where, desks, booths, given, election, problems, missing)
    notes.append(
        f"{where}: {len(given)} of {len(registered)} registered terminals reported; "
        f"{ballots} ballots, {received} voters received a ballot or coupon"
    )
    return notes


def _codes_of_precinct(
    where: str,
    desks: list[VerifiedBundle],
    booths: list[TerminalEntry],
    given: dict[str, VerifiedBundle],
    election: Election,
    problems: list[str],
    missing: list[TerminalEntry],
) -> list[str]:
    """The codes of a desk-and-booths precinct; the problems go to `problems`."""
    notes = []
    fates: Counter[CouponFate] = sum((d.codes.fates() for d in desks), start=Counter())
    issued: dict[str, dict[str, CouponFate]] = {}
    for desk in desks:
        for booth, codes in desk.codes.issued.items():
            issued.setdefault(booth, {}).update(codes)
    desk_missing = any(t.role is Role.IDENTIFY for t in missing)
    seen: dict[str, str] = {}  # code hash -> the booth it was used at
    total_used = 0
    for entry in booths:
        bundle = given[entry.id]
        name = _what(entry, election)
        used = bundle.codes.used
        total_used += len(used)
        mine = issued.get(entry.id, {})
        if not desk_missing:
            foreign = {h for h in used if h not in mine}
            if foreign:
                problems.append(
                    f"{where}: {name} used {len(foreign)} codes the desk never issued to it: "
                    f"{_codes(foreign)}"
                )
            void = {h for h in used if mine.get(h) is CouponFate.VOID}
            if void:
                problems.append(
                    f"{where}: {name} used {len(void)} codes whose coupons were never "
                    f"printed (coupon_void): {_codes(void)}"
                )
        twice = {h for h in used if h in seen}
        for h in sorted(twice):
            problems.append(f"{where}: code {h[:16]} used at {name} and at {seen[h]}")
        seen.update({h: name for h in used if h not in seen})
        doubled = {h for h, n in used.items() if n > 1}
        if doubled:
            problems.append(
                f"{where}: {name} cast more than one ballot with {len(doubled)} codes: "
                f"{_codes(doubled)}"
            )
        if bundle.codes.cast_without_code:
            problems.append(
                f"{where}: {name} cast {bundle.codes.cast_without_code} ballots with no code"
            )
        unused = sum(1 for h, f in mine.items() if f is not CouponFate.VOID and h not in used)
        notes.append(
            f"{where}: {name}: {len(mine)} codes issued to it, {len(used)} used, "
            f"{unused} not used, {bundle.ballots} ballots"
        )
    printed = fates[CouponFate.PRINTED] + fates[CouponFate.INTERRUPTED]
    lines = [d.protocol.lines for d in desks]
    coupons = sum(line["coupons_issued"] - line["coupons_void"] for line in lines)
    if desks and not missing and total_used > coupons:
        problems.append(
            f"{where}: {total_used} ballot codes used at the booths, only {coupons} coupons "
            "printed at the desk"
        )
    if desks:
        notes.append(
            f"{where}: {coupons} coupons printed, {total_used} codes used at the booths, "
            f"{max(0, coupons - total_used)} coupons not used; codes by event: "
            f"{fates[CouponFate.PRINTED]} printed (print_finished), "
            f"{fates[CouponFate.INTERRUPTED]} cut off while printing (print_interrupted), "
            f"{fates[CouponFate.VOID]} never printed (coupon_void), "
            f"{fates[CouponFate.UNPRINTED]} not printed; {printed} could be used"
        )
    return notes
