"""`python -m host_tools status`: which precincts and terminals are in, per district and region.

A terminal is in when it has a counted bundle, in conflict when a bundle with other
results came from it too (someone must decide: neither is dropped silently), failed when
its only bundles did not verify, and missing when nothing came from it. A precinct takes
the worst state of its terminals (conflict, failed, missing, in). Bundles that cannot be
put to a registered terminal are listed apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from host_tools.collect import db
from host_tools.messages import add_language_argument, message
from host_tools.results.units import Database, PrecinctInfo
from terminal.ballot.election import localized

EXIT_ALL_IN, EXIT_NOT_ALL, EXIT_UNUSABLE = 0, 1, 2

EPILOG = """\
examples:
  python -m host_tools status --db results.sqlite
  python -m host_tools status --db results.sqlite --all --lang ky
  python -m host_tools status --db results.sqlite --format json | jq '.precincts[0]'

exit status: 0 every precinct is in, 1 a precinct is missing, in conflict or failed,
2 the database cannot be used.
"""


class State(Enum):
    # In the order a precinct takes the worst of its terminals' states.
    CONFLICT = "conflict"
    FAILED = "failed"
    MISSING = "missing"
    IN = "in"


STATE_MESSAGE = {
    State.IN: "in",
    State.MISSING: "missing",
    State.CONFLICT: "in_conflict",
    State.FAILED: "failed_short",
}


@dataclass(frozen=True)
class TerminalState:
    id: str
    role: str
    state: State
    reasons: tuple[str, ...]  # of failed and conflicting bundles


@dataclass(frozen=True)
class PrecinctState:
    precinct: PrecinctInfo
    state: State
    terminals: tuple[TerminalState, ...]


def precinct_states(database: Database) -> tuple[list[PrecinctState], list[str]]:
    """Every precinct's state, and the reasons of failed bundles of no registered terminal."""
    connection = database.connection
    terminals: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for terminal, precinct, role in connection.execute(
        "SELECT id, precinct, role FROM terminal ORDER BY id"
    ):
        terminals[precinct].append((terminal, role))
    statuses: dict[str, set[str]] = defaultdict(set)
    reasons: dict[str, list[str]] = defaultdict(list)
    unattributed = []
    known = {t for ts in terminals.values() for t, _ in ts}
    for terminal, claimed, status, reason in connection.execute(
        "SELECT terminal, claimed_terminal, status, reason FROM bundle ORDER BY id"
    ):
        owner = terminal or claimed
        if owner not in known:
            unattributed.append(reason or "")
            continue
        statuses[owner].add(status)
        if reason:
            reasons[owner].append(reason)
    states = []
    for p in database.precincts:
        found = []
        for terminal, role in terminals[p.code]:
            seen = statuses[terminal]
            if db.CONFLICT in seen:
                state = State.CONFLICT
            elif db.COUNTED in seen:
                state = State.IN
            elif db.FAILED in seen:
                state = State.FAILED
            else:
                state = State.MISSING
            shown = () if state is State.IN else tuple(reasons[terminal])
            found.append(TerminalState(terminal, role, state, shown))
        order = list(State)
        worst = min((t.state for t in found), key=order.index, default=State.MISSING)
        states.append(PrecinctState(p, worst, tuple(found)))
    return states, unattributed


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "status",
        help="which precincts and terminals are in, missing, in conflict or failed",
        description="Per district and region: which precincts and terminals are in, missing, "
        "in conflict, or failed verification (named, with the reason).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=Path, required=True, help="the results database")
    parser.add_argument("--all", action="store_true", help="list the precincts that are in, too")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_language_argument(parser)


def _json(database: Database, states: list[PrecinctState], unattributed: list[str]) -> str:
    def unit(p: PrecinctInfo) -> dict[str, Any]:
        district, region = database.district_of(p), database.region_of(p)
        return {
            "region": region.id if region else None,
            "district": district.id if district and district.kind == "district" else None,
        }

    document = {
        "election": database.election.id,
        "mode": database.election.mode,
        "precincts": [
            {
                "precinct": s.precinct.code,
                "number": s.precinct.number,
                **unit(s.precinct),
                "state": s.state.value,
                "terminals": [
                    {"id": t.id, "role": t.role, "state": t.state.value, "reasons": list(t.reasons)}
                    for t in s.terminals
                ],
            }
            for s in states
        ],
        "unattributed_failures": unattributed,
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _text(
    database: Database,
    states: list[PrecinctState],
    unattributed: list[str],
    language: str,
    show_all: bool,
) -> str:
    out = []
    if database.election.mode == "test":
        out.append(message("test_election", language))
    groups: dict[tuple[str, str], list[PrecinctState]] = defaultdict(list)
    for s in states:
        region, district = database.region_of(s.precinct), database.district_of(s.precinct)
        if district is not None and district.kind == "region":
            district = None
        none = message("no_district", language)
        region_name = localized(region.names, language) if region else none
        district_name = localized(district.names, language) if district else none
        groups[(region_name, district_name)].append(s)

    def line(unit: str, members: list[PrecinctState]) -> str:
        count = {state: sum(1 for s in members if s.state is state) for state in State}
        return message(
            "status_line",
            language,
            unit=unit,
            precincts=len(members),
            done=count[State.IN],
            missing=count[State.MISSING],
            conflict=count[State.CONFLICT],
            failed=count[State.FAILED],
        )

    regions: dict[str, list[PrecinctState]] = defaultdict(list)
    for (region_name, _), members in groups.items():
        regions[region_name].extend(members)
    for region_name in sorted(regions):
        out += ["", f"{message('region', language)} {line(region_name, regions[region_name])}"]
        for (r, district_name), members in sorted(groups.items()):
            if r != region_name:
                continue
            out.append(f"  {message('district', language)} {line(district_name, members)}")
            for s in members:
                if s.state is State.IN and not show_all:
                    continue
                state = message(STATE_MESSAGE[s.state], language)
                name = localized(s.precinct.names, language)
                out.append(
                    f"    {message('precinct', language)} {s.precinct.number} "
                    f"({s.precinct.code}, {name}): {state}"
                )
                for t in s.terminals:
                    out.append(
                        f"      {message('terminal', language)} {t.id} ({t.role}): "
                        f"{message(STATE_MESSAGE[t.state], language)}"
                    )
                    out += [f"        {reason}" for reason in t.reasons]
    out += ["", line(message("total", language), states)]
    for reason in unattributed:
        out.append(f"  {message('failed', language, reason=reason)}")
    return "\n".join(out).lstrip("\n") + "\n"


def run(args: argparse.Namespace) -> int:
    try:
        database = Database(db.connect(args.db))
    except db.DatabaseError as exc:
        print(message("db_error", args.lang, detail=exc), file=sys.stderr)
        return EXIT_UNUSABLE
    states, unattributed = precinct_states(database)
    if args.format == "json":
        print(_json(database, states, unattributed))
    else:
        print(_text(database, states, unattributed, args.lang, args.all), end="")
    complete = all(s.state is State.IN for s in states) and not unattributed
    return EXIT_ALL_IN if complete else EXIT_NOT_ALL
