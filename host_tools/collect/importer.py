"""Verify a bundle and bring what the results need into the database, one transaction each.

examine() runs in worker processes (one per core): it checks the received act if there
is one, verifies the bundle with host_tools.verify (the tally's checks: signatures, hashes,
the log's chain, every count; each ballot's own signature is bound by the signed
commitment), and reads from the verified event log what the report needs: ballots cast
per local hour, and the records by kind and detail (refusals by reason, recoveries after a
power cut). store() runs in the one process that writes the database: a bundle is
inserted whole in one transaction, or not at all.

A bundle is named by the SHA-256 of its signed manifest, which pins every other file: the
same bundle collected twice is one row. A bundle that failed is tried again when it is
given again (the medium may have been re-read); a verified one never changes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools import tracking_list
from host_tools.collect import db
from host_tools.collect.act import Act, ActError, check_act, list_files, make_act, write_act
from host_tools.verify import verify_bundles
from terminal.ballot.election import Election, TerritoryKind
from terminal.ballot.package import ELECTION_FILE, Package
from terminal.invariants import InvariantError
from terminal.jsonfmt import FormatError, load_object
from terminal.tally.bundle import EVENTS, FILE_CAPS, MANIFEST, MANIFEST_CAP, PROTOCOL
from terminal.tally.event_log import LogError, read_log
from terminal.trust.files import read_file

# The kinds counted per local hour: the turnout curve (ballots cast; coupons at a desk).
HOURLY_KINDS = ("ballot_cast", "coupon_issued")
# The field of a record's data that says why, for the kinds where the reason matters.
DETAIL_FIELDS = ("reason", "problem", "printout", "purpose", "recovered", "reissue")


@dataclass(frozen=True)
class Examined:
    """What a worker found in one bundle; picklable, sent to the writing process."""

    source: str
    manifest_sha256: str
    claimed_terminal: str | None
    error: str | None = None
    terminal: str | None = None
    precinct: str | None = None
    mode: str | None = None
    ballots: int = 0
    ballots_sha256: str | None = None
    protocol_sha256: str | None = None
    lines: dict[str, int] = field(default_factory=dict)
    votes: dict[str, dict[str, int]] = field(default_factory=dict)
    blank: dict[str, int] = field(default_factory=dict)
    hourly: list[tuple[str, str, int]] = field(default_factory=list)
    events: list[tuple[str, str, int]] = field(default_factory=list)
    tracking: list[tuple[str, bool]] = field(default_factory=list)  # code, spoiled (format 2)
    act: Act | None = None  # the act collect wrote for it
    act_file: str | None = None
    received_act: str | None = None


def manifest_identity(path: Path) -> tuple[bytes | None, str, str | None]:
    """The manifest's bytes (None when unreadable), the bundle's identity, and the terminal
    it claims (not yet verified: only to match an act and to name the bundle)."""
    try:
        data = read_file(path / MANIFEST, MANIFEST_CAP)
    except OSError:  # a link, FIFO or device file too (UnsafeFileError): never followed
        # No manifest to name it by: the path names it, so the same broken medium is one row.
        return None, hashlib.sha256(b"no manifest: " + str(path).encode()).hexdigest(), None
    claimed = None
    with contextlib.suppress(FormatError):
        claimed = load_object(data, str(path / MANIFEST)).str("terminal")
    return data, hashlib.sha256(data).hexdigest(), claimed


def _local_hour(utc_hour: str, offset: dt.timedelta) -> str:
    """'2025-11-30T07' (UTC, as the log's times begin) as the local 'YYYY-MM-DD HH:00'."""
    try:
        moment = dt.datetime.strptime(utc_hour, "%Y-%m-%dT%H") + offset
    except ValueError:
        return "unknown"
    return moment.strftime("%Y-%m-%d %H:00")


def _detail(data: dict[str, Any]) -> str:
    for name in DETAIL_FIELDS:
        if name in data:
            return str(data[name]).lower()
    return ""


def _log_figures(
    events_jsonl: bytes, source: str, offset: dt.timedelta
) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """(local hour, kind, records) and (kind, detail, records) of a verified event log.

    The log was verified just before (chain, catalogue, canonical form), so its lines are
    read in bulk: each canonical line is <head>,"prev":..,"seq":..,"time":"..."} where the
    head holds the clock, data and kind, one of a few dozen in a day. Only the distinct
    heads are parsed; a line not of that form sends the log through read_log instead."""
    lines = events_jsonl.split(b"\n")[:-1]
    cuts = list(map(bytes.find, lines, itertools.repeat(b',"prev":"')))
    if cuts and min(cuts) < 0:
        return _log_figures_checked(events_jsonl, source, offset)
    heads = list(map(bytes.__getitem__, lines, map(slice, itertools.repeat(0), cuts)))
    details: Counter[tuple[str, str]] = Counter()
    hourly: Counter[tuple[str, str]] = Counter()
    for head, n in Counter(heads).items():
        record = json.loads(head + b"}")
        kind = record["kind"]
        details[(kind, _detail(record["data"]))] += n
        if kind in HOURLY_KINDS:
            for line, line_head in zip(lines, heads, strict=True):
                if line_head == head:
                    at = line.rfind(b'"time":"') + 8
                    hourly[(line[at : at + 13].decode("ascii", "replace"), kind)] += 1
    by_local: Counter[tuple[str, str]] = Counter()
    for (hour, kind), n in hourly.items():
        by_local[(_local_hour(hour, offset), kind)] += n
    return (
        sorted((h, k, n) for (h, k), n in by_local.items()),
        sorted((k, d, n) for (k, d), n in details.items()),
    )


def _log_figures_checked(
    events_jsonl: bytes, source: str, offset: dt.timedelta
) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """_log_figures through the event log's own reader, record by record."""
    log, _ = read_log(events_jsonl, source)
    hourly: Counter[tuple[str, str]] = Counter()
    details: Counter[tuple[str, str]] = Counter()
    for shape, time_ in zip(log.shapes, log.times, strict=True):
        _, kind, data = log.meanings[shape]
        details[(kind, _detail(data))] += 1
        if kind in HOURLY_KINDS:
            hourly[(_local_hour(time_[:13], offset), kind)] += 1
    return (
        sorted((h, k, n) for (h, k), n in hourly.items()),
        sorted((k, d, n) for (k, d), n in details.items()),
    )


@dataclass(frozen=True)
class ActOptions:
    """Where collect writes its acts, and the two people who sign them."""

    directory: Path
    handed_over: str
    accepted: str


def examine(
    path: Path,
    package: Package,
    received: tuple[Act, Path] | None = None,
    acts: ActOptions | None = None,
) -> Examined:
    """Check the received act, verify the bundle, read its figures and write its act (for a
    bundle that verified); never raises for a bad bundle."""
    manifest, identity, claimed = manifest_identity(path)
    source = str(path)

    def failed(reason: str) -> Examined:
        return Examined(source, identity, claimed, error=reason)

    listing = None
    if received is not None or acts is not None:
        try:
            listing = list_files(path)
            if received is not None:
                check_act(received[0], received[1], path, listing)
        except ActError as exc:
            return failed(str(exc))
    [result] = verify_bundles(package, [path], check_records=False)
    if result.bundle is None:
        return failed(result.error or "does not verify")
    bundle = result.bundle
    # What is read after verification must be what was verified: the same manifest, and the
    # event log with the hash that manifest lists.
    again, _, _ = manifest_identity(path)
    try:
        events = read_file(path / EVENTS, FILE_CAPS[EVENTS])
        protocol_json = read_file(path / PROTOCOL, FILE_CAPS[PROTOCOL])
        listed = json.loads(manifest or b"{}")["files"]
    except (OSError, ValueError, KeyError) as exc:
        return failed(f"{path}: changed while it was collected ({exc})")
    if (
        again != manifest
        or hashlib.sha256(events).hexdigest() != listed.get(EVENTS)
        or hashlib.sha256(protocol_json).hexdigest() != listed.get(PROTOCOL)
    ):
        return failed(f"{path}: changed while it was collected; collect it again")
    try:
        hourly, kinds = _log_figures(events, f"{path}/{EVENTS}", package.election.utc_offset)
    except LogError as exc:
        return failed(str(exc))
    tracking: list[tuple[str, bool]] = []
    if package.election.ballot_format == 2:
        try:
            tracked = tracking_list.tracked_of(package.election, bundle)
        except (OSError, ValueError, tracking_list.TrackingListError) as exc:
            return failed(f"{path}: changed while it was collected ({exc})")
        tracking = [(t.code, t.spoiled) for t in tracked]
    protocol = bundle.protocol
    act, act_file = None, None
    if acts is not None and listing is not None:
        ids = {"election": protocol.election, "precinct": protocol.precinct}
        act = make_act(
            path,
            {**ids, "terminal": protocol.terminal},
            acts.handed_over,
            acts.accepted,
            listing=listing,
        )
        try:
            act_file = str(write_act(acts.directory, act)[0])
        except (OSError, ActError) as exc:
            return failed(f"{acts.directory}: cannot write the act ({exc})")
    return Examined(
        source=source,
        manifest_sha256=identity,
        claimed_terminal=claimed,
        terminal=protocol.terminal,
        precinct=protocol.precinct,
        mode=protocol.mode,
        ballots=bundle.ballots,
        ballots_sha256=bundle.ballots_sha256,
        protocol_sha256=hashlib.sha256(protocol_json).hexdigest(),
        lines=dict(protocol.lines),
        votes={cid: dict(r.votes) for cid, r in protocol.contests.items()},
        blank={cid: r.blank for cid, r in protocol.contests.items()},
        hourly=hourly,
        events=kinds,
        tracking=tracking,
        act=act,
        act_file=act_file,
        received_act=str(received[1]) if received is not None else None,
    )


# --- the writing side ----------------------------------------------------------------------


def _names(names: dict[str, str]) -> str:
    return json.dumps(names, ensure_ascii=False, sort_keys=True)


def _territories(election: Election) -> list[tuple[str, str, str, str | None]]:
    """(id, kind, names, parent) of the election's regions, then districts (parents first).
    Packages made before the hierarchy have none: their precincts are under no district."""
    rows = [(t.id, t.kind.value, _names(t.names), t.parent) for t in election.territories]
    return sorted(rows, key=lambda r: r[1] != TerritoryKind.REGION.value)


def store_election(connection: sqlite3.Connection, package: Package) -> None:
    """Record the package on first use; refuse a database made for another package."""
    election = package.election
    package_sha256 = hashlib.sha256((package.directory / ELECTION_FILE).read_bytes()).hexdigest()
    row = connection.execute("SELECT id, mode, package_sha256 FROM election").fetchone()
    if row is not None:
        if row[2] != package_sha256:
            raise db.DatabaseError(
                f"the database holds election {row[0]} ({row[1]}) of another package "
                f"(election.json SHA-256 {row[2][:16]}…); use a new --db for this package"
            )
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute(
            "INSERT INTO election VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                election.id,
                _names(election.names),
                election.kind.value if election.kind is not None else "",
                election.mode.value,
                election.date.isoformat(),
                election.timezone,
                package_sha256,
                package.commission.fingerprint(),
            ),
        )
        connection.executemany("INSERT INTO territory VALUES (?, ?, ?, ?)", _territories(election))
        for position, p in enumerate(election.precincts):
            connection.execute(
                "INSERT INTO precinct VALUES (?, ?, ?, ?, ?, ?)",
                (
                    p.code,
                    p.number,
                    _names(p.names),
                    p.territory,
                    # The registry's count; the register's size in packages from before it.
                    p.voters_on_list or p.voters,
                    position,
                ),
            )
        connection.executemany(
            "INSERT INTO terminal VALUES (?, ?, ?)",
            [(t.id, t.precinct, t.role.value) for t in election.terminals],
        )
        for position, c in enumerate(election.contests):
            connection.execute(
                "INSERT INTO contest VALUES (?, ?, ?, ?)",
                (c.id, position, _names(c.titles), c.max_selections),
            )
            for index, choice in enumerate(c.choices):
                party = choice.party
                connection.execute(
                    "INSERT INTO choice VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        c.id,
                        choice.id,
                        index,
                        _names(choice.names),
                        _names(party.names) if party is not None else None,
                        choice.ballot_number,
                    ),
                )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class Stored:
    """What store() did with one bundle, for the user."""

    status: str  # a db status, or "already" when this very bundle was collected before
    bundle_id: int
    reason: str | None = None


