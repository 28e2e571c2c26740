"""Reading voter lists in the CEC's exchange layout: CSV files and MS Access .mdb files.

The layout's fields are Cod, Cod_izber, Soname, Name, Otchestvo, Cod_uch (precinct code),
Data_rojd (birth date), IIN / PIN / INN (the personal number), Udostve (document number),
Date_vidach (document issue date), Adres (address) and Dopol1-4. Values are kept as the
text found in the file: judging them is the checker's job (voterlist_check), so that a
bad date or number becomes a reported finding instead of a reading error.

A file that cannot be read at all (missing, not text, not the layout) raises
VoterListError. A single row that cannot be read (a wrong number of fields, say, from an
unquoted delimiter inside an address) becomes a BadRow and the rest of the file is read.

.mdb files are read with mdbtools (`mdb-tables`, `mdb-export`, Debian package mdbtools):
it is maintained, handles Jet3 (Access 97) files with Cyrillic in the cp1251 code page as
well as Jet4/ACE, and its CSV goes through the same reader as any other CSV.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import shutil
import subprocess  # nosec B404
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

NUMBER_COLUMNS = ("IIN", "PIN", "INN")
# The columns the checks read; Cod, Cod_izber and Dopol1-4 are part of the layout but
# nothing is judged from them, so a list without them is still checked.
FIELD_COLUMNS = {
    "surname": "Soname",
    "name": "Name",
    "patronymic": "Otchestvo",
    "precinct": "Cod_uch",
    "birth_date": "Data_rojd",
    "document": "Udostve",
    "document_issued": "Date_vidach",
    "address": "Adres",
}
DELIMITERS = (",", ";")
MDB_SUFFIXES = (".mdb", ".accdb")
MDB_TIMEOUT_S = 600


class VoterListError(Exception):
    """A file cannot be read as a voter list; the message names the file (and the row)."""


@dataclass(frozen=True, slots=True)
class VoterRecord:
    """One voter as written in the list; every value is the stripped text of its field."""

    file: str
    row: int  # the line where the record starts, the header being line 1
    surname: str
    name: str
    patronymic: str
    precinct: str
    birth_date: str
    number: str  # IIN (KZ) or PIN (KG)
    document: str
    document_issued: str
    address: str


@dataclass(frozen=True)
class BadRow:
    """A row that could not be read, with what was wrong."""

    file: str
    row: int
    problem: str


@dataclass(frozen=True)
class VoterFile:
    """The records of one list: a CSV file, or one table of an .mdb file."""

    name: str  # how reports name it: the path, and for .mdb the table in brackets
    number_column: str  # IIN, PIN or INN as spelled in the layout
    records: tuple[VoterRecord, ...]
    bad_rows: tuple[BadRow, ...]
    encoding: str  # utf-8 or cp1251 as detected; "mdb" for a table read with mdbtools
    delimiter: str  # "," or ";" as detected; "" for an .mdb table


@dataclass(frozen=True)
class _Table:
    """Parsed delimited text: the header and (row number, fields) for each row."""

    name: str
    header: tuple[str, ...]
    rows: Iterator[tuple[int, list[str] | str]]  # fields, or the csv module's complaint
    encoding: str
    delimiter: str


def read_voter_list(path: Path) -> list[VoterFile]:
    """Read a voter list: a CSV file gives one VoterFile, an .mdb file one per table that
    has the voter-list columns."""
    if path.suffix.lower() in MDB_SUFFIXES:
        return _read_mdb(path)
    table = _csv_table(str(path), _read_bytes(path))
    return [_voter_file(table)]


def read_number_list(path: Path) -> frozenset[str]:
    """The IIN/PIN numbers of a list such as the deceased or emigrated: a CSV file with
    at least an IIN, PIN or INN column. Empty numbers are skipped; bad rows are errors,
    since a half-read list would silently clear voters it should have flagged."""
    table = _csv_table(str(path), _read_bytes(path))
    column = _number_column(table)
    numbers: set[str] = set()
    for row, fields in table.rows:
        if isinstance(fields, str):
            raise VoterListError(f"{table.name}: row {row}: {fields}")
        if not any(f.strip() for f in fields):
            continue
        if column >= len(fields):
            raise VoterListError(f"{table.name}: row {row}: no {table.header[column]} field")
        number = fields[column].strip()
        if number:
            numbers.add(number)
    return frozenset(numbers)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise VoterListError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def _decode(name: str, data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (with or without BOM), else cp1251.

    Cyrillic in cp1251 almost never forms valid UTF-8, so trying UTF-8 first is safe; cp1251
    leaves only one byte (0x98) undefined, so the fallback fails only on non-text files.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise VoterListError(f"{name}: the file is UTF-16; save it as CSV in UTF-8 or cp1251")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise VoterListError(
            f"{name}: row {line}: byte 0x{data[exc.start]:02x} is neither UTF-8 nor cp1251 text"
            " (is this a CSV file?)"
        ) from exc


def _csv_table(
    name: str, data: bytes, encoding: str | None = None, by_record: bool = False
) -> _Table:
    """Decode and split delimited text. Rows are numbered by the line they start on, as a
    text editor shows them; `by_record` numbers them by record instead (header = 1), for
    exports whose line numbers mean nothing to the reader of the original database."""
    if encoding is None:
        text, encoding = _decode(name, data)
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise VoterListError(f"{name}: not {encoding} text") from exc
    if "\x00" in text:
        raise VoterListError(f"{name}: contains NUL bytes: not a CSV file")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # The header names contain neither delimiter, so it is whichever the header has more of.
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = _rows(reader, by_record)
    for row, fields in rows:
        if isinstance(fields, str):
            raise VoterListError(f"{name}: row {row} (header): {fields}")
        if any(f.strip() for f in fields):
            header = tuple(f.strip().lstrip("\ufeff") for f in fields)
            return _Table(name, header, rows, encoding, delimiter)
    raise VoterListError(f"{name}: the file is empty")


def _rows(reader: Iterator[list[str]], by_record: bool) -> Iterator[tuple[int, list[str] | str]]:
    """(row number, fields) per row; a row the csv module rejects gives its message."""
    line_num = 0
    record = 0
    while True:
        record += 1
        start = record if by_record else line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reached = getattr(reader, "line_num", line_num + 1)
            yield start, f"unreadable row: {exc}"
            if reached <= line_num:  # no progress: stop rather than loop
                return
            line_num = reached
            continue
        line_num = getattr(reader, "line_num", line_num + 1)
        yield start, fields


def _column_index(table: _Table) -> dict[str, int]:
    index: dict[str, int] = {}
    for position, column in enumerate(table.header):
        key = column.casefold()
        if key in index:
            raise VoterListError(f"{table.name}: row 1 (header): column {column!r} is there twice")
        index[key] = position
    return index


def _number_column(table: _Table) -> int:
    index = _column_index(table)
    present = [c for c in NUMBER_COLUMNS if c.casefold() in index]
    if not present:
        raise VoterListError(
            f"{table.name}: row 1 (header): no IIN, PIN or INN column"
            f" (columns: {', '.join(table.header) or 'none'})"
        )
    if len(present) > 1:
        raise VoterListError(
            f"{table.name}: row 1 (header): both {' and '.join(present)} columns; keep one"
        )
    return index[present[0].casefold()]


def _missing_columns(table: _Table) -> list[str]:
    index = _column_index(table)
    return [c for c in FIELD_COLUMNS.values() if c.casefold() not in index]


def _voter_file(table: _Table) -> VoterFile:
    number_at = _number_column(table)
    missing = _missing_columns(table)
    if missing:
        raise VoterListError(
            f"{table.name}: row 1 (header): missing voter-list columns {', '.join(missing)}"
            f" (columns: {', '.join(table.header)})"
        )
    index = _column_index(table)
    at = {field: index[column.casefold()] for field, column in FIELD_COLUMNS.items()}
    s, n, p, u, b = at["surname"], at["name"], at["patronymic"], at["precinct"], at["birth_date"]
    d, i, a = at["document"], at["document_issued"], at["address"]
    width = len(table.header)
    needed = max(*at.values(), number_at) + 1
    records: list[VoterRecord] = []
    bad: list[BadRow] = []
    name = table.name
    for row, fields in table.rows:
        if isinstance(fields, str):
            bad.append(BadRow(name, row, fields))
            continue
        count = len(fields)
        if count != width:
            if not any(f.strip() for f in fields):
                continue  # a blank line, or a row of empty fields: nothing to check
            # Exporters drop or add empty trailing fields; anything else means the fields
            # have shifted (an unquoted delimiter in an address, say) and cannot be trusted.
            if count < needed or (count > width and any(f.strip() for f in fields[width:])):
                bad.append(BadRow(name, row, f"{count} fields where the header has {width}"))
                continue
        elif not any(f.strip() for f in fields):
            continue
        records.append(
            VoterRecord(
                name,
                row,
                fields[s].strip(),
                fields[n].strip(),
                fields[p].strip(),
                fields[u].strip(),
                fields[b].strip(),
                fields[number_at].strip(),
                fields[d].strip(),
                fields[i].strip(),
                fields[a].strip(),
            )
        )
    return VoterFile(
        name,
        table.header[number_at],
        tuple(records),
        tuple(bad),
        table.encoding,
        table.delimiter,
    )


def _mdbtools(path: Path, command: list[str]) -> bytes:
    """Run one mdbtools command on `path`: its stdout, or a VoterListError."""
    if shutil.which(command[0]) is None:
        raise VoterListError(
            f"{path}: reading .mdb files needs mdbtools ({command[0]} is not installed:"
            " apt install mdbtools); or export the voter table to CSV from Access"
        )
    env = dict(os.environ)
    # Access 97 (Jet3) files carry no code page of their own; the CEC's are Cyrillic.
    env.setdefault("MDB_JET3_CHARSET", "cp1251")
    env["MDBICONV"] = "UTF-8"
    try:
        # mdbtools from PATH, the arguments as a list: no shell, nothing to inject.
        done = subprocess.run(  # nosec B603
            command, capture_output=True, env=env, timeout=MDB_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VoterListError(f"{path}: {command[0]} failed: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = message[-1] if message else f"exit status {done.returncode}"
        raise VoterListError(f"{path}: not a readable Access database ({command[0]}: {reason})")
    return done.stdout


def _read_mdb(path: Path) -> list[VoterFile]:
    if not path.is_file():
        raise VoterListError(f"{path}: no such file")
    listing = _mdbtools(path, ["mdb-tables", "-1", "--", str(path)])
    tables = [t for t in listing.decode("utf-8", "replace").splitlines() if t.strip()]
    files: list[VoterFile] = []
    for table_name in tables:
        # Dates as ISO (the time part, midnight, is ignored by the checker); binary columns
        # (photos, say) stripped, since they are not text and nothing is checked in them.
        data = _mdbtools(
            path,
            [
                "mdb-export",
                "-D",
                "%Y-%m-%d",
                "-T",
                "%Y-%m-%d %H:%M:%S",
                "-b",
                "strip",
                "--",
                str(path),
                table_name,
            ],
        )
        name = f"{path}[{table_name}]"
        if not data.strip():
            continue
        table = _csv_table(name, data, encoding="utf-8", by_record=True)
        if not _has_layout(table):
            continue  # not a voter table (a lookup table of precincts, say)
        files.append(replace(_voter_file(table), encoding="mdb", delimiter=""))
    if not files:
        raise VoterListError(
            f"{path}: no table has the voter-list columns (IIN/PIN, "
            f"{', '.join(FIELD_COLUMNS.values())}); tables: {', '.join(tables) or 'none'}"
        )
    return files


def _has_layout(table: _Table) -> bool:
    index = _column_index(table)
    has_number = any(c.casefold() in index for c in NUMBER_COLUMNS)
    return has_number and not _missing_columns(table)
