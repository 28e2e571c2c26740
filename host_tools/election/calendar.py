"""The plan of deadlines a model calendar sets, as dates for one election day.

The calendars are data (calendars/<kind>.toml), each item quoting the seed's wording; this
module only does the arithmetic: days counted from the election day, or from the day the
election is called when the operator gives it (--called). An item whose time the seed does
not tie to either (e.g. "within three days after the signature sheets are handed in") is
listed with the reason it has no date. The .ics output follows RFC 5545: one all-day
VEVENT per dated item (a period spans its days), the item's number and wording inside.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CALENDAR_DIR = Path(__file__).with_name("calendars")


class CalendarError(Exception):
    """No calendar for the kind, or its data is malformed."""


@dataclass(frozen=True)
class Moment:
    """A day (and the seed's time of day, if it gives one)."""

    date: dt.date
    time: str | None

    def text(self) -> str:
        return f"{self.date.isoformat()} {self.time}" if self.time else self.date.isoformat()


@dataclass(frozen=True)
class Row:
    """One item of the plan for a given election day."""

    number: int
    what: str
    text: tuple[str, ...]  # the seed's lines, verbatim
    start: Moment | None  # when it begins (a period, or "not earlier than")
    end: Moment | None  # the deadline, or the day it happens on
    relation: str  # "by", "on", "from", "between", "period" or "" (no date)
    note: str  # why there is no date, or how a date is derived from other items

    @property
    def reference(self) -> str:
        """The article of the Constitutional Law the seed cites (its last line)."""
        last = self.text[-1]
        return last if last.startswith("(") else ""

    def when(self) -> str:
        if self.relation == "by" and self.end:
            return f"by {self.end.text()}"
        if self.relation == "on" and self.end:
            return f"on {self.end.text()}"
        if self.relation == "from" and self.start:
            return f"from {self.start.text()}"
        if self.relation in ("between", "period") and self.start and self.end:
            return f"{self.start.text()} – {self.end.text()}"
        return "no date"


def available_kinds() -> list[str]:
    return sorted(path.stem for path in CALENDAR_DIR.glob("*.toml"))


def _load(kind: str) -> dict[str, Any]:
    path = CALENDAR_DIR / f"{kind}.toml"
    if not path.is_file():
        raise CalendarError(
            f"no model calendar for {kind!r} elections (there is one for: "
            f"{', '.join(available_kinds())})"
        )
    with path.open("rb") as handle:
        data: dict[str, Any] = tomllib.load(handle)
    return data


def _moment(rule: dict[str, Any] | None, day: dt.date, called: dt.date | None) -> Moment | None:
    if rule is None:
        return None
    anchor = {"day": day, "called": called}[rule["from"]]
    if anchor is None:
        return None
    return Moment(anchor + dt.timedelta(days=int(rule["days"])), rule.get("time"))


def plan(kind: str, day: dt.date, called: dt.date | None = None) -> list[Row]:
    """Every item of the kind's model calendar, dated for `day` where the seed allows."""
    rows = []
    for item in _load(kind)["item"]:
        start_rule = item.get("start") or item.get("not_before")
        end_rule = item.get("until") or item.get("on")
        start, end = _moment(start_rule, day, called), _moment(end_rule, day, called)
        note = item.get("no_date") or item.get("derived", "")
        if "on" in item:
            relation = "on"
        elif "not_before" in item:
            relation = "between"
        elif "start" in item and "until" in item:
            relation = "period"
        elif "until" in item:
            relation = "by"
        elif "start" in item:
            relation = "from"
        else:
            relation = ""
        missing_start = start_rule is not None and start is None
        missing_end = end_rule is not None and end is None
        if relation and missing_end:
            note = "counted from the day the election is called: give --called YYYY-MM-DD"
            start = end = None
            relation = ""
        elif relation and missing_start:
            # The deadline is still known: only the beginning waits for --called.
            note = "begins counted from the day the election is called (give --called)"
            relation = "by"
        rows.append(
            Row(item["number"], item["what"], tuple(item["text"]), start, end, relation, note)
        )
    return rows


def render_table(rows: list[Row], kind: str, day: dt.date) -> str:
    """The plan as a plain-text table: item, date, what; the seed's wording under each."""
    source = _load(kind)["source"]
    out = [f"Model calendar: {source}", f"Election day: {day.isoformat()}", ""]
    width = max(len(row.when()) for row in rows)
    out.append(f"{'item':>4}  {'date':<{width}}  measure")
    for row in rows:
        out.append(f"{row.number:>4}  {row.when():<{width}}  {row.what}")
        if row.note:
            out.append(f"{'':>4}  {'':<{width}}  ({row.note})")
        out.append(f"{'':>4}  {'':<{width}}  « {' / '.join(row.text[1:])} »")
    return "\n".join(out) + "\n"


# --- iCalendar --------------------------------------------------------------------------------


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 3.1: lines of at most 75 octets, continued with a leading space; never
    splitting a UTF-8 character."""
    parts, current = [], ""
    limit = 75
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = " "
            limit = 75
        current += char
    parts.append(current)
    return parts


def render_ics(rows: list[Row], kind: str, day: dt.date, now: dt.datetime) -> bytes:
    """The dated items as an iCalendar file (all-day events; the seed's time in the text)."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tamga//election calendar//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(f'{kind} election {day.isoformat()}')}",
    ]
    for row in rows:
        first = row.start or row.end
        last = row.end or row.start
        if first is None or last is None:
            continue
        description = "\n".join((*row.text, *([row.note] if row.note else [])))
        lines += [
            "BEGIN:VEVENT",
            f"UID:tamga-{kind}-{day.isoformat()}-item-{row.number}",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{first.date.strftime('%Y%m%d')}",
            # DTEND of an all-day event is the day after its last day.
            f"DTEND;VALUE=DATE:{(last.date + dt.timedelta(days=1)).strftime('%Y%m%d')}",
            f"SUMMARY:{_escape(f'{row.number}. {row.what} ({row.when()})')}",
            f"DESCRIPTION:{_escape(description)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line)).encode("utf-8")