def _insert(connection: sqlite3.Connection, e: Examined, status: str, **extra: Any) -> int:
    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    cursor = connection.execute(
        "INSERT INTO bundle (manifest_sha256, source, claimed_terminal, terminal, precinct,"
        " status, reason, same_as, mode, ballots, ballots_sha256, protocol_sha256, collected_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            e.manifest_sha256,
            e.source,
            e.claimed_terminal,
            e.terminal,
            e.precinct,
            status,
            extra.get("reason", e.error),
            extra.get("same_as"),
            e.mode,
            e.ballots if e.error is None else None,
            e.ballots_sha256,
            e.protocol_sha256,
            now,
        ),
    )
    bundle_id = cursor.lastrowid
    if bundle_id is None:
        raise InvariantError("invariant broken: bundle_id is not None")
    if e.error is not None:
        return bundle_id
    connection.executemany(
        "INSERT INTO protocol_line VALUES (?, ?, ?)",
        [(bundle_id, line, value) for line, value in e.lines.items()],
    )
    connection.executemany(
        "INSERT INTO vote VALUES (?, ?, ?, ?)",
        [(bundle_id, c, ch, n) for c, choices in e.votes.items() for ch, n in choices.items()],
    )
    connection.executemany(
        "INSERT INTO blank VALUES (?, ?, ?)", [(bundle_id, c, n) for c, n in e.blank.items()]
    )
    connection.executemany(
        "INSERT INTO hourly VALUES (?, ?, ?, ?)", [(bundle_id, *row) for row in e.hourly]
    )
    connection.executemany(
        "INSERT INTO event_count VALUES (?, ?, ?, ?)", [(bundle_id, *row) for row in e.events]
    )
    connection.executemany(
        "INSERT INTO tracking_code VALUES (?, ?, ?)",
        [(bundle_id, code, int(spoiled)) for code, spoiled in e.tracking],
    )
    return bundle_id


