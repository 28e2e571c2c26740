"""A whole election in the simulator: from a definition file to collected, published results.

`python -m sim election --definition FILE --voters-per-precinct N --seed S --out DIR` goes
through the commission's commands, as a commission would, with the simulator's people and
terminals in between:

 1. `host_tools election create` from the definition (its date moved to today, the day
    the terminals' clocks show, and N voters on every precinct's list), `election keys`;
 2. every terminal the definition plans is provisioned (`python -m terminal provision`),
    then `terminals register` and `election sign`;
 3. every precinct's polling day runs as `sim day` runs one (sim/day.py's Day: the chair,
    poll workers and voters at real terminal processes), precincts in parallel, one per
    core;
 4. each bundle is moved on a medium with its acceptance-transfer act (DIR/media/),
    and collected per precinct with `host_tools collect --act` into DIR/results.sqlite,
    the district commission's acts written into DIR/acts/;
 5. `results --open-data DIR/open-data`, `report --out DIR/report.html`, `status`, and the
    results table. The collected totals must equal what the voters chose (counting only
    voters whose slip was printed), precinct by precinct.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import datetime as dt
import multiprocessing
import os
import re
import secrets
import shlex
import shutil
import sys
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from host_tools.__main__ import main as host_tools
from host_tools.collect import db
from host_tools.collect.act import make_act, write_act
from host_tools.commission import chair_card_name, pin_letter_name, share_card_name
from host_tools.election import office
from host_tools.election.definition import Definition, load_definition
from host_tools.results.units import Database
from sim.day import Day, DayFailed, SimTerminal, decode_qr
from terminal.ballot.election import Role
from terminal.ballot.package import load_package
from terminal.jsonfmt import load_object
from terminal.tally.bundle import MANIFEST
from terminal.trust.signing import VerifyKey


class ElectionFailed(Exception):
    """A step of the simulated election failed; the message says which."""


@dataclass(frozen=True)
class PrecinctJob:
    """What one precinct's day needs, picklable for a worker process."""

    code: str
    root: Path
    definition: Path  # the definition the election was created from
    register_seed: int  # `election create --seed`: the synthetic registers' seed
    day_seed: int  # the day's people and their choices
    package: Path
    chair_card: str
    chair_pin: str
    share_cards: tuple[str, ...]
    terminals: tuple[tuple[str, Role], ...]
    challenges: int = 0  # voters of the precinct who challenge a ballot once


class PrecinctDay(Day):
    """sim/day.py's polling day at one precinct of a whole election: the election, the
    register and the credentials come from the commission's commands, not from the day."""

    def __init__(self, job: PrecinctJob, voters: int) -> None:
        roles = "combined" if len(job.terminals) == 1 else "split"
        super().__init__(voters, job.day_seed, job.root, None, 0, roles, challenges=job.challenges)
        self.job = job
        self.precinct = job.code
        self.package_dir = job.package
        by_role = {role: terminal for terminal, role in job.terminals}
        if roles == "combined":
            self.booth = SimTerminal(self, job.terminals[0][0], Role.COMBINED, job.root, "sim.toml")
            self.desk = self.booth
        else:
            self.booth = SimTerminal(self, by_role[Role.VOTE], Role.VOTE, job.root, "sim-vote.toml")
            self.desk = SimTerminal(
                self, by_role[Role.IDENTIFY], Role.IDENTIFY, job.root / "identify",
                "sim-identify.toml",
            )  # fmt: skip
        self.terminals = [self.desk] if self.desk is self.booth else [self.desk, self.booth]
        self.booths = [self.booth]
        self.by_id = {t.terminal_id: t for t in self.terminals}

    def prepare(self) -> None:
        """The commission prepared everything already: read the package and the register."""
        # The election directory's copy: the files it names were read at create.
        definition = load_definition(self.job.definition, check_files=False)
        self.register = office.read_registers(definition, self.job.register_seed)[self.precinct]
        self.election = load_package(self.job.package).election
        self.chair_card = self.job.chair_card
        self.chair_pin = self.job.chair_pin
        self.share_cards = list(self.job.share_cards)


def exported_bundles(job: PrecinctJob) -> list[Path]:
    """The bundles a precinct's terminals exported (sim/day.py's layout)."""
    return [job.root / "bundle"] + (
        [job.root / "bundle-identify"] if len(job.terminals) > 1 else []
    )


def _run_precinct(job: PrecinctJob, voters: int) -> tuple[str, dict[str, dict[str, int]], int]:
    """One precinct's day in a worker: its code, the voters' choices and the votes cast."""
    day = PrecinctDay(job, voters)
    day.run()
    cast = sum(1 for outcome in day.outcomes if outcome.outcome == "cast")
    return job.code, day.expected_totals(), cast


