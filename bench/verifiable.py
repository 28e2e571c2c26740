"""Verifiable ballots (format 2): encrypt+prove, verify, the host's check of a precinct, the
close with proven decryptions, all beside their floors and ElectionGuard in the same run.

The ballot is the same 13-selection ballot on both sides (bench/electionguard_peer.py):
a one-of-7 contest (six candidates and against all), a yes/no referendum and an up-to-2-of-4
council; no contest may be left blank.

* encrypt+prove: terminal.tally.encrypted_ballot.encrypt, CPU time. Its floor is the same
  libsodium calls with the same arguments, the same SHA-512 inputs and the same CSPRNG
  draws, recorded from one encryption and replayed alone (`e2e` beside its `floor`).
* verify: decode (every point validated) and check every proof of one ballot, CPU time.
* ElectionGuard-python (PyPI `electionguard`) in its own venv under runs/bench, installed
  here on first use, encrypting and verifying the same ballot (bench/electionguard_peer.py).
* the host: 3,000 ballots of a precinct (the demo's one-of-7 ballot) checked by
  host_tools.proofs.PoolChecker on every core, the sums recomputed and the decryption
  proofs checked: wall time.
* the close: terminal.tally.count.count_verifiable over the same 3,000 records (signatures,
  sums, decryption with proofs), CPU time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import REPO, WORK, Context, Figure, Spread, fmt, info, section
from bench.fixtures import make_station
from host_tools.proofs import PoolChecker
from terminal.ballot.election import Choice, Contest, ContestKind, Election
from terminal.tally import decryption, elgamal, encrypted_ballot
from terminal.tally.count import count_verifiable
from terminal.tally.encrypted_ballot import Context as ProofContext
from terminal.tally.sealing import Ballot, ballot_body, context, record_format, seal_verifiable

EG_RATIO_TARGET = 1 / 20  # ours at most a twentieth of ElectionGuard's time
FLOOR_FACTOR = 1.5
HOST_TARGET_S = 35.0
CLOSE_TARGET_S = 5.0
SLOT_TARGET_BYTES = 4096 - 6  # "SLOT", the length, the record
BALLOTS = 3000
EG_VENV = WORK / "electionguard-venv"
# electionguard_tools (its ElectionBuilder) imports hypothesis without depending on it.
EG_REQUIREMENTS = ("electionguard==1.4.0", "hypothesis")
# electionguard 1.4.0 (the newest on PyPI) says Requires-Python >=3.9.5,<4 and installs on
# 3.11, but does not import there: electionguard/tally.py declares a dataclass field with an
# ElGamalCiphertext default, which Python 3.11's dataclasses refuse ("mutable default ... is
# not allowed"). Its venv is therefore made with Python 3.10 (or 3.9) where there is one.
EG_ON_311 = "electionguard 1.4.0 fails to import on Python 3.11 (dataclass mutable default)"
EG_PYTHONS = ("python3.10", "python3.9")
PEER_SCRIPT = REPO / "bench" / "electionguard_peer.py"


def thirteen_selection_election(base: Election) -> Election:
    """The bench election with the 13-selection ballot, format 2."""
    president = base.contests[0]
    referendum = Contest(
        "referendum",
        {"en": "Referendum", "ru": "Референдум"},
        (Choice("yes", {"en": "Yes", "ru": "Да"}), Choice("no", {"en": "No", "ru": "Нет"})),
        kind=ContestKind.REFERENDUM,
    )
    council = Contest(
        "council",
        {"en": "Council", "ru": "Совет"},
        tuple(Choice(f"c{i}", {"en": f"Candidate {i}"}) for i in range(1, 5)),
        max_selections=2,
        kind=ContestKind.UP_TO_K,
    )
    return dataclasses.replace(base, contests=(president, referendum, council))


SELECTIONS = {"president": ("cand-3",), "referendum": ("yes",), "council": ("c1", "c4")}


def run(ctx: Context) -> None:
    section("Verifiable ballots (format 2) beside ElectionGuard")
    station = make_station(format_2=True)
    election = station.election
    precinct = election.precinct(station.code)
    assert precinct is not None
    proof_ctx = context(election, precinct)
    thirteen = thirteen_selection_election(election)
    count = 50 if ctx.quick else 200

    ours_encrypt = _encrypt(thirteen, proof_ctx, count)
    floor = _floor(thirteen, proof_ctx, count)
    ours_verify = _verify(thirteen, proof_ctx, count)
    ballot = Ballot(thirteen.id, precinct.code, False, SELECTIONS)
    record, _, _ = seal_verifiable(ballot, thirteen, precinct, station.signer)
    info("13-selection record (bytes)", str(len(record)))
    ctx.results.add(
        Figure(
            "verifiable_ballot_13_selections_bytes",
            len(record),
            "bytes",
            SLOT_TARGET_BYTES,
            "lower",
        )
    )
    ctx.results.add(
        Figure(
            "verifiable_encrypt_13_e2e_vs_floor_ms",
            ours_encrypt,
            "ms",
            FLOOR_FACTOR * floor,
            "lower",
            peer=floor,
            note="the same libsodium calls, SHA-512 inputs and CSPRNG draws replayed alone",
        )
    )
    peer = _electionguard(ctx)
    for name, ours, key in (
        ("electionguard_encrypt_13_ms", ours_encrypt, "encrypt_ms"),
        ("electionguard_verify_13_ms", ours_verify, "verify_ms"),
    ):
        if peer is None or key not in peer:
            why = (peer or {}).get("error", "ElectionGuard could not be run")
            ctx.results.unavailable(name, "ms", 0, "lower", str(why))
            continue
        info(f"ElectionGuard {key}", fmt(peer[key]))
        ctx.results.add(
            Figure(
                name,
                ours,
                "ms",
                peer[key] * EG_RATIO_TARGET,
                "lower",
                peer=peer[key],
                note=f"ElectionGuard {peer.get('version', '?')}: {peer.get('what', '')}",
            )
        )
    _precinct(ctx, station, election, precinct, proof_ctx)


def _cpu_ms(function: Callable[[], object], count: int) -> float:
    for _ in range(max(3, count // 10)):
        function()  # warm-up
    samples = []
    for _ in range(count):
        c0 = time.process_time_ns()
        function()
        samples.append(time.process_time_ns() - c0)
    return Spread.of(samples).scaled(1e-6).p50


def _encrypt(election: Election, ctx: ProofContext, count: int) -> float:
    ms = _cpu_ms(lambda: encrypted_ballot.encrypt(election, ctx, SELECTIONS), count)
    info("encrypt+prove, 13 selections (CPU ms)", fmt(ms))
    return ms


def _verify(election: Election, ctx: ProofContext, count: int) -> float:
    body = encrypted_ballot.encrypt(election, ctx, SELECTIONS)[0].encode()

    def check() -> None:
        encrypted_ballot.check(encrypted_ballot.decode(body, election), election, ctx)

    ms = _cpu_ms(check, count)
    info("verify one ballot, 13 selections (CPU ms)", fmt(ms))
    return ms


class _Recorder:
    """Stands in for nacl.bindings inside elgamal while one ballot is encrypted, and notes
    every call with its arguments."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., Any]:
        function = getattr(self.real, name)

        def noted(*args: Any) -> Any:
            self.calls.append((function, args))
            return function(*args)

        return noted


