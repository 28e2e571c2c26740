"""The election as the database holds it: the hierarchy, the ballot, and results per unit.

A unit is a precinct, a district, a region or the whole election. A precinct belongs to
the district its registry entry names, a district to its parent region; a package without
the hierarchy puts every precinct under no district, and such a precinct is still counted
in the total. Only counted bundles (db.COUNTED) add to the results: a conflict, a failed
bundle or another export of the same results never does.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from host_tools.collect import db
from host_tools.messages import LANGUAGES, message
from terminal.ballot.election import localized

# The protocol lines a results row carries, summed over a unit's counted bundles.
LINES = ("voters_received_ballot", "ballots_issued", "ballots_cast", "ballots_void")
NONE_ID = ""  # the district (or region) of precincts the package puts under none


class Level(Enum):
    PRECINCT = "precinct"
    DISTRICT = "district"
    REGION = "region"
    TOTAL = "total"


@dataclass(frozen=True)
class ElectionInfo:
    id: str
    names: dict[str, str]
    kind: str
    mode: str
    date: str
    package_sha256: str
    commission_fingerprint: str


@dataclass(frozen=True)
class ChoiceInfo:
    contest: str
    id: str
    names: dict[str, str]
    party: dict[str, str] | None
    ballot_number: int | None

    @property
    def column(self) -> str:
        return f"{self.contest}.{self.id}"


@dataclass(frozen=True)
class ContestInfo:
    id: str
    titles: dict[str, str]
    choices: tuple[ChoiceInfo, ...]


@dataclass(frozen=True)
class Territory:
    id: str
    kind: str
    names: dict[str, str]
    parent: str | None


@dataclass(frozen=True)
class PrecinctInfo:
    code: str
    number: str
    names: dict[str, str]
    district: str  # NONE_ID when the package has no district for it
    voters_on_list: int


@dataclass
class Row:
    """One unit's results: its identifiers, then counts that add up from precincts."""

    ids: dict[str, str]  # column -> text (codes and names)
    precincts: int = 0
    precincts_reported: int = 0
    voters_on_list: int = 0
    voters_on_list_reported: int = 0  # of the precincts that reported: turnout's base
    lines: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LINES, 0))
    votes: dict[str, int] = field(default_factory=dict)  # choice column -> votes
    blank: dict[str, int] = field(default_factory=dict)  # contest id -> ballots

    @property
    def turnout(self) -> float | None:
        """Ballots cast per voter on the lists of the precincts that reported, in percent."""
        base = self.voters_on_list_reported
        return 100 * self.lines["ballots_cast"] / base if base else None

    def add(self, other: Row) -> None:
        self.precincts += other.precincts
        self.precincts_reported += other.precincts_reported
        self.voters_on_list += other.voters_on_list
        self.voters_on_list_reported += other.voters_on_list_reported
        for line, n in other.lines.items():
            self.lines[line] += n
        for column, n in other.votes.items():
            self.votes[column] = self.votes.get(column, 0) + n
        for contest, n in other.blank.items():
            self.blank[contest] = self.blank.get(contest, 0) + n


def _names(text: str | None) -> dict[str, str]:
    return dict(json.loads(text)) if text else {}


