"""Totals over verified bundles, and recounts of their decrypted ballots.

The tally sums the terminals' signed protocols; it is only ever given bundles that
verified (host_tools.verify), each counted once. A recount decrypts a bundle's ballots
with the precinct key, using the terminal's own counting code, and sets the result
beside the signed protocol.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from terminal.ballot.election import Election, Mode, localized
from terminal.ballot.package import Package
from terminal.invariants import InvariantError
from terminal.tally.ballot_box import split_records
from terminal.tally.bundle import BALLOTS, VerifiedBundle, size_cap
from terminal.tally.count import Count, CountError, count_records, count_verifiable
from terminal.tally.protocol import ENCLOSURE_OPENINGS, LINES, OPTIONAL_LINES, SLIPS_COUNTED
from terminal.tally.sealing import record_format
from terminal.trust.files import read_file

LINE_LABELS = {
    "voters_on_register": "Избирателей в списке / Voters on the register",
    "voters_received_ballot": "Получили бюллетень / Voters who received a ballot",
    "ballots_issued": "Выдано бюллетеней / Ballots issued",
    "ballots_void": "Аннулировано бюллетеней / Ballots void",
    "ballots_cast": "Подано бюллетеней / Ballots cast",
    "damaged_slots": "Повреждённых ячеек / Damaged ballot slots",
    "coupons_issued": "Выдано талонов / Coupons issued",
    "coupons_void": "Талонов не напечатано / Coupons never printed",
    "codes_refused": "Отклонено кодов / Ballot codes refused",
    "issued_on_bare_number": "Выдано по одному ИИН/ПИН / Issued on a bare IIN/PIN",
    SLIPS_COUNTED: "Бюллетеней в урне по датчику / Paper slips counted in the ballot box",
    ENCLOSURE_OPENINGS: "Вскрытий пломбы или урны / Seal or ballot box lid opened",
}
BLANK_LABEL = "Без отметки / No selection"
TEST_BANNER = "*** TEST ELECTION / ТЕСТОВЫЕ ВЫБОРЫ: test results, never official ***"


@dataclass(frozen=True)
class Totals:
    """The sum of the protocols of the counted bundles."""

    votes: dict[str, dict[str, int]]  # contest id -> choice id -> votes, every choice
    blank: dict[str, int]  # contest id -> ballots with no selection in it
    lines: dict[str, int]
    precincts: tuple[str, ...]  # the precincts with at least one bundle, sorted
    bundles: int


def sum_protocols(election: Election, bundles: Sequence[VerifiedBundle]) -> Totals:
    """Add up the signed protocols of verified bundles, each given once.

    A precinct with two devices (identification and voting) has two bundles; the one of
    the identification terminal may hold no ballots. Both report the same register, so
    voters on the register are counted once per precinct; every other line is summed.
    """
    votes = {c.id: {ch.id: 0 for ch in c.choices} for c in election.contests}
    blank = {c.id: 0 for c in election.contests}
    lines = dict.fromkeys(LINES, 0)
    precincts: set[str] = set()
    for bundle in bundles:
        protocol = bundle.protocol
        for contest_id, result in protocol.contests.items():
            for choice_id, n in result.votes.items():
                votes[contest_id][choice_id] += n
            blank[contest_id] += result.blank
        for line, value in protocol.lines.items():
            if line != "voters_on_register":
                lines[line] = lines.get(line, 0) + value
        precincts.add(protocol.precinct)
    for code in precincts:
        precinct = election.precinct(code)
        if precinct is None:
            raise InvariantError("invariant broken: precinct is not None")
        lines["voters_on_register"] += precinct.voters
    return Totals(votes, blank, lines, tuple(sorted(precincts)), len(bundles))


def totals_json(election: Election, totals: Totals) -> dict[str, Any]:
    """The open-data form: the election and its mode, every choice of every contest (zeros
    included); the totals of a test election carry the test banner as well."""
    marked = {"test": TEST_BANNER} if election.mode is Mode.TEST else {}
    return {
        "election": election.id,
        "mode": election.mode.value,
        **marked,
        "contests": totals.votes,  # real choice ids only
        "blank": totals.blank,  # ballots with no mark in the contest (void ones: "lines")
        "precincts": list(totals.precincts),
        "lines": totals.lines,
        "bundles": totals.bundles,
    }


def _bilingual(names: dict[str, str]) -> str:
    ru, en = localized(names, "ru"), localized(names, "en")
    return ru if ru == en else f"{ru} / {en}"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    — "


def _row(label: str, *cells: str) -> str:
    return f"  {label:<52}" + "".join(f"{cell:>12}" for cell in cells)


def render_totals(election: Election, totals: Totals) -> str:
    """The human-readable results: one table per contest, then the protocol lines; a test
    election's begin and end with the test banner."""
    test = election.mode is Mode.TEST
    out = [
        *([TEST_BANNER] if test else []),
        f"{_bilingual(election.names)} ({election.id}, {election.date.isoformat()})",
        f"Bundles: {totals.bundles}; precincts reported: {len(totals.precincts)} of "
        f"{len(election.precincts)} ({', '.join(totals.precincts) or 'none'})",
    ]
    ballots = totals.lines["ballots_cast"]
    for contest in election.contests:
        out += ["", f"{contest.id}: {_bilingual(contest.titles)}", _row("", "votes", "percent")]
        for choice in contest.choices:
            n = totals.votes[contest.id][choice.id]
            out.append(_row(_bilingual(choice.names), str(n), _percent(n, ballots)))
        n = totals.blank[contest.id]
        out.append(_row(BLANK_LABEL, str(n), _percent(n, ballots)))
    out += ["", "Protocol lines, summed / Строки протокола, сумма"]
    out += [_row(LINE_LABELS[line], str(totals.lines[line])) for line in LINES]
    for line in OPTIONAL_LINES:
        if line in totals.lines:
            out.append(_row(LINE_LABELS[line], str(totals.lines[line])))
    out += ["", TEST_BANNER] if test else []
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class Recount:
    """A bundle's decrypted and recounted ballots, beside its signed protocol."""

    bundle: VerifiedBundle
    count: Count

    @property
    def matches(self) -> bool:
        contests = self.bundle.protocol.contests
        return self.count.votes == {cid: r.votes for cid, r in contests.items()} and (
            self.count.blank == {cid: r.blank for cid, r in contests.items()}
        )


