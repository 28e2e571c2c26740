"""A national election at the commission's desk: `collect`, `results` and `report` at scale.

KG: 2,500 precincts x 1,000 ballots in 9 regions and 45 districts; KZ: 10,000 precincts
(20 regions, 200 districts) with 100 ballots each, from which a KZ election of 10,000 x
1,200 ballots (some 12 million voters) is projected: collect's time as a cost per bundle
(bounded by the KZ run) plus a cost per ballot (bounded by the KG run).

The package is a real signed package with the hierarchy, a real encrypted register of
synthetic voters per precinct and a registered terminal each; every bundle is a real
terminal's export (tests/bundle_factory.py): the event log of the day with its chain,
signed checkpoints, protocol, commitment and manifest. To make 2.5 million ballots in
minutes rather than the half hour sealing them would take here, each record of ballots.bin
is random bytes of the record's size (sorted, as a terminal exports them): `collect`
verifies what the tally verifies (every signature but each ballot's own, every hash, the
log, every count), binding ballots.bin by the signed commitment and never opening a
ballot, so its work is the same. Only an audit (`verify`, each ballot's signature) or a
recount would refuse these boxes. For the same reason the precincts' sealing keys are
public keys whose private halves were never kept, and one chair credential serves all.

Measured: `collect --jobs <cores>` of every bundle (wall time; the acts, which a district
commission writes per medium it receives, are timed apart on a sample), `results` at each
level from the database (in process, best of 3), and `report` as a process (wall time and
peak memory). Regions are
cached under runs/bench-national/ (git ignores runs/), each made again when its first
bundle no longer verifies with the code as it is now.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from bench import REPO, Context, Figure, fmt, info, section
from bench.fixtures import ELECTION_DAY, election_spec, random_selections
from host_tools import commission as office
from host_tools.collect import db
from host_tools.results.units import Database, Level
from host_tools.verify import verify_bundles
from sim import synthetic
from terminal.ballot import package as pkg
from terminal.ballot.election import (
    Election,
    ElectionKind,
    Precinct,
    Role,
    TerminalEntry,
    Territory,
    TerritoryKind,
)
from terminal.ballot.package import load_package
from terminal.tally.protocol import LINES
from terminal.tally.sealing import RECORD_SIZE
from terminal.trust import chair
from terminal.trust.signing import SigningKey
from tests.bundle_factory import make_bundle

CACHE = REPO / "runs" / "bench-national"
COLLECT_TARGET_S = 120.0
RESULTS_TARGET_S = 1.0
REPORT_TARGET_S = 30.0
KZ_PROJECTED_BALLOTS = 1_200  # a KZ precinct's average list: ~12 million voters / 10,000


@dataclass(frozen=True)
class Country:
    name: str
    precincts: int
    ballots: int
    regions: int
    districts_per_region: int


KG = Country("KG", 2_500, 1_000, 9, 5)
KZ = Country("KZ", 10_000, 100, 20, 10)


def run(ctx: Context) -> None:
    cores = os.cpu_count() or 1
    figures: dict[str, dict[str, float]] = {}
    for country in (KG, KZ) if not ctx.quick else (dataclasses.replace(KG, precincts=250),):
        section(
            f"National election ({country.name}): {country.precincts:,} precincts x "
            f"{country.ballots:,} ballots"
        )
        directory = ensure(country)
        figures[country.name] = _measure(ctx, country, directory, cores)
    if "KZ" in figures:
        _project(ctx, figures["KG"], figures["KZ"])


# --- the region of bundles ---------------------------------------------------------------------


def _code(index: int) -> str:
    return f"N{index + 1:05d}"


def _terminal(index: int) -> str:
    return f"T-N{index + 1:05d}"


def ensure(country: Country, seed: int = 2026) -> Path:
    """The cached national election of `country`, made first if there is none that verifies."""
    directory = CACHE / f"{country.name}-p{country.precincts}-b{country.ballots}-s{seed}"
    marker = directory / "national.json"
    if marker.exists():
        try:
            # As collect verifies: the records are random bytes that only an audit opens.
            package = load_package(directory / "package")
            [first] = verify_bundles(
                package, [directory / "bundles" / _code(0)], check_records=False
            )
            if first.bundle is None:
                raise ValueError(first.error or "does not verify")
            info("national election (cached)", str(directory.relative_to(REPO)))
            return directory
        except Exception as exc:  # any failure means: make it again
            info("cached election no longer verifies", f"{type(exc).__name__}: {exc}"[:150])
    if directory.exists():
        shutil.rmtree(directory)
    started = time.perf_counter()
    _generate(directory, country, seed)
    elapsed = time.perf_counter() - started
    info("generation (s)", fmt(elapsed))
    marker.write_text(json.dumps({"generation_s": elapsed, **dataclasses.asdict(country)}))
    return directory


def _territories(country: Country) -> tuple[Territory, ...]:
    found = []
    for r in range(country.regions):
        region = f"R{r + 1:02d}"
        found.append(Territory(region, TerritoryKind.REGION, {"ru": f"Область {r + 1}"}, None))
        for d in range(country.districts_per_region):
            names = {"ru": f"Район {r + 1}-{d + 1}"}
            found.append(Territory(f"{region}-D{d + 1:02d}", TerritoryKind.DISTRICT, names, region))
    return tuple(found)


def _register(job: tuple[str, int, int]) -> tuple[str, bytes]:
    """A precinct's encrypted register of synthetic voters (the key is not kept: collect
    never reads a register)."""
    code, voters, seed = job
    register = synthetic.make_register(code, voters, ELECTION_DAY, random.Random(seed))
    return code, pkg.encrypt_register(register, os.urandom(32))


def _generate(directory: Path, country: Country, seed: int) -> None:
    t0 = time.perf_counter()
    territories = _territories(country)
    districts = [t.id for t in territories if t.kind is TerritoryKind.DISTRICT]
    workers = os.cpu_count() or 1
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        jobs = [(_code(i), country.ballots, seed * 100_000 + i) for i in range(country.precincts)]
        registers = dict(pool.map(_register, jobs, chunksize=16))
    info("registers (s)", fmt(time.perf_counter() - t0))
    keys = {_terminal(i): SigningKey.generate() for i in range(country.precincts)}
    precincts = tuple(
        Precinct(
            code=_code(i),
            names={"ru": f"Участок {i + 1}"},
            sealing_key=X25519PrivateKey.generate()
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw),
            register_file=pkg.register_path(_code(i)),
            register_sha256=pkg.sha256_hex(registers[_code(i)]),
            voters=country.ballots,
            ballot_slots=office.ballot_slots(country.ballots),
            number=str(i + 1),
            territory=districts[i % len(districts)],
            voters_on_list=country.ballots,
        )
        for i in range(country.precincts)
    )
    # One chair credential, sealed to every terminal: nobody opens polls in this bench.
    _, _, verifier = chair.issue("bench", "all")
    terminals = []
    for i in range(country.precincts):
        encryption = (
            X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        terminals.append(
            TerminalEntry(
                id=_terminal(i),
                precinct=_code(i),
                role=Role.COMBINED,
                public_key_file=pkg.terminal_key_path(_terminal(i)),
                public_key_sha256=pkg.sha256_hex(keys[_terminal(i)].public.pem()),
                encryption_key=encryption,
                sealed_secrets=pkg.PrecinctKeys.generate(verifier).seal_to(encryption),
            )
        )
    spec = election_spec(f"{country.name}-20261206-NATIONAL")
    election = Election(
        id=spec.id,
        names=spec.names,
        date=spec.date,
        timezone=spec.timezone,
        polls_open=spec.polls_open,
        polls_close=spec.polls_close,
        mode=spec.mode,
        country=country.name,
        contests=spec.contests,
        precincts=precincts,
        terminals=tuple(terminals),
        kind=ElectionKind.PRESIDENTIAL,
        territories=territories,
    )
    commission = SigningKey.generate()
    terminal_keys = {t: k.public for t, k in keys.items()}
    pkg.write_package(directory / "package", election, registers, terminal_keys, commission)
    (directory / "commission.fingerprint").write_text(commission.public.fingerprint() + "\n")
    info("election and package (s)", fmt(time.perf_counter() - t0))
    del registers

    t0 = time.perf_counter()
    jobs_ = [
        (
            _code(i),
            _terminal(i),
            keys[_terminal(i)].private.private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            ),
            seed * 100_000 + i,
        )
        for i in range(country.precincts)
    ]
    done = 0
    with concurrent.futures.ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(directory, country.ballots)
    ) as pool:
        for _ in pool.map(_make_one, jobs_, chunksize=8):
            done += 1
            if done % 500 == 0 or done == country.precincts:
                info(
                    f"bundles made: {done:,} of {country.precincts:,}",
                    f"{fmt(time.perf_counter() - t0)} s",
                )


_worker: dict[str, object] = {}


def _init_worker(directory: Path, ballots: int) -> None:
    _worker["directory"] = directory
    _worker["election"] = load_package(directory / "package").election
    _worker["ballots"] = ballots
    # What each bundle's log says the terminal loaded: hashed once, not per bundle (writing
    # a national election.json takes longer than the bundle itself).
    _worker["package_sha256"] = hashlib.sha256(
        (directory / "package" / pkg.ELECTION_FILE).read_bytes()
    ).hexdigest()


def _make_one(job: tuple[str, str, bytes, int]) -> str:
    """One precinct's bundle: every voter on the list casts a ballot (records: see above)."""
    code, terminal, pem, seed = job
    directory, election, count = _worker["directory"], _worker["election"], _worker["ballots"]
    package_sha256 = _worker["package_sha256"]
    assert isinstance(directory, Path) and isinstance(election, Election)
    assert isinstance(count, int) and isinstance(package_sha256, str)
    private = load_pem_private_key(pem, password=None)
    assert isinstance(private, Ed25519PrivateKey)
    rng = random.Random(seed)
    selections = [random_selections(election, rng) for _ in range(count)]
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
        package_sha256=package_sha256,
        sealed=[rng.randbytes(RECORD_SIZE) for _ in range(count)],
    )
    return code


