"""The host tools at the scale of a region: 250 precincts of 3,000 ballots each.

Verify and tally: host_tools.verify.verify_bundles over the bundles as the tally runs it
(signatures of the manifest, protocol, commitment and checkpoints, every file's hash, the
log's chain, every count; each ballot's own signature is left to the signed commitment,
`check_records=False`), then host_tools.tally.sum_protocols. The audit (`host_tools
verify`, which also checks each ballot's signature) is measured on a sample for comparison.
The host tools do this in one process; to see how it scales, the bench splits the bundles
among N worker processes, each running verify_bundles on its share, and checks the
results across shares as verify_bundles does (one bundle per terminal) before summing.
The full region is verified with N processes; one process verifies a sample.

Recount: terminal.tally.count.count_records over each bundle's ballots with the precinct
keys rebuilt from share cards, next to the floor: the cost of the primitives alone for
each ballot (Ed25519 verify, X25519, HKDF-SHA256, ChaCha20-Poly1305 decrypt). Every worker
runs both on the same ballots, 500 at a time and in turn, so the figure and its floor see
the same machine: with 1 process, and with one per core (where the workers slow each other
down, the primitives as much as the rest). The full region's time is estimated from the
sample's CPU time, and said so.

Bundles are read once before timing, so every pass reads them from the page cache.
Throughput per core and cost per ballot are counted in CPU time of the working processes
(the machine may be shared: other processes then lengthen wall time, not CPU time); wall
times and the wall-clock speedup with N processes are printed next to them.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import math
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bench import Context, Figure, fmt, info, region, section
from bench.memory import high_water_kb
from host_tools.tally import sum_protocols
from host_tools.verify import rebuild_keys, verify_bundles
from terminal.ballot.package import Package, load_package
from terminal.jsonfmt import load_object
from terminal.tally import sealing
from terminal.tally.ballot_box import split_records
from terminal.tally.bundle import BALLOTS, EVENTS, MANIFEST, VerifiedBundle, verify_bundle
from terminal.tally.count import count_records
from terminal.tally.event_log import parse_log
from terminal.tally.protocol import Protocol
from terminal.trust import envelope
from terminal.trust.signing import VerifyKey

PRECINCTS = 250
BALLOTS_PER_BUNDLE = 3000
VERIFY_TARGET = 100_000.0  # ballots per second per core
RECOUNT_FACTOR = 1.3  # times the primitives' floor
VERIFY_SAMPLE = 60  # bundles verified by one process
AUDIT_SAMPLE = 20  # bundles verified with each ballot's signature (host_tools verify)
RECOUNT_SAMPLE = 16  # bundles recounted, with 1 and with N processes
QUICK_SAMPLE = 8


def run(ctx: Context) -> None:
    section(f"Host tools: a region of {PRECINCTS} precincts x {BALLOTS_PER_BUNDLE:,} ballots")
    reg = region.ensure(PRECINCTS, BALLOTS_PER_BUNDLE)
    paths = reg.bundles()
    if len(paths) != PRECINCTS:
        raise RuntimeError(f"{reg.directory}: {len(paths)} bundles, expected {PRECINCTS}")
    made = "now" if reg.generated_now else "when cached"
    info(
        "generation of the region (s)",
        f"{fmt(reg.generation_s)} ({made}; {PRECINCTS * BALLOTS_PER_BUNDLE:,} sealed ballots,"
        f" {reg.size_bytes() / 1e6:,.0f} MB)",
    )
    t0 = time.perf_counter()
    _read_all(paths)
    info("read every bundle once, untimed (s)", fmt(time.perf_counter() - t0))

    cores = os.cpu_count() or 1
    package = reg.package()
    _breakdown(paths[0], package)
    _verify(ctx, reg, paths, cores)
    _recount(ctx, reg, paths, package, cores)


# --- verify and tally ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verified:
    """What a worker sends back for one bundle: enough to check and tally across workers."""

    path: Path
    terminal: str
    manifest_sha256: str
    protocol: Protocol | None
    error: str | None


_state: dict[str, Package] = {}


def _init(package_dir: Path) -> None:
    _state["package"] = load_package(package_dir)


def _pool(reg: region.Region, workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """Worker processes started afresh (spawn), not forked from this one: a forked worker
    inherits the heap of every group measured before, which its garbage collector then
    walks (a third slower per ballot in a whole `make bench` than in `--only host`)."""
    return concurrent.futures.ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init,
        initargs=(reg.package_dir,),
    )


def _read_all(paths: list[Path]) -> None:
    """Every file of these bundles into the page cache, so that a timed pass reads memory.

    Just before each pass, not once for all: this machine's kernel pages out memory unused
    for a minute (DAMON reclaim, /sys/kernel/mm/damon), page cache included, and a pass
    that read its bundles back from disk counted the reading as verification (up to a
    third of its CPU time, as system time)."""
    for path in paths:
        for file in path.rglob("*"):
            if file.is_file():
                file.read_bytes()


def _verify_share(paths: list[Path], audit: bool) -> tuple[list[_Verified], float, int]:
    """verify_bundles over one worker's share; its CPU seconds and peak RSS (KiB)."""
    _read_all(paths)
    t0 = time.process_time()
    package = _state["package"]
    results = verify_bundles(package, paths, check_records=audit)
    found = []
    for result in results:
        manifest = hashlib.sha256((result.path / MANIFEST).read_bytes()).hexdigest()
        bundle = result.bundle
        found.append(
            _Verified(
                result.path,
                bundle.protocol.terminal if bundle else "",
                manifest,
                bundle.protocol if bundle else None,
                result.error,
            )
        )
    # VmHWM, not getrusage's ru_maxrss: Linux carries that across the exec of a spawned
    # worker, so it would report the parent's peak.
    return found, time.process_time() - t0, high_water_kb(os.getpid()) or 0


