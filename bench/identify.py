"""Identification at the poll worker's desk, and the commission's voter-list reconciliation.

Identification is what Polls.identify does with a scanned PIN before any screen is drawn:
Register.find (the register's index) and the voter-marks check (VoterMarks.issued),
against a 3,000-voter register from sim.synthetic.make_register with half the voters
already marked, for PINs on the register and (one in ten) PINs of other precincts.

Reconciliation writes a synthetic list of 100,000 records (5 % of them with an injected
error, host_tools.voterlist.synthetic_list) as the CEC's CSV, then times what
`python -m host_tools voterlist check` does with it: read the file and run every check
(host_tools.voterlist.check_files); rendering the report is printed apart.
"""

from __future__ import annotations

import os
import random
import time

from bench import Context, Figure, Spread, fmt, info, section
from bench.fixtures import ELECTION_DAY, PRECINCT, VOTERS
from sim import synthetic
from terminal.hal.storage import DataDir
from terminal.idscan.marks import VoterMarks
from terminal.idscan.pin import parse_pin
from terminal.idscan.register import Register
from terminal.trust.sealed_store import DeviceSealer

IDENTIFY_TARGET_MS = 20.0
RECONCILE_TARGET_S = 10.0
RECONCILE_RECORDS = 100_000
RECONCILE_ERROR_RATE = 0.05


def run(ctx: Context) -> None:
    section("Identification and voter lists")
    _identify(ctx)
    _reconcile(ctx)


def _identify(ctx: Context) -> None:
    rng = random.Random(11)
    register = synthetic.make_register(PRECINCT, VOTERS, ELECTION_DAY, rng)
    data = register.to_json()
    t0 = time.perf_counter()
    loaded = Register.from_json(data)
    info("load a 3,000-voter register (start-up, s)", fmt(time.perf_counter() - t0))
    assert loaded == register

    storage = DataDir(ctx.scratch("identify"))
    marks = VoterMarks(storage, VOTERS, DeviceSealer(os.urandom(32)))
    for position in rng.sample(range(VOTERS), VOTERS // 2):
        marks.mark(position)

    lookups = 5_000 if ctx.quick else 50_000
    numbers = [
        synthetic.unknown_pin(register, rng)
        if rng.random() < 0.1
        else rng.choice(register.voters).number
        for _ in range(lookups)
    ]
    parse: list[int] = []
    samples: list[int] = []
    for number in numbers:
        t0 = time.perf_counter_ns()
        parse_pin(number)  # what the station does with the scan first
        t1 = time.perf_counter_ns()
        found = register.find(number)
        if found is not None:
            marks.issued(found)
        samples.append(time.perf_counter_ns() - t1)
        parse.append(t1 - t0)
    spread = Spread.of(samples).scaled(1e-6)
    info("Register.find + marks check (ms)", f"{spread}, max {fmt(max(samples) * 1e-6)}")
    info("parse_pin of the scan, before it (ms)", str(Spread.of(parse).scaled(1e-6)))
    ctx.results.add(
        Figure("identify_3000_register_ms", spread.p50, "ms", IDENTIFY_TARGET_MS, "lower")
    )


def _reconcile(ctx: Context) -> None:
    """Read a 100,000-record list file and run every reconciliation check over it, as
    `python -m host_tools voterlist check` does (host_tools.voterlist.check_files)."""
    name, unit = "voterlist_reconcile_100k_s", "s"
    try:
        from host_tools import voterlist
    except ImportError as exc:
        ctx.results.unavailable(
            name, unit, RECONCILE_TARGET_S, "lower", f"host_tools.voterlist: {exc}"
        )
        return
    missing = [
        f for f in ("synthetic_list", "check_files", "render_report") if not hasattr(voterlist, f)
    ]
    if missing:
        ctx.results.unavailable(
            name, unit, RECONCILE_TARGET_S, "lower", f"host_tools.voterlist has no {missing}"
        )
        return
    t0 = time.perf_counter()
    synthetic = voterlist.synthetic_list(RECONCILE_RECORDS, 1, RECONCILE_ERROR_RATE)
    info("synthetic_list(100,000) generation (s)", fmt(time.perf_counter() - t0))
    path = synthetic.write_csv(ctx.scratch("voterlist") / "list.csv")
    options = synthetic.check_options()
    t0 = time.perf_counter()
    report = voterlist.check_files([path], options)
    t1 = time.perf_counter()
    voterlist.render_report(report)
    t2 = time.perf_counter()
    info("check_files: read the CSV and check it (s)", fmt(t1 - t0))
    info("render_report, after it (s)", fmt(t2 - t1))
    try:
        flagged = {c: {f.row for f in report.flags[c]} for c in synthetic.expected}
        found = all(rows <= flagged[c] for c, rows in synthetic.expected.items())
        info("every injected error flagged", "yes" if found else "NO")
    except (AttributeError, KeyError, TypeError) as exc:
        info("every injected error flagged", f"not compared ({exc})")
    ctx.results.add(Figure(name, t1 - t0, unit, RECONCILE_TARGET_S, "lower"))
