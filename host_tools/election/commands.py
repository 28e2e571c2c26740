"""The commands before election day: `election create|keys|sign|test-deck|calendar`,
`terminals register` and `lat`.

Exit status of every one: 0 done; 1 a check failed (`lat`: the results differ from the
deck); 2 the input cannot be used (a bad definition, directory, passphrase or key, a
package that does not verify) — nothing was changed, and the message says what to do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path

from host_tools.election import calendar, lat, office
from host_tools.election.definition import DefinitionError
from host_tools.election.messages import _
from host_tools.pinning import add_pin_arguments, pinned_package
from host_tools.tally import sum_protocols
from host_tools.verify import all_verified, counted_bundles, verify_bundles
from terminal.ballot.package import PackageError
from terminal.jsonfmt import FormatError
from terminal.trust.signing import SigningKey, VerifyKey

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2
EXIT_CODES = """exit status:
  0  done
  1  a check failed (lat: the counted results differ from the deck)
  2  the input cannot be used (definition, directory, passphrase, key or package);
     nothing was changed"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _iso_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _passphrase(args: argparse.Namespace, new: bool = False) -> bytes:
    """From --passphrase-file (its first line) or, at a terminal, asked twice for a new key."""
    if args.passphrase_file is not None:
        try:
            lines = args.passphrase_file.read_bytes().splitlines()
        except OSError as exc:
            raise office.OfficeError(
                f"--passphrase-file {args.passphrase_file}: cannot read it ({exc.strerror})"
            ) from exc
        if not lines or not lines[0]:
            raise office.OfficeError(f"--passphrase-file {args.passphrase_file}: empty")
        first: bytes = lines[0]
        return first
    if not sys.stdin.isatty():
        raise office.OfficeError(
            _("no passphrase: give --passphrase-file FILE (or run at a terminal to type it)")
        )
    phrase = getpass.getpass(_("Commission key passphrase: ")).encode()
    if new and getpass.getpass(_("Once more: ")).encode() != phrase:
        raise office.OfficeError(_("the two passphrases differ; nothing was written"))
    return phrase


def _commission_key(args: argparse.Namespace) -> SigningKey:
    office.require_directory(args.election)
    path = office.commission_key_path(args.election, args.key)
    return office.load_commission_key(path, _passphrase(args))


def _add_key_arguments(parser: argparse.ArgumentParser, new: bool = False) -> None:
    parser.add_argument(
        "--key",
        type=Path,
        metavar="PEM",
        help="the commission's encrypted private key"
        + (
            " to reuse (default: make a new one in DIR)"
            if new
            else " (default: DIR/commission.key.pem)"
        ),
    )
    parser.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help="read the key's passphrase from the first line of FILE (for scripts); "
        "otherwise it is asked for",
    )


def _parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    text: str,
    examples: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=text,
        description=text,
        epilog=f"examples:\n{examples}\n\n{EXIT_CODES}",
        formatter_class=_Formatter,
    )