def _shares(paths: list[Path], workers: int) -> list[list[Path]]:
    return [paths[i::workers] for i in range(workers)]


@dataclass(frozen=True)
class _Pass:
    seconds: float  # wall time of the whole pass: workers started, verified, tallied
    cpu: float  # CPU seconds of the workers' verification, summed
    ballots: int
    workers: int
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        """Ballots per wall-clock second."""
        return self.ballots / self.seconds

    @property
    def per_core(self) -> float:
        """Ballots per CPU-second: per core when every core is busy with this alone."""
        return self.ballots / self.cpu


def _verify_pass(reg: region.Region, paths: list[Path], workers: int, audit: bool = False) -> _Pass:
    """Verify and tally `paths` with `workers` processes; wall time from start to totals."""
    package = reg.package()
    t0 = time.perf_counter()
    with _pool(reg, workers) as pool:
        outcomes = list(pool.map(_verify_share, _shares(paths, workers), [audit] * workers))
    verified: list[VerifiedBundle] = []
    seen: dict[str, str] = {}
    for found, _, _ in outcomes:
        for item in found:
            if item.error is not None or item.protocol is None:
                raise RuntimeError(f"a generated bundle does not verify: {item.error}")
            # Across shares, as verify_bundles does within one: one bundle per terminal.
            if item.terminal in seen and seen[item.terminal] != item.manifest_sha256:
                raise RuntimeError(f"two bundles of terminal {item.terminal}")
            seen[item.terminal] = item.manifest_sha256
            verified.append(VerifiedBundle(item.path, item.protocol, Counter(), 0, "", None))
    totals = sum_protocols(package.election, verified)
    elapsed = time.perf_counter() - t0
    cast = totals.lines["ballots_cast"]
    if cast != len(paths) * BALLOTS_PER_BUNDLE:
        raise RuntimeError(f"the tally counts {cast} ballots cast, expected more")
    peak = max(rss for _, _, rss in outcomes) / 1024
    return _Pass(elapsed, sum(cpu for _, cpu, _ in outcomes), cast, workers, peak)


def _verify(ctx: Context, reg: region.Region, paths: list[Path], cores: int) -> None:
    sample = paths[: QUICK_SAMPLE if ctx.quick else VERIFY_SAMPLE]
    # Each pass twice, keeping the one with less CPU time: other work on the machine only
    # ever adds to it (a pass is a few seconds; the machine is shared).
    one = min((_verify_pass(reg, sample, 1) for _ in range(2)), key=lambda p: p.cpu)
    full = min((_verify_pass(reg, paths, cores) for _ in range(2)), key=lambda p: p.cpu)
    path_name = "the tally's path"
    for label, result in (
        (f"1 process, {len(sample)} bundles", one),
        (f"{cores} processes, all {len(paths)} bundles", full),
    ):
        info(
            label,
            f"{fmt(result.seconds)} s wall, {fmt(result.rate)} ballots/s; "
            f"{fmt(result.per_core)} ballots per CPU-second; "
            f"worker peak RSS {fmt(result.peak_rss_mb)} MB",
        )
    info(f"speedup with {cores} processes (wall)", f"{fmt(full.rate / one.rate)} x")
    info(
        f"the region of {len(paths)} bundles",
        f"verified and tallied in {fmt(full.seconds)} s with {cores} processes",
    )
    audit_sample = paths[: QUICK_SAMPLE if ctx.quick else AUDIT_SAMPLE]
    audit = _verify_pass(reg, audit_sample, 1, audit=True)
    info(
        f"audit (each ballot's signature too), {len(audit_sample)} bundles",
        f"{fmt(audit.per_core)} ballots per CPU-second, 1 process",
    )
    ctx.results.add(
        Figure(
            "host_verify_ballots_per_s_per_core_1proc",
            one.per_core,
            "ballots/s",
            VERIFY_TARGET,
            "higher",
            note=f"{path_name}; per CPU-second; sample of {len(sample)} bundles",
        )
    )
    ctx.results.add(
        Figure(
            f"host_verify_ballots_per_s_per_core_{cores}proc",
            full.per_core,
            "ballots/s",
            VERIFY_TARGET,
            "higher",
            peer=one.per_core,
            note=f"{path_name}; per CPU-second; all {len(paths)} bundles; peer: 1 process; "
            f"wall-clock speedup {full.rate / one.rate:.2f}x",
        )
    )


