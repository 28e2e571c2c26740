"""The open datasets of an election's results, as the CEC's open-data list names them.

KZ CEC resolution 15/165 (2017) lists the datasets the CEC publishes on the open-data
portal; the results ones are, by kind of election: item 5 (presidential elections), 12
(Mazhilis, parliamentary), 13 (maslikhats; a KG local council is its counterpart) and 14
(akims); the list has no referendum results (its item 4 lists the referendums held). For
each election, one dataset at precinct level, written as

    <election>-precinct-results.csv    UTF-8, one row per precinct (host_tools.results.tables)
    <election>-precinct-results.json   what the dataset is, its source item, and every column
    tracking-codes.json                every counted ballot's tracking code and every spoiled
                                       (challenged) one's, marked, only when ballots are
                                       verifiable (format 2; host_tools/tracking_list.py)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from host_tools import tracking_list
from host_tools.collect import db
from host_tools.results import tables
from host_tools.results.units import Database, Level
from host_tools.tracking_list import Tracked
from terminal.trust.files import write_public_file

SOURCE = "ҚР ОСК 2017 жылғы 26 маусымдағы № 15/165 қаулысы: ашық деректер тізбесі"
# Election kind -> (item of the list, its dataset title in Kazakh as the list gives it).
DATASETS: dict[str, tuple[int, str]] = {
    "presidential": (5, "Қазақстан Республикасының Президентін сайлаудың нәтижелері"),
    "parliamentary": (
        12,
        "Қазақстан Республикасы Парламенті Мәжілісінің депутаттарын сайлаудың нәтижелері",
    ),
    "maslikhat": (13, "Қазақстан Республикасы мәслихаттарының депутаттарын сайлаудың нәтижелері"),
    "local_council": (
        13,
        "Мәслихаттардың (жергілікті кеңестердің) депутаттарын сайлаудың нәтижелері",
    ),
    "akim": (
        14,
        "Аудандық маңызы бар қалалары, ауылдық округтері, кенттері мен ауылдары әкімдерін "
        "сайлаудың нәтижелері",
    ),
}


def tracking_codes(database: Database) -> list[Tracked] | None:
    """The tracking codes of the election's counted ballots and of the spoiled ones, or None
    when its ballots carry none (format 1, terminal/tally/sealing.py). collect stored them
    from each verified bundle's bytes (host_tools/tracking_list.py)."""
    rows = database.connection.execute(
        "SELECT t.code, b.precinct, t.spoiled FROM tracking_code t JOIN bundle b ON b.id = "
        "t.bundle WHERE b.status = ? ORDER BY t.code",
        (db.COUNTED,),
    )
    found = [Tracked(code, precinct, bool(spoiled)) for code, precinct, spoiled in rows]
    return found or None  # format 1 stores none


def write_open_data(database: Database, directory: Path, language: str) -> list[Path]:
    """Write the election's results datasets; return the files written."""
    rows = database.rows(Level.PRECINCT, language)
    e = database.election
    stem = f"{e.id}-precinct-results"
    csv_bytes = tables.to_csv(database, rows, Level.PRECINCT).encode("utf-8")
    item = DATASETS.get(e.kind)
    description: dict[str, Any] = {
        "dataset": {
            "title": {
                "kk": item[1] if item else "Сайлау нәтижелері",
                "ru": "Результаты выборов по избирательным участкам",
                "en": "Election results by precinct",
            },
            "source_list": SOURCE,
            "source_item": item[0] if item else None,
        },
        "election": {"id": e.id, "names": e.names, "kind": e.kind, "mode": e.mode, "date": e.date},
        "package_sha256": e.package_sha256,
        "commission_key_sha256": e.commission_fingerprint,
        "file": {
            "name": f"{stem}.csv",
            "encoding": "UTF-8",
            "rows": len(rows),
            "bytes": len(csv_bytes),
            "sha256": hashlib.sha256(csv_bytes).hexdigest(),
            "names_language": language,
        },
        "columns": tables.describe_columns(database, rows, Level.PRECINCT),
    }
    written = [directory / f"{stem}.csv", directory / f"{stem}.json"]
    write_public_file(written[0], csv_bytes)
    write_public_file(
        written[1], (json.dumps(description, ensure_ascii=False, indent=2) + "\n").encode()
    )
    codes = tracking_codes(database)
    if codes is not None:
        written.append(directory / "tracking-codes.json")
        write_public_file(written[-1], tracking_list.document(e.id, codes))
    return written
