"""The auditors' report: one self-contained HTML page, written from the results database.

Sections: the election and its package; every bundle's verification status; turnout by
hour from the event logs (an inline SVG plot and its numbers); each precinct's consistency
(voters on the list, ballots issued and cast by the event log, the protocol's lines and the
ballots in the box); conflicts; refused scans by reason; recoveries after power cuts; and
test against official. Nothing is loaded from elsewhere: the CSS is inline and the plot is
SVG paths. The page is written as the database is read, row by row (memory does not grow
with the number of bundles), and every table has at least one row: "none" says so.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TextIO

from host_tools.collect import db
from host_tools.results.units import Database
from terminal.ballot.election import localized

STYLE = """
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fdd; } tr.warn td { background: #ffe9b3; }
.banner { background: #c00; color: #fff; font-weight: bold; padding: 0.5em; font-size: 1.3em; }
.note { color: #444; }
"""

STATUS_TEXT = {
    db.COUNTED: "counted",
    db.SAME_RESULTS: "same results again (counted once)",
    db.CONFLICT: "CONFLICT (not counted)",
    db.FAILED: "FAILED verification",
}


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(
    out: TextIO,
    headers: Sequence[str],
    rows: Iterable[tuple[Sequence[object], str]],
    numeric: Sequence[int] = (),
) -> None:
    """A table streamed row by row; (cells, css class) per row; a "none" row if empty."""
    out.write("<table><thead><tr>")
    out.write("".join(f"<th>{_e(h)}</th>" for h in headers))
    out.write("</tr></thead><tbody>\n")
    written = 0
    for cells, css in rows:
        out.write(f'<tr class="{css}">' if css else "<tr>")
        for index, cell in enumerate(cells):
            out.write(
                f'<td class="n">{_e(cell)}</td>' if index in numeric else f"<td>{_e(cell)}</td>"
            )
        out.write("</tr>\n")
        written += 1
    if not written:
        out.write(f'<tr><td colspan="{len(headers)}">none / нет</td></tr>\n')
    out.write("</tbody></table>\n")


def _turnout_svg(hours: Sequence[tuple[str, int]], title: str) -> str:
    """A bar chart of ballots cast per local hour, as SVG markup (text as paths)."""
    # Imported here: matplotlib takes a second to import, and every host command (collect
    # most of all, in each of its workers) would pay it otherwise.
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.2))
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    labels = [hour[-5:] if hour != "unknown" else "?" for hour, _ in hours]
    axes.bar(range(len(hours)), [n for _, n in hours], color="#2c6fbb")
    axes.set_xticks(range(len(hours)), labels, rotation=45, fontsize=8)
    axes.set_ylabel("ballots cast")
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: without the XML declaration and doctype


def _bundles(database: Database) -> Iterator[tuple[Sequence[object], str]]:
    for row in database.connection.execute(
        "SELECT b.id, COALESCE(b.terminal, b.claimed_terminal), b.precinct, b.status, b.mode,"
        " b.ballots, b.source, b.reason, a.file FROM bundle b LEFT JOIN act a ON a.bundle = b.id"
        " ORDER BY b.precinct, b.id"
    ):
        status = row[3]
        css = {db.FAILED: "bad", db.CONFLICT: "bad", db.SAME_RESULTS: "warn"}.get(status, "")
        yield (*row[:3], STATUS_TEXT[status], *row[4:]), css


def _consistency(database: Database) -> Iterator[tuple[Sequence[object], str]]:
    """Per precinct: the list, the event log's issues and casts, the protocol's lines and
    the ballots in the box, from its counted bundles; any disagreement is marked."""
    query = """
    SELECT p.code, p.number, p.voters_on_list,
        (SELECT COUNT(*) FROM bundle b WHERE b.precinct = p.code AND b.status = 'counted'),
        (SELECT SUM(e.events) FROM event_count e JOIN bundle b ON b.id = e.bundle
            WHERE b.precinct = p.code AND b.status = 'counted' AND e.kind = 'ballot_issued'),
        (SELECT SUM(e.events) FROM event_count e JOIN bundle b ON b.id = e.bundle
            WHERE b.precinct = p.code AND b.status = 'counted' AND e.kind = 'ballot_cast'),
        (SELECT SUM(l.value) FROM protocol_line l JOIN bundle b ON b.id = l.bundle
            WHERE b.precinct = p.code AND b.status = 'counted' AND l.line = 'ballots_issued'),
        (SELECT SUM(l.value) FROM protocol_line l JOIN bundle b ON b.id = l.bundle
            WHERE b.precinct = p.code AND b.status = 'counted' AND l.line = 'ballots_cast'),
        (SELECT SUM(l.value) FROM protocol_line l JOIN bundle b ON b.id = l.bundle
            WHERE b.precinct = p.code AND b.status = 'counted' AND l.line = 'ballots_void'),
        (SELECT SUM(b.ballots) FROM bundle b WHERE b.precinct = p.code AND b.status = 'counted')
    FROM precinct p ORDER BY p.position
    """
    for (
        code,
        number,
        on_list,
        bundles,
        issued,
        cast,
        p_issued,
        p_cast,
        p_void,
        box,
    ) in database.connection.execute(query):
        if not bundles:
            yield (code, number, on_list, 0, "", "", "", "", "", "", "not reported"), "warn"
            continue
        problems = []
        if (p_cast or 0) > on_list:
            problems.append("more ballots cast than voters on the list")
        if (issued or 0) != (p_issued or 0):
            problems.append("issued: log and protocol differ")
        if (cast or 0) != (p_cast or 0) or (box or 0) != (p_cast or 0):
            problems.append("cast: log, protocol and ballot box differ")
        if (p_issued or 0) != (p_cast or 0) + (p_void or 0):
            problems.append("issued is not cast plus void")
        note = "; ".join(problems) or "consistent"
        cells = (code, number, on_list, bundles, issued, cast, p_issued, p_cast, p_void, box, note)
        yield cells, "bad" if problems else ""


def _conflicts(database: Database) -> Iterator[tuple[Sequence[object], str]]:
    for row in database.connection.execute(
        "SELECT b.terminal, b.precinct, b.source, c.source, b.reason FROM bundle b"
        " LEFT JOIN bundle c ON c.id = b.same_as WHERE b.status = ? ORDER BY b.terminal",
        (db.CONFLICT,),
    ):
        yield row, "bad"


def _refusals(database: Database) -> Iterator[tuple[Sequence[object], str]]:
    for row in database.connection.execute(
        "SELECT e.kind, e.detail, SUM(e.events), COUNT(DISTINCT b.precinct) FROM event_count e"
        " JOIN bundle b ON b.id = e.bundle WHERE b.status = 'counted' AND e.kind IN"
        " ('voter_refused', 'scan_rejected', 'ballot_code_refused', 'coupon_void',"
        " 'share_refused') GROUP BY e.kind, e.detail ORDER BY e.kind, SUM(e.events) DESC"
    ):
        yield row, ""


# Per counted bundle: starts of the terminal program, torn log tails cut at start-up, ballots
# whose cast was completed after a restart, printouts cut short, ballot codes cleared.
RECOVERY_QUERY = """
SELECT b.terminal, b.precinct,
    SUM(CASE WHEN e.kind = 'terminal_started' THEN e.events ELSE 0 END),
    SUM(CASE WHEN e.kind = 'log_tail_truncated' THEN e.events ELSE 0 END),
    SUM(CASE WHEN e.kind = 'ballot_cast' AND e.detail = 'true' THEN e.events ELSE 0 END),
    SUM(CASE WHEN e.kind = 'print_interrupted' THEN e.events ELSE 0 END),
    SUM(CASE WHEN e.kind = 'used_code_cleared' THEN e.events ELSE 0 END)
FROM bundle b JOIN event_count e ON e.bundle = b.id WHERE b.status = 'counted'
GROUP BY b.id ORDER BY b.precinct, b.terminal
"""
RECOVERY_COLUMNS = (
    "restarts",
    "torn log tails cut",
    "ballots recovered",
    "printouts cut short",
    "ballot codes cleared",
)


def _recoveries(database: Database) -> Iterator[tuple[Sequence[object], str]]:
    """Per counted bundle with any sign of a power cut: what the terminal recovered."""
    for terminal, precinct, starts, *rest in database.connection.execute(RECOVERY_QUERY):
        restarts = max(0, (starts or 0) - 1)  # the first start of the day is no recovery
        if restarts or any(rest):
            yield (terminal, precinct, restarts, *rest), "warn"


def write_report(database: Database, out: TextIO, language: str = "ru") -> None:
    """Write the whole page to `out` as the database is read."""
    e = database.election
    connection = database.connection
    name = localized(e.names, language)
    out.write(f'<!DOCTYPE html>\n<html lang="{_e(language)}"><head><meta charset="utf-8">\n')
    out.write(f"<title>{_e(name)}: audit report</title><style>{STYLE}</style></head><body>\n")
    if e.mode == "test":
        out.write('<p class="banner">TEST ELECTION / ТЕСТОВЫЕ ВЫБОРЫ: never official</p>\n')
    out.write(f"<h1>{_e(name)} ({_e(e.id)}, {_e(e.date)}): audit report</h1>\n")
    made = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    out.write(
        f'<p class="note">Made {_e(made)} from the results database. Package election.json '
        f"SHA-256 {_e(e.package_sha256)}; commission key SHA-256 {_e(e.commission_fingerprint)}."
        "</p>\n"
    )

    out.write("<h2>Bundles by status</h2>\n")
    counts = dict(connection.execute("SELECT status, COUNT(*) FROM bundle GROUP BY status"))
    _table(
        out,
        ["status", "bundles"],
        (((STATUS_TEXT[s], counts.get(s, 0)), "") for s in db.STATUSES),
        numeric=[1],
    )
    reported = connection.execute(
        "SELECT COUNT(DISTINCT precinct) FROM bundle WHERE status = 'counted'"
    ).fetchone()[0]
    out.write(f"<p>Precincts reported: {reported} of {len(database.precincts)}.</p>\n")

    out.write("<h2>Turnout by hour (ballots cast, local time, from the event logs)</h2>\n")
    hours = list(
        connection.execute(
            "SELECT h.hour, SUM(h.events) FROM hourly h JOIN bundle b ON b.id = h.bundle"
            " WHERE b.status = 'counted' AND h.kind = 'ballot_cast' GROUP BY h.hour ORDER BY h.hour"
        )
    )
    if hours:
        out.write(_turnout_svg(hours, f"{name}: ballots cast per hour"))
    on_list = sum(p.voters_on_list for p in database.precincts)
    running = 0
    rows = []
    for hour, n in hours:
        running += n
        share = f"{100 * running / on_list:.1f} %" if on_list else ""
        rows.append(((hour, n, running, share), ""))
    _table(out, ["hour", "ballots cast", "cumulative", "of voters on the lists"], rows, [1, 2, 3])

    out.write("<h2>Every bundle's verification</h2>\n")
    _table(
        out,
        ["#", "terminal", "precinct", "status", "mode", "ballots", "source", "reason", "act"],
        _bundles(database),
        numeric=[0, 5],
    )

    out.write("<h2>Per-precinct consistency</h2>\n")
    out.write(
        '<p class="note">Voters on the list (registry) against ballots issued and cast by the '
        "event log, the signed protocol's lines, and the sealed ballots in the box.</p>\n"
    )
    _table(
        out,
        [
            "precinct",
            "number",
            "voters on the list",
            "bundles",
            "issued (log)",
            "cast (log)",
            "issued (protocol)",
            "cast (protocol)",
            "void (protocol)",
            "ballots in the box",
            "check",
        ],
        _consistency(database),
        numeric=list(range(2, 10)),
    )

    out.write("<h2>Conflicts</h2>\n")
    _table(
        out,
        ["terminal", "precinct", "bundle in conflict", "counted bundle", "reason"],
        _conflicts(database),
    )

    out.write("<h2>Refused scans and codes by reason (counted bundles)</h2>\n")
    _table(out, ["event", "reason", "events", "precincts"], _refusals(database), [2, 3])

    out.write("<h2>Recoveries after power cuts</h2>\n")
    _table(
        out,
        ["terminal", "precinct", *RECOVERY_COLUMNS],
        _recoveries(database),
        numeric=list(range(2, 2 + len(RECOVERY_COLUMNS))),
    )

    out.write("<h2>Test and official</h2>\n")
    modes = list(
        connection.execute(
            "SELECT COALESCE(mode, '(not verified)'), status, COUNT(*) FROM bundle"
            " GROUP BY mode, status ORDER BY mode, status"
        )
    )
    out.write(
        f"<p>The package is a <b>{_e(e.mode)}</b> election: every verified bundle must be of "
        "its mode (a test bundle never verifies against an official package).</p>\n"
    )
    _table(
        out,
        ["bundle mode", "status", "bundles"],
        ((row, "bad" if row[0] not in (e.mode, "(not verified)") else "") for row in modes),
        [2],
    )
    out.write("</body></html>\n")
