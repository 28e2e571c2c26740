"""Results rows as CSV, JSON and a table for people, with the description of every column.

CSV shape (the open data's, too): one row per unit of the level; the identifiers (codes,
names) as text columns; then the counts, each adding up from the precinct rows to the
district, region and total rows: precincts, precincts reported, voters on the list (of
all precincts, and of those that reported), the protocol lines, one column per choice
("<contest>.<choice>") and the ballots with no selection per contest ("<contest>.blank").
Turnout is the one derived column: it does not add up, and the description says so.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from host_tools.messages import message
from host_tools.results.units import LINES, Database, Level, Row
from terminal.ballot.election import localized

COUNT_COLUMNS = ("precincts", "precincts_reported", "voters_on_list", "voters_on_list_reported")
TURNOUT = "turnout_percent"
ID_TEXTS = {
    "election_id": "the election's id in its package",
    "election_name": "the election's name",
    "region_code": "the region's id (empty: precincts under no region)",
    "region_name": "the region's name",
    "district_code": "the district's (territorial commission's) id (empty: under none)",
    "district_name": "the district's name",
    "precinct_code": "the precinct's code in the package",
    "precinct_number": "the precinct's number in the registry",
    "precinct_name": "the precinct's name",
}


def columns(database: Database, rows: Sequence[Row], level: Level) -> list[str]:
    ids = list(rows[0].ids) if rows else []
    return [
        *ids,
        *COUNT_COLUMNS,
        *LINES,
        *(c.column for c in database.choices),
        *(f"{c.id}.blank" for c in database.contests),
        TURNOUT,
    ]


def _values(row: Row) -> dict[str, Any]:
    turnout = row.turnout
    return {
        **row.ids,
        "precincts": row.precincts,
        "precincts_reported": row.precincts_reported,
        "voters_on_list": row.voters_on_list,
        "voters_on_list_reported": row.voters_on_list_reported,
        **row.lines,
        **row.votes,
        **{f"{contest}.blank": n for contest, n in row.blank.items()},
        TURNOUT: f"{turnout:.2f}" if turnout is not None else "",
    }


def to_csv(database: Database, rows: Sequence[Row], level: Level) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(database, rows, level), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(_values(row))
    return out.getvalue()


def describe_columns(database: Database, rows: Sequence[Row], level: Level) -> list[dict[str, Any]]:
    """The JSON description of every CSV column: name, type, meaning, and for a choice its
    names, party and ballot number."""
    languages = database.languages or ["ru"]
    described: list[dict[str, Any]] = []
    for name in rows[0].ids if rows else []:
        described.append({"name": name, "type": "string", "description": {"en": ID_TEXTS[name]}})
    texts = {
        "precincts": "precincts in the unit",
        "precincts_reported": "precincts with a counted bundle",
        "voters_on_list": "voters on the lists of all precincts (the registry)",
        "voters_on_list_reported": "voters on the lists of the precincts that reported",
        "voters_received_ballot": "voters who received a ballot (protocol line)",
        "ballots_issued": "ballots issued (protocol line)",
        "ballots_cast": "ballots cast (protocol line)",
        "ballots_void": "ballots void (protocol line)",
    }
    for name, text in texts.items():
        described.append(
            {"name": name, "type": "integer", "additive": True, "description": {"en": text}}
        )
    for contest in database.contests:
        for choice in contest.choices:
            entry: dict[str, Any] = {
                "name": choice.column,
                "type": "integer",
                "additive": True,
                "contest": contest.id,
                "choice": choice.id,
                "names": {lang: localized(choice.names, lang) for lang in languages},
                "description": {"en": "votes for this choice"},
            }
            if choice.party is not None:
                entry["party"] = {lang: localized(choice.party, lang) for lang in languages}
            if choice.ballot_number is not None:
                entry["ballot_number"] = choice.ballot_number
            described.append(entry)
    for contest in database.contests:
        described.append(
            {
                "name": f"{contest.id}.blank",
                "type": "integer",
                "additive": True,
                "contest": contest.id,
                "description": {"en": "ballots with no selection in this contest"},
            }
        )
    described.append(
        {
            "name": TURNOUT,
            "type": "number",
            "additive": False,
            "description": {
                "en": "ballots cast per 100 voters on the lists of the precincts that reported"
            },
        }
    )
    return described


def to_json(database: Database, rows: Sequence[Row], level: Level) -> dict[str, Any]:
    e = database.election
    return {
        "election": {"id": e.id, "names": e.names, "kind": e.kind, "mode": e.mode, "date": e.date},
        "level": level.value,
        "columns": describe_columns(database, rows, level),
        "rows": [_values(row) for row in rows],
    }


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "    — "


def to_table(database: Database, rows: Sequence[Row], level: Level, language: str) -> str:
    """For people: a block per unit with the candidates (and parties), then the lines."""
    e = database.election
    out = [f"{localized(e.names, language)} ({e.id}, {e.date})"]
    if e.mode == "test":
        out.insert(0, message("test_election", language))

    def line(label: str, *cells: str) -> str:
        return f"  {label:<60}" + "".join(f"{cell:>12}" for cell in cells)

    for row in rows:
        names = [v for k, v in row.ids.items() if k.endswith("_name")]
        codes = [v for k, v in row.ids.items() if k.endswith("_code") and v]
        out += ["", " / ".join(names) + (f" [{' / '.join(codes)}]" if codes else "")]
        out.append(
            "  "
            + message(
                "precincts_reported", language, done=row.precincts_reported, all=row.precincts
            )
        )
        cast = row.lines["ballots_cast"]
        for contest in database.contests:
            out += [
                f"  {localized(contest.titles, language)}",
                line("", message("votes", language), "%"),
            ]
            for choice in contest.choices:
                label = localized(choice.names, language)
                if choice.party is not None:
                    label += f" ({localized(choice.party, language)})"
                if choice.ballot_number is not None:
                    label = f"{choice.ballot_number}. {label}"
                n = row.votes[choice.column]
                out.append(line(label[:60], str(n), _percent(n, cast)))
            n = row.blank[contest.id]
            out.append(line(message("blank", language), str(n), _percent(n, cast)))
        turnout = row.turnout
        out += [
            line(message("voters_on_list", language), str(row.voters_on_list_reported)),
            line(message("ballots_issued", language), str(row.lines["ballots_issued"])),
            line(message("ballots_cast", language), str(cast)),
            line(message("ballots_void", language), str(row.lines["ballots_void"])),
            line(message("turnout", language), f"{turnout:.1f} %" if turnout is not None else "—"),
        ]
    return "\n".join(out) + "\n"