def add_election_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `election`, `terminals` and `lat` to the host tools' command line."""
    election = _parser(
        commands,
        "election",
        "before election day: create an election, its keys, sign it, test deck, calendar",
        "  python -m host_tools election create --definition examples/kg-local.toml --out el\n"
        "  python -m host_tools election keys --election el --cards-dir /media/cards\n"
        "  python -m host_tools election sign --election el\n"
        "  python -m host_tools election calendar --day 2027-04-11 --kind akim",
    )
    steps = election.add_subparsers(dest="election_command", required=True, metavar="STEP")

    create = _parser(
        steps,
        "create",
        "check a definition (TOML) and make the election directory",
        "  python -m host_tools election create --definition examples/kg-local.toml --out el \\\n"
        "      --passphrase-file phrase.txt",
    )
    create.add_argument("--definition", type=Path, required=True, metavar="FILE")
    create.add_argument("--out", type=Path, required=True, metavar="DIR", help="a new directory")
    create.add_argument("--seed", type=int, default=1, help="seed of synthetic registers")
    _add_key_arguments(create, new=True)
    create.set_defaults(run=_create)

    keys = _parser(
        steps,
        "keys",
        "key ceremony: each precinct's sealing key split into share cards, chair cards",
        "  python -m host_tools election keys --election el --cards-dir /media/usb/cards",
    )
    keys.add_argument("--election", type=Path, required=True, metavar="DIR")
    keys.add_argument(
        "--cards-dir",
        type=Path,
        required=True,
        metavar="DIR",
        help="where the cards go (outside the election directory: a tmpfs or removable "
        "medium); they are the only copies of the keys",
    )
    _add_key_arguments(keys)
    keys.set_defaults(run=_keys)

    sign = _parser(
        steps,
        "sign",
        "sign the package (DIR/package/) with the commission key",
        "  python -m host_tools election sign --election el --passphrase-file phrase.txt",
    )
    sign.add_argument("--election", type=Path, required=True, metavar="DIR")
    _add_key_arguments(sign)
    sign.set_defaults(run=_sign)

    deck = _parser(
        steps,
        "test-deck",
        "write a logic-and-accuracy deck of test votes and its expected totals",
        "  python -m host_tools election test-deck --election el --out deck.jsonl\n"
        "  python -m sim day --choices deck.jsonl ...   (then: python -m host_tools lat ...)",
    )
    deck.add_argument("--election", type=Path, required=True, metavar="DIR")
    deck.add_argument("--out", type=Path, required=True, metavar="DECK.jsonl")
    deck.set_defaults(run=_test_deck)

    plan = _parser(
        steps,
        "calendar",
        "the model calendar's deadlines for an election day",
        "  python -m host_tools election calendar --day 2027-04-11 --kind akim\n"
        "  python -m host_tools election calendar --day 2027-04-11 --kind akim \\\n"
        "      --called 2027-02-20 --ics akim.ics",
    )
    plan.add_argument("--day", type=_iso_day, required=True, metavar="YYYY-MM-DD")
    plan.add_argument(
        "--kind", required=True, help=f"one of: {', '.join(calendar.available_kinds())}"
    )
    plan.add_argument(
        "--called",
        type=_iso_day,
        metavar="YYYY-MM-DD",
        help="the day the election was called (dates the items counted from it)",
    )
    plan.add_argument("--ics", type=Path, metavar="FILE", help="also write an iCalendar file")
    plan.set_defaults(run=_calendar)

    terminals = _parser(
        commands,
        "terminals",
        "register provisioned terminals in the election",
        "  python -m terminal provision --board BOARD.toml --data t1 --id T-1001-01 \\\n"
        "      --commission-key el/commission.pub.pem\n"
        "  python -m host_tools terminals register --election el t1",
    )
    actions = terminals.add_subparsers(dest="terminals_command", required=True, metavar="ACTION")
    register = _parser(
        actions,
        "register",
        "add provisioned terminals (their data directories) to the election",
        "  python -m host_tools terminals register --election el t1 t2 t3",
    )
    register.add_argument("--election", type=Path, required=True, metavar="DIR")
    register.add_argument("terminals", type=Path, nargs="+", metavar="TERMINAL_DATA")
    _add_key_arguments(register)
    register.set_defaults(run=_register)

    check = _parser(
        commands,
        "lat",
        "logic-and-accuracy: compare a TEST day's results with the deck's totals",
        "  python -m host_tools lat --package el/package --commission-key FINGERPRINT \\\n"
        "      --expected deck.expected.json BUNDLE...",
    )
    check.add_argument("--package", type=Path, required=True, metavar="DIR")
    add_pin_arguments(check)
    check.add_argument("--expected", type=Path, required=True, metavar="FILE")
    check.add_argument("bundles", type=Path, nargs="+", metavar="BUNDLE")
    check.set_defaults(run=_lat)


