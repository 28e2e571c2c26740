"""`python -m host_tools voterlist check FILE...`: reconcile voter lists against the flags
of the CEC voter-list rules (bad personal data, outdated documents, duplicates, voters on
several precincts, under 18, the deceased/emigrated/... lists, oversized precincts).

Exit status: 0 when nothing is flagged, 1 when something is, 2 when an input cannot be read
(a whole file, or some of its rows: those are listed and the rest is still checked).

The report names records by file and row and prints their IIN/PIN, so that commission staff
can find them; it goes to standard output only, and nothing is logged anywhere else.

Reading is in read.py, the checks in check.py, synthetic lists for tests and benchmarks in
synth.py; this module is the command line and the rendering.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from host_tools.guard import GUARDED_EXIT_LINES
from host_tools.voterlist.check import (
    DEFAULT_DOCUMENT_VALIDITY_YEARS,
    LIST_CATEGORIES,
    PRECINCT_LIMIT,
    Category,
    CheckOptions,
    Country,
    Flag,
    Report,
    check_lists,
    parse_date,
)
from host_tools.voterlist.read import VoterFile, VoterListError, read_number_list, read_voter_list
from host_tools.voterlist.synth import SyntheticList, synthetic_list
from terminal.invariants import InvariantError

__all__ = [
    "Category",
    "CheckOptions",
    "Country",
    "Report",
    "SyntheticList",
    "add_voterlist_parser",
    "check_files",
    "check_lists",
    "main",
    "read_voter_list",
    "render_report",
    "run_voterlist",
    "synthetic_list",
]

EXIT_OK, EXIT_FLAGGED, EXIT_UNREADABLE = 0, 1, 2
DEFAULT_LIMIT = 20
LIST_OPTIONS = {
    Category.DECEASED: "--deceased",
    Category.EMIGRATED: "--emigrated",
    Category.NON_CITIZEN: "--non-citizens",
    Category.INCAPABLE: "--incapable",
    Category.IMPRISONED: "--imprisoned",
}
if not (set(LIST_OPTIONS) == set(LIST_CATEGORIES)):
    raise InvariantError("invariant broken: set(LIST_OPTIONS) == set(LIST_CATEGORIES)")


def _date(text: str) -> dt.date:
    day = parse_date(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD or DD.MM.YYYY")
    return day


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of years, 1 or more")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not 0 or a positive number")
    return value


def _add_check_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    check = subparsers.add_parser(
        "check",
        help="check voter lists (CSV or .mdb in the CEC exchange layout)",
        description="Check voter lists in the CEC exchange layout (Cod, Cod_izber, Soname, "
        "Name, Otchestvo, Cod_uch, Data_rojd, IIN/PIN/INN, Udostve, Date_vidach, Adres, "
        "Dopol1-4): CSV in UTF-8 or cp1251 with commas or semicolons, or MS Access .mdb "
        "(needs mdbtools).",
        epilog="""\