class Database:
    """Read access to a results database (connection made by db.connect)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        row = connection.execute("SELECT * FROM election").fetchone()
        if row is None:
            raise db.DatabaseError("the database holds no election yet: run collect first")
        self.election = ElectionInfo(row[0], _names(row[1]), row[2], row[3], row[4], row[6], row[7])
        self.territories = {
            r[0]: Territory(r[0], r[1], _names(r[2]), r[3])
            for r in connection.execute("SELECT id, kind, names, parent FROM territory ORDER BY id")
        }
        self.precincts = [
            PrecinctInfo(r[0], r[1], _names(r[2]), r[3] or NONE_ID, r[4])
            for r in connection.execute(
                "SELECT code, number, names, district, voters_on_list FROM precinct "
                "ORDER BY position"
            )
        ]
        choices: dict[str, list[ChoiceInfo]] = defaultdict(list)
        for r in connection.execute(
            "SELECT contest, id, names, party, ballot_number FROM choice ORDER BY contest, position"
        ):
            party = _names(r[3]) if r[3] else None
            choices[r[0]].append(ChoiceInfo(r[0], r[1], _names(r[2]), party, r[4]))
        self.contests = [
            ContestInfo(r[0], _names(r[1]), tuple(choices[r[0]]))
            for r in connection.execute("SELECT id, titles FROM contest ORDER BY position")
        ]

    @property
    def languages(self) -> list[str]:
        """The languages the election's names are given in, in the desk's order."""
        return [lang for lang in LANGUAGES if lang in self.election.names]

    def district_of(self, precinct: PrecinctInfo) -> Territory | None:
        return self.territories.get(precinct.district)

    def region_of(self, precinct: PrecinctInfo) -> Territory | None:
        district = self.district_of(precinct)
        if district is None:
            return None
        if district.kind == "region":  # a precinct placed directly under a region
            return district
        return self.territories.get(district.parent or "")

    # --- results ----------------------------------------------------------------------------

    def precinct_rows(self, language: str) -> list[Row]:
        """One row per precinct of the registry, in registry order (zeros if none reported)."""
        counted: dict[str, set[int]] = defaultdict(set)
        lines: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LINES, 0))
        votes: dict[str, dict[str, int]] = defaultdict(dict)
        blank: dict[str, dict[str, int]] = defaultdict(dict)
        for precinct, bundle in self.connection.execute(
            "SELECT precinct, id FROM bundle WHERE status = ?", (db.COUNTED,)
        ):
            counted[precinct].add(bundle)
        for precinct, line, value in self.connection.execute(
            "SELECT b.precinct, p.line, SUM(p.value) FROM protocol_line p JOIN bundle b "
            "ON b.id = p.bundle WHERE b.status = ? GROUP BY b.precinct, p.line",
            (db.COUNTED,),
        ):
            if line in LINES:
                lines[precinct][line] = value
        for precinct, contest, choice, n in self.connection.execute(
            "SELECT b.precinct, v.contest, v.choice, SUM(v.votes) FROM vote v JOIN bundle b "
            "ON b.id = v.bundle WHERE b.status = ? GROUP BY b.precinct, v.contest, v.choice",
            (db.COUNTED,),
        ):
            votes[precinct][f"{contest}.{choice}"] = n
        for precinct, contest, n in self.connection.execute(
            "SELECT b.precinct, k.contest, SUM(k.ballots) FROM blank k JOIN bundle b "
            "ON b.id = k.bundle WHERE b.status = ? GROUP BY b.precinct, k.contest",
            (db.COUNTED,),
        ):
            blank[precinct][contest] = n
        rows = []
        for p in self.precincts:
            reported = bool(counted.get(p.code))
            row = Row(
                ids=self.ids(Level.PRECINCT, p, language),
                precincts=1,
                precincts_reported=int(reported),
                voters_on_list=p.voters_on_list,
                voters_on_list_reported=p.voters_on_list if reported else 0,
                lines=dict(lines[p.code]) if reported else dict.fromkeys(LINES, 0),
                votes={c.column: votes[p.code].get(c.column, 0) for c in self.choices},
                blank={c.id: blank[p.code].get(c.id, 0) for c in self.contests},
            )
            rows.append(row)
        return rows

    @property
    def choices(self) -> list[ChoiceInfo]:
        return [choice for contest in self.contests for choice in contest.choices]

    def _territory_ids(self, prefix: str, t: Territory | None, language: str) -> dict[str, str]:
        if t is None:
            return {f"{prefix}_code": NONE_ID, f"{prefix}_name": message("no_district", language)}
        return {f"{prefix}_code": t.id, f"{prefix}_name": localized(t.names, language)}

    def ids(self, level: Level, p: PrecinctInfo, language: str) -> dict[str, str]:
        """The identifier columns of the unit of `level` that precinct `p` is in."""
        if level is Level.TOTAL:
            return {
                "election_id": self.election.id,
                "election_name": localized(self.election.names, language),
            }
        ids = self._territory_ids("region", self.region_of(p), language)
        if level is Level.REGION:
            return ids
        district = self.district_of(p)
        if district is not None and district.kind == "region":
            district = None
        ids |= self._territory_ids("district", district, language)
        if level is Level.DISTRICT:
            return ids
        return ids | {
            "precinct_code": p.code,
            "precinct_number": p.number,
            "precinct_name": localized(p.names, language),
        }

    def rows(self, level: Level, language: str) -> list[Row]:
        """One row per unit of the level: precinct rows summed up the hierarchy."""
        precinct_rows = self.precinct_rows(language)
        if level is Level.PRECINCT:
            return precinct_rows
        units: dict[tuple[str, ...], Row] = {}
        for p, row in zip(self.precincts, precinct_rows, strict=True):
            ids = self.ids(level, p, language)
            key = tuple(v for k, v in ids.items() if k.endswith("_code") or k == "election_id")
            unit = units.get(key)
            if unit is None:
                unit = units[key] = Row(
                    ids=ids,
                    votes=dict.fromkeys(row.votes, 0),
                    blank=dict.fromkeys(row.blank, 0),
                )
            unit.add(row)
        return sorted(units.values(), key=lambda r: tuple(r.ids.values()))
