"""The host tools at the scale of a region: 250 precincts of 3,000 ballots each.

Verify and tally: host_tools.verify.verify_bundles over the bundles (every signature,
hash, chain link and count, without decrypting), then host_tools.tally.sum_protocols.
The host tools do this in one process; to see how it scales, the bench splits the bundles
among N worker processes, each running verify_bundles on its share, and checks the
results across shares as verify_bundles does (one bundle per terminal) before summing.
The full region is verified with N processes; one process verifies a sample.

Recount: terminal.tally.count.count_records over each bundle's ballots with the precinct
keys rebuilt from share cards, next to the floor: the cost of the primitives alone for
each ballot (Ed25519 verify, X25519, HKDF-SHA256, ChaCha20-Poly1305 decrypt), measured in
the same worker on the same ballots. The recount runs on a sample of bundles with 1 and
with N processes; the full region's time is extrapolated from it, and said so.

Bundles are read once before timing, so every pass reads them from the page cache.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bench import Context, Figure, fmt, info, region, section
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

PRECINCTS = 250
BALLOTS_PER_BUNDLE = 3000
VERIFY_TARGET = 100_000.0  # ballots per second per core
RECOUNT_FACTOR = 1.3  # times the primitives' floor
VERIFY_SAMPLE = 60  # bundles verified by one process
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
    for path in paths:  # into the page cache: every timed pass then reads from memory
        for file in path.rglob("*"):
            if file.is_file():
                file.read_bytes()
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


def _verify_share(paths: list[Path]) -> tuple[list[_Verified], float, int]:
    """verify_bundles over one worker's share; its wall time and peak RSS (KiB)."""
    t0 = time.perf_counter()
    package = _state["package"]
    results = verify_bundles(package, paths)
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
    return found, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _shares(paths: list[Path], workers: int) -> list[list[Path]]:
    return [paths[i::workers] for i in range(workers)]


@dataclass(frozen=True)
class _Pass:
    seconds: float
    ballots: int
    workers: int
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.ballots / self.seconds

    @property
    def per_core(self) -> float:
        return self.rate / self.workers


def _verify_pass(reg: region.Region, paths: list[Path], workers: int) -> _Pass:
    """Verify and tally `paths` with `workers` processes; wall time from start to totals."""
    package = reg.package()
    t0 = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(
        workers, initializer=_init, initargs=(reg.package_dir,)
    ) as pool:
        outcomes = list(pool.map(_verify_share, _shares(paths, workers)))
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
            verified.append(VerifiedBundle(item.path, item.protocol, [], [], None))
    totals = sum_protocols(package.election, verified)
    elapsed = time.perf_counter() - t0
    cast = totals.lines["ballots_cast"]
    if cast != len(paths) * BALLOTS_PER_BUNDLE:
        raise RuntimeError(f"the tally counts {cast} ballots cast, expected more")
    peak = max(rss for _, _, rss in outcomes) / 1024
    return _Pass(elapsed, cast, workers, peak)


def _verify(ctx: Context, reg: region.Region, paths: list[Path], cores: int) -> None:
    sample = paths[: QUICK_SAMPLE if ctx.quick else VERIFY_SAMPLE]
    one = _verify_pass(reg, sample, 1)
    info(
        f"1 process, {len(sample)} bundles",
        f"{fmt(one.seconds)} s, {fmt(one.rate)} ballots/s, "
        f"worker peak RSS {fmt(one.peak_rss_mb)} MB",
    )
    full = _verify_pass(reg, paths, cores)
    info(
        f"{cores} processes, all {len(paths)} bundles",
        f"{fmt(full.seconds)} s, {fmt(full.rate)} ballots/s, worker peak RSS "
        f"{fmt(full.peak_rss_mb)} MB",
    )
    info(f"speedup with {cores} processes", f"{fmt(full.rate / one.rate)} x")
    ctx.results.add(
        Figure(
            "host_verify_ballots_per_s_per_core_1proc",
            one.per_core,
            "ballots/s",
            VERIFY_TARGET,
            "higher",
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
            note=f"peer: 1 process; ratio: scaling efficiency; speedup {full.rate / one.rate:.2f}x",
        )
    )


def _breakdown(path: Path, package: Package) -> None:
    """Where one bundle's verification spends its time, per ballot (main process)."""
    t0 = time.perf_counter()
    bundle = verify_bundle(path, package)
    total = time.perf_counter() - t0
    n = len(bundle.records)
    key = package.terminal_key(bundle.protocol.terminal)
    t0 = time.perf_counter()
    for record in bundle.records:
        sealing.check_record(record, key)
    signatures = time.perf_counter() - t0
    data = (path / EVENTS).read_bytes()
    t0 = time.perf_counter()
    events, _ = parse_log(data)
    log = time.perf_counter() - t0
    ballots = (path / BALLOTS).read_bytes()
    t0 = time.perf_counter()
    hashlib.sha256(ballots).hexdigest()
    digest = time.perf_counter() - t0
    per = 1e6 / n
    info(
        "verify one bundle, per ballot (us)",
        f"{fmt(total * per)} total: {fmt(signatures * per)} ballot signatures, "
        f"{fmt(log * per)} event log ({len(events)} events), {fmt(digest * per)} SHA-256 of "
        f"ballots.bin, {fmt((total - signatures - log - digest) * per)} the rest",
    )


# --- recount ---------------------------------------------------------------------------------