examples:
  python -m host_tools voterlist check --country kg precinct-1001.csv precinct-1002.csv
  python -m host_tools voterlist check --date 2026-11-01 --json lists/*.mdb > flags.json

exit status:
  0    nothing flagged
  1    records flagged (listed per category)
  2    an input cannot be read (named)
"""
        + GUARDED_EXIT_LINES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("files", type=Path, nargs="+", metavar="FILE", help="voter lists")
    check.add_argument(
        "--date",
        type=_date,
        default=None,
        help="the date ages and documents are judged on (default: today)",
    )
    check.add_argument(
        "--document-validity-years",
        type=_positive,
        default=DEFAULT_DOCUMENT_VALIDITY_YEARS,
        metavar="YEARS",
        help=f"documents older than this are outdated (default {DEFAULT_DOCUMENT_VALIDITY_YEARS})",
    )
    check.add_argument(
        "--country",
        choices=[c.value for c in Country],
        default=None,
        help="kz: 12-digit IINs, kg: 14-digit PINs (default: decided per file from its numbers)",
    )
    for category, option in LIST_OPTIONS.items():
        check.add_argument(
            option,
            type=Path,
            action="append",
            default=None,
            metavar="FILE",
            dest=category.value,
            help=f"CSV with an IIN/PIN column: voters on it are flagged {category.value}"
            " (may be given more than once)",
        )
    check.add_argument(
        "--limit",
        type=_count,
        default=DEFAULT_LIMIT,
        help=f"records shown per category in the table (default {DEFAULT_LIMIT}; 0: all)",
    )
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    return check


def add_voterlist_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add `voterlist check ...` to the host tools' command line; run it with run_voterlist."""
    voterlist = subparsers.add_parser(
        "voterlist", help="voter-list reconciliation", description=__doc__.split("\n\n")[0]
    )
    actions = voterlist.add_subparsers(dest="voterlist_command", required=True)
    _add_check_parser(actions)
    return voterlist


def run_voterlist(args: argparse.Namespace) -> int:
    """Run the parsed `voterlist` command; the exit status."""
    if args.voterlist_command != "check":
        raise ValueError(f"unknown voterlist command {args.voterlist_command!r}")
    as_of = args.date or dt.date.today()
    try:
        lists = {
            category: _read_numbers(getattr(args, category.value))
            for category in LIST_CATEGORIES
            if getattr(args, category.value)
        }
        options = CheckOptions(
            as_of=as_of,
            document_validity_years=args.document_validity_years,
            country=Country(args.country) if args.country else None,
            lists=lists,
        )
        report = check_files(args.files, options)
    except VoterListError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_report(report, args.limit), end="")
    if report.unreadable:
        rows = report.flags[Category.MALFORMED_ROW]
        print(
            f"error: {len(rows)} row(s) could not be read, first {rows[0].file} row"
            f" {rows[0].row}: {rows[0].detail}",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    return EXIT_FLAGGED if report.flagged else EXIT_OK


def _read_numbers(paths: Sequence[Path]) -> frozenset[str]:
    numbers: set[str] = set()
    for path in paths:
        numbers |= read_number_list(path)
    return frozenset(numbers)


def check_files(paths: Sequence[Path], options: CheckOptions) -> Report:
    """Read every list (raising VoterListError for one that cannot be read) and check them
    together, so that a voter on several files' precincts is found."""
    files: list[VoterFile] = []
    seen: set[Path] = set()
    for path in paths:
        # The same file twice would make every voter a duplicate of themselves.
        if path.resolve() in seen:
            raise VoterListError(f"{path}: given twice")
        seen.add(path.resolve())
        files.extend(read_voter_list(path))
    return check_lists(files, options)


def _table(rows: Sequence[Sequence[str]], right: frozenset[int] = frozenset()) -> list[str]:
    """Rows as aligned columns (the last one left ragged)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row[:-1])
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines


def _flag_cells(flag: Flag) -> tuple[str, str, str, str, str]:
    return (
        flag.file or "",
        "" if flag.row is None else str(flag.row),
        flag.number or "",
        flag.precinct or "",
        flag.detail,
    )


def render_report(report: Report, limit: int = DEFAULT_LIMIT) -> str:
    """The report as text: the files, the counts per category, then the flagged records of
    each category (at most `limit` each; 0 shows all)."""
    options = report.options
    lines = [
        f"Списки избирателей / Voter lists: {len(report.files)} file(s),"
        f" {report.records:,} records, checked as of {options.as_of:%d.%m.%Y}"
        f" (documents valid {options.document_validity_years} years)",
    ]
    lines += [
        f"  {name}: {report.countries[name].number_name}s ({report.formats[name]})"
        for name in report.files
    ]
    if report.precincts:
        largest = max(report.precincts.items(), key=lambda item: (item[1], item[0]))
        lines.append(
            f"Участков / Precincts: {len(report.precincts)}; largest {largest[0]}:"
            f" {largest[1]:,} voters (limit {PRECINCT_LIMIT:,})"
        )
    lines.append("")
    counts = [("Category", "Count", "")]
    for category, flags in report.flags.items():
        if report.checked(category):
            counts.append((category.label, f"{len(flags):,}", ""))
        else:
            counts.append((category.label, "-", f"not checked: no {LIST_OPTIONS[category]} list"))
    lines += _table(counts, right=frozenset({1}))
    flagged = {c: flags for c, flags in report.flags.items() if flags}
    if not flagged:
        lines += ["", "Nothing flagged."]
    for category, flags in flagged.items():
        lines += ["", f"{category.label}: {len(flags):,}"]
        shown = flags if limit == 0 else flags[:limit]
        header = ("FILE", "ROW", "IIN/PIN", "PRECINCT", "DETAIL")
        body = [_flag_cells(f) for f in shown]
        lines += ["  " + line for line in _table([header, *body], right=frozenset({1}))]
        if len(shown) < len(flags):
            lines.append(
                f"  ... and {len(flags) - len(shown):,} more (--limit 0 shows all, --json too)"
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """`voterlist check ...` on its own (the tests call it; `python -m host_tools` wires
    the same parser through add_voterlist_parser)."""
    parser = argparse.ArgumentParser(
        prog="python -m host_tools voterlist", description=__doc__.split("\n\n")[0]
    )
    actions = parser.add_subparsers(dest="voterlist_command", required=True)
    _add_check_parser(actions)
    return run_voterlist(parser.parse_args(argv))
