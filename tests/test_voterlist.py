"""Voter-list reconciliation: reading CSV/.mdb lists, each check, and synthetic lists whose
injected errors must all be found, and nothing else."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from host_tools.voterlist import (
    Category,
    CheckOptions,
    Country,
    add_voterlist_parser,
    check_files,
    main,
    render_report,
    run_voterlist,
    synthetic_list,
)
from host_tools.voterlist.check import add_years, name_key, parse_date
from host_tools.voterlist.read import VoterListError, read_number_list, read_voter_list
from host_tools.voterlist.synth import INJECTED
from terminal.idscan.iin import make_iin
from terminal.idscan.pin import Sex, make_pin

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2025, 6, 1)
GIVEN = ("Нұрлан", "Ерлан", "Асхат", "Бауыржан", "Дәурен", "Ержан", "Қайрат", "Мұрат", "Серік",
         "Талғат", "Айдос", "Әлихан", "Нұрсұлтан", "Ерасыл", "Данияр", "Жандос", "Азамат",
         "Бакыт", "Эрлан", "Нурбек", "Улан", "Айбек", "Канат", "Эрмек", "Мирлан")  # fmt: skip
HEADER = "Cod;Cod_izber;Soname;Name;Otchestvo;Cod_uch;Data_rojd;IIN;Udostve;Date_vidach;Adres"


def iin(birth: dt.date, sex: Sex = Sex.MALE, serial: int = 1) -> str:
    while True:
        try:
            return make_iin(sex, birth, serial)
        except ValueError:  # a serial without a check digit
            serial += 1


def kz_row(
    cod: int,
    birth: dt.date,
    *,
    precinct: str = "101",
    number: str | None = None,
    surname: str = "Ахметов",
    name: str | None = None,  # a different one for each `cod`
    patronymic: str = "Ерланұлы",
    birth_text: str | None = None,
    document: str = "012345678",
    issued: str = "10.03.2020",
    address: str = "г. Алматы, ул. Абая, д. 10",
) -> str:
    number = iin(birth, serial=cod) if number is None else number
    birth_text = f"{birth:%d.%m.%Y}" if birth_text is None else birth_text
    name = GIVEN[cod % len(GIVEN)] if name is None else name
    return ";".join(
        [
            str(cod),
            str(9000 + cod),
            surname,
            name,
            patronymic,
            precinct,
            birth_text,
            number,
            document,
            issued,
            address,
        ]
    )


def write(path: Path, *rows: str, encoding: str = "utf-8", header: str = HEADER) -> Path:
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode(encoding))
    return path


def as_csv(row: str) -> str:
    """A semicolon row as a comma-separated, quoted-where-needed line."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(row.split(";"))
    return out.getvalue()


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main(["check", "--date", AS_OF.isoformat(), *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, Any]:
    status, out, _ = run(capsys, "--json", *argv)
    return status, json.loads(out)


def flagged(report: Any) -> dict[str, set[tuple[str, int]]]:
    """category -> {(file, row)} of a JSON report, only the categories with flags."""
    return {
        name: {(r["file"], r["row"]) for r in category["records"]}
        for name, category in report["categories"].items()
        if category["count"]
    }


# --- dates and names --------------------------------------------------------------------


def test_parse_date_layouts() -> None:
    assert parse_date("05.03.1990") == dt.date(1990, 3, 5)
    assert parse_date("5.3.1990") == dt.date(1990, 3, 5)
    assert parse_date("1990-03-05") == dt.date(1990, 3, 5)
    assert parse_date("1990-03-05 00:00:00") == dt.date(1990, 3, 5)
    for bad in ("", "31.02.1990", "1990/03/05", "05.03.90", "05.03.1990 noon", "٠٥.٠٣.١٩٩٠"):
        assert parse_date(bad) is None


def test_add_years_on_29_february() -> None:
    assert add_years(dt.date(2008, 2, 29), 18) == dt.date(2026, 3, 1)
    assert add_years(dt.date(2008, 2, 29), 16) == dt.date(2024, 2, 29)


def test_name_key_folds_what_cp1251_cannot_hold() -> None:
    assert name_key("Үсөнов", "Мээрим ", "Асан  кызы") == name_key("УСОНОВ", "мээрим", "Асан кызы")
    assert name_key("Қасымов", "Әсел", "") == name_key("Касымов", "Асел", "")


# --- synthetic lists: everything injected is found, nothing else --------------------------


@pytest.mark.parametrize(
    ("country", "encoding", "delimiter"),
    [(Country.KZ, "utf-8", ","), (Country.KG, "cp1251", ";"), (Country.KG, "utf-8-sig", ",")],
)
def test_synthetic_list_flags_exactly_the_injected_errors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    country: Country,
    encoding: str,
    delimiter: str,
) -> None:
    synthetic = synthetic_list(4500, seed=7, error_rate=0.06, country=country)
    path = synthetic.write_csv(tmp_path / "list.csv", encoding=encoding, delimiter=delimiter)
    lists = synthetic.write_lists(tmp_path)
    options = {
        Category.DECEASED: "--deceased",
        Category.EMIGRATED: "--emigrated",
        Category.NON_CITIZEN: "--non-citizens",
        Category.INCAPABLE: "--incapable",
        Category.IMPRISONED: "--imprisoned",
    }
    argv: list[str | Path] = [path]
    for category, list_path in lists.items():
        argv += [options[category], list_path]
    status, report = run_json(capsys, *argv)

    assert status == 1
    assert report["records"] == 4500
    assert report["files"] == [str(path)]
    expected = {
        category.value: {(str(path), row) for row in rows}
        for category, rows in synthetic.expected.items()
        if rows
    }
    found = flagged(report)
    precinct_flags = found.pop(Category.PRECINCT_OVER_LIMIT.value)
    assert found == expected
    assert all(synthetic.expected[c] for c in INJECTED)  # every kind was injected
    assert synthetic.oversized == {"1001"}
    assert precinct_flags == {(None, None)}
    over = report["categories"][Category.PRECINCT_OVER_LIMIT.value]["records"]
    assert [r["precinct"] for r in over] == ["1001"]
    assert report["precincts"]["1001"] > 3000
    assert sum(report["precincts"].values()) == 4500 - len(
        synthetic.expected[Category.MISSING_PRECINCT]
    )
    assert report["not_checked"] == []


