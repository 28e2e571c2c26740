"""Close: decrypt, check and count a full ballot box, and sign the results protocol.

The box is a real one: 3,000 ballots cast with BallotBox.cast into the 3,150 slots of a
3,000-voter precinct. Timed is what Polls.count_and_sign does with it before printing:
read and check the filled slots (BallotBox.records), decrypt and count them
(terminal.tally.count.count_records), then compact and commit the ballots and build and
sign the protocol. The few small durable writes that follow (commitment, protocol, log
lines: a handful of fsyncs, about a millisecond here) and the printing are measured
elsewhere (casting, rendering). The figure is CPU time (the work is CPU-bound and the slot
file is in the page cache); the wall time is printed next to it.
"""

from __future__ import annotations

import hashlib
import time

from bench import Context, Figure, Spread, fmt, info, section
from bench.fixtures import ballots, make_station
from terminal.app.software import software_hash
from terminal.hal.storage import DataDir
from terminal.tally.ballot_box import BallotBox, commit, compact
from terminal.tally.count import count_records
from terminal.tally.protocol import LINES, ContestResult, Protocol
from terminal.tally.sealing import seal

CLOSE_TARGET_S = 3.0
BALLOTS = 3000


def run(ctx: Context) -> None:
    section("Close: count 3,000 ballots and sign the protocol")
    station = make_station()
    election, code = station.election, station.code
    key = station.signer.public
    box = BallotBox.create(DataDir(ctx.scratch("close")), key, station.slots)
    t0 = time.perf_counter()
    for ballot in ballots(station, BALLOTS, seed=3):
        box.cast(seal(ballot, station.sealing_public, station.signer))
    info("filling the box: 3,000 casts (s)", fmt(time.perf_counter() - t0))

    repeats = 1 if ctx.quick else 5
    phases: dict[str, list[float]] = {"read + check slots": [], "count_records": [], "sign": []}
    totals: list[float] = []
    walls: list[float] = []
    for _ in range(repeats):
        w0 = time.perf_counter()
        t0 = time.process_time()
        records = box.records()
        t1 = time.process_time()
        counted = count_records(records, key, station.sealing_private, election, code)
        t2 = time.process_time()
        exported = compact(records)
        commitment = commit(election.id, code, station.terminal, exported).to_json()
        commitment_sig = station.signer.sign(commitment)
        lines = dict.fromkeys(LINES, 0)
        lines.update(
            voters_on_register=len(station.register.voters),
            voters_received_ballot=BALLOTS,
            ballots_issued=BALLOTS,
            ballots_cast=box.count,
        )
        protocol = Protocol(
            election=election.id,
            precinct=code,
            terminal=station.terminal,
            mode=election.mode.value,
            software=software_hash(),
            lines=lines,
            contests={
                c.id: ContestResult(counted.votes[c.id], counted.blank[c.id])
                for c in election.contests
            },
            ballots_commitment=hashlib.sha256(commitment).hexdigest(),
            log_size=6000,
            log_head=hashlib.sha256(b"head").hexdigest(),
        ).to_json()
        signature = station.signer.sign(protocol)
        t3 = time.process_time()
        walls.append(time.perf_counter() - w0)
        assert counted.ballots == BALLOTS and len(signature) == len(commitment_sig) == 64
        phases["read + check slots"].append(t1 - t0)
        phases["count_records"].append(t2 - t1)
        phases["sign"].append(t3 - t2)
        totals.append(t3 - t0)
    for phase, samples in phases.items():
        info(f"{phase} (CPU s)", str(Spread.of(samples)))
    per_ballot = Spread.of(phases["count_records"]).p50 / BALLOTS * 1e6
    info("count_records per ballot (CPU us)", fmt(per_ballot))
    spread = Spread.of(totals)
    info("close total (CPU s)", str(spread))
    info("close total (wall s)", str(Spread.of(walls)))
    ctx.results.add(Figure("close_count_3000_and_sign_s", spread.p50, "s", CLOSE_TARGET_S, "lower"))
