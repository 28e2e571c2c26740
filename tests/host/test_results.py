"""`host_tools results` and `status` from a collected database: levels that add up (read
back with the csv module), names and parties, the open datasets, and the status per unit."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path

import pytest

from host_tools.__main__ import main
from host_tools.election.messages import DOMAIN, LOCALE_DIR
from host_tools.messages import MESSAGES
from tests.bundle_factory import export_again
from tests.host.desk_election import (
    PRECINCTS,
    TERRITORIES,
    VOTERS,
    DeskElection,
    ballots,
    make_election,
)

pytestmark = pytest.mark.host_only
# pybabel is a developer's tool: the Bookworm pass (terminal versions) has none.
read_po = pytest.importorskip("babel.messages.pofile").read_po
COUNTS = (
    "precincts",
    "precincts_reported",
    "voters_on_list",
    "voters_on_list_reported",
    "voters_received_ballot",
    "ballots_issued",
    "ballots_cast",
    "ballots_void",
    "council.p1",
    "council.p2",
    "council.p3",
    "council.blank",
)


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> tuple[DeskElection, Path]:
    """Four of five precincts in (one of them exported twice), one conflicting bundle."""
    desk = make_election(tmp_path_factory.mktemp("results"))
    paths = [
        desk.bundle(code, ballots(i, 5 + i), voids=i % 2)
        for i, code in enumerate(PRECINCTS)
        if code != "1101"
    ]
    paths.append(export_again(paths[0], desk.root / "media" / "again", desk.keys["T-1001"]))
    paths.append(desk.bundle("2002", ballots(50, 2), name="conflicting"))
    database = desk.root / "results.sqlite"
    main(
        [
            "collect",
            "--db",
            str(database),
            "--package",
            str(desk.package),
            *desk.pin,
            "--jobs",
            "1",
            *map(str, paths),
        ]
    )
    return desk, database


def results(capsys: pytest.CaptureFixture[str], database: Path, *args: str) -> str:
    assert main(["results", "--db", str(database), *args]) == 0
    return capsys.readouterr().out


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_precinct_rows_add_up_to_districts_regions_and_total(
    capsys: pytest.CaptureFixture[str], collected: tuple[DeskElection, Path]
) -> None:
    _, database = collected
    levels = {
        level: read_csv(results(capsys, database, "--level", level, "--format", "csv"))
        for level in ("precinct", "district", "region", "total")
    }
    precincts = levels["precinct"]
    assert [row["precinct_code"] for row in precincts] == list(PRECINCTS)
    for level, key in (("district", "district_code"), ("region", "region_code")):
        sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
        for row in precincts:
            for column in COUNTS:
                sums[row[key]][column] += int(row[column])
        assert {row[key]: {c: int(row[c]) for c in COUNTS} for row in levels[level]} == sums
    [total] = levels["total"]
    for column in COUNTS:
        assert int(total[column]) == sum(int(row[column]) for row in precincts)
    # What went in: four precincts, the re-export counted once, the conflict not at all.
    assert int(total["precincts_reported"]) == 4
    assert int(total["ballots_cast"]) == sum(5 + i for i, c in enumerate(PRECINCTS) if c != "1101")
    assert int(total["voters_on_list"]) == VOTERS * len(PRECINCTS)
    missing = next(row for row in precincts if row["precinct_code"] == "1101")
    assert missing["precincts_reported"] == "0" and missing["turnout_percent"] == ""
    # Identifiers are text columns with the names of the hierarchy.
    assert {row["district_name"] for row in levels["district"]} == {
        t.names["ru"] for t in TERRITORIES if t.parent
    }


def test_the_table_names_candidates_parties_and_turnout(
    capsys: pytest.CaptureFixture[str], collected: tuple[DeskElection, Path]
) -> None:
    _, database = collected
    table = results(capsys, database)
    assert "1. Партия «Ала-Тоо» (Ала-Тоо)" in table
    assert "Явка" in table and "Аннулировано бюллетеней" in table
    assert "Участков с результатами: 4 из 5" in table
    kyrgyz = results(capsys, database, "--lang", "ky", "--level", "region")
    assert "Чүй облусу" in kyrgyz and "Катышуу" in kyrgyz


def test_json_rows_describe_their_columns(
    capsys: pytest.CaptureFixture[str], collected: tuple[DeskElection, Path]
) -> None:
    _, database = collected
    document = json.loads(results(capsys, database, "--level", "district", "--format", "json"))
    names = [c["name"] for c in document["columns"]]
    assert set(document["rows"][0]) == set(names)
    p1 = next(c for c in document["columns"] if c["name"] == "council.p1")
    assert p1["party"]["ru"] == "Ала-Тоо" and p1["ballot_number"] == 1
    assert document["election"]["kind"] == "local_council"


def test_open_data_is_the_precinct_dataset_with_its_description(
    capsys: pytest.CaptureFixture[str], collected: tuple[DeskElection, Path], tmp_path: Path
) -> None:
    desk, database = collected
    results(capsys, database, "--open-data", str(tmp_path / "open"))
    election = desk.created.election.id
    data = (tmp_path / "open" / f"{election}-precinct-results.csv").read_bytes()
    rows = read_csv(data.decode("utf-8"))
    assert len(rows) == len(PRECINCTS)
    description = json.loads((tmp_path / "open" / f"{election}-precinct-results.json").read_text())
    assert [c["name"] for c in description["columns"]] == list(rows[0])
    assert description["dataset"]["source_item"] == 13  # maslikhats: a local council's item
    assert description["file"]["rows"] == len(rows)
    # Format 1 ballots carry no tracking codes: no list is published.
    assert not (tmp_path / "open" / "tracking-codes.json").exists()


def test_status_names_missing_conflicting_and_in(
    capsys: pytest.CaptureFixture[str], collected: tuple[DeskElection, Path]
) -> None:
    _, database = collected
    assert main(["status", "--db", str(database)]) == 1
    text = capsys.readouterr().out
    assert "Участок 1101 (1101, Участок №1101): нет" in text
    assert "Участок 2002 (2002, Участок №2002): конфликт" in text
    assert "Район Сокулукский район: участков 2; получены 2, нет 0" in text
    assert "Всего: участков 5; получены 3, нет 1, в конфликте 1" in text
    assert main(["status", "--db", str(database), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    states = {p["precinct"]: p["state"] for p in document["precincts"]}
    assert states == {
        "1001": "in",
        "1002": "in",
        "1101": "missing",
        "2001": "in",
        "2002": "conflict",
    }


def test_a_missing_database_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for command in ("results", "status"):
        assert main([command, "--db", str(tmp_path / "none.sqlite")]) == 2
        err = capsys.readouterr().err
        assert "run collect first" in err and "Traceback" not in err
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    assert main(["results", "--db", str(empty)]) == 2
    assert "holds no election yet" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["collect", "status", "results", "report"])
def test_help_has_examples_and_exit_codes(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit) as stop:
        main([command, "--help"])
    assert stop.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and "exit status:" in text and "--lang" in text


@pytest.mark.parametrize("language", ["ru", "ky", "kk"])
def test_every_desk_message_is_in_the_host_catalogs(language: str) -> None:
    """The commands after the polls speak through the host tools' gettext catalogs."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = [msgid for msgid in MESSAGES.values() if not translated.get(msgid)]
    assert not missing