def test_synthetic_list_is_deterministic_and_clean_without_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert synthetic_list(300, 3, 0.1) == synthetic_list(300, 3, 0.1)
    clean = synthetic_list(5000, seed=11, error_rate=0)
    path = clean.write_csv(tmp_path / "clean.csv")
    status, out, err = run(capsys, path)
    assert status == 0, out
    assert "Nothing flagged." in out
    assert "not checked: no --deceased list" in out
    assert err == ""


def test_check_is_fast_enough_for_a_large_list(tmp_path: Path) -> None:
    """The benchmark times 100,000 records; this only makes sure a large list goes through
    the whole pipeline (no timing is asserted here)."""
    synthetic = synthetic_list(20_000, seed=5, error_rate=0.01)
    path = synthetic.write_csv(tmp_path / "big.csv")
    report = check_files([path], synthetic.check_options())
    assert report.records == 20_000
    for category, rows in synthetic.expected.items():
        assert {f.row for f in report.flags[category]} == rows


# --- single checks on hand-made rows ----------------------------------------------------


def test_each_check_on_hand_made_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    adult = dt.date(1980, 4, 2)
    twin = iin(dt.date(1975, 7, 7), serial=500)
    path = write(
        tmp_path / "kz.csv",
        kz_row(1, adult),  # row 2: fine
        kz_row(2, adult, number="800402300001"),  # 3: bad check digit (or never valid)
        kz_row(3, adult, birth_text="03.04.1980"),  # 4: birth date not the IIN's
        kz_row(4, adult, surname=""),  # 5
        kz_row(5, adult, address=""),  # 6
        kz_row(6, adult, issued="01.06.2015"),  # 7: ten years old on 01.06.2025
        kz_row(7, adult, issued="02.06.2015"),  # 8: one day short of ten years: valid
        kz_row(8, dt.date(2002, 9, 1), issued="31.08.2018"),  # 9: a day before 16
        kz_row(9, dt.date(2007, 6, 2), issued="01.07.2023"),  # 10: 18 tomorrow
        kz_row(10, dt.date(2007, 6, 1), issued="01.07.2023"),  # 11: 18 today: fine
        kz_row(11, dt.date(1975, 7, 7), number=twin),  # 12 and 13: same IIN
        kz_row(12, dt.date(1975, 7, 7), number=twin),
        kz_row(13, adult, surname="Үсөнов", name="Мээрим", precinct="102"),  # 14 and 15:
        kz_row(14, adult, surname="Усонов", name="Мээрим", precinct="102"),  # possible twins
        kz_row(15, adult, document=""),  # 16
        kz_row(16, adult, issued="1.1.20"),  # 17
        kz_row(17, adult, precinct=""),  # 18
        kz_row(18, adult, issued="2025-07-01"),  # 19: issued after the check date
        kz_row(19, dt.date(2008, 2, 29), issued="2025-02-28"),  # 20: under 18 and before 16?
    )
    status, report = run_json(capsys, path)
    assert status == 1
    rows = {name: {row for _, row in found} for name, found in flagged(report).items()}
    # Row 20: born 29.02.2008, so 16 on 01.03.2024: the document is fine, the voter is 17.
    assert rows == {
        "invalid_number": {3},
        "bad_birth_date": {4},
        "missing_name": {5},
        "without_address": {6},
        "outdated_document": {7},
        "document_before_16": {9},
        "under_18": {10, 20},
        "duplicate_in_precinct": {12, 13},
        "possible_duplicate": {14, 15},
        "invalid_document": {16, 17, 19},
        "missing_precinct": {18},
    }
    details = {
        r["row"]: r["detail"]
        for category in report["categories"].values()
        for r in category["records"]
    }
    assert details[4] == "birth date 03.04.1980, IIN says 02.04.1980"
    assert details[12] == "same number as row 13"
    assert "row 15" in details[14]