def _step(argv: Sequence[str | Path]) -> None:
    """One host tools command, as typed at the commission's desk; it must succeed."""
    args = [str(a) for a in argv]
    print(f"\n$ python -m host_tools {shlex.join(args)}", flush=True)
    status = host_tools(args)
    if status != 0:
        raise ElectionFailed(
            f"host_tools {args[0]} {args[1] if len(args) > 1 else ''}: exit {status}"
        )


def _definition_for_today(source: Path, target: Path, voters: int) -> dt.date:
    """The definition with its date moved to the terminals' today and N voters on every
    list. An official terminal opens the polls on the election's date only; the TOML is
    edited as text so that everything else stays as its author wrote it."""
    text = source.read_text(encoding="utf-8")
    parsed = tomllib.loads(text)
    sign, hours, minutes = re.fullmatch(r"([+-])(\d\d):(\d\d)", parsed["timezone"]).groups()  # type: ignore[union-attr]
    offset = dt.timedelta(hours=int(hours), minutes=int(minutes)) * (1 if sign == "+" else -1)
    today = (dt.datetime.now(dt.UTC) + offset).date()
    text, dates = re.subn(r"(?m)^date = .*$", f"date = {today.isoformat()}", text)
    text, lists = re.subn(r"(?m)^voters_on_list = \d+", f"voters_on_list = {voters}", text)
    if dates != 1 or lists != len(parsed["precincts"]):
        raise ElectionFailed(f"{source}: expected one date line and voters_on_list per precinct")
    target.write_text(text, encoding="utf-8")
    _copy_named_files(source, target)
    return today


def _copy_named_files(source: Path, target: Path) -> None:
    """The recordings and logos the definition names relative to itself, copied to the same
    places relative to its copy (create reads them from there)."""
    definition = load_definition(source)
    for path in [r.path for r in definition.recordings] + [p.path for p in definition.logos]:
        if not path.is_relative_to(source.parent):
            continue  # named by an absolute path: found from anywhere
        relative = path.relative_to(source.parent)
        if ".." in relative.parts:
            raise ElectionFailed(f"{source}: {relative}: name files inside the definition's folder")
        (target.parent / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target.parent / relative)


def _credentials(cards: Path, code: str, members: int) -> tuple[str, str, tuple[str, ...]]:
    """The chair card's payload (read from its printed QR), the PIN from the PIN letter,
    and the share cards' payloads, as the chair and the members bring them."""
    card = decode_qr(Image.open(cards / f"{chair_card_name(code)}.png"))
    if card is None:
        raise ElectionFailed(f"{cards}: the chair card of {code} does not decode")
    letter = (cards / pin_letter_name(code)).read_text(encoding="utf-8")
    pin = re.search(r"ПИН / PIN: (\d+)", letter)
    if pin is None:
        raise ElectionFailed(f"{cards / pin_letter_name(code)}: no PIN in the letter")
    shares = tuple(
        (cards / f"{share_card_name(code, member, members)}.txt").read_text().strip()
        for member in range(1, members + 1)
    )
    return card, pin.group(1), shares


def _move_to_media(bundle: Path, media: Path, handed_over: str, accepted: str) -> tuple[Path, Path]:
    """The bundle copied onto a medium with the act the precinct signs for it."""
    manifest = load_object((bundle / MANIFEST).read_bytes(), str(bundle / MANIFEST))
    ids = {k: manifest.str(k) for k in ("election", "precinct", "terminal")}
    target = media / ids["terminal"]
    shutil.copytree(bundle, target)
    act_json, _ = write_act(media, make_act(target, ids, handed_over, accepted))
    return target, act_json