def run_election_command(args: argparse.Namespace) -> int:
    """Run the chosen command; every expected failure is a message and exit status 2."""
    try:
        status: int = args.run(args)
    except DefinitionError as exc:
        print(_("error: the definition is refused:"), file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_INPUT
    except (office.OfficeError, calendar.CalendarError, FormatError, PackageError) as exc:
        print(_("error:"), exc, file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        print(_("error:"), f"{exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return EXIT_INPUT
    return status


def _create(args: argparse.Namespace) -> int:
    definition = office.create(
        args.definition, args.out, _passphrase(args, new=args.key is None), args.key, args.seed
    )
    print(_("Election {id} created in {dir}").format(id=definition.spec.id, dir=args.out))
    print(_("{n} precincts; commission key fingerprint:").format(n=len(definition.precincts)))
    print(f"  {VerifyKey.load(args.out / office.COMMISSION_PUBLIC).fingerprint()}")
    if definition.spec.ballot_format == 2:
        print(_("Ballots: verifiable (format 2): anyone can check the count from the bundles."))
    else:
        print(_("Ballots: sealed (format 1): a verifiable ballot would not fit a 4 KiB slot."))
    print(
        _("Next: provision the terminals with {pem}, then `election keys`.").format(
            pem=args.out / office.COMMISSION_PUBLIC
        )
    )
    return EXIT_OK


def _keys(args: argparse.Namespace) -> int:
    written = office.make_keys(args.election, args.cards_dir, _commission_key(args))
    print(
        _("{n} card files written to {dir} (mode 0600):").format(n=len(written), dir=args.cards_dir)
    )
    for path in written:
        print(f"  {path.name}")
    print(_("Print them, hand one to each member, then erase {dir}.").format(dir=args.cards_dir))
    return EXIT_OK


def _register(args: argparse.Namespace) -> int:
    added = office.register_terminals(args.election, args.terminals, _commission_key(args))
    for entry in added:
        print(
            _("registered {id} ({role}) for precinct {precinct}").format(
                id=entry.id, role=entry.role.value, precinct=entry.precinct
            )
        )
    return EXIT_OK


def _sign(args: argparse.Namespace) -> int:
    package = office.sign(args.election, _commission_key(args))
    print(_("Package signed: {dir}").format(dir=package.directory))
    print(
        _("Commission key fingerprint (publish it): {fp}").format(
            fp=package.commission.fingerprint()
        )
    )
    return EXIT_OK


def _test_deck(args: argparse.Namespace) -> int:
    election = office.load_draft(args.election)
    deck = lat.make_deck(election)
    expected = lat.expected_path_for(args.out)
    lat.write_deck(deck, election, args.out, expected)
    print(
        _("{n} test ballots in {deck}; expected totals in {expected}").format(
            n=len(deck.ballots), deck=args.out, expected=expected
        )
    )
    return EXIT_OK


def _calendar(args: argparse.Namespace) -> int:
    rows = calendar.plan(args.kind, args.day, args.called)
    print(calendar.render_table(rows, args.kind, args.day), end="")
    if args.ics is not None:
        args.ics.write_bytes(
            calendar.render_ics(rows, args.kind, args.day, dt.datetime.now(dt.UTC))
        )
        print(_("calendar written to {file}").format(file=args.ics))
    return EXIT_OK


def _lat(args: argparse.Namespace) -> int:
    package = pinned_package(args)
    election = package.election
    if not lat.is_test(election):
        print(
            _(
                "error: {id} is an official election: logic-and-accuracy runs on a TEST election"
            ).format(id=election.id),
            file=sys.stderr,
        )
        return EXIT_INPUT
    election_id, ballots, expected = lat.read_expected(args.expected)
    if election_id != election.id:
        raise office.OfficeError(
            f"{args.expected}: the deck of election {election_id}, not {election.id}"
        )
    results = verify_bundles(package, args.bundles, check_records=False)
    for result in results:
        if result.error is not None:
            print(result.describe(), file=sys.stderr)
    if not all_verified(results):
        print(_("FAIL: every bundle must verify first"), file=sys.stderr)
        return EXIT_FAILED
    totals = sum_protocols(election, counted_bundles(results))
    differences = lat.compare(election, expected, totals.votes)
    cast = totals.lines.get("ballots_cast", 0)
    if cast != ballots:
        print(_("FAIL ballots cast: expected {want}, counted {got}").format(want=ballots, got=cast))
    for d in differences:
        print(
            _("FAIL {contest}/{choice}: expected {want}, counted {got}").format(
                contest=d.contest, choice=d.choice, want=d.expected, got=d.counted
            )
        )
    if differences or cast != ballots:
        return EXIT_FAILED
    print(_("PASS: every total equals the deck ({n} ballots)").format(n=ballots))
    return EXIT_OK