def _precinct_of(path: Path) -> tuple[str, str]:
    manifest = load_object((path / MANIFEST).read_bytes(), str(path / MANIFEST))
    return manifest.str("precinct"), manifest.str("terminal")


def _floor(
    records: list[bytes], package: Package, terminal: str, private_raw: bytes
) -> dict[str, float]:
    """Seconds per ballot of each primitive alone, over the same records, in this process."""
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

    t0 = time.perf_counter()
    for signature, data in zip(signatures, sealed, strict=True):
        verify_key.verify(signature, data)
    costs["Ed25519 verify"] = (time.perf_counter() - t0) / n

    t0 = time.perf_counter()
    shared = [private.exchange(X25519PublicKey.from_public_bytes(e)) for e in ephemeral]
    costs["X25519"] = (time.perf_counter() - t0) / n

    t0 = time.perf_counter()
    keys = [
        HKDF(hashes.SHA256(), 32, salt=e + recipient, info=sealing.PURPOSE).derive(s)
        for e, s in zip(ephemeral, shared, strict=True)
    ]
    costs["HKDF-SHA256"] = (time.perf_counter() - t0) / n

    t0 = time.perf_counter()
    for k, c in zip(keys, ciphertexts, strict=True):
        ChaCha20Poly1305(k).decrypt(nonce, c, sealing.PURPOSE)
    costs["ChaCha20-Poly1305"] = (time.perf_counter() - t0) / n
    return costs


def _recount_share(jobs: list[tuple[Path, bytes]]) -> tuple[int, float]:
    """count_records over each bundle of a share: ballots, and seconds inside count_records."""
    package = _state["package"]
    election = package.election
    ballots = 0
    counting = 0.0
    for path, private in jobs:
        precinct, terminal = _precinct_of(path)
        records = split_records((path / BALLOTS).read_bytes(), str(path / BALLOTS))
        key = package.terminal_key(terminal)
        t0 = time.perf_counter()
        counted = count_records(records, key, private, election, precinct)
        counting += time.perf_counter() - t0
        ballots += counted.ballots
    return ballots, counting


@dataclass(frozen=True)
class _Recount:
    ballots: int
    wall: float  # the whole pass: workers started, bundles read and counted
    counting: float  # the time inside count_records, summed over the workers
    workers: int

    @property
    def us_per_ballot(self) -> float:
        """Time in count_records per ballot, per core (the workers run side by side)."""
        return self.counting / self.ballots * 1e6


def _recount_pass(reg: region.Region, jobs: list[tuple[Path, bytes]], workers: int) -> _Recount:
    t0 = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(
        workers, initializer=_init, initargs=(reg.package_dir,)
    ) as pool:
        outcomes = list(pool.map(_recount_share, _shares(jobs, workers)))  # type: ignore[arg-type]
    elapsed = time.perf_counter() - t0
    return _Recount(sum(o[0] for o in outcomes), elapsed, sum(o[1] for o in outcomes), workers)


def _floor_of(path: Path, package: Package, private: bytes) -> dict[str, float]:
    _, terminal = _precinct_of(path)
    records = split_records((path / BALLOTS).read_bytes(), str(path / BALLOTS))
    return _floor(records, package, terminal, private)


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

    # The floor is measured before and after the recounts, in this process, over the first
    # bundle's ballots; the figure uses the mean of the two.
    before = _floor_of(jobs[0][0], package, jobs[0][1])
    one = _recount_pass(reg, jobs, 1)
    many = _recount_pass(reg, jobs, cores)
    after = _floor_of(jobs[0][0], package, jobs[0][1])
    floor = {name: (before[name] + after[name]) / 2 for name in before}
    floor_us = sum(floor.values()) * 1e6
    info(
        "floor per ballot (us)",
        f"{fmt(floor_us)} = " + " + ".join(f"{name} {fmt(v * 1e6)}" for name, v in floor.items()),
    )
    info(
        "  floor before / after the recounts (us)",
        f"{fmt(sum(before.values()) * 1e6)} / {fmt(sum(after.values()) * 1e6)}",
    )
    for label, result in (("1 process", one), (f"{cores} processes", many)):
        info(
            f"{label}, {len(sample)} bundles",
            f"{fmt(result.wall)} s, {fmt(result.ballots / result.wall)} ballots/s; "
            f"count_records {fmt(result.us_per_ballot)} us/ballot per core",
        )
    info(f"speedup with {cores} processes", f"{fmt(one.wall / many.wall)} x")
    region_ballots = PRECINCTS * BALLOTS_PER_BUNDLE
    info(
        "full region recount, extrapolated",
        f"~{fmt(region_ballots / one.ballots * many.wall)} s with {cores} processes, "
        f"~{fmt(region_ballots / one.ballots * one.wall)} s with 1 (measured on {one.ballots:,} "
        f"of {region_ballots:,} ballots)",
    )
    note = f"sample of {len(sample)} bundles ({one.ballots:,} ballots); peer: the primitives' floor"
    ctx.results.add(
        Figure(
            "host_recount_us_per_ballot_1proc",
            one.us_per_ballot,
            "us/ballot",
            RECOUNT_FACTOR * floor_us,
            "lower",
            peer=floor_us,
            note=note,
        )
    )
    ctx.results.add(
        Figure(
            f"host_recount_us_per_ballot_per_core_{cores}proc",
            many.us_per_ballot,
            "us/ballot",
            RECOUNT_FACTOR * floor_us,
            "lower",
            peer=floor_us,
            note=note + f"; speedup {one.wall / many.wall:.2f}x",
        )
    )
