"""Command line of the host tools: `python -m host_tools verify|tally|recount ...`.

Exit status: 0 when everything verifies (and, for a recount, matches), 1 when a bundle
or key-share card fails, 2 when the election package itself cannot be used: missing,
altered, or not signed by the commission key pinned with --commission-key or --config.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from host_tools import tracking_list
from host_tools.audit.paper_command import add_audit_parser
from host_tools.desk import DESK_COMMANDS
from host_tools.election.commands import add_election_commands, run_election_command
from host_tools.guard import GUARDED_EXIT_LINES, guarded
from host_tools.pinning import EXIT_PACKAGE, add_pin_arguments, pinned_package
from host_tools.tally import (
    TEST_BANNER,
    recount,
    render_recount,
    render_totals,
    sum_protocols,
    totals_json,
)
from host_tools.verify import (
    ShareCardError,
    counted_bundles,
    rebuild_keys,
    report_results,
    verify_bundles,
)
from host_tools.voterlist import add_voterlist_parser, run_voterlist
from terminal.ballot.election import Mode
from terminal.ballot.package import Package
from terminal.tally.bundle import BALLOTS, PROTOCOL
from terminal.tally.count import CountError
from terminal.trust.files import write_public_file

EXIT_OK, EXIT_FAILED = 0, 1

EXIT_STATUS = (
    """\
exit status:
  0    everything verifies{also}
  1    a bundle or key-share card fails (named on stderr)
  2    the election package cannot be used: missing, altered, or not signed by the
       commission key pinned with --commission-key or --config
"""
    + GUARDED_EXIT_LINES
)

VERIFY_EPILOG = """\
examples:
  python -m host_tools verify --package election/package --commission-key 3f5c…(64 hex) \\
      media/T-0001/ media/T-0002/
  python -m host_tools verify --package election/package --config commission.toml \\
      --tracking-codes tracking-codes.json media/*/
  python -m host_tools verify --package election/package --config commission.toml \\
      --shares cards/P-1-member-1.txt cards/P-1-member-2.txt media/T-0001/

""" + EXIT_STATUS.format(also=" (with --shares: every ballot decrypts and matches)")
TALLY_EPILOG = """\
examples:
  python -m host_tools tally --package election/package --config commission.toml media/*/
  python -m host_tools tally --json --package election/package --config commission.toml \\
      media/T-0001/ > totals.json

""" + EXIT_STATUS.format(also=" and the totals are printed")
RECOUNT_EPILOG = """\
examples:
  python -m host_tools recount --package election/package --config commission.toml \\
      --shares cards/P-1-member-1.txt cards/P-1-member-3.txt media/T-0001/

""" + EXIT_STATUS.format(also=" and every recount matches its protocol")
MAIN_EPILOG = """\
before election day: election create, election keys, terminals register, election sign,
election test-deck, lat, election calendar; after the polls close: collect, status,
results, report, audit; for auditors: verify, tally, recount; voterlist check.
`python -m host_tools COMMAND --help` gives each one's options, examples and exit status.