# --- the measurements -------------------------------------------------------------------------


def _host(args: list[str], cwd: Path) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Run `python -m host_tools ARGS`: wall seconds, peak RSS (KiB) of it and its workers.
    Their CPU seconds are printed beside: the machine may be shared, and other processes'
    work lengthens the wall time but not the CPU time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "host_tools", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    info(
        f"{args[0]}: wall / CPU of its processes (s)",
        f"{fmt(elapsed)} / {fmt(usage.ru_utime + usage.ru_stime - cpu)}",
    )
    if done.returncode != 0:
        raise RuntimeError(f"host_tools {args[0]} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed, max(peak, before), done


def _measure(ctx: Context, country: Country, directory: Path, cores: int) -> dict[str, float]:
    name = country.name.lower()
    work = ctx.scratch(f"national-{name}")
    bundles = sorted(str(p) for p in (directory / "bundles").iterdir())
    for path in bundles:  # into the page cache: the timed pass reads memory, not the disk
        for file in Path(path).rglob("*"):
            if file.is_file():
                file.read_bytes()
    pin = ["--commission-key", (directory / "commission.fingerprint").read_text().strip()]
    database = work / "results.sqlite"
    collect_s, collect_kb, done = _host(
        ["collect", "--db", str(database), "--package", str(directory / "package"), *pin,
         "--jobs", str(cores), *bundles],
        REPO,
    )  # fmt: skip
    info("collect output (last line)", done.stdout.strip().splitlines()[-1][:120])
    ballots = country.precincts * country.ballots
    ctx.results.add(
        Figure(
            f"national_{name}_collect_s",
            collect_s,
            "s",
            COLLECT_TARGET_S,
            "lower",
            note=f"{country.precincts:,} bundles, {ballots:,} ballots, {cores} processes; "
            f"{ballots / collect_s:,.0f} ballots/s wall"
            + ("" if country is KG else "; the KZ target is the projection below"),
        )
    )
    info("database size (MB)", fmt(database.stat().st_size / 1e6))
    results: dict[str, float] = {}
    data = Database(db.connect(database))
    for level in Level:
        best = min(_timed(lambda lv=level: data.rows(lv, "ru")) for _ in range(3))
        results[level.value] = best
        ctx.results.add(
            Figure(f"national_{name}_results_{level.value}_s", best, "s", RESULTS_TARGET_S, "lower")
        )
    report_s, report_kb, _ = _host(
        ["report", "--db", str(database), "--out", str(work / "report.html")], REPO
    )
    ctx.results.add(
        Figure(
            f"national_{name}_report_s",
            report_s,
            "s",
            REPORT_TARGET_S,
            "lower",
            note=f"{(work / 'report.html').stat().st_size / 1e6:.1f} MB page; peak RSS of the "
            f"host tools' processes so far {collect_kb / 1024:,.0f} MB",
        )
    )
    info("peak RSS of collect or report (MB)", fmt(max(collect_kb, report_kb) / 1024))
    # The acts: a district commission writes one per medium it receives, not the CEC for a
    # whole country at once; their cost per bundle, from a sample.
    sample = bundles[:20]
    acts_s, _, _ = _host(
        ["collect", "--db", str(work / "acts.sqlite"), "--package", str(directory / "package"),
         *pin, "--jobs", "1", "--acts", str(work / "acts"), *sample],
        REPO,
    )  # fmt: skip
    plain_s, _, _ = _host(
        ["collect", "--db", str(work / "plain.sqlite"), "--package", str(directory / "package"),
         *pin, "--jobs", "1", *sample],
        REPO,
    )  # fmt: skip
    info("an act (JSON + PDF) per bundle (ms)", fmt((acts_s - plain_s) / len(sample) * 1e3))
    return {"collect_s": collect_s, "bundles": country.precincts, "ballots": ballots}


def _timed(function: object) -> float:
    assert callable(function)
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _project(ctx: Context, kg: dict[str, float], kz: dict[str, float]) -> None:
    """collect of a KZ election of 10,000 x 1,200 ballots, bounded from above by the runs.

    A fit of t = a * bundles + b * ballots to the two runs is ill-conditioned (a bundle of
    a larger election costs more: every worker loads its package) and gave a negative cost
    per ballot. Instead each cost is charged all of a run's time: a per bundle = the KZ
    run's time / its bundles (its ballots included), b per ballot = the KG run's time / its
    ballots (its bundles included). Both are upper bounds, so the projection is one too."""
    a = kz["collect_s"] / kz["bundles"]
    b = kg["collect_s"] / kg["ballots"]
    bundles, ballots = kz["bundles"], kz["bundles"] * KZ_PROJECTED_BALLOTS
    projected = a * bundles + b * ballots
    info("bounds: per bundle (ms), per ballot (µs)", f"{a * 1e3:.2f}, {b * 1e6:.2f}")
    ctx.results.add(
        Figure(
            "national_kz_collect_projected_s",
            projected,
            "s",
            COLLECT_TARGET_S * bundles / KG.precincts,
            "lower",
            note=f"projected for {int(bundles):,} bundles x {KZ_PROJECTED_BALLOTS:,} ballots from "
            "the KG and KZ runs; target: the KG rate's budget scaled by bundles",
        )
    )
