"""`python -m sim election`: a whole election in one command, from a definition to collected
results, open data, acts and the report, each read back as its users would."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.host_only
REPO = Path(__file__).resolve().parents[2]

# Two precincts in two districts: a combined terminal, and a desk with a booth.
DEFINITION = """
format = "tamga-definition/1"
id = "KG-20270411-TEST"
kind = "local_council"
country = "KG"
date = 2027-04-11
timezone = "+06:00"
polls_open = "08:00"
polls_close = "20:00"
mode = "official"
names = { ky = "Сыноо шайлоосу", ru = "Пробные выборы", en = "Trial election" }

[identification]
minimum_age = 18
countries = ["KGZ"]

[keys]
threshold = 2
members = 3

[[parties]]
id = "a"
number = 1
logo = "emblems/a.png"
names = { ky = "А партиясы", ru = "Партия А", en = "Party A" }

[[parties]]
id = "b"
number = 2
names = { ky = "Б партиясы", ru = "Партия Б", en = "Party B" }

[[contests]]
id = "council"
kind = "party_list"
titles = { ky = "Кеңеш", ru = "Кенеш", en = "Council" }

  [[contests.choices]]
  id = "list-a"
  party = "a"
  ballot_number = 1
  names = { ky = "А тизмеси", ru = "Список А", en = "List A" }

  [[contests.choices]]
  id = "list-b"
  party = "b"
  ballot_number = 2
  names = { ky = "Б тизмеси", ru = "Список Б", en = "List B" }

[[regions]]
id = "R-1"
names = { ky = "Облус", ru = "Область", en = "Region" }

[[districts]]
id = "D-1"
region = "R-1"
names = { ky = "Биринчи район", ru = "Первый район", en = "First district" }

[[districts]]
id = "D-2"
region = "R-1"
names = { ky = "Экинчи район", ru = "Второй район", en = "Second district" }

[[precincts]]
code = "P-1"
number = "1"
district = "D-1"
names = { ky = "№1 участок", ru = "Участок №1", en = "Precinct 1" }
premises = { ru = "Школа №1" }
address = "ул. Первая, 1"
voters_on_list = 10
register = "synthetic"
terminals = [{ id = "T-1", role = "combined" }]

[[precincts]]
code = "P-2"
number = "2"
district = "D-2"
names = { ky = "№2 участок", ru = "Участок №2", en = "Precinct 2" }
premises = { ru = "Школа №2" }
address = "ул. Вторая, 2"
voters_on_list = 10
register = "synthetic"
terminals = [{ id = "T-2-D", role = "identify" }, { id = "T-2-B1", role = "vote", booth = 1 }]
"""


@pytest.fixture
def short_path() -> Iterator[Path]:
    """A directory with a short path: the simulated panels listen on Unix sockets under it,
    whose paths may not exceed 107 bytes (pytest's own, under xdist, come too close)."""
    path = Path(tempfile.mkdtemp(prefix="tamga-se-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_whole_election_in_one_command(short_path: Path) -> None:
    tmp_path = short_path
    definition = tmp_path / "trial.toml"
    definition.write_text(DEFINITION, encoding="utf-8")
    (tmp_path / "emblems").mkdir()
    shutil.copyfile(REPO / "examples" / "logos" / "ala-too.png", tmp_path / "emblems" / "a.png")
    out = tmp_path / "run"
    run = subprocess.run(
        [sys.executable, "-m", "sim", "election", "--definition", str(definition),
         "--voters-per-precinct", "3", "--seed", "5", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "the collected results equal the choices of the voters" in run.stdout
    # It ends with the results table.
    assert run.stdout.rstrip().splitlines()[-1].lstrip().startswith("Явка")

    database = out / "results.sqlite"
    query = "SELECT terminal, status FROM bundle ORDER BY terminal"
    rows = subprocess.run(
        ["sqlite3", str(database), query], capture_output=True, text=True, check=True
    ).stdout.split()
    assert rows == ["T-1|counted", "T-2-B1|counted", "T-2-D|counted"]

    [data] = (out / "open-data").glob("*-precinct-results.csv")
    with data.open(encoding="utf-8", newline="") as stream:
        precincts = list(csv.DictReader(stream))
    assert [row["precinct_code"] for row in precincts] == ["P-1", "P-2"]
    assert {row["district_code"] for row in precincts} == {"D-1", "D-2"}
    assert sum(int(row["ballots_cast"]) for row in precincts) == 6
    assert sum(int(row["council.list-a"]) + int(row["council.list-b"]) for row in precincts) == 6
    description = json.loads(data.with_suffix(".json").read_text())
    assert [c["name"] for c in description["columns"]] == list(precincts[0])

    acts = sorted(p.name for p in (out / "acts").iterdir())
    assert len([a for a in acts if a.endswith(".json")]) == 3
    assert len([a for a in acts if a.endswith(".pdf")]) == 3
    act = json.loads((out / "acts" / next(a for a in acts if "T-1-" in a)).read_text())
    assert act["handed_over"] == "Председатель УИК №1" and act["accepted"] == "ТИК D-1"

    tables: list[int] = []

    class Rows(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "table":
                tables.append(0)
            elif tag == "td" and tables:
                tables[-1] += 1

    Rows().feed((out / "report.html").read_text(encoding="utf-8"))
    assert len(tables) >= 8 and all(tables)
    # The refused attempts of the days are in the report, by reason.
    assert "voter_refused" in (out / "report.html").read_text(encoding="utf-8")
    # Party A's logo, named relative to the definition, reached every terminal's ballot.
    logo = (REPO / "examples" / "logos" / "ala-too.png").read_bytes()
    package = out / "election" / "package"
    assert [p.read_bytes() for p in package.glob("logo-*.png")] == [logo]
    assert len(list((out / "terminals").rglob("package/logo-*.png"))) == 3
