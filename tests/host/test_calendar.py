"""`election calendar`: the akim model calendar (seed 004) dated for an election day, every
row citing its item and quoting it; an .ics that calendar software reads."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path

import pytest

from host_tools.__main__ import main
from host_tools.election import calendar

# The host tools' own packages: the Bookworm pass (terminal versions) has none of them.
pytestmark = pytest.mark.host_only
icalendar = pytest.importorskip("icalendar")

DAY = dt.date(2027, 9, 5)
SEED = Path("/work/shared/seeds/004_2be27a6005b572d4.txt")


def rows(called: dt.date | None = None) -> dict[int, calendar.Row]:
    return {row.number: row for row in calendar.plan("akim", DAY, called)}


def test_every_item_of_the_seed_is_a_row_in_order() -> None:
    plan = calendar.plan("akim", DAY)
    assert [row.number for row in plan] == list(range(1, 31))
    if SEED.exists():  # the quoted wording is the seed's own
        seed = re.sub(r"\s+", " ", SEED.read_text(encoding="utf-8"))
        for row in plan:
            for line in row.text:
                assert re.sub(r"\s+", " ", line) in seed, (row.number, line)


def test_deadlines_counted_from_election_day() -> None:
    plan = rows()
    assert plan[14].when() == "by 2027-08-26 18:00"  # ten days before, 18:00 local time
    assert plan[17].when() == "2027-08-26 18:00 – 2027-09-04 00:00"  # the campaign
    assert plan[19].when() == "on 2027-08-16"  # twenty days before voting
    assert plan[20].when() == "on 2027-08-21"
    assert plan[21].when() == "by 2027-08-26"
    assert plan[22].when() == "2027-09-02 – 2027-09-04"  # ballots: 3 to 1 days before
    assert plan[23].when() == "on 2027-09-05 06:00"
    assert plan[24].when() == "2027-09-05 07:00 – 2027-09-05 20:00"
    assert (plan[28].when(), plan[29].when(), plan[30].when()) == (
        "by 2027-09-08",
        "by 2027-09-09",
        "by 2027-09-12",
    )


def test_rows_without_a_computable_date_say_why() -> None:
    plan = rows()
    for number in (1, 7, 8, 9, 10, 11, 12, 13, 15, 26, 27):
        assert plan[number].when() == "no date" and plan[number].note, number
    # Counted from the day the election is called: dated only when it is given.
    assert plan[2].when() == "no date" and "--called" in plan[2].note
    assert plan[6].when() == "by 2027-08-21 18:00" and "--called" in plan[6].note
    called = rows(dt.date(2027, 7, 20))
    assert called[2].when() == "by 2027-07-30"
    assert called[5].when() == "by 2027-08-04"
    assert called[6].when() == "2027-07-21 – 2027-08-21 18:00"


def test_no_row_carries_a_rule_the_data_file_does_not_state() -> None:
    data = tomllib.loads((calendar.CALENDAR_DIR / "akim.toml").read_text(encoding="utf-8"))
    for item in data["item"]:
        rules = {"start", "not_before", "on", "until"} & set(item)
        assert bool(rules) != ("no_date" in item), item["number"]


def test_the_table_and_ics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ics = tmp_path / "akim.ics"
    assert main(["election", "calendar", "--day", "2027-09-05", "--kind", "akim",
                 "--called", "2027-07-20", "--ics", str(ics)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "Election day: 2027-09-05" in out
    assert re.search(r"^  24  2027-09-05 07:00 – 2027-09-05 20:00  Voting$", out, re.M)
    assert "(38-б. 1-т.)" in out
    parsed = icalendar.Calendar.from_ical(ics.read_bytes())
    events = {str(e["UID"]): e for e in parsed.walk("VEVENT")}
    assert len(events) == 19  # the dated rows: 30 items less the 11 without a date
    voting = events["tamga-akim-2027-09-05-item-24"]
    assert voting.decoded("DTSTART") == dt.date(2027, 9, 5)
    assert voting.decoded("DTEND") == dt.date(2027, 9, 6)
    assert str(voting["SUMMARY"]).startswith("24. Voting")
    assert "Дауыс беруді өткізу" in str(voting["DESCRIPTION"])
    campaign = events["tamga-akim-2027-09-05-item-17"]
    assert (campaign.decoded("DTSTART"), campaign.decoded("DTEND")) == (
        dt.date(2027, 8, 26),
        dt.date(2027, 9, 5),
    )
    for line in ics.read_bytes().split(b"\r\n"):
        assert len(line) <= 75


def test_unknown_kinds_and_bad_dates_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["election", "calendar", "--day", "2027-09-05", "--kind", "mayor"]) == 2
    assert "no model calendar for 'mayor'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["election", "calendar", "--day", "05.09.2027", "--kind", "akim"])
    assert stop.value.code == 2
    assert "not a date YYYY-MM-DD" in capsys.readouterr().err
