"""A hand count entered per precinct, against the electronic count.

CSV with a header `precinct,contest,choice,votes`, one row per choice of each hand-counted
contest. In Kyrgyzstan the manual count prevails where the two differ: the result then
takes the hand count for that precinct, and every difference is named.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from terminal.ballot.election import Election

HEADER = ["precinct", "contest", "choice", "votes"]

Counts = dict[str, dict[str, dict[str, int]]]  # precinct -> contest -> choice -> votes


class ManualCountError(Exception):
    """The hand-count file cannot be read; the message names the line."""


def read_manual_count(path: Path, election: Election) -> Counts:
    """The hand counts in the file, checked against the election's precincts and choices."""
    counts: Counts = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManualCountError(f"{path}: cannot read it ({exc})") from exc
    if not rows or rows[0] != HEADER:
        raise ManualCountError(f"{path} line 1: the header must be {','.join(HEADER)}")
    for number, row in enumerate(rows[1:], 2):
        where = f"{path} line {number}"
        if len(row) != 4:
            raise ManualCountError(f"{where}: expected 4 columns, found {len(row)}")
        precinct, contest_id, choice, votes = row
        contest = election.contest(contest_id)
        if election.precinct(precinct) is None:
            raise ManualCountError(f"{where}: precinct {precinct!r} is not in the election")
        if contest is None:
            raise ManualCountError(f"{where}: contest {contest_id!r} is not in the election")
        if contest.choice(choice) is None:
            raise ManualCountError(f"{where}: {choice!r} is not a choice of {contest_id}")
        if not votes.isascii() or not votes.isdigit():
            raise ManualCountError(f"{where}: votes {votes!r} is not a whole number")
        entry = counts.setdefault(precinct, {}).setdefault(contest_id, {})
        if choice in entry:
            raise ManualCountError(f"{where}: {precinct} {contest_id} {choice} given twice")
        entry[choice] = int(votes)
    for precinct, contests in counts.items():
        for contest_id, entry in contests.items():
            contest = election.contest(contest_id)
            missing = [c.id for c in contest.choices if c.id not in entry] if contest else []
            if missing:
                raise ManualCountError(
                    f"{path}: precinct {precinct} contest {contest_id}: no count for {missing[0]}"
                )
    return counts


@dataclass(frozen=True)
class Difference:
    precinct: str
    contest: str
    choice: str
    electronic: int
    manual: int

    def describe(self) -> str:
        return (
            f"precinct {self.precinct}, contest {self.contest}, {self.choice}: electronic "
            f"{self.electronic}, hand count {self.manual}: the hand count prevails (KG rule)"
        )


def differences(electronic: Counts, manual: Counts) -> list[Difference]:
    """Every choice whose hand count differs from the electronic count of its precinct."""
    found = []
    for precinct, contests in sorted(manual.items()):
        for contest, entry in sorted(contests.items()):
            counted = electronic.get(precinct, {}).get(contest, {})
            for choice, votes in sorted(entry.items()):
                if counted.get(choice, 0) != votes:
                    found.append(
                        Difference(precinct, contest, choice, counted.get(choice, 0), votes)
                    )
    return found


def prevailing(electronic: Counts, manual: Mapping[str, Mapping[str, Mapping[str, int]]]) -> Counts:
    """The counts that stand: the hand count for every hand-counted precinct and contest."""
    result = {p: {c: dict(v) for c, v in cs.items()} for p, cs in electronic.items()}
    for precinct, contests in manual.items():
        for contest, entry in contests.items():
            result.setdefault(precinct, {})[contest] = dict(entry)
    return result