def _breakdown(path: Path, package: Package) -> None:
    """Where one bundle's verification spends its time, per ballot (main process).

    The whole and its parts are timed in turn, five rounds, and each keeps its least CPU
    time: other work on the machine only ever adds, and taking turns exposes whole and
    parts to the same moments.
    """
    bundle = verify_bundle(path, package)
    key = package.terminal_key(bundle.protocol.terminal)
    data = (path / EVENTS).read_bytes()
    ballots = (path / BALLOTS).read_bytes()
    records = split_records(ballots, str(path / BALLOTS))
    parts: dict[str, Callable[[], object]] = {
        "total": lambda: verify_bundle(path, package, check_records=False),
        "signatures": lambda: [sealing.check_record(r, key) for r in records],
        "log": lambda: parse_log(data),
        "digest": lambda: hashlib.sha256(ballots).hexdigest(),
    }
    least = dict.fromkeys(parts, math.inf)
    for _ in range(5):
        for name, function in parts.items():
            t0 = time.process_time()
            function()
            least[name] = min(least[name], time.process_time() - t0)
    per = 1e6 / bundle.ballots
    total, signatures, log, digest = (least[n] * per for n in parts)
    log_text = f"{fmt(log)} event log ({len(parse_log(data)[0])} events)"
    digest_text = f"{fmt(digest)} SHA-256 of ballots.bin"
    info(
        "verify one bundle, per ballot (CPU us)",
        f"{fmt(total)} total: {log_text}, {digest_text}, "
        f"{fmt(total - log - digest)} the rest; an audit adds {fmt(signatures)} "
        "for each ballot's signature",
    )


# --- recount ---------------------------------------------------------------------------------


def _precinct_of(path: Path) -> tuple[str, str]:
    manifest = load_object((path / MANIFEST).read_bytes(), str(path / MANIFEST))
    return manifest.str("precinct"), manifest.str("terminal")


def _floor(
    records: list[bytes], package: Package, terminal: str, private_raw: bytes
) -> dict[str, float]:
    """CPU seconds per ballot of each primitive alone, over the same records, in this process."""
    verify_key = package.terminal_key(terminal).public
    private = X25519PrivateKey.from_private_bytes(private_raw)
    recipient = envelope.raw_public(private)
    header = len(sealing.HEADER)
    sealed = [r[: sealing.SEALED_SIZE] for r in records]
    signatures = [r[sealing.SEALED_SIZE :] for r in records]
    ephemeral = [s[header : header + 32] for s in sealed]
    ciphertexts = [s[header + 32 :] for s in sealed]
    nonce = bytes(envelope.NONCE_SIZE)
    n = len(records)
    costs: dict[str, float] = {}

    t0 = time.process_time()
    for signature, data in zip(signatures, sealed, strict=True):
        verify_key.verify(signature, data)
    costs["Ed25519 verify"] = (time.process_time() - t0) / n

    t0 = time.process_time()
    shared = [private.exchange(X25519PublicKey.from_public_bytes(e)) for e in ephemeral]
    costs["X25519"] = (time.process_time() - t0) / n

    t0 = time.process_time()
    keys = [
        HKDF(hashes.SHA256(), 32, salt=e + recipient, info=sealing.PURPOSE).derive(s)
        for e, s in zip(ephemeral, shared, strict=True)
    ]
    costs["HKDF-SHA256"] = (time.process_time() - t0) / n

    t0 = time.process_time()
    for k, c in zip(keys, ciphertexts, strict=True):
        ChaCha20Poly1305(k).decrypt(nonce, c, sealing.PURPOSE)
    costs["ChaCha20-Poly1305"] = (time.process_time() - t0) / n
    return costs


CHUNK = 500  # ballots counted, then floored (or the other way round), in turn


