"""`python -m host_tools results`: totals per level from the database, and the open datasets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from host_tools.collect import db
from host_tools.messages import add_language_argument, message
from host_tools.results import tables
from host_tools.results.open_data import write_open_data
from host_tools.results.units import Database, Level

EXIT_OK, EXIT_UNUSABLE = 0, 2

EPILOG = """\
examples:
  python -m host_tools results --db results.sqlite
  python -m host_tools results --db results.sqlite --level district --format csv > districts.csv
  python -m host_tools results --db results.sqlite --level precinct --format json | jq .rows[0]
  python -m host_tools results --db results.sqlite --open-data open-data/

Only counted bundles add up: a conflict or a failed bundle never does (see `status`).
CSV: one row per unit, identifiers as text, one count column per choice and the protocol
lines; the precinct rows add up to the district, region and total rows.

exit status: 0 results printed (some precincts may not have reported: see `status`),
2 the database cannot be used or the open data cannot be written.
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "results",
        help="totals per precinct, district, region or in total; open datasets",
        description="Totals with candidate names and parties, turnout and the protocol lines, "
        "per level, from the results database.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=Path, required=True, help="the results database")
    parser.add_argument(
        "--level", choices=[level.value for level in Level], default=Level.TOTAL.value
    )
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument(
        "--open-data", type=Path, metavar="DIR", help="also write the open datasets into DIR"
    )
    add_language_argument(parser)


def run(args: argparse.Namespace) -> int:
    language: str = args.lang
    try:
        database = Database(db.connect(args.db))
    except db.DatabaseError as exc:
        print(message("db_error", language, detail=exc), file=sys.stderr)
        return EXIT_UNUSABLE
    level = Level(args.level)
    rows = database.rows(level, language)
    if args.format == "csv":
        sys.stdout.write(tables.to_csv(database, rows, level))
    elif args.format == "json":
        document = tables.to_json(database, rows, level)
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(tables.to_table(database, rows, level, language), end="")
    if args.open_data is not None:
        try:
            written = write_open_data(database, args.open_data, language)
        except OSError as exc:
            print(message("error", language) + f": {args.open_data}: {exc}", file=sys.stderr)
            return EXIT_UNUSABLE
        for path in written:
            print(message("written", language, path=path), file=sys.stderr)
    return EXIT_OK
