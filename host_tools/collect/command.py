"""`python -m host_tools collect`: verify results bundles and import them into the database."""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import multiprocessing
import os
import signal
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from host_tools.collect import db
from host_tools.collect.act import Act, ActError, read_act
from host_tools.collect.importer import (
    ActOptions,
    Examined,
    examine,
    manifest_identity,
    store,
    store_election,
)
from host_tools.collect.progress import Progress
from host_tools.messages import add_language_argument, message
from host_tools.pinning import add_pin_arguments, load_pinned_package, pinned_package
from terminal.ballot.package import Package
from terminal.invariants import InvariantError
from terminal.jsonfmt import FormatError, load_object
from terminal.tally.bundle import MANIFEST

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130

EPILOG = """\
examples:
  python -m host_tools collect --db results.sqlite --package election/package \\
      --commission-key 3f5c…(64 hex digits) media/T-0001/
  python -m host_tools collect --db results.sqlite --package election/package \\
      --config commission.toml --acts acts/ --handed-over "Председатель УИК №1 Иванов" \\
      --accepted "ТИК: Петров" --act media/act-T-0001-bundle.json media/bundle/

Each bundle is verified (signatures, hashes, the event log's chain, every count) and imported
in one transaction: after a crash or Ctrl-C a bundle is in the database whole or not at all,
and collecting again goes on where it stopped. The same bundle twice is one. A bundle with
other results from a terminal that already has one is a conflict: kept, shown by `status`
and `report`, never counted.

exit status: 0 every bundle is counted (or was already), 1 a bundle failed verification,
its act did not match, or is in conflict, 2 the package, database or an act file cannot be
used, 130 interrupted (what was imported stays, whole).
"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "collect",
        help="verify bundles and import them into the results database (SQLite)",
        description="Verify results bundles against the signed package and import them into "
        "the results database.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", type=Path, required=True, help="the results database (made if new)")
    parser.add_argument(
        "--package",
        type=Path,
        required=True,
        help="the signed election package directory",
    )
    add_pin_arguments(parser)
    parser.add_argument(
        "--acts", type=Path, help="write an acceptance-transfer act (JSON and PDF) per bundle here"
    )
    parser.add_argument("--handed-over", default="", help="who handed the media over (for acts)")
    parser.add_argument("--accepted", default="", help="who accepted the media (for acts)")
    parser.add_argument(
        "--act",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a received act (JSON) to check a bundle against; once per bundle",
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: cores)"
    )
    add_language_argument(parser)
    parser.add_argument("bundles", type=Path, nargs="+", metavar="BUNDLE")


_worker: dict[str, object] = {}


def _init_worker(package_dir: Path, fingerprint: str, acts: ActOptions | None) -> None:
    # Ctrl-C is the parent's to handle: it stops handing out bundles and says what was kept.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent checked the pin; a package changed since then fails here, naming the key.
    _worker["package"] = load_pinned_package(package_dir, fingerprint)
    _worker["acts"] = acts


def _examine_in_worker(job: tuple[Path, tuple[Act, Path] | None]) -> Examined:
    package = _worker["package"]
    acts = _worker["acts"]
    if not isinstance(package, Package):
        raise InvariantError("invariant broken: isinstance(package, Package)")
    if not (acts is None or isinstance(acts, ActOptions)):
        raise InvariantError("invariant broken: acts is None or isinstance(acts, ActOptions)")
    return examine(job[0], package, job[1], acts)


def _claimed_terminal(path: Path) -> str | None:
    try:
        return load_object((path / MANIFEST).read_bytes(), str(path)).str("terminal")
    except (OSError, FormatError):
        return None


def _pair_acts(
    bundles: Sequence[Path], act_files: Sequence[Path], language: str
) -> list[tuple[Path, tuple[Act, Path] | None]] | None:
    """Each bundle with its received act (by terminal, then by the bundle's directory name);
    None (after saying why) when an act cannot be read or belongs to no bundle given."""
    acts: list[tuple[Act, Path]] = []
    for path in act_files:
        try:
            acts.append((read_act(path), path))
        except ActError as exc:
            print(message("act_error", language, detail=exc), file=sys.stderr)
            return None
    jobs: list[tuple[Path, tuple[Act, Path] | None]] = []
    used: set[Path] = set()
    for bundle in bundles:
        terminal = _claimed_terminal(bundle)
        mine = [a for a in acts if a[0].terminal == terminal]
        if len(mine) > 1:
            mine = [a for a in mine if a[0].bundle == bundle.name]
        jobs.append((bundle, mine[0] if mine else None))
        used.update(a[1] for a in mine[:1])
    unused = [str(path) for _, path in acts if path not in used]
    if unused:
        detail = f"{', '.join(unused)}: no bundle given for the terminal these acts name"
        print(message("act_error", language, detail=detail), file=sys.stderr)
        return None
    return jobs


def _results(
    jobs: list[tuple[Path, tuple[Act, Path] | None]],
    package: Package,
    acts: ActOptions | None,
    workers: int,
) -> Iterator[Examined]:
    """Examined bundles in the order given; in worker processes when there are several."""
    if workers <= 1 or len(jobs) < 2:
        for path, received in jobs:
            yield examine(path, package, received, acts)
        return
    fingerprint = package.commission.fingerprint()
    with concurrent.futures.ProcessPoolExecutor(
        workers,
        # Spawned, not forked: a forked worker would walk the parent's heap (bench/host.py).
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker,
        initargs=(package.directory, fingerprint, acts),
    ) as pool:
        try:
            yield from pool.map(_examine_in_worker, jobs, chunksize=4)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def run(args: argparse.Namespace) -> int:
    language: str = args.lang
    try:
        package = pinned_package(args)
    except SystemExit as stop:  # pinned_package said why
        return int(stop.code or EXIT_UNUSABLE)
    acts = None
    if args.acts is not None:
        acts = ActOptions(args.acts.resolve(), args.handed_over, args.accepted)
    jobs = _pair_acts(args.bundles, args.act, language)
    if jobs is None:
        return EXIT_UNUSABLE
    # When acts were received every bundle needs one: a bundle without is a medium nobody
    # signed for, refused without being read further.
    unsigned = [p for p, received in jobs if args.act and received is None]
    jobs = [job for job in jobs if job[0] not in unsigned]
    try:
        connection = db.connect(args.db, create=True)
        store_election(connection, package)
    except db.DatabaseError as exc:
        print(message("db_error", language, detail=exc), file=sys.stderr)
        return EXIT_UNUSABLE
    tally: Counter[str] = Counter()
    progress = Progress(len(jobs), message("progress", language), sys.stderr)
    refused = (
        Examined(
            str(path),
            manifest_identity(path)[1],
            _claimed_terminal(path),
            error=f"{path}: no acceptance-transfer act was received for it",
        )
        for path in unsigned
    )
    try:
        for examined in itertools.chain(refused, _results(jobs, package, acts, args.jobs)):
            stored = store(connection, examined)
            tally[stored.status] += 1
            progress.clear()
            print(_line(examined, stored.status, stored.reason, language))
            progress.advance()
    except KeyboardInterrupt:
        progress.clear()
        print(message("interrupted", language, done=sum(tally.values())), file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        progress.close()
        connection.close()
    print(
        message(
            "summary",
            language,
            counted=tally[db.COUNTED],
            same=tally[db.SAME_RESULTS],
            already=tally["already"],
            conflict=tally[db.CONFLICT],
            failed=tally[db.FAILED],
        )
    )
    return EXIT_FAILED if tally[db.FAILED] or tally[db.CONFLICT] else EXIT_OK


def _line(e: Examined, status: str, reason: str | None, language: str) -> str:
    if status == db.COUNTED:
        return message(
            "counted",
            language,
            path=e.source,
            terminal=e.terminal,
            precinct=e.precinct,
            ballots=e.ballots,
        )
    if status == db.SAME_RESULTS:
        return message("same_results", language, path=e.source, terminal=e.terminal)
    if status == "already":
        return message("already", language, path=e.source)
    return message("conflict" if status == db.CONFLICT else "failed", language, reason=reason)