def test_placeholders_count_as_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    adult = dt.date(1980, 4, 2)
    path = write(
        tmp_path / "kz.csv",
        kz_row(1, adult, address="-"),
        kz_row(2, adult, address="нет", document="—"),
        kz_row(3, adult, surname="-", precinct="-"),
    )
    status, report = run_json(capsys, path)
    assert status == 1
    rows = {name: {row for _, row in found} for name, found in flagged(report).items()}
    assert rows == {
        "without_address": {2, 3},
        "invalid_document": {3},
        "missing_name": {4},
        "missing_precinct": {4},
    }
    assert report["precincts"] == {"101": 2}


def test_the_same_file_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "kz.csv", kz_row(1, dt.date(1980, 4, 2)))
    status, _, err = run(capsys, path, tmp_path / "." / "kz.csv")
    assert status == 2
    assert "kz.csv: given twice" in err


def test_document_validity_is_an_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "kz.csv", kz_row(1, dt.date(1980, 4, 2), issued="01.01.2021"))
    assert run(capsys, path)[0] == 0
    status, report = run_json(capsys, "--document-validity-years", "3", path)
    assert status == 1
    assert flagged(report) == {"outdated_document": {(str(path), 2)}}
    assert report["document_validity_years"] == 3


def test_spreadsheet_damage_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    born_2001 = iin(dt.date(2001, 5, 5))
    path = write(
        tmp_path / "kz.csv",
        kz_row(1, dt.date(2001, 5, 5), number=born_2001.lstrip("0")),
        kz_row(2, dt.date(1980, 4, 2), number="8,80101E+11"),
        kz_row(3, dt.date(1980, 4, 2), number=""),
    )
    status, report = run_json(capsys, path)
    assert status == 1
    records = report["categories"]["invalid_number"]["records"]
    assert "leading zero" in records[0]["detail"]
    assert "spreadsheet" in records[1]["detail"]
    assert records[2]["detail"] == "no IIN"


def test_same_voter_on_precincts_of_two_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    number = iin(dt.date(1980, 4, 2), serial=77)
    first = write(tmp_path / "a.csv", kz_row(1, dt.date(1980, 4, 2), number=number))
    second = write(
        tmp_path / "b.csv",
        kz_row(2, dt.date(1966, 1, 1)),
        kz_row(3, dt.date(1980, 4, 2), number=number, precinct="205"),
    )
    status, report = run_json(capsys, first, second)
    assert status == 1
    assert report["files"] == [str(first), str(second)]
    assert flagged(report) == {"several_precincts": {(str(first), 2), (str(second), 3)}}
    details = [r["detail"] for r in report["categories"]["several_precincts"]["records"]]
    assert details == [
        f"also on precinct 205 ({second} row 3)",
        f"also on precinct 101 ({first} row 2)",
    ]
    assert report["precincts"] == {"101": 2, "205": 1}