examples:
  python -m host_tools election create --definition examples/kg-local.toml --out election/
  python -m host_tools collect --db results.sqlite --package election/package \\
      --config commission.toml media/*/
  python -m host_tools results --db results.sqlite --level district --format table

exit status: 0 done, 1 something checked failed (named), 2 an input cannot be used,
3 an unforeseen error (one line, no traceback), 130 interrupted; each command says more."""


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str, epilog: str
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m host_tools",
        description="Tamga host tools for commissions and auditors.",
        epilog=MAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    package_help = "the signed election package directory (signed by the pinned commission key)"

    verify = _command(
        commands, "verify", "verify results bundles against the package", VERIFY_EPILOG
    )
    verify.add_argument("--package", type=Path, required=True, help=package_help)
    add_pin_arguments(verify)
    verify.add_argument(
        "--shares",
        type=Path,
        nargs="+",
        action="extend",
        metavar="CARD.txt",
        help="key-share card payload files: also decrypt and recount every ballot",
    )
    verify.add_argument(
        "--tracking-codes",
        type=Path,
        metavar="FILE",
        help="when every bundle verifies, write the list of tracking codes (JSON: every cast "
        "ballot's, the spoiled ones marked) for voters to find their receipt's",
    )
    verify.add_argument("bundles", type=Path, nargs="*", metavar="BUNDLE")

    tally = _command(commands, "tally", "verify, then total the signed protocols", TALLY_EPILOG)
    tally.add_argument("--package", type=Path, required=True, help=package_help)
    add_pin_arguments(tally)
    tally.add_argument("--json", action="store_true", help="print the totals as JSON")
    tally.add_argument("bundles", type=Path, nargs="+", metavar="BUNDLE")

    again = _command(
        commands, "recount", "decrypt every ballot and compare the protocol", RECOUNT_EPILOG
    )
    again.add_argument("--package", type=Path, required=True, help=package_help)
    add_pin_arguments(again)
    again.add_argument(
        "--shares",
        type=Path,
        nargs="+",
        action="extend",
        required=True,
        metavar="CARD.txt",
        help="key-share card payload files, enough for every precinct",
    )
    again.add_argument("bundles", type=Path, nargs="*", metavar="BUNDLE")
    add_voterlist_parser(commands)
    add_audit_parser(commands)
    # Each workflow folder adds the commands it owns.
    add_election_commands(commands)
    for desk in DESK_COMMANDS.values():
        desk.add_parser(commands)
    return parser


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line. `--shares CARD... BUNDLE...` cannot be split by position, so
    the directories among the --shares paths are taken as bundles: a card is a file, a
    bundle a directory."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "voterlist" or args.command in DESK_COMMANDS or hasattr(args, "run"):
        return args
    if getattr(args, "shares", None):
        args.bundles = [p for p in args.shares if p.is_dir()] + args.bundles
        args.shares = [p for p in args.shares if not p.is_dir()]
        if not args.shares:
            parser.error("--shares: give at least one key-share card file")
    if not args.bundles:
        parser.error("give at least one BUNDLE directory")
    return args


def _package_header(package: Package) -> str:
    election = package.election
    lines = [
        f"Package {package.directory}: election {election.id}, {election.mode.value}",
        f"Commission key SHA-256 fingerprint: {package.commission.fingerprint()} (pinned)",
    ]
    if election.mode is Mode.TEST:
        lines.insert(0, TEST_BANNER)
    return "\n".join(lines)


def _keys(package: Package, cards: Sequence[Path]) -> dict[str, bytes] | None:
    try:
        return rebuild_keys(package, cards)
    except ShareCardError as exc:
        for problem in exc.problems:
            print(f"FAIL {problem}", file=sys.stderr)
        return None


def _verify(package: Package, args: argparse.Namespace) -> int:
    print(_package_header(package))
    keys = None
    if args.shares:
        keys = _keys(package, args.shares)
        if keys is None:
            return EXIT_FAILED
    results = verify_bundles(package, args.bundles, keys)
    ok = report_results(package, results, quiet=False)
    if ok and args.tracking_codes is not None and package.election.ballot_format == 2:
        listed = tracking_list.from_bundles(package.election, counted_bundles(results))
        write_public_file(args.tracking_codes, listed)
        print(f"tracking codes: {args.tracking_codes}")
    return EXIT_OK if ok else EXIT_FAILED


def _tally(package: Package, args: argparse.Namespace) -> int:
    if not args.json:
        print(_package_header(package))
    results = verify_bundles(package, args.bundles, check_records=False)
    if not report_results(package, results, quiet=args.json):
        print("nothing tallied: every bundle must verify first", file=sys.stderr)
        return EXIT_FAILED
    totals = sum_protocols(package.election, counted_bundles(results))
    if args.json:
        print(json.dumps(totals_json(package.election, totals), ensure_ascii=False, indent=2))
    else:
        print()
        print(render_totals(package.election, totals), end="")
    return EXIT_OK


def _recount(package: Package, args: argparse.Namespace) -> int:
    print(_package_header(package))
    keys = _keys(package, args.shares)
    if keys is None:
        return EXIT_FAILED
    results = verify_bundles(package, args.bundles)
    if not report_results(package, results, quiet=False):
        print("nothing recounted: every bundle must verify first", file=sys.stderr)
        return EXIT_FAILED
    status = EXIT_OK
    for bundle in counted_bundles(results):
        precinct = bundle.protocol.precinct
        if precinct not in keys:
            print(
                f"FAIL {bundle.path}: no key-share cards for precinct {precinct}", file=sys.stderr
            )
            status = EXIT_FAILED
            continue
        try:
            result = recount(package, bundle, keys[precinct])
        except CountError as exc:
            print(f"FAIL {bundle.path}/{BALLOTS}: {exc}", file=sys.stderr)
            status = EXIT_FAILED
            continue
        print()
        print(render_recount(package.election, result), end="")
        if result.matches:
            print(f"OK precinct {precinct}: the recount equals the signed protocol")
        else:
            print(
                f"FAIL precinct {precinct}: {bundle.path}/{PROTOCOL}: the recount of the "
                "decrypted ballots differs from the signed protocol",
                file=sys.stderr,
            )
            status = EXIT_FAILED
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    return guarded(args.command, lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    if args.command == "voterlist":
        # Voter lists come before any package: they are what a register is made from.
        return run_voterlist(args)
    if hasattr(args, "run"):  # the commands of a workflow folder (host_tools/election/)
        return run_election_command(args)
    if args.command in DESK_COMMANDS:
        return DESK_COMMANDS[args.command].run(args)
    try:
        package = pinned_package(args)
    except SystemExit as stop:
        return int(stop.code or EXIT_PACKAGE)
    commands = {"verify": _verify, "tally": _tally, "recount": _recount}
    return commands[args.command](package, args)


if __name__ == "__main__":
    sys.exit(main())