def _floor(election: Election, ctx: ProofContext, count: int) -> float:
    """The primitives of one encryption alone: its libsodium calls with their arguments,
    its SHA-512 inputs and its CSPRNG draws, replayed in a loop."""
    recorder = _Recorder(elgamal.sodium)
    hashed: list[bytes] = []
    real_challenge, real_random = elgamal.challenge, elgamal.random_scalar
    draws = 0

    def challenge(*parts: bytes) -> int:
        hashed.append(b"".join(len(p).to_bytes(4, "big") + p for p in parts))
        return real_challenge(*parts)

    def random_scalar() -> int:
        nonlocal draws
        draws += 1
        return real_random()

    elgamal.sodium = recorder  # type: ignore[assignment]
    elgamal.challenge = challenge  # type: ignore[assignment]
    elgamal.random_scalar = random_scalar  # type: ignore[assignment]
    try:
        encrypted_ballot.encrypt(election, ctx, SELECTIONS)
    finally:
        elgamal.sodium = recorder.real
        elgamal.challenge = real_challenge  # type: ignore[assignment]
        elgamal.random_scalar = real_random  # type: ignore[assignment]
    calls = recorder.calls
    bound = elgamal.L - 1

    def replay() -> None:
        for function, args in calls:
            function(*args)
        for data in hashed:
            hashlib.sha512(elgamal.HASH_DOMAIN + data).digest()
        for _ in range(draws):
            secrets.randbelow(bound)

    ms = _cpu_ms(replay, count)
    info(
        "primitives' floor (CPU ms)",
        f"{fmt(ms)}: {len(calls)} libsodium calls, {len(hashed)} hashes, {draws} draws",
    )
    return ms