def test_pins_and_the_other_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = HEADER.replace("IIN", "INN")
    pins = [make_pin(Sex.FEMALE, dt.date(1970 + i, 1, 2), i) for i in range(6)]
    path = write(
        tmp_path / "kg.csv",
        *(kz_row(i + 1, dt.date(1970 + i, 1, 2), number=p) for i, p in enumerate(pins)),
        header=header,
    )
    deceased = write(tmp_path / "dead.csv", pins[1], "", "20202020200000", header="PIN")
    emigrated = write(tmp_path / "gone.csv", f"{pins[2]},Россия", header="pin,country")
    emigrated_too = write(tmp_path / "gone2.csv", f"{pins[3]};x", header="IIN;x")
    status, report = run_json(
        capsys,
        path,
        "--deceased",
        deceased,
        "--emigrated",
        emigrated,
        "--emigrated",
        emigrated_too,
    )
    assert status == 1
    assert flagged(report) == {
        "deceased": {(str(path), 3)},
        "emigrated": {(str(path), 4), (str(path), 5)},
    }
    assert report["not_checked"] == ["non_citizen", "incapable", "imprisoned"]


def test_a_list_without_a_number_column_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "kz.csv", kz_row(1, dt.date(1980, 4, 2)))
    names = write(tmp_path / "dead.csv", "Иванов;Иван", header="Soname;Name")
    status, _, err = run(capsys, path, "--deceased", names)
    assert status == 2
    assert f"{names}: row 1 (header): no IIN, PIN or INN column" in err


def test_country_is_detected_per_file_or_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kz = write(tmp_path / "kz.csv", kz_row(1, dt.date(1980, 4, 2)))
    pin = make_pin(Sex.MALE, dt.date(1980, 4, 2), 1)
    kg = write(tmp_path / "kg.csv", kz_row(2, dt.date(1980, 4, 2), number=pin))
    assert run(capsys, kz, kg)[0] == 0
    status, report = run_json(capsys, "--country", "kz", kz, kg)
    assert status == 1
    assert flagged(report) == {"invalid_number": {(str(kg), 2)}}


# --- reading ---------------------------------------------------------------------------


def test_cp1251_semicolons_and_utf8_commas_read_alike(tmp_path: Path) -> None:
    row = kz_row(1, dt.date(1980, 4, 2), surname="Жумабаева", name="Айгерим", patronymic="Асановна")
    windows = write(tmp_path / "win.csv", row, encoding="cp1251")
    comma = tmp_path / "comma.csv"
    comma.write_text(as_csv(HEADER) + as_csv(row), encoding="utf-8-sig")
    [first] = read_voter_list(windows)
    [second] = read_voter_list(comma)
    assert (first.encoding, first.delimiter) == ("cp1251", ";")
    assert (second.encoding, second.delimiter) == ("utf-8", ",")
    a, b = first.records[0], second.records[0]
    assert (a.surname, a.name, a.address) == ("Жумабаева", "Айгерим", "г. Алматы, ул. Абая, д. 10")
    assert (a.surname, a.name, a.address, a.number) == (b.surname, b.name, b.address, b.number)


def test_trailing_empty_fields_may_be_missing_or_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = HEADER + ";Dopol1;Dopol2;Dopol3;Dopol4"
    adult = dt.date(1980, 4, 2)
    path = write(
        tmp_path / "kz.csv",
        kz_row(1, adult),  # Dopol1-4 dropped
        kz_row(2, adult) + ";a;b;c;d;;;",  # empty fields added
        "",  # a blank line
        ";;;;;;;;;;;;;;",  # a row of nothing
        kz_row(3, adult, issued="10.10.2020"),
        header=header,
    )
    status, report = run_json(capsys, path)
    assert (status, report["records"]) == (0, 3)


