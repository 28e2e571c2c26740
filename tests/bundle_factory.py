"""Results bundles made by hand from the terminal's formats, for tests of the host tools.

A bundle made here is what an honest terminal would export after a polling day with the
given ballots: a hash-chained event log with the catalogue's event kinds, signed open,
close and export checkpoints, sealed and signed ballots, their commitment, the protocol
counted from the ballots, and the signed manifest. Keyword arguments bend one part of
it, to make the bundles a dishonest or broken terminal could produce.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from terminal.ballot.election import Election, Mode, Role
from terminal.tally import decryption
from terminal.tally.ballot_box import commit, compact
from terminal.tally.bundle import (
    BALLOTS,
    COMMITMENT,
    EVENTS,
    MANIFEST,
    PROTOCOL,
    TERMINAL_KEY,
    checkpoint_name,
    write_bundle,
)
from terminal.tally.count import count_verifiable
from terminal.tally.event_log import GENESIS, Checkpoint, origin, parse_log, record_line
from terminal.tally.protocol import ContestResult, Protocol
from terminal.tally.sealing import Ballot, record_format, seal_for
from terminal.trust.signing import SigningKey

SOFTWARE = hashlib.sha256(b"tamga test build").hexdigest()
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
Selections = Mapping[str, Sequence[str]]


class _Log:
    """An event log being written: the lines, and the head of the chain."""

    def __init__(self, start: dt.datetime, lines: Sequence[bytes] = ()) -> None:
        self.lines = list(lines)
        self.head = hashlib.sha256(self.lines[-1]).hexdigest() if self.lines else GENESIS
        self.start = start

    def append(self, kind: str, **data: Any) -> None:
        seq = len(self.lines)
        time = (self.start + dt.timedelta(seconds=seq)).strftime(TIME_FORMAT)
        line = record_line(seq, time, "manual", kind, data, self.head)
        self.lines.append(line)
        self.head = hashlib.sha256(line).hexdigest()

    def checkpoint(
        self, log_origin: str, reason: str, signer: SigningKey, files: dict[str, bytes]
    ) -> Checkpoint:
        """Sign a checkpoint of the log as it is into `files`, then log that it was signed."""
        point = Checkpoint(log_origin, len(self.lines), self.head, reason)
        self.append("checkpoint_signed", reason=reason, size=point.size)
        data = point.to_bytes()
        name = checkpoint_name(reason)
        files.update({name: data, name + ".sig": signer.sign(data)})
        return point

    def data(self) -> bytes:
        return b"".join(line + b"\n" for line in self.lines)


def code_of(election: Election, booth: str, index: int) -> str:
    """The hash of the `index`-th ballot code a desk of `election` issues to `booth` (the
    desk sends its voters to the precinct's booths in turn), as desk and booth log it."""
    return hashlib.sha256(f"{election.id}:{booth}:{index}".encode()).hexdigest()


def _count(election: Election, ballots: Sequence[Selections]) -> dict[str, ContestResult]:
    results = {}
    for contest in election.contests:
        votes = {choice.id: 0 for choice in contest.choices}
        blank = 0
        for ballot in ballots:
            chosen = ballot.get(contest.id, ())
            blank += not chosen
            for choice in chosen:
                votes[choice] += 1
        results[contest.id] = ContestResult(votes, blank)
    return results


def make_bundle(
    directory: Path,
    election: Election,
    precinct: str,
    terminal: str,
    signer: SigningKey,
    ballots: Sequence[Selections],
    *,
    voids: int = 0,
    coupons: int = 0,
    package_sha256: str | None = None,
    loaded_mode: Mode | None = None,
    protocol_changes: Mapping[str, Any] | None = None,
    booth_codes: Sequence[str] | None = None,
    first_coupons: int | None = None,
    private_key: bytes | None = None,
    bend_records: Callable[[list[bytes]], list[bytes]] | None = None,
    bend_decryption: Callable[[bytes], bytes] | None = None,
    sealed: Sequence[bytes] | None = None,
) -> Path:
    """Write the bundle of `terminal` (signing with `signer`) holding `ballots`.

    `voids` ballots are issued and voided besides the cast ones; an identification desk's
    bundle records `coupons` coupons issued (and holds no ballots). `loaded_mode` is the
    mode the log says the package had (default: the election's), `package_sha256` the hash
    of its election.json (default: that of `election`); `protocol_changes`
    replaces fields of the protocol before it is signed (e.g. lines or contests).
    A booth uses the codes the desk issued to it (code_of), or `booth_codes` in turn; of a
    desk's coupons the first `first_coupons` (default: all) go to voters for the first time.
    In ballot format 2, `private_key` (the precinct's sealing key) decrypts the sums into
    decryption.json, as the terminal does at close. `bend_records` changes the (signed)
    records after the count, `bend_decryption` the bytes of decryption.json before they are
    signed: what a dishonest terminal could export.
    `sealed` puts these records in the box instead of sealing `ballots` (one per ballot; the
    counts still come from `ballots`): bench/national.py's millions of ballots, which the
    tally's checks bind by the signed commitment and never open.
    """
    first = coupons if first_coupons is None else first_coupons
    code = election.precinct(precinct)
    assert code is not None, f"precinct {precinct} is not in the election"
    entry = election.terminal(terminal)
    role = entry.role if entry is not None else Role.COMBINED
    ids = {"election": election.id, "precinct": precinct, "terminal": terminal}
    log_origin = origin(election.id, precinct, terminal)
    test = election.mode is Mode.TEST
    log = _Log(dt.datetime.combine(election.date, election.polls_open) - dt.timedelta(hours=1))
    files: dict[str, bytes] = {}

    log.append("terminal_started", software=SOFTWARE)
    log.append(
        "package_loaded",
        **ids,
        mode=(loaded_mode or election.mode).value,
        package_sha256=package_sha256 or hashlib.sha256(election.to_json()).hexdigest(),
    )
    log.append("ballot_box_created", slots=code.ballot_slots)
    log.append("chair_authenticated", purpose="open")
    log.append("print_started", printout="zero_report")
    log.checkpoint(log_origin, "open", signer, files)
    log.append("print_finished", printout="zero_report")
    log.append("polls_opened")
    records = []
    used = 0  # at a booth: the codes used so far

    def next_code() -> str:
        nonlocal used
        used += 1
        if booth_codes is not None:
            return booth_codes[used - 1]
        return code_of(election, terminal, used - 1)

    for index, selections in enumerate(ballots):
        if role is Role.VOTE:
            log.append("ballot_code_used", code=next_code())
        log.append("ballot_issued", reissue=False)
        if sealed is not None:
            records.append(sealed[index])
        else:
            marks = {k: tuple(v) for k, v in selections.items()}
            ballot = Ballot(election.id, precinct, test, marks)
            records.append(seal_for(ballot, election, code, signer))
        log.append("ballot_cast", recovered=False)
    for _ in range(voids):
        if role is Role.VOTE:
            log.append("ballot_code_used", code=next_code())
        log.append("ballot_issued", reissue=False)
        log.append("ballot_void", reason="cancelled")
    booths = election.booths(precinct)
    for index in range(coupons):
        log.append("coupon_issued", reissue=index >= first)
        booth = booths[index % len(booths)].id
        log.append(
            "ballot_code_issued", booth=booth, code=code_of(election, booth, index // len(booths))
        )
        log.append("print_started", printout="coupon")
        log.append("print_finished", printout="coupon")
    log.append("chair_authenticated", purpose="close")
    log.append("polls_closed")
    close = log.checkpoint(log_origin, "close", signer, files)
    log.append("ballots_counted", ballots=len(records))

    if election.ballot_format == 2 and role is not Role.IDENTIFY:
        assert private_key is not None, "format 2: the precinct key decrypts the sums"
        decrypted = count_verifiable(
            records, signer.public, private_key, election, code, terminal
        ).decryption
        assert decrypted is not None
        proofs = decrypted.to_json()
        if bend_decryption is not None:
            proofs = bend_decryption(proofs)
        files.update({decryption.FILE: proofs, decryption.FILE + ".sig": signer.sign(proofs)})
    if bend_records is not None:
        records = bend_records(records)
    exported = compact(records)
    size = record_format(election).size
    commitment = commit(election.id, precinct, terminal, exported, size).to_json()
    protocol = Protocol(
        **ids,
        mode=election.mode.value,
        software=SOFTWARE,
        lines={
            "voters_on_register": code.voters,
            "voters_received_ballot": {
                Role.COMBINED: len(records) + voids,
                Role.IDENTIFY: first,
                Role.VOTE: 0,
            }[role],
            "ballots_issued": len(records) + voids,
            "ballots_void": voids,
            "ballots_cast": len(records),
            "damaged_slots": 0,
            "coupons_issued": coupons,
            "coupons_void": 0,
            "codes_refused": 0,
            "issued_on_bare_number": 0,
        },
        contests=_count(election, ballots),
        ballots_commitment=hashlib.sha256(commitment).hexdigest(),
        log_size=close.size,
        log_head=close.head,
    )
    protocol = dataclasses.replace(protocol, **(protocol_changes or {}))
    protocol_json = protocol.to_json()
    log.append("protocol_signed", protocol_sha256=hashlib.sha256(protocol_json).hexdigest())
    log.append("print_started", printout="results_protocol")
    log.append("print_finished", printout="results_protocol")
    events = log.data()  # the export checkpoint covers every exported record
    log.checkpoint(log_origin, "export", signer, files)

    files.update(
        {
            PROTOCOL: protocol_json,
            PROTOCOL + ".sig": signer.sign(protocol_json),
            EVENTS: events,
            BALLOTS: exported,
            COMMITMENT: commitment,
            COMMITMENT + ".sig": signer.sign(commitment),
            TERMINAL_KEY: signer.public.pem(),
        }
    )
    write_bundle(directory, files, signer, ids)
    return directory


def export_again(bundle: Path, directory: Path, signer: SigningKey) -> Path:
    """The same terminal's next export of `bundle`: the log grown by the first export's
    `checkpoint_signed` and `bundle_exported`, a new signed export checkpoint covering it,
    every other file as it was."""
    manifest = json.loads((bundle / MANIFEST).read_bytes())
    files = {name: (bundle / name).read_bytes() for name in manifest["files"]}
    ids = {key: manifest[key] for key in ("election", "precinct", "terminal")}
    events, _ = parse_log(files[EVENTS])
    start = dt.datetime.strptime(events[0].time, TIME_FORMAT)
    log = _Log(start, files[EVENTS].splitlines())
    # What the terminal logged after the first export's snapshot of its log.
    log.append("checkpoint_signed", reason="export", size=len(log.lines))
    log.append("bundle_exported")
    files[EVENTS] = log.data()
    log.checkpoint(origin(**ids), "export", signer, files)
    write_bundle(directory, files, signer, ids)
    return directory