def recount(package: Package, bundle: VerifiedBundle, private_key: bytes) -> Recount:
    """Decrypt and count a verified bundle's ballots; CountError if a ballot cannot be counted,
    or if ballots.bin is no longer the file that was verified."""
    protocol = bundle.protocol
    path = bundle.path / BALLOTS
    precinct = package.election.precinct(protocol.precinct)
    if precinct is None:
        raise CountError(f"precinct {protocol.precinct} is not in the package")
    try:
        exported = read_file(path, size_cap(BALLOTS, precinct))
    except OSError as exc:
        raise CountError(f"cannot read it again ({exc.strerror})") from exc
    if hashlib.sha256(exported).hexdigest() != bundle.ballots_sha256:
        raise CountError("it changed after it was verified")
    election = package.election
    # As verified: whole, sorted records.
    records = split_records(exported, str(path), record_format(election).size)
    signer = package.terminal_key(protocol.terminal)
    if election.ballot_format == 2:
        precinct = election.precinct(protocol.precinct)
        if precinct is None:
            raise InvariantError("invariant broken: precinct is not None")
        count = count_verifiable(
            records, signer, private_key, election, precinct, protocol.terminal
        )
    else:
        count = count_records(records, signer, private_key, election, protocol.precinct)
    return Recount(bundle, count)


def render_recount(election: Election, result: Recount) -> str:
    """The recount next to the protocol, choice by choice; differences are marked."""
    protocol = result.bundle.protocol
    out = [
        f"{result.bundle.path}: terminal {protocol.terminal}, precinct {protocol.precinct}, "
        f"{result.count.ballots} ballots decrypted"
    ]
    for contest in election.contests:
        signed = protocol.contests[contest.id]
        out += [f"{contest.id}: {_bilingual(contest.titles)}", _row("", "protocol", "recount")]
        rows = [
            (_bilingual(c.names), signed.votes[c.id], result.count.votes[contest.id][c.id])
            for c in contest.choices
        ]
        rows.append((BLANK_LABEL, signed.blank, result.count.blank[contest.id]))
        for label, expected, found in rows:
            mark = "" if expected == found else "  <-- differs"
            out.append(_row(label, str(expected), str(found)) + mark)
    return "\n".join(out) + "\n"
