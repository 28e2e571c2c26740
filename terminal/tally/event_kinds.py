"""The event catalogue, loaded from event_kinds.toml; run as a module to print docs/events.md."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CATALOGUE_FILE = Path(__file__).with_name("event_kinds.toml")


@dataclass(frozen=True)
class EventKind:
    name: str
    meaning: str
    fields: tuple[str, ...]
    field_set: frozenset[str]  # the fields again, to compare with a record's keys
    voter: bool  # an event of serving a voter: its time is kept to the minute


def load_catalogue(path: Path = CATALOGUE_FILE) -> dict[str, EventKind]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return {
        name: EventKind(
            name,
            entry["meaning"],
            tuple(entry["fields"]),
            frozenset(entry["fields"]),
            entry.get("voter", False),
        )
        for name, entry in raw.items()
    }


CATALOGUE = load_catalogue()


def markdown() -> str:
    """The auditors' documentation of every event kind."""
    lines = [
        "# Event log: kinds of events",
        "",
        "Generated from `terminal/tally/event_kinds.toml` by",
        "`python -m terminal.tally.event_kinds > docs/events.md`; do not edit by hand.",
        "",
        "Every record is one line of JSON: `seq` (0, 1, 2, ...), `time` (UTC wall clock),",
        "`clock` (where the clock was set from), `kind`, `data` (the fields below) and `prev`",
        "(the SHA-256 of the previous line, without its newline; 64 zeros for the first).",
        "",
        "The events of serving a voter (time: minute) keep their time to the minute only",
        "(seconds and fractions are zero), so that the log and a camera or snapshots of the",
        "ballot box cannot be joined by the second; their order is still the order of `seq`.",
        "",
        "| kind | fields | time | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for kind in CATALOGUE.values():
        fields = ", ".join(f"`{f}`" for f in kind.fields) or "none"
        time = "minute" if kind.voter else "microsecond"
        lines.append(f"| `{kind.name}` | {fields} | {time} | {kind.meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