def test_malformed_rows_are_reported_and_the_rest_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adult = dt.date(1980, 4, 2)
    shifted = kz_row(2, adult, address="г. Ош; ул. Ленина")  # an unquoted delimiter
    path = write(
        tmp_path / "kz.csv",
        kz_row(1, adult),
        shifted,
        "3;9003;Ахметов",
        kz_row(4, adult, address=""),
    )
    status, out, err = run(capsys, path)
    assert status == 2
    assert f"error: 2 row(s) could not be read, first {path} row 3: 12 fields where" in err
    assert "Unreadable rows" in out
    assert "no address" in out  # the rows after a bad one are still checked
    status, report = run_json(capsys, path)
    assert status == 2
    assert report["records"] == 2
    assert flagged(report) == {
        "malformed_row": {(str(path), 3), (str(path), 4)},
        "without_address": {(str(path), 5)},
    }


def test_quoted_newline_rows_are_numbered_by_their_first_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adult = dt.date(1980, 4, 2)
    path = write(
        tmp_path / "kz.csv",
        kz_row(1, adult, address='"г. Алматы,\r\nул. Абая"'),
        kz_row(2, adult, address=""),
    )
    status, report = run_json(capsys, path)
    assert status == 1
    assert flagged(report) == {"without_address": {(str(path), 4)}}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"", "the file is empty"),
        (b"\xff\xfeC\x00o\x00", "UTF-16"),
        (b"Soname;Name\n\x98\x98;x\n", "row 2: byte 0x98 is neither UTF-8 nor cp1251"),
        (b"\x00\x01\x02binary", "NUL"),
        ("Soname;Name;IIN\nА;Б;1\n".encode(), "missing voter-list columns Otchestvo, Cod_uch"),
        (f"{HEADER};PIN\n".encode(), "both IIN and PIN columns"),
        (f"{HEADER};Soname\n".encode(), "column 'Soname' is there twice"),
    ],
)
def test_unreadable_files_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "list.csv"
    if content is not None:
        path.write_bytes(content)
    status, out, err = run(capsys, path)
    assert status == 2
    assert out == ""
    assert err.startswith(f"error: {path}: ")
    assert message in err


# --- .mdb through mdbtools ----------------------------------------------------------------

FAKE_MDBTOOLS = """#!{python}
# A stand-in for mdbtools: prints what the real mdb-tables / mdb-export would for a
# database with a lookup table and a voter table, and records its arguments.
import json, os, sys
name = os.path.basename(sys.argv[0])
with open(os.environ["FAKE_MDB_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps([name, *sys.argv[1:], os.environ.get("MDB_JET3_CHARSET")]) + "\\n")
if sys.argv[-1].endswith("broken.mdb"):
    sys.stderr.write("File not found\\nCouldn't open database.\\n")
    sys.exit(1)
if name == "mdb-tables":
    print("Precincts\\nVoters")
elif sys.argv[-1] == "Precincts":
    print('Cod_uch,Name\\n"101","School 5"')
else:
    sys.stdout.buffer.write(os.environ["FAKE_MDB_VOTERS"].encode("utf-8"))
"""


@pytest.fixture
def fake_mdbtools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("mdb-tables", "mdb-export"):
        script = bin_dir / tool
        script.write_text(FAKE_MDBTOOLS.format(python=sys.executable), encoding="utf-8")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_MDB_LOG", str(tmp_path / "mdb.log"))
    monkeypatch.delenv("MDB_JET3_CHARSET", raising=False)
    return tmp_path / "mdb.log"


def test_mdb_tables_are_read_through_mdbtools(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_mdbtools: Path,
) -> None:
    adult = dt.date(1980, 4, 2)
    voters = [
        HEADER,
        kz_row(1, adult, birth_text="1980-04-02 00:00:00", issued="2020-03-10 00:00:00"),
        kz_row(2, adult, issued="2020-03-10 00:00:00", address="Бишкек,\nул. Токтогула"),
        kz_row(3, adult, address=""),
    ]
    monkeypatch.setenv("FAKE_MDB_VOTERS", "".join(as_csv(v) for v in voters))
    database = tmp_path / "cik.mdb"
    database.write_bytes(b"\x00\x01\x00\x00Standard Jet DB")
    status, report = run_json(capsys, database)
    assert status == 1
    name = f"{database}[Voters]"
    # Rows count records (header = 1), not lines: the address with a newline is one record.
    assert flagged(report) == {"without_address": {(name, 4)}}
    assert report["records"] == 3
    calls = [json.loads(line) for line in fake_mdbtools.read_text(encoding="utf-8").splitlines()]
    assert calls[0] == ["mdb-tables", "-1", "--", str(database), "cp1251"]
    assert calls[-1][0] == "mdb-export"
    assert calls[-1][-3:] == [str(database), "Voters", "cp1251"]