def run_election(
    definition_file: Path, voters: int, seed: int, out: Path, jobs: int, challenges: int = 0
) -> int:
    """The whole election; 0 when the collected results equal the voters' choices."""
    office_dir, cards, terminals_dir = out / "election", out / "cards", out / "terminals"
    out.mkdir(parents=True)
    phrase = out / "passphrase.txt"
    # A fresh passphrase for the simulated commission's key, as a script would keep one.
    phrase.touch(mode=0o600)
    phrase.write_text(secrets.token_urlsafe(24) + "\n")
    key = ["--passphrase-file", phrase]
    definition_copy = out / "definition.toml"
    today = _definition_for_today(definition_file, definition_copy, voters)
    print(f"election day moved to today, {today}; {voters} voters on every list", flush=True)
    _step(["election", "create", "--definition", definition_copy, "--out", office_dir,
           "--seed", seed, *key])  # fmt: skip
    _step(["election", "keys", "--election", office_dir, "--cards-dir", cards, *key])
    definition: Definition = load_definition(office_dir / office.DEFINITION_FILE, check_files=False)

    precinct_jobs = []
    data_dirs = []
    for index, p in enumerate(definition.precincts):
        root = terminals_dir / p.code
        job = PrecinctJob(
            code=p.code,
            root=root,
            definition=office_dir / office.DEFINITION_FILE,
            register_seed=seed,
            day_seed=seed * 1000 + index,
            package=(office_dir / office.PACKAGE_DIR).resolve(),
            chair_card="",
            chair_pin="",
            share_cards=(),
            terminals=tuple((t.id, t.role) for t in p.terminals),
            challenges=challenges,
        )
        day = PrecinctDay(job, voters)
        for terminal in day.terminals:
            terminal.root.mkdir(parents=True, exist_ok=True)
            terminal.provision(office_dir / office.COMMISSION_PUBLIC)
            data_dirs.append(terminal.data)
        chair_card, pin, shares = _credentials(cards, p.code, definition.members)
        precinct_jobs.append(
            dataclasses.replace(job, chair_card=chair_card, chair_pin=pin, share_cards=shares)
        )
    _step(["terminals", "register", "--election", office_dir, *data_dirs, *key])
    _step(["election", "sign", "--election", office_dir, *key])

    print(f"polling day at {len(precinct_jobs)} precincts, {jobs} at a time", flush=True)
    expected: dict[str, dict[str, dict[str, int]]] = {}
    with concurrent.futures.ProcessPoolExecutor(
        max(1, min(jobs, len(precinct_jobs))), mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        futures = [pool.submit(_run_precinct, job, voters) for job in precinct_jobs]
        for future in concurrent.futures.as_completed(futures):
            code, totals, cast = future.result()
            expected[code] = totals
            print(f"precinct {code}: polls closed, {cast} ballots cast", flush=True)

    # The fingerprint the commission publishes: every command that reads bundles is pinned.
    published = VerifyKey.load(office_dir / office.COMMISSION_PUBLIC).fingerprint()
    pin = ["--commission-key", published]
    database = out / "results.sqlite"
    media = out / "media"
    for p, job in zip(definition.precincts, precinct_jobs, strict=True):
        chair = f"Председатель УИК №{p.number}"
        district = f"ТИК {p.district}"
        moved = [
            _move_to_media(bundle, media / p.code, chair, district)
            for bundle in exported_bundles(job)
        ]
        _step(["collect", "--db", database, "--package", job.package, *pin,
               "--acts", out / "acts", "--handed-over", chair, "--accepted", district,
               *(a for _, act in moved for a in ("--act", act)),
               *(bundle for bundle, _ in moved)])  # fmt: skip
    _step(["results", "--db", database, "--level", "district", "--format", "csv",
           "--open-data", out / "open-data"])  # fmt: skip
    _step(["report", "--db", database, "--out", out / "report.html"])
    _step(["status", "--db", database])
    mismatches = _compare(database, expected)
    for line in mismatches:
        print(f"MISMATCH {line}", file=sys.stderr)
    if not mismatches:
        print("the collected results equal the choices of the voters whose slip was printed")
    _step(["results", "--db", database])
    return 1 if mismatches else 0


def _compare(database: Path, expected: dict[str, dict[str, dict[str, int]]]) -> list[str]:
    """Precinct by precinct, the collected votes against the voters' printed choices."""
    data = Database(db.connect(database))
    rows = {row.ids["precinct_code"]: row for row in data.precinct_rows("ru")}
    problems = []
    for code, contests in sorted(expected.items()):
        found = Counter(rows[code].votes)
        for contest, choices in contests.items():
            for choice, n in choices.items():
                if found[f"{contest}.{choice}"] != n:
                    problems.append(
                        f"precinct {code}, {contest}.{choice}: collected "
                        f"{found[f'{contest}.{choice}']}, the voters' slips say {n}"
                    )
    return problems


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "election",
        help="a whole election: create, provision, every precinct's day, collect, publish",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--definition", type=Path, required=True, help="the election (TOML)")
    parser.add_argument(
        "--voters-per-precinct", type=int, default=20, help="voters on every list (each votes)"
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same election and days")
    parser.add_argument("--out", type=Path, default=Path("runs/election"), help="output directory")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="precincts run at once (default: cores)",
    )
    parser.add_argument(
        "--challenges",
        type=int,
        default=0,
        help="in every precinct, K voters challenge their encrypted ballot once (Benaloh) "
        "and vote the same again",
    )


def election_main(args: argparse.Namespace) -> int:
    """`python -m sim election`."""
    if args.voters_per_precinct < 1:
        print("--voters-per-precinct must be at least 1", file=sys.stderr)
        return 2
    if args.challenges < 0:
        print("--challenges must not be negative", file=sys.stderr)
        return 2
    out: Path = args.out.resolve()
    if out.exists():
        shutil.rmtree(out)
    try:
        return run_election(
            args.definition, args.voters_per_precinct, args.seed, out, args.jobs, args.challenges
        )
    except (ElectionFailed, DayFailed) as exc:
        print(f"the simulated election failed: {exc}", file=sys.stderr)
        return 1
