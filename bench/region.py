"""A region's results: one election of many precincts, and one honest bundle per precinct.

The election is made with the commission's code (host_tools.commission.build_election:
sealing keys split into share cards, chair credentials, encrypted registers of
sim.synthetic voters) and written as a signed package. Each precinct's combined terminal
exports the bundle tests/bundle_factory.py makes: the event log of a polling day, signed
checkpoints, every ballot sealed and signed, the commitment, the protocol and the manifest.
Bundles are made in parallel, one process per core.

Sealing 750,000 ballots takes minutes, so a region is cached under runs/bench-bundles/
(git ignores runs/), in a directory named by its parameters. Before a cached region is
used, its package is loaded and its first and last bundles are verified with the code as
it is now: when a format has changed so that they no longer verify, the region is made
again (the stale one is removed first: each holds about a gigabyte).

Layout of a cached region:
    package/                 the signed election package
    cards/<P>-share-<i>.txt  the payloads of two share cards per precinct (for the recount)
    bundles/<P>/             the results bundle of precinct P
    region.json              parameters and generation time, written last (complete)
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from bench import REPO, fmt, info
from bench.fixtures import ELECTION_DAY, election_spec, random_selections, registration
from host_tools import commission as office
from sim import synthetic
from terminal.ballot import package as pkg
from terminal.ballot.package import Package, load_package
from terminal.tally.bundle import verify_bundle
from terminal.tally.protocol import LINES
from terminal.trust.files import write_private_file
from terminal.trust.signing import SigningKey
from tests.bundle_factory import make_bundle

CACHE = REPO / "runs" / "bench-bundles"


@dataclass(frozen=True)
class Region:
    directory: Path
    precincts: int
    ballots: int
    generation_s: float
    generated_now: bool

    @property
    def package_dir(self) -> Path:
        return self.directory / "package"

    def package(self) -> Package:
        return load_package(self.package_dir)

    def bundles(self) -> list[Path]:
        return sorted(p for p in (self.directory / "bundles").iterdir() if p.is_dir())

    def cards(self, code: str) -> list[Path]:
        return sorted((self.directory / "cards").glob(f"{code}-share-*.txt"))

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.directory / "bundles").rglob("*") if p.is_file())


def precinct_code(index: int) -> str:
    return f"R{index + 1:03d}"


def terminal_id(index: int) -> str:
    return f"T-R{index + 1:03d}-01"


def _still_valid(region: Region) -> str | None:
    """Why a cached region cannot be used with the code as it is now, or None if it can."""
    try:
        package = region.package()
        paths = region.bundles()
        if len(paths) != region.precincts:
            return f"{len(paths)} bundles, expected {region.precincts}"
        for path in (paths[0], paths[-1]):
            verify_bundle(path, package)
    except Exception as exc:  # any failure means: make it again
        return f"{type(exc).__name__}: {exc}"
    return None


def ensure(precincts: int, ballots: int, seed: int = 2025) -> Region:
    """The cached region with these parameters, made first if there is none that verifies."""
    directory = CACHE / f"p{precincts}-b{ballots}-s{seed}"
    marker = directory / "region.json"
    if marker.exists():
        meta = json.loads(marker.read_text())
        cached = Region(directory, precincts, ballots, float(meta["generation_s"]), False)
        problem = _still_valid(cached)
        if problem is None:
            info("region (cached)", f"{directory.relative_to(REPO)}, made {meta['made']}")
            return cached
        info("cached region no longer verifies", f"{problem[:150]}; making it again")
    if CACHE.exists():
        for stale in CACHE.iterdir():
            if stale.is_dir():
                info("removing a stale region", str(stale.relative_to(REPO)))
                shutil.rmtree(stale)
    started = time.perf_counter()
    _generate(directory, precincts, ballots, seed)
    elapsed = time.perf_counter() - started
    marker.write_text(
        json.dumps(
            {
                "precincts": precincts,
                "ballots": ballots,
                "seed": seed,
                "generation_s": elapsed,
                "load_average": os.getloadavg()[0],
                "made": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }
        )
    )
    return Region(directory, precincts, ballots, elapsed, True)


def _generate(directory: Path, precincts: int, ballots: int, seed: int) -> None:
    t0 = time.perf_counter()
    rng = random.Random(seed)
    specs = []
    keys: dict[str, SigningKey] = {}
    registrations = []
    for index in range(precincts):
        code = precinct_code(index)
        register = synthetic.make_register(code, ballots, ELECTION_DAY, rng)
        names = {"ru": f"Участок {code}", "en": f"Precinct {code}"}
        specs.append(office.PrecinctSpec(code, names, register))
        keys[code] = SigningKey.generate()
        registrations.append(registration(terminal_id(index), code, keys[code]))
    created = office.build_election(
        election_spec("KG-20251130-REGION"),
        specs,
        threshold=2,
        share_count=3,
        terminals=registrations,
    )
    pkg.write_package(
        directory / "package",
        created.election,
        created.register_files,
        created.terminal_keys,
        SigningKey.generate(),
    )
    for code, secrets in created.secrets.items():
        for member, card in enumerate(secrets.share_cards[: created.threshold], 1):
            write_private_file(
                directory / "cards" / f"{code}-share-{member}.txt", card.payload().encode()
            )
    info("election and package (s)", fmt(time.perf_counter() - t0))

    t0 = time.perf_counter()
    jobs = [
        (
            precinct_code(index),
            terminal_id(index),
            keys[precinct_code(index)].private.private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            ),
            seed * 100_000 + index,
        )
        for index in range(precincts)
    ]
    workers = os.cpu_count() or 1
    done = 0
    with concurrent.futures.ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(directory, ballots)
    ) as pool:
        for _ in pool.map(_make_one, jobs, chunksize=1):
            done += 1
            if done % 25 == 0 or done == precincts:
                info(
                    f"bundles made: {done} of {precincts}",
                    f"{fmt(time.perf_counter() - t0)} s",
                )


_worker: dict[str, object] = {}


def _init_worker(directory: Path, ballots: int) -> None:
    _worker["directory"] = directory
    _worker["package"] = load_package(directory / "package")
    _worker["ballots"] = ballots


def _make_one(job: tuple[str, str, bytes, int]) -> str:
    """Make one precinct's bundle: every voter of the register casts one ballot."""
    code, terminal, pem, seed = job
    directory = _worker["directory"]
    package = _worker["package"]
    count = _worker["ballots"]
    assert isinstance(directory, Path) and isinstance(package, Package) and isinstance(count, int)
    private = load_pem_private_key(pem, password=None)
    assert isinstance(private, Ed25519PrivateKey)
    election = package.election
    rng = random.Random(seed)
    selections = [random_selections(election, rng) for _ in range(count)]
    # The factory fills the protocol lines it knows; the protocol may have more (the lines of
    # the identification desk and the booth), which are zero for a combined terminal.
    lines = dict.fromkeys(LINES, 0)
    lines.update(
        voters_on_register=count,
        voters_received_ballot=count,
        ballots_issued=count,
        ballots_cast=count,
    )
    make_bundle(
        directory / "bundles" / code,
        election,
        code,
        terminal,
        SigningKey(private),
        selections,
        protocol_changes={"lines": lines},
    )
    return code
