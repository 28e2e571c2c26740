"""`python -m sim day`: a whole simulated polling day, ending in verified, tallied results;
`python -m sim election`: a whole election of many precincts (sim/election.py)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from sim import boards, definitions, outdir
from sim.day import REPO, Day, DayFailed, read_choices
from sim.election import add_parser as add_election_parser
from sim.election import election_main


def _day(args: argparse.Namespace) -> int:
    out: Path = args.out.absolute()
    try:
        if args.choices:
            read_choices(args.choices)  # a bad file stops the run before anything is made
        if args.screen:
            boards.panel_of(args.screen)
        if args.definition:
            definitions.day_spec(args.definition)
        outdir.fresh(out)
    except (
        DayFailed,
        outdir.ForeignDirectory,
        boards.ScreenSizeError,
        definitions.DefinitionProblem,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kind = Day
    if args.enclosure:
        if args.roles != "combined":
            print("--enclosure runs with --roles combined", file=sys.stderr)
            return 2
        from sim.enclosure import EnclosureDay

        kind = EnclosureDay
    day = kind(
        args.voters,
        args.seed,
        out,
        args.choices,
        args.power_cuts,
        args.roles,
        args.paper_rows,
        booths=args.booths,
        terminals=args.terminals,
        replays=args.replay_coupons,
        doubles=args.double_votes,
        definition=args.definition,
        screen=args.screen,
        keypad=args.input == "keypad",
        challenges=args.challenges,
        audio=args.audio,
    )
    try:
        timings = day.run()
    except DayFailed as exc:
        print(f"polling day failed: {exc}", file=sys.stderr)
        return 1
    package = out / "package"
    bundles = [str(place.bundle) for place in day.places]
    host = [sys.executable, "-m", "host_tools"]
    pinned = ["--commission-key", day.commission_fingerprint, "--package", str(package)]
    verify = subprocess.run(
        [*host, "verify", *pinned, *bundles],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    print(verify.stdout, end="")
    if verify.returncode != 0:
        print(f"verification failed:\n{verify.stderr}", file=sys.stderr)
        return 1
    tally = subprocess.run(
        [*host, "tally", *pinned, "--json", *bundles],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    (out / "tally.json").write_text(tally.stdout)
    tallied = json.loads(tally.stdout)
    totals = tallied["contests"]
    expected = day.expected_totals()
    if tallied["blank"] != day.expected_blank():
        print(
            f"MISMATCH: blank contests {tallied['blank']}, the slips show {day.expected_blank()}",
            file=sys.stderr,
        )
        return 1
    table = subprocess.run(
        [*host, "tally", *pinned, *bundles],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    print(table.stdout, end="")
    cast = sum(1 for o in day.outcomes if o.outcome == "cast")
    print(
        f"voters: {args.voters} eligible, {cast} cast with a printed slip; "
        f"power cuts: {day.cuts_done}; paper reloads: {day.paper_reloads}; "
        f"printouts: {day.printouts.count}"
    )
    print("timings: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    for kind, what in (
        ("replay", "used coupons shown at another booth"),
        ("double", "voters who had voted trying another terminal"),
    ):
        tries = [c for c in day.cheats if c.kind == kind]
        refused = sum(1 for c in tries if c.line()["outcome"] == "refused")
        if tries:
            print(f"{what}: {len(tries)}, refused {refused}")
        if refused != len(tries):
            print(f"FAIL: {len(tries) - refused} {kind} attempts not refused", file=sys.stderr)
            return 1
    if totals != expected:
        print(
            f"MISMATCH: the host tally {totals} differs from the voters' slips {expected}",
            file=sys.stderr,
        )
        return 1
    print("the host tally equals the choices of the voters whose slip was printed")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim")
    commands = parser.add_subparsers(dest="command", required=True)
    day = commands.add_parser("day", help="run a simulated polling day")
    day.add_argument("--voters", type=int, default=300, help="eligible voters, each casts once")
    day.add_argument("--seed", type=int, default=1, help="same seed, same election and day")
    day.add_argument("--out", type=Path, default=Path("runs/day"), help="output directory")
    day.add_argument("--choices", type=Path, help="JSON Lines: line i is voter i's selections")
    day.add_argument("--power-cuts", type=int, default=0, help="kill a terminal N times")
    day.add_argument(
        "--challenges",
        type=int,
        default=0,
        help="K voters challenge their encrypted ballot once (Benaloh) and vote the same again",
    )
    day.add_argument(
        "--roles",
        choices=("combined", "split"),
        default="combined",
        help="one combined terminal, or an identification desk and a voting booth",
    )
    day.add_argument(
        "--booths",
        type=int,
        default=1,
        help="with --roles split: this many voting booths (each its own process)",
    )
    day.add_argument(
        "--terminals",
        type=int,
        default=1,
        help="with --roles combined: this many combined terminals, each with its part of the "
        "register",
    )
    day.add_argument(
        "--replay-coupons",
        type=int,
        default=0,
        metavar="K",
        help="K voters who voted show their used coupon at another booth (needs --booths 2+)",
    )
    day.add_argument(
        "--double-votes",
        type=int,
        default=0,
        metavar="K",
        help="K voters who voted try another combined terminal (needs --terminals 2+)",
    )
    day.add_argument(
        "--paper-rows",
        type=int,
        help="paper rolls of this many dot rows (8 a millimetre): the printers run out and "
        "the poll worker reloads them",
    )
    day.add_argument(
        "--definition",
        type=Path,
        help="hold the day on the election of this definition file (examples/*.toml)",
    )
    day.add_argument(
        "--screen",
        metavar="WxH",
        help="simulated terminals with the panel of the board config of this size (480x320)",
    )
    day.add_argument(
        "--input",
        choices=("touch", "keypad"),
        default="touch",
        help="how every target is pressed: touched, or reached and selected with the tactile "
        "keypad's keys (up, down, select)",
    )
    day.add_argument(
        "--audio",
        action="store_true",
        help="every voter votes with the audio ballot (at a combined terminal every other "
        "voter is issued it 'with headphones' by the poll worker, the others press help); the "
        "clips the booth played are kept as OUT/audio/NNNN-<name>.wav",
    )
    day.add_argument(
        "--enclosure",
        action="store_true",
        help="with an enclosure controller (its MicroPython firmware, under Node): slips "
        "dropped into the box are counted, the seal is opened mid-day, the line attacked",
    )
    add_election_parser(commands)
    args = parser.parse_args(argv)
    if args.command == "election":
        return election_main(args)
    if args.voters < 1:
        parser.error("--voters must be at least 1")
    if args.booths < 1 or args.terminals < 1 or args.replay_coupons < 0 or args.double_votes < 0:
        parser.error("--booths and --terminals must be at least 1, K at least 0")
    if args.booths > 1 and args.roles != "split":
        parser.error("--booths needs --roles split")
    if args.terminals > 1 and args.roles != "combined":
        parser.error("--terminals is for combined terminals (--roles combined)")
    if args.replay_coupons and args.booths < 2:
        parser.error("--replay-coupons needs another booth to replay at: --booths 2 or more")
    if args.double_votes and args.terminals < 2:
        parser.error("--double-votes needs another terminal: --terminals 2 or more")
    if args.replay_coupons + args.double_votes > args.voters:
        parser.error("--replay-coupons / --double-votes: at most one attempt per voter")
    if args.terminals > args.voters:
        parser.error("--terminals: each terminal needs at least one voter of the register")
    if args.challenges < 0:
        parser.error("--challenges must not be negative")
    return _day(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
