"""The results database: one SQLite file per election, written by `collect`, read by the rest.

The schema is versioned with `PRAGMA user_version`: MIGRATIONS[i] takes a database of
version i to version i + 1, each in its own transaction, so a database made by an older
`collect` is brought up to date when it is opened and a newer one is refused. Foreign keys
are on in every connection.

What is stored (one election per database: the package it was first collected with):
    election        the package: id, names, mode, kind, SHA-256 of election.json, key
    territory       regions and districts (the package's hierarchy), precinct, terminal
    contest, choice the ballot's contests and choices with names and parties, in order
    bundle          every bundle seen, named by the SHA-256 of its signed manifest, with its
                    status (counted, another export of counted results, conflict, failed)
    protocol_line, vote, blank     a verified bundle's signed protocol
    hourly          ballots cast (and coupons issued) per local hour, from the event log
    event_count     the log's records by kind and detail (refusals by reason, recoveries)
    act             the acceptance-transfer act written for the bundle
    tracking_code   ballot format 2: every ballot's tracking code, spoiled ones marked
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

# Bundle statuses. Only COUNTED bundles add to the results.
COUNTED = "counted"
SAME_RESULTS = "same_results"  # the terminal exported again: same signed protocol, counted once
CONFLICT = "conflict"  # other results from a terminal that already has a counted bundle
FAILED = "failed"  # did not verify (or its act did not match); the reason says why
STATUSES = (COUNTED, SAME_RESULTS, CONFLICT, FAILED)

_V1 = f"""
CREATE TABLE election (
    id TEXT PRIMARY KEY,
    names TEXT NOT NULL,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    date TEXT NOT NULL,
    timezone TEXT NOT NULL,
    package_sha256 TEXT NOT NULL,
    commission_fingerprint TEXT NOT NULL
);
CREATE TABLE territory (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('region', 'district')),
    names TEXT NOT NULL,
    parent TEXT REFERENCES territory(id)
);
CREATE TABLE precinct (
    code TEXT PRIMARY KEY,
    number TEXT NOT NULL,
    names TEXT NOT NULL,
    district TEXT REFERENCES territory(id),
    voters_on_list INTEGER NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE terminal (
    id TEXT PRIMARY KEY,
    precinct TEXT NOT NULL REFERENCES precinct(code),
    role TEXT NOT NULL
);
CREATE TABLE contest (
    id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    titles TEXT NOT NULL,
    max_selections INTEGER NOT NULL
);
CREATE TABLE choice (
    contest TEXT NOT NULL REFERENCES contest(id),
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    names TEXT NOT NULL,
    party TEXT,
    ballot_number INTEGER,
    PRIMARY KEY (contest, id)
);
CREATE TABLE bundle (
    id INTEGER PRIMARY KEY,
    manifest_sha256 TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    claimed_terminal TEXT,
    terminal TEXT REFERENCES terminal(id),
    precinct TEXT REFERENCES precinct(code),
    status TEXT NOT NULL CHECK (status IN ({", ".join(repr(s) for s in STATUSES)})),
    reason TEXT,
    same_as INTEGER REFERENCES bundle(id),
    mode TEXT,
    ballots INTEGER,
    ballots_sha256 TEXT,
    protocol_sha256 TEXT,
    collected_at TEXT NOT NULL,
    CHECK (status != 'counted' OR (terminal IS NOT NULL AND same_as IS NULL AND reason IS NULL)),
    CHECK (status != 'failed' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX one_counted_bundle_per_terminal ON bundle(terminal) WHERE status = 'counted';
CREATE INDEX bundle_precinct ON bundle(precinct, status);
CREATE TABLE protocol_line (
    bundle INTEGER NOT NULL REFERENCES bundle(id) ON DELETE CASCADE,
    line TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (bundle, line)
);
CREATE TABLE vote (
    bundle INTEGER NOT NULL REFERENCES bundle(id) ON DELETE CASCADE,
    contest TEXT NOT NULL,
    choice TEXT NOT NULL,
    votes INTEGER NOT NULL,
    PRIMARY KEY (bundle, contest, choice),
    FOREIGN KEY (contest, choice) REFERENCES choice(contest, id)
);
CREATE TABLE blank (
    bundle INTEGER NOT NULL REFERENCES bundle(id) ON DELETE CASCADE,
    contest TEXT NOT NULL REFERENCES contest(id),
    ballots INTEGER NOT NULL,
    PRIMARY KEY (bundle, contest)
);
CREATE TABLE hourly (
    bundle INTEGER NOT NULL REFERENCES bundle(id) ON DELETE CASCADE,
    hour TEXT NOT NULL,
    kind TEXT NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (bundle, hour, kind)
);
CREATE TABLE event_count (
    bundle INTEGER NOT NULL REFERENCES bundle(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (bundle, kind, detail)
);
CREATE TABLE act (
    bundle INTEGER NOT NULL REFERENCES bundle(id) ON DELETE CASCADE,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    handed_over TEXT NOT NULL,
    accepted TEXT NOT NULL,
    received_act TEXT,
    PRIMARY KEY (bundle, file)
);
"""

# Version 2: the tracking codes of a verified format-2 bundle's ballots, cast and spoiled.
_V2 = """
CREATE TABLE tracking_code (
    bundle INTEGER NOT NULL REFERENCES bundle(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    spoiled INTEGER NOT NULL CHECK (spoiled IN (0, 1)),
    PRIMARY KEY (bundle, code)
);
"""

# MIGRATIONS[i] brings version i to i + 1. Append only: a released step never changes.
MIGRATIONS: Sequence[str] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseError(Exception):
    """The results database cannot be used; the message says why."""


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise DatabaseError(
            f"{path}: schema version {version} is newer than this program's {SCHEMA_VERSION}; "
            "use the newer host tools"
        )
    if version == SCHEMA_VERSION:
        return
    # executescript commits first; one explicit transaction for every step makes the whole
    # upgrade atomic: a killed collect leaves the database at its old version, never between.
    steps = "\n".join(MIGRATIONS[version:])
    connection.executescript(
        f"BEGIN IMMEDIATE;\n{steps}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
    )


def connect(path: Path, create: bool = False) -> sqlite3.Connection:
    """Open (with `create`, make) the results database, migrated to the current schema."""
    if not create and not path.is_file():
        raise DatabaseError(f"{path}: no results database there (run collect first)")
    try:
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        connection.execute("PRAGMA foreign_keys = ON")
        # WAL: readers (status, results) never wait for collect; a commit is still atomic.
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        _migrate(connection, path)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path}: not a usable results database ({exc})") from exc
    return connection
