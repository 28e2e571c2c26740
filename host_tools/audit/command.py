"""`python -m host_tools report`: the auditors' HTML page of a collected election."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from host_tools.audit.report import write_report
from host_tools.collect import db
from host_tools.messages import add_language_argument, message
from host_tools.results.units import Database

EXIT_OK, EXIT_UNUSABLE = 0, 2

EPILOG = """\
examples:
  python -m host_tools report --db results.sqlite --out report.html
  python -m host_tools report --db results.sqlite --out report.html --lang kk

One self-contained HTML page (no file or network access when opened): every bundle's
verification status, turnout by hour from the event logs, per-precinct consistency,
conflicts, refused scans by reason, recoveries after power cuts, test against official.

exit status: 0 the report is written, 2 the database cannot be used or the page cannot be
written.
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "report",
        help="the auditors' report: one self-contained HTML page",
        description="Write the auditors' report of a collected election as one HTML page.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=Path, required=True, help="the results database")
    parser.add_argument("--out", type=Path, required=True, help="the HTML file to write")
    add_language_argument(parser)


def run(args: argparse.Namespace) -> int:
    try:
        database = Database(db.connect(args.db))
    except db.DatabaseError as exc:
        print(message("db_error", args.lang, detail=exc), file=sys.stderr)
        return EXIT_UNUSABLE
    # Written beside and renamed into place: a half-written page is never left as the report.
    out: Path = args.out
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as stream:
            write_report(database, stream, args.lang)
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        print(message("error", args.lang) + f": {out}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(message("written", args.lang, path=out))
    return EXIT_OK