def _decide(connection: sqlite3.Connection, e: Examined) -> tuple[str, dict[str, Any]]:
    """The status of a verified bundle beside the terminal's counted one, if any."""
    row = connection.execute(
        "SELECT id, source, protocol_sha256 FROM bundle WHERE terminal = ? AND status = ?",
        (e.terminal, db.COUNTED),
    ).fetchone()
    if row is None:
        return db.COUNTED, {}
    if row[2] == e.protocol_sha256:
        return db.SAME_RESULTS, {"same_as": row[0]}
    return db.CONFLICT, {
        "same_as": row[0],
        "reason": f"{e.source}/{PROTOCOL}: conflict: terminal {e.terminal} already has a "
        f"counted bundle with other results ({row[1]}); kept for review, not counted",
    }


def store(connection: sqlite3.Connection, e: Examined) -> Stored:
    """Insert one examined bundle (and its act) in one transaction."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        row = connection.execute(
            "SELECT id, status FROM bundle WHERE manifest_sha256 = ?", (e.manifest_sha256,)
        ).fetchone()
        if row is not None and row[1] != db.FAILED:
            connection.execute("ROLLBACK")
            return Stored("already", row[0])
        if row is not None:
            connection.execute("DELETE FROM bundle WHERE id = ?", (row[0],))
        extra: dict[str, Any] = {}
        if e.error is not None:
            status = db.FAILED
        else:
            status, extra = _decide(connection, e)
        bundle_id = _insert(connection, e, status, **extra)
        if e.act is not None and e.act_file is not None:
            connection.execute(
                "INSERT INTO act VALUES (?, ?, ?, ?, ?, ?)",
                (
                    bundle_id,
                    e.act_file,
                    hashlib.sha256(e.act.to_json()).hexdigest(),
                    e.act.handed_over,
                    e.act.accepted,
                    e.received_act,
                ),
            )
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return Stored(status, bundle_id, extra.get("reason", e.error))