def test_mdb_that_mdbtools_cannot_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_mdbtools: Path
) -> None:
    database = tmp_path / "broken.mdb"
    database.write_bytes(b"not a database")
    status, _, err = run(capsys, database)
    assert status == 2
    assert err == (
        f"error: {database}: not a readable Access database (mdb-tables: Couldn't open database.)\n"
    )


def test_mdb_without_mdbtools_is_refused_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    database = tmp_path / "cik.mdb"
    database.write_bytes(b"\x00\x01\x00\x00Standard Jet DB")
    status, _, err = run(capsys, database)
    assert status == 2
    assert "reading .mdb files needs mdbtools" in err
    assert "apt install mdbtools" in err


@pytest.mark.skipif(shutil.which("mdb-tables") is None, reason="mdbtools is not installed")
def test_real_mdbtools_refuses_a_file_that_is_no_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "cik.mdb"
    database.write_bytes(b"Cod;Soname\n1;x\n")
    status, _, err = run(capsys, database)
    assert status == 2
    assert err.startswith(f"error: {database}: not a readable Access database (mdb-tables")


# --- the command line -------------------------------------------------------------------


def test_table_output_is_limited(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path / "kz.csv", *(kz_row(i, dt.date(1980, 4, 2), address="") for i in range(1, 6))
    )
    status, out, _ = run(capsys, "--limit", "2", path)
    assert status == 1
    assert "Без адреса / Without address: 5" in out
    assert out.count("no address") == 2
    assert "... and 3 more (--limit 0 shows all, --json too)" in out
    _, out, _ = run(capsys, "--limit", "0", path)
    assert out.count("no address") == 5
    assert "more (--limit" not in out
    assert f"{path}: IINs (utf-8, ';')" in out


def test_render_report_lists_counts_before_records(tmp_path: Path) -> None:
    path = write(tmp_path / "kz.csv", kz_row(1, dt.date(1980, 4, 2), surname=""))
    report = check_files([path], CheckOptions(as_of=AS_OF))
    text = render_report(report)
    counts_at = text.index("Нет фамилии или имени / Missing surname or name  ")
    records_at = text.index("Нет фамилии или имени / Missing surname or name: 1")
    assert counts_at < records_at
    assert "FILE" in text[records_at:]
    assert text.endswith("no surname\n")


def test_add_voterlist_parser_wires_into_a_host_tools_parser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser(prog="python -m host_tools")
    commands = parser.add_subparsers(dest="command", required=True)
    add_voterlist_parser(commands)
    path = write(tmp_path / "kz.csv", kz_row(1, dt.date(2010, 1, 1), issued="01.02.2025"))
    args = parser.parse_args(["voterlist", "check", "--date", "02.03.2026", "--json", str(path)])
    assert args.command == "voterlist"
    assert run_voterlist(args) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["date"] == "2026-03-02"
    assert set(flagged(report)) == {"under_18", "document_before_16"}
    with pytest.raises(SystemExit):
        parser.parse_args(["voterlist", "check", "--date", "31.02.2026", str(path)])
    with pytest.raises(SystemExit):
        parser.parse_args(["voterlist", "check", "--document-validity-years", "0", str(path)])


def test_module_entry_point(tmp_path: Path) -> None:
    path = write(tmp_path / "kz.csv", kz_row(1, dt.date(1980, 4, 2)))
    done = subprocess.run(
        [sys.executable, "-m", "host_tools", "voterlist", "check", "--date", "2025-06-01", path],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Nothing flagged." in done.stdout


def test_read_number_list_skips_empty_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "dead.csv", "880101300106;a", ";b", header="IIN;Note")
    assert read_number_list(path) == {"880101300106"}
    with pytest.raises(VoterListError, match="no IIN, PIN or INN column"):
        read_number_list(write(tmp_path / "x.csv", "1", header="Cod"))