def _older_python() -> str | None:
    """A Python 3.10 or 3.9 to run ElectionGuard on (see EG_PYTHONS)."""
    candidates = [shutil.which(name) for name in EG_PYTHONS]
    for version in EG_PYTHONS:
        candidates += sorted(
            map(str, Path.home().glob(f".pyenv/versions/{version[6:]}*/bin/{version}"))
        )
    for candidate in candidates:
        if (
            candidate
            and subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0
        ):
            return candidate
    return None


def _electionguard(ctx: Context) -> dict[str, Any] | None:
    """ElectionGuard's timings from its own venv, installed on first use."""
    python = EG_VENV / "bin" / "python"
    if not python.exists():
        interpreter = _older_python()
        if interpreter is None:
            return {"error": f"no {' or '.join(EG_PYTHONS)} here; {EG_ON_311}"}
        EG_VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([interpreter, "-m", "venv", str(EG_VENV)], check=True)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *EG_REQUIREMENTS],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        why = done.stderr.strip()[-300:]
        return {"error": f"pip install {' '.join(EG_REQUIREMENTS)} failed: {why}"}
    count = 5 if ctx.quick else 20
    done = subprocess.run(
        [str(python), str(PEER_SCRIPT), str(count)],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    if done.returncode != 0:
        return {"error": f"the ElectionGuard run failed: {done.stderr.strip()[-300:]}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _precinct(
    ctx: Context, station: Any, election: Election, precinct: Any, proof_ctx: ProofContext
) -> None:
    """A 3,000-ballot precinct: the host's check on every core, and the close."""
    count = 300 if ctx.quick else BALLOTS
    choices = [c.id for c in election.contests[0].choices]
    t0 = time.perf_counter()
    records = sorted(
        seal_verifiable(
            Ballot(election.id, precinct.code, False, {"president": (choices[i % len(choices)],)}),
            election,
            precinct,
            station.signer,
        )[0]
        for i in range(count)
    )
    info(f"making {count} format-2 records (s)", fmt(time.perf_counter() - t0))
    info("record size, the demo's ballot (bytes)", str(record_format(election).size))

    c0, w0 = time.process_time(), time.perf_counter()
    counted = count_verifiable(
        records, station.signer.public, station.sealing_private, election, precinct, "T-1"
    )
    decrypted = counted.decryption
    assert decrypted is not None
    close_cpu, close_wall = time.process_time() - c0, time.perf_counter() - w0
    assert counted.ballots == count
    info("close: count_verifiable (CPU s, wall s)", f"{fmt(close_cpu)}, {fmt(close_wall)}")
    ctx.results.add(
        Figure(
            f"verifiable_close_{count}_decrypt_with_proofs_s",
            close_cpu,
            "s",
            CLOSE_TARGET_S,
            "lower",
            note="signatures, sums, decryptions and their proofs; CPU time",
        )
    )

    bodies = [ballot_body(r) for r in records]
    with PoolChecker() as pool:
        pool(bodies[: pool.workers * 8], election, proof_ctx)  # start the workers first
        w0 = time.perf_counter()
        sums = pool(bodies, election, proof_ctx)
        decryption.verify(decrypted, election, proof_ctx, sums)
        host_wall = time.perf_counter() - w0
    cores = os.cpu_count() or 1
    info(f"host: {count} ballots' proofs on {cores} cores (wall s)", fmt(host_wall))
    info("host rate (ballots per second)", fmt(count / host_wall))
    ctx.results.add(
        Figure(
            f"verifiable_host_verify_{count}_ballots_s",
            host_wall,
            "s",
            HOST_TARGET_S * count / BALLOTS,
            "lower",
            note=f"wall time on {cores} cores, every ballot proof and decryption proof",
        )
    )
    per_precinct = host_wall * BALLOTS / count
    national = 10_000 * per_precinct
    info(
        "national projection, 10,000 precincts (h)",
        f"{fmt(national / 3600)} on {cores} cores; {fmt(national / 3600 * cores / 64)} on 64",
    )