def _recount_share(jobs: list[tuple[Path, bytes]]) -> tuple[int, float, dict[str, float]]:
    """count_records and the primitives' floor over each bundle of a share, chunk by chunk
    and in turn (alternating which goes first), so that whatever else the machine does, and
    the other worker on a sibling core, weighs on both alike: ballots, CPU seconds in
    count_records, CPU seconds of each primitive."""
    package = _state["package"]
    ballots = 0
    counting = 0.0
    floor: dict[str, float] = {}
    turn = 0
    for path, private in jobs:
        precinct, terminal = _precinct_of(path)
        records = split_records((path / BALLOTS).read_bytes(), str(path / BALLOTS))
        key = package.terminal_key(terminal)
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            turn += 1
            if turn % 2:
                counting += _count_cpu(chunk, key, private, package, precinct)
            for name, cost in _floor(chunk, package, terminal, private).items():
                floor[name] = floor.get(name, 0.0) + cost * len(chunk)
            if not turn % 2:
                counting += _count_cpu(chunk, key, private, package, precinct)
            ballots += len(chunk)
    return ballots, counting, floor


@dataclass(frozen=True)
class _Recount:
    ballots: int
    wall: float  # the whole pass: workers started, bundles read, counted and floored
    counting: float  # CPU time inside count_records, summed over the workers
    floor: dict[str, float]  # CPU time of each primitive alone, summed over the workers
    workers: int

    @property
    def us_per_ballot(self) -> float:
        """CPU time in count_records per ballot (per core: the workers run side by side)."""
        return self.counting / self.ballots * 1e6

    @property
    def floor_us(self) -> float:
        return sum(self.floor.values()) / self.ballots * 1e6


def _recount_pass(reg: region.Region, jobs: list[tuple[Path, bytes]], workers: int) -> _Recount:
    t0 = time.perf_counter()
    with _pool(reg, workers) as pool:
        outcomes = list(pool.map(_recount_share, _shares(jobs, workers)))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    floor: dict[str, float] = {}
    for _, _, costs in outcomes:
        for name, cost in costs.items():
            floor[name] = floor.get(name, 0.0) + cost
    ballots = sum(o[0] for o in outcomes)
    return _Recount(ballots, elapsed, sum(o[1] for o in outcomes), floor, workers)


def _count_cpu(
    records: list[bytes], key: VerifyKey, private: bytes, package: Package, precinct: str
) -> float:
    t0 = time.process_time()
    count_records(records, key, private, package.election, precinct)
    return time.process_time() - t0


def _recount(
    ctx: Context, reg: region.Region, paths: list[Path], package: Package, cores: int
) -> None:
    sample = paths[: QUICK_SAMPLE if ctx.quick else RECOUNT_SAMPLE]
    t0 = time.perf_counter()
    cards = [card for path in sample for card in reg.cards(_precinct_of(path)[0])]
    keys = rebuild_keys(package, cards)
    info(
        "rebuild keys from 2 share cards (ms/precinct)",
        fmt((time.perf_counter() - t0) * 1e3 / len(sample)),
    )
    jobs = [(path, keys[_precinct_of(path)[0]]) for path in sample]

    one = _recount_pass(reg, jobs, 1)
    many = _recount_pass(reg, jobs, cores)
    for label, result in (("1 process", one), (f"{cores} processes", many)):
        info(
            f"{label}, {len(sample)} bundles",
            f"count_records {fmt(result.us_per_ballot)} CPU us/ballot beside a floor of "
            f"{fmt(result.floor_us)} = "
            + " + ".join(
                f"{name} {fmt(v / result.ballots * 1e6)}" for name, v in result.floor.items()
            )
            + f": {fmt(result.us_per_ballot / result.floor_us)} x; {fmt(result.wall)} s wall",
        )
    info(
        f"speedup with {cores} processes (wall, counting and floor alike)",
        f"{fmt(one.wall / many.wall)} x",
    )
    region_ballots = PRECINCTS * BALLOTS_PER_BUNDLE
    info(
        "full region recount, estimated from CPU time",
        f"~{fmt(region_ballots * many.us_per_ballot / 1e6 / cores)} s with {cores} processes, "
        f"~{fmt(region_ballots * one.us_per_ballot / 1e6)} s with 1 (measured on "
        f"{one.ballots:,} of {region_ballots:,} ballots)",
    )
    for name, result in (
        ("host_recount_us_per_ballot_1proc", one),
        (f"host_recount_us_per_ballot_per_core_{cores}proc", many),
    ):
        ctx.results.add(
            Figure(
                name,
                result.us_per_ballot,
                "us/ballot",
                RECOUNT_FACTOR * result.floor_us,
                "lower",
                peer=result.floor_us,
                note=f"CPU time, {result.workers} process(es), {len(sample)} bundles "
                f"({result.ballots:,} ballots); peer: the primitives' floor on the same "
                f"ballots, measured in turn with it, {CHUNK} ballots at a time",
            )
        )
