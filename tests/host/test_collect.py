"""`host_tools collect`: verified bundles into SQLite, once each, conflicts kept, acts written
and checked, nothing half-imported after SIGKILL; read back with the sqlite3 CLI too."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from host_tools.__main__ import main
from host_tools.collect import db, importer
from host_tools.collect.act import act_pages, read_act
from host_tools.collect.progress import BAR_WIDTH, Progress
from terminal.tally.bundle import BALLOTS, EVENTS
from terminal.tally.protocol import LINES
from tests.bundle_factory import export_again
from tests.host.desk_election import PRECINCTS, DeskElection, ballots, make_election, terminal_id

pytestmark = pytest.mark.host_only
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def desk(tmp_path: Path) -> DeskElection:
    return make_election(tmp_path)


def collect(
    capsys: pytest.CaptureFixture[str], desk: DeskElection, *args: str | Path
) -> tuple[int, str, str]:
    code = main(
        [
            "collect",
            "--db",
            str(desk.root / "results.sqlite"),
            "--package",
            str(desk.package),
            *desk.pin,
            "--jobs",
            "1",
            *map(str, args),
        ]
    )
    out = capsys.readouterr()
    return code, out.out, out.err


def sqlite_cli(database: Path, query: str) -> str:
    """The query's output from the stock sqlite3 command-line shell."""
    return subprocess.run(
        ["sqlite3", "-batch", str(database), query], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_collects_each_bundle_once(capsys: pytest.CaptureFixture[str], desk: DeskElection) -> None:
    paths = [desk.bundle(code, ballots(i, 6 + i)) for i, code in enumerate(PRECINCTS)]
    code, out, _ = collect(capsys, desk, *paths)
    assert code == 0
    assert out.count("УЧТЁН") == len(PRECINCTS)
    database = desk.root / "results.sqlite"
    # Again, with a copy of one bundle among them: nothing new.
    copy = desk.root / "media" / "copy-of-1001"
    shutil.copytree(paths[0], copy)
    code, out, _ = collect(capsys, desk, *paths, copy)
    assert code == 0
    assert out.count("УЖЕ В БАЗЕ") == len(PRECINCTS) + 1
    assert sqlite_cli(database, "SELECT COUNT(*) FROM bundle") == str(len(PRECINCTS))
    assert sqlite_cli(database, "PRAGMA user_version") == str(db.SCHEMA_VERSION)
    assert sqlite_cli(database, "PRAGMA integrity_check") == "ok"
    assert sqlite_cli(database, "PRAGMA foreign_key_check") == ""
    # The votes the CLI reads are the protocol's.
    cast = sum(6 + i for i in range(len(PRECINCTS)))
    assert sqlite_cli(database, "SELECT SUM(votes) FROM vote") == str(cast)
    hourly = sqlite_cli(database, "SELECT SUM(events) FROM hourly WHERE kind = 'ballot_cast'")
    assert hourly == str(cast)


def test_foreign_keys_are_on_in_every_connection(tmp_path: Path) -> None:
    connection = db.connect(tmp_path / "r.sqlite", create=True)
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute("INSERT INTO terminal VALUES ('T', 'no such precinct', 'combined')")


def test_a_newer_schema_and_a_foreign_file_are_refused(
    capsys: pytest.CaptureFixture[str], desk: DeskElection
) -> None:
    database = desk.root / "results.sqlite"
    database.write_bytes(b"not a database at all" * 100)
    code, _, err = collect(capsys, desk, desk.bundle("1001", ballots(1, 3)))
    assert code == 2
    assert "not a usable results database" in err and "Traceback" not in err
    database.unlink()
    sqlite3.connect(database).execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    code, _, err = collect(capsys, desk, desk.root / "media" / "bundle-1001")
    assert code == 2 and "newer than this program's" in err


def test_a_database_of_another_package_is_refused(
    capsys: pytest.CaptureFixture[str], desk: DeskElection, tmp_path: Path
) -> None:
    assert collect(capsys, desk, desk.bundle("1001", ballots(1, 3)))[0] == 0
    other = make_election(tmp_path / "other")
    other_bundle = other.bundle("1001", ballots(1, 3))
    code = main(
        [
            "collect",
            "--db",
            str(desk.root / "results.sqlite"),
            "--package",
            str(other.package),
            *other.pin,
            str(other_bundle),
        ]
    )
    assert code == 2
    assert "of another package" in capsys.readouterr().err


def test_the_package_must_be_pinned(capsys: pytest.CaptureFixture[str], desk: DeskElection) -> None:
    bundle = desk.bundle("1001", ballots(1, 3))
    args = ["collect", "--db", str(desk.root / "r.sqlite"), "--package", str(desk.package)]
    assert main([*args, str(bundle)]) == 2
    assert "no commission key pinned" in capsys.readouterr().err
    assert main([*args, "--commission-key", "ab" * 32, str(bundle)]) == 2
    assert "not the pinned" in capsys.readouterr().err
    assert not (desk.root / "r.sqlite").exists()


def test_other_results_from_a_terminal_are_a_conflict_kept_for_review(
    capsys: pytest.CaptureFixture[str], desk: DeskElection
) -> None:
    first = desk.bundle("1001", ballots(1, 5))
    again = export_again(first, desk.root / "media" / "reexport-1001", desk.keys["T-1001"])
    other = desk.bundle("1001", ballots(2, 7), name="other-1001")
    code, out, _ = collect(capsys, desk, first, again, other)
    assert code == 1
    assert "ПОВТОР" in out and "КОНФЛИКТ" in out and "T-1001" in out
    database = desk.root / "results.sqlite"
    rows = sqlite_cli(database, "SELECT status, ballots FROM bundle ORDER BY id").splitlines()
    assert rows == ["counted|5", "same_results|5", "conflict|7"]
    # Only the counted bundle adds up; the conflict's protocol is kept for the reviewer.
    counted = "SELECT SUM(v.votes) FROM vote v JOIN bundle b ON b.id = v.bundle"
    assert sqlite_cli(database, counted + " WHERE b.status = 'counted'") == "5"
    assert sqlite_cli(database, counted + " WHERE b.status = 'conflict'") == "7"
    assert main(["status", "--db", str(database)]) == 1
    status = capsys.readouterr().out
    assert "T-1001 (combined): конфликт" in status
    assert f"{other}/protocol.json: conflict" in status


def test_a_failed_bundle_is_named_with_its_reason_and_tried_again(
    capsys: pytest.CaptureFixture[str], desk: DeskElection
) -> None:
    bundle = desk.bundle("2001", ballots(3, 4))
    events = bundle / EVENTS
    good = events.read_bytes()
    events.write_bytes(good.replace(b'"recovered":false', b'"recovered":true ', 1))
    code, out, _ = collect(capsys, desk, bundle)
    assert code == 1
    assert f"НЕ ПРОШЁЛ ПРОВЕРКУ {bundle}/{EVENTS}: altered" in out
    database = desk.root / "results.sqlite"
    assert sqlite_cli(database, "SELECT status FROM bundle") == "failed"
    assert sqlite_cli(database, "SELECT COUNT(*) FROM protocol_line") == "0"
    main(["status", "--db", str(database), "--lang", "ky"])
    status = capsys.readouterr().out
    assert "T-2001 (combined): текшерүүдөн өткөн жок" in status
    assert f"{bundle}/{EVENTS}: altered" in status
    # The medium read again, correctly: the same manifest, now verified and counted.
    events.write_bytes(good)
    code, out, _ = collect(capsys, desk, bundle)
    assert code == 0 and "УЧТЁН" in out
    assert sqlite_cli(database, "SELECT status FROM bundle") == "counted"


def test_an_unregistered_terminal_and_a_directory_without_a_manifest_fail(
    capsys: pytest.CaptureFixture[str], desk: DeskElection
) -> None:
    empty = desk.root / "media" / "empty"
    empty.mkdir(parents=True)
    code, out, _ = collect(capsys, desk, empty, empty)
    assert code == 1
    assert out.count("НЕ ПРОШЁЛ ПРОВЕРКУ") == 2
    assert sqlite_cli(desk.root / "results.sqlite", "SELECT COUNT(*) FROM bundle") == "1"


def test_acts_are_written_and_received_acts_checked(
    capsys: pytest.CaptureFixture[str], desk: DeskElection
) -> None:
    sent = desk.root / "sent"
    first = desk.bundle("1001", ballots(1, 4))
    second = desk.bundle("1002", ballots(2, 3))
    people = ["--handed-over", "Председатель УИК Асанова", "--accepted", "ТИК: Бекова"]
    code, _, _ = collect(capsys, desk, "--acts", sent, *people, first, second)
    assert code == 0
    act_file = sent / "act-T-1001-bundle-1001.json"
    document = json.loads(act_file.read_text())
    assert document["handed_over"] == "Председатель УИК Асанова"
    assert document["accepted"] == "ТИК: Бекова"
    files = {f["name"]: f for f in document["files"]}
    assert (
        files[BALLOTS]["records"] == 4
        and files[BALLOTS]["bytes"] == (first / BALLOTS).stat().st_size
    )
    assert files[EVENTS]["records"] == (first / EVENTS).read_bytes().count(b"\n")
    assert document["total"]["files"] == len(files)
    pdf = (sent / "act-T-1001-bundle-1001.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    # The printed page has ink where the Cyrillic title is (the font has the letters).
    page = act_pages(read_act(act_file))[0]
    assert page.crop((90, 90, 700, 130)).getextrema()[0] < 100

    # Received: the acts the precinct sent with its media check the bundles at the CEC.
    received = desk.root / "received"
    ok = ["--acts", received, "--act", act_file, "--act", sent / "act-T-1002-bundle-1002.json"]
    database = desk.root / "results.sqlite"
    database.unlink()
    code, out, _ = collect(capsys, desk, *ok, first, second)
    assert code == 0, out
    assert sqlite_cli(database, "SELECT COUNT(*) FROM act WHERE received_act IS NOT NULL") == "2"

    # A byte changed on the medium: refused, naming the file and the act.
    database.unlink()
    data = bytearray((first / BALLOTS).read_bytes())
    data[100] ^= 1
    (first / BALLOTS).write_bytes(bytes(data))
    code, out, _ = collect(capsys, desk, *ok, first, second)
    assert code == 1
    assert f"act {act_file}: {BALLOTS}: SHA-256" in out
    # A bundle with no act when acts were received: refused.
    code, out, _ = collect(
        capsys,
        desk,
        "--act",
        sent / "act-T-1002-bundle-1002.json",
        second,
        desk.bundle("2001", ballots(3, 2)),
    )
    assert "no acceptance-transfer act was received" in out
    # An act for no bundle given, or not an act at all: nothing is collected.
    assert collect(capsys, desk, "--act", act_file, second)[0] == 2
    (desk.root / "junk.json").write_text("[1, 2]")
    code, _, err = collect(capsys, desk, "--act", desk.root / "junk.json", second)
    assert code == 2 and "акт приема-передачи" in err and "junk.json" in err


def test_every_core_gives_the_same_database(
    capsys: pytest.CaptureFixture[str], desk: DeskElection
) -> None:
    paths = [desk.bundle(code, ballots(i, 3)) for i, code in enumerate(PRECINCTS)]
    database = desk.root / "parallel.sqlite"
    args = ["collect", "--db", str(database), "--package", str(desk.package), *desk.pin]
    assert main([*args, "--jobs", "2", *map(str, paths)]) == 0
    assert "УЧТЁН" in capsys.readouterr().out
    ordered = "SELECT terminal, status, ballots FROM bundle ORDER BY id"
    assert sqlite_cli(database, ordered).splitlines() == [
        f"{terminal_id(code)}|counted|3" for code in PRECINCTS
    ]


def _complete_or_absent(
    database: Path, contests: int, choices: int, acts: bool = True
) -> tuple[int, list[str]]:
    """How many bundles the database holds, and every one that is there only in part."""
    lines, checks = len(LINES), []
    query = (
        "SELECT b.id, b.status, (SELECT COUNT(*) FROM protocol_line WHERE bundle = b.id),"
        " (SELECT COUNT(*) FROM vote WHERE bundle = b.id),"
        " (SELECT COUNT(*) FROM blank WHERE bundle = b.id),"
        " (SELECT COUNT(*) FROM event_count WHERE bundle = b.id),"
        " (SELECT COUNT(*) FROM hourly WHERE bundle = b.id),"
        " (SELECT COUNT(*) FROM act WHERE bundle = b.id) FROM bundle b"
    )
    made = database.exists() and database.stat().st_size > 0
    # A kill before the schema's transaction commits leaves a database without it (an empty
    # file, or only the WAL header): no bundle, and the next collect makes the schema.
    if not made or sqlite_cli(database, "PRAGMA user_version") != str(db.SCHEMA_VERSION):
        if made:
            assert sqlite_cli(database, "SELECT name FROM sqlite_master") == ""
        return 0, []
    output = sqlite_cli(database, query)
    rows = [line.split("|") for line in output.splitlines()]
    for row in rows:
        bundle, status, *counts = row
        if [int(n) for n in counts[:3]] != [lines, choices, contests] or "0" in counts[
            3 : 6 if acts else 5
        ]:
            checks.append(f"bundle {bundle} ({status}): {counts}")
    return len(rows), checks


# The 50 kills take minutes on a busy 2-core machine: they run in `make torture`; the
# default run has a slice of them.
@pytest.mark.parametrize("kills", [12, pytest.param(50, marks=pytest.mark.slow)])
def test_sigkill_at_random_points_never_leaves_a_partial_bundle(
    desk: DeskElection, kills: int
) -> None:
    rng = random.Random(13 + kills)
    paths = [desk.bundle(code, ballots(i, 20)) for i, code in enumerate(PRECINCTS)]
    # More bundles: re-exports of the same results and conflicting ones too.
    for i, code in enumerate(PRECINCTS):
        paths.append(
            export_again(
                paths[i], desk.root / "media" / f"again-{code}", desk.keys[terminal_id(code)]
            )
        )
        paths.append(desk.bundle(code, ballots(100 + i, 9), name=f"other-{code}"))
    database = desk.root / "killed.sqlite"
    command = [
        sys.executable,
        "-m",
        "host_tools",
        "collect",
        "--db",
        str(database),
        "--package",
        str(desk.package),
        *desk.pin,
        "--acts",
        str(desk.root / "acts"),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # How long a whole run takes here: the kills fall anywhere in it, start-up included.
    started = time.monotonic()
    whole = desk.root / "whole.sqlite"
    timing = [*command[:5], str(whole), *command[6:]]
    subprocess.run([*timing, *map(str, paths)], cwd=REPO, env=env, capture_output=True)
    duration = time.monotonic() - started
    seen = set()
    for kill in range(kills):
        if kill % 2 == 0:
            # Every other run starts afresh, so the kills fall at every stage of a collect;
            # the others go on from a killed run, as an operator would.
            for stale in database.parent.glob(f"{database.name}*"):
                stale.unlink()
        order = paths[:]
        rng.shuffle(order)
        jobs = ["--jobs", str(1 + kill % 2)]
        process = subprocess.Popen(
            [*command, *jobs, *map(str, order)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.1, duration))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        count, partial = _complete_or_absent(database, contests=1, choices=3)
        assert not partial, f"kill {kill}: {partial}"
        seen.add(count)
        if database.exists():
            assert sqlite_cli(database, "PRAGMA integrity_check") == "ok"
            assert sqlite_cli(database, "PRAGMA foreign_key_check") == ""
    # Some kills fell in the middle of a collect, between (or inside) bundles.
    assert any(0 < n < len(paths) for n in seen), seen
    finished = subprocess.run(
        [*command, *map(str, paths)], cwd=REPO, env=env, capture_output=True, text=True
    )
    # 1 when this run met a conflicting bundle; 0 when killed runs had already stored them all.
    assert finished.returncode in (0, 1), finished.stderr
    statuses = dict(
        line.split("|")
        for line in sqlite_cli(
            database, "SELECT status, COUNT(*) FROM bundle GROUP BY status"
        ).splitlines()
    )
    # Which of a terminal's two results came first depends on the kills; each terminal has
    # one counted bundle, every other bundle is its re-export or in conflict with it.
    assert statuses["counted"] == "5" and "failed" not in statuses
    assert int(statuses["conflict"]) + int(statuses.get("same_results", 0)) == 10


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_the_progress_bar_is_drawn_on_a_terminal_only() -> None:
    for tty in (True, False):
        stream = FakeTerminal(tty)
        progress = Progress(3, "bundles", stream)
        for _ in range(3):
            progress.advance()
        progress.close()
        text = stream.getvalue()
        if tty:
            assert "[" + "#" * BAR_WIDTH + "] 3/3 bundles" in text
            assert text.endswith("\r\x1b[K")  # wiped at the end
        else:
            assert text == ""


def test_ctrl_c_stops_with_what_was_imported_whole(desk: DeskElection) -> None:
    paths = [desk.bundle(code, ballots(i, 30)) for i, code in enumerate(PRECINCTS)]
    database = desk.root / "interrupted.sqlite"
    process = subprocess.Popen(
        [sys.executable, "-m", "host_tools", "collect", "--db", str(database),
         "--package", str(desk.package), *desk.pin, "--jobs", "1", *map(str, paths * 20)],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # Interrupted once the first bundle is in.
    assert process.stdout is not None
    process.stdout.readline()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "прервано" in err and "Traceback" not in err
    count, partial = _complete_or_absent(database, contests=1, choices=3, acts=False)
    assert count >= 1 and not partial


def test_the_bulk_reading_of_a_log_agrees_with_the_checked_one(desk: DeskElection) -> None:
    bundle = desk.bundle("1001", ballots(4, 25), voids=3)
    events = (bundle / EVENTS).read_bytes()
    offset = desk.created.election.utc_offset
    bulk = importer._log_figures(events, "events.jsonl", offset)
    assert bulk == importer._log_figures_checked(events, "events.jsonl", offset)
    assert ("ballot_void", "cancelled", 3) in bulk[1]
    assert sum(n for _, kind, n in bulk[0] if kind == "ballot_cast") == 25
