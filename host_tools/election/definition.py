"""The election definition: the TOML file a commission writes by hand, read and checked.

A definition (format `tamga-definition/1`, examples in examples/) names the election, its
kind, poll hours, contests with parties and ballot numbers, the territorial hierarchy
(CEC -> regions -> districts / territorial commissions -> precincts), every precinct's entry
of the precinct registry (the voter-list rules' appendix 2: number, premises, address,
restricted-access / new / abolished marks, voters on the list, at most 3,000), its planned
terminals and where its voter register comes from: a CSV in the CEC's exchange layout (the
one `voterlist check` reads) or "synthetic" for the simulator.

It is checked in three passes, and every problem of a pass is reported, each naming the
file, the line and the dotted field path (`precincts[2].voters_on_list`):
  1. TOML syntax (tomllib gives the line);
  2. the JSON Schema definition.schema.json (shapes, types, required fields, ranges); the
     line is found by locating the key in the TOML text;
  3. what a schema cannot say: unique ids, references to districts, regions and parties,
     the contest rules the terminal keeps (terminal.ballot.election.check_contest).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from host_tools.commission import ElectionSpec
from terminal.app.audio_clips import ballot_lines
from terminal.app.i18n import translator
from terminal.ballot.election import (
    MAX_VOTERS_ON_LIST,
    Choice,
    Contest,
    ContestKind,
    ElectionKind,
    Identification,
    Mode,
    Party,
    Role,
    Territory,
    TerritoryKind,
    check_contest,
)
from terminal.jsonfmt import FormatError
from terminal.tally.sealing import MAX_RECORD_SIZE, default_ballot_format, verifiable_size

if TYPE_CHECKING:
    import jsonschema

FORMAT = "tamga-definition/1"
SCHEMA_FILE = Path(__file__).with_name("definition.schema.json")
SYNTHETIC = "synthetic"
MAX_DEFINITION_BYTES = 16 * 1024 * 1024


class DefinitionError(Exception):
    """The definition cannot make an election; `problems` lists each, with its place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems

    def __reduce__(self) -> tuple[type[DefinitionError], tuple[list[str]]]:
        # Raised in a worker process, it crosses back whole, not as one line a character.
        return (DefinitionError, (self.problems,))


@dataclass(frozen=True)
class TerminalPlan:
    """A terminal the precinct will have: a combined one, or a desk and booths."""

    id: str
    role: Role
    booth: int | None  # a vote terminal's booth number (station-wide formats name it)


@dataclass(frozen=True)
class PrecinctDefinition:
    code: str
    names: dict[str, str]
    number: str
    district: str
    premises: dict[str, str]
    address: str
    restricted_access: bool
    new: bool
    abolished: bool
    voters_on_list: int
    register: Path | None  # the CEC-layout CSV; None for a synthetic register
    terminals: tuple[TerminalPlan, ...]


@dataclass(frozen=True)
class RecordingDefinition:
    """A recorded audio-ballot line: `path` says `text` in `language` (read at create)."""

    language: str
    text: str
    path: Path
    field: tuple[str | int, ...]  # where the definition names it, for its errors


@dataclass(frozen=True)
class LogoDefinition:
    """A party's logo: `path` is the PNG file of the party numbered `number` (read at create)."""

    number: int
    path: Path
    field: tuple[str | int, ...]


@dataclass(frozen=True)
class Definition:
    """A checked definition: everything `election create` needs."""

    path: Path
    spec: ElectionSpec
    precincts: tuple[PrecinctDefinition, ...]
    threshold: int
    members: int
    recordings: tuple[RecordingDefinition, ...] = ()
    logos: tuple[LogoDefinition, ...] = ()

    def place(self, field_path: tuple[str | int, ...], message: str) -> str:
        """A problem found after the check (reading a file it names), with its place."""
        return _Places(self.path, self.path.read_text(encoding="utf-8"))(field_path, message)


# --- where a field is written -------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"-]+?)\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip('"') for part in text.split("."))


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The line of each table header and `key =` of a TOML text, by field path (array
    tables counted as they appear). Good enough to point a person at a field: multi-line
    strings are not parsed, so a line inside one that looks like a key may be taken."""
    lines: dict[tuple[str | int, ...], int] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()

    def resolve(parts: tuple[str, ...]) -> tuple[str | int, ...]:
        path: tuple[str | int, ...] = ()
        for part in parts:
            path = (*path, part)
            if path in counts:  # an array of tables: its latest element
                path = (*path, counts[path])
        return path

    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            parts = _split_key(header[2])
            if header[1] == "[[":
                array = (*resolve(parts[:-1]), parts[-1])
                counts[array] = counts.get(array, -1) + 1
                current = (*array, counts[array])
            else:
                current = resolve(parts)
            lines.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key and not line.lstrip().startswith("#"):
            lines.setdefault((*current, *_split_key(key[1])), number)
    return lines


def dotted(path: tuple[str | int, ...]) -> str:
    """`precincts[2].voters_on_list` for ("precincts", 2, "voters_on_list")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(top level)"


class _Places:
    """Names the place of a problem: file, line (the nearest written key) and field path."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)

    def line(self, field_path: tuple[str | int, ...]) -> int | None:
        for end in range(len(field_path), 0, -1):
            if field_path[:end] in self.lines:
                return self.lines[field_path[:end]]
        return None

    def __call__(self, field_path: tuple[str | int, ...], message: str) -> str:
        line = self.line(field_path)
        where = f"{self.path}:{line}" if line else str(self.path)
        return f"{where}: {dotted(field_path)}: {message}"


# --- schema messages ----------------------------------------------------------------------------

_TYPES = {
    "string": "text in quotes",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a table",
    "array": "a list",
}


def _schema_message(error: jsonschema.ValidationError) -> tuple[tuple[str | int, ...], str]:
    """A person's wording of a schema error, and the path it is about."""
    path = tuple(error.absolute_path)
    validator, value = error.validator, error.validator_value
    if validator == "required":
        missing = [key for key in value if key not in error.instance]
        return path, f"missing field {missing[0]!r}" + (
            f" (and {', '.join(map(repr, missing[1:]))})" if len(missing) > 1 else ""
        )
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return path, f"unknown field {extra[0]!r} (a misspelling?)"
    if validator == "type":
        return path, f"must be {_TYPES.get(str(value), value)}, not {error.instance!r}"
    if validator in ("enum", "const"):
        allowed = value if validator == "enum" else [value]
        return path, f"must be one of {', '.join(map(str, allowed))}, not {error.instance!r}"
    if validator == "maximum":
        if path and path[-1] == "voters_on_list":
            return path, (
                f"{error.instance} voters: a precinct has at most {MAX_VOTERS_ON_LIST} "
                "(the voter-list rules, item 15); split it"
            )
        return path, f"must be at most {value}, not {error.instance}"
    if validator == "minimum":
        return path, f"must be at least {value}, not {error.instance}"
    if validator == "pattern":
        if path and path[-1] in ("polls_open", "polls_close"):
            return path, f"{error.instance!r} must be a time HH:MM"
        if path and path[-1] == "timezone":
            return path, f"{error.instance!r} must be a UTC offset like +06:00"
        return path, f"{error.instance!r} is not a valid id (ASCII letters, digits, . _ -)"
    if validator in ("minItems", "minProperties"):
        return path, "must not be empty"
    if validator == "minLength":
        return path, "must not be empty text"
    if validator == "anyOf" and path and isinstance(error.instance, dict):
        return path, "needs at least a Russian (ru) or English (en) name"
    return path, error.message


def _plain(value: Any) -> Any:
    """TOML dates and times as the text JSON Schema checks (dates YYYY-MM-DD, times HH:MM)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()  # refused below: a date is wanted, not a moment
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M") if not (value.second or value.microsecond) else str(value)
    return value


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


# --- reading ------------------------------------------------------------------------------------


def load_definition(path: Path, check_files: bool = True) -> Definition:
    """Read and check a definition file; DefinitionError lists every problem with its place.

    `check_files=False` is for the election directory's copy of it: the registers and
    recordings it names were read at `election create`, relative to the original."""
    try:
        if path.stat().st_size > MAX_DEFINITION_BYTES:
            raise DefinitionError([f"{path}: larger than {MAX_DEFINITION_BYTES} bytes"])
        raw = path.read_bytes()
    except OSError as exc:
        raise DefinitionError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DefinitionError([f"{path}:{line}: not UTF-8 text (save it as UTF-8)"]) from exc
    try:
        data = _plain(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)".
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        place = f"{path}:{found[1]}" if found else str(path)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise DefinitionError([f"{place}: not valid TOML: {message}"]) from exc
    places = _Places(path, text)
    # Imported here: the host tools' other commands run where jsonschema is not installed
    # (the terminal's own environment runs their tests).
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise DefinitionError([places(*_schema_message(error)) for error in _deepest(errors)])
    return _Checker(path, data, places, check_files).definition()


def _deepest(errors: list[jsonschema.ValidationError]) -> Iterator[jsonschema.ValidationError]:
    """One message per place: anyOf/oneOf errors carry their own sub-errors, not needed."""
    seen: set[tuple[tuple[Any, ...], str]] = set()
    for error in errors:
        key = (tuple(error.absolute_path), str(error.validator))
        if key not in seen:
            seen.add(key)
            yield error


class _Checker:
    """Pass 3: what the schema cannot say, each problem collected with its place."""

    def __init__(
        self, path: Path, data: dict[str, Any], places: _Places, check_files: bool
    ) -> None:
        self.path = path
        self.data = data
        self.places = places
        self.check_files = check_files
        self.problems: list[str] = []

    def problem(self, field_path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(self.places(field_path, message))

    def unique(self, items: list[dict[str, Any]], array: str, key: str) -> None:
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            value = str(item[key])
            if value in seen:
                self.problem(
                    (array, index, key),
                    f"{value!r} appears twice (also {dotted((array, seen[value], key))})",
                )
            else:
                seen[value] = index

    def definition(self) -> Definition:
        d = self.data
        date = self._date()
        opens = dt.time.fromisoformat(d["polls_open"]) if self._clock("polls_open") else None
        closes = dt.time.fromisoformat(d["polls_close"]) if self._clock("polls_close") else None
        if opens and closes and not opens < closes:
            self.problem(("polls_close",), "the polls must close after they open")
        if d["keys"]["threshold"] > d["keys"]["members"]:
            self.problem(("keys", "threshold"), "more cards needed than there are members")
        parties = self._parties()
        contests = self._contests(parties)
        territories = self._territories()
        precincts = self._precincts({t.id for t in territories if t.parent is not None})
        ident = d.get("identification", {})
        default = Identification()
        countries = ident.get("countries", ["KGZ" if d["country"] == "KG" else "KAZ"])
        ballot_format = self._ballot_format(contests)
        recordings = self._recordings(contests)
        logos = self._logos()
        if self.problems or date is None or opens is None or closes is None:
            raise DefinitionError(self.problems)
        spec = ElectionSpec(
            id=d["id"],
            names=d["names"],
            date=date,
            timezone=d["timezone"],
            polls_open=opens,
            polls_close=closes,
            mode=Mode(d["mode"]),
            country=d["country"],
            contests=contests,
            identification=Identification(
                minimum_age=ident.get("minimum_age", default.minimum_age),
                accept_expired_documents=ident.get(
                    "accept_expired_documents", default.accept_expired_documents
                ),
                countries=tuple(countries),
                ballot_code_minutes=ident.get("ballot_code_minutes", default.ballot_code_minutes),
            ),
            kind=ElectionKind(d["kind"]),
            territories=territories,
            ballot_format=ballot_format,
        )
        return Definition(
            self.path,
            spec,
            precincts,
            d["keys"]["threshold"],
            d["keys"]["members"],
            recordings,
            logos,
        )

    def _file(self, where: tuple[str | int, ...], name: str) -> Path:
        """A file the definition names, relative to the definition (checked to exist)."""
        path = Path(name)
        if not path.is_absolute():
            path = self.path.parent / path
        if self.check_files and not path.is_file():
            self.problem(where, f"{path}: no such file")
        return path

    def _logos(self) -> tuple[LogoDefinition, ...]:
        found = []
        for index, p in enumerate(self.data.get("parties", [])):
            if "logo" in p:
                where = ("parties", index, "logo")
                found.append(LogoDefinition(p["number"], self._file(where, p["logo"]), where))
        return tuple(found)

    def _recordings(self, contests: tuple[Contest, ...]) -> tuple[RecordingDefinition, ...]:
        """Each recording must say a line the voter's screens say, once per language."""
        found: list[RecordingDefinition] = []
        seen: dict[tuple[str, str], int] = {}
        said: dict[str, set[str]] = {}
        for index, r in enumerate(self.data.get("recordings", [])):
            where = ("recordings", index)
            language, text = r["language"], r["text"]
            if language not in said:
                said[language] = ballot_lines(contests, language, translator(language))
            if (language, text) in seen:
                self.problem(
                    (*where, "text"),
                    f"{language} {text!r} is recorded twice "
                    f"(also recordings[{seen[language, text]}])",
                )
            elif text not in said[language]:
                self.problem(
                    (*where, "text"),
                    f"no voter screen says {text!r} in {language}; a choice is said as the "
                    'ballot names it ("3. Name"), a party list by its party',
                )
            seen.setdefault((language, text), index)
            path = self._file((*where, "file"), r["file"])
            found.append(RecordingDefinition(language, text, path, (*where, "file")))
        return tuple(found)

    def _ballot_format(self, contests: tuple[Contest, ...]) -> int:
        """The definition's ballot format; without one, verifiable wherever it fits a slot."""
        if "ballot_format" not in self.data:
            return default_ballot_format(contests)
        chosen: int = self.data["ballot_format"]
        size = verifiable_size(contests)
        if chosen == 2 and size > MAX_RECORD_SIZE:
            self.problem(
                ("ballot_format",),
                f"a verifiable ballot of these contests is {size} bytes, more than a 4 KiB "
                f"slot holds ({MAX_RECORD_SIZE}): fewer choices, or ballot_format = 1",
            )
        return chosen

    def _date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.data["date"])
        except ValueError:
            self.problem(("date",), f"{self.data['date']!r} must be a date YYYY-MM-DD")
            return None

    def _clock(self, key: str) -> bool:
        try:
            dt.time.fromisoformat(self.data[key])
            return True
        except ValueError:
            self.problem((key,), f"{self.data[key]!r} is not a time of day")
            return False

    def _parties(self) -> dict[str, Party]:
        items = self.data.get("parties", [])
        self.unique(items, "parties", "id")
        self.unique(items, "parties", "number")
        return {
            # Logos are bound into the parties by hash when the files are read (media.py).
            p["id"]: Party(names=p["names"], number=p["number"])
            for p in items
        }

    def _contests(self, parties: dict[str, Party]) -> tuple[Contest, ...]:
        items = self.data["contests"]
        self.unique(items, "contests", "id")
        contests = []
        for index, c in enumerate(items):
            where = ("contests", index)
            self.unique(c["choices"], f"contests[{index}].choices", "id")
            choices = []
            for number, ch in enumerate(c["choices"]):
                party = None
                if "party" in ch:
                    party = parties.get(ch["party"])
                    if party is None:
                        self.problem(
                            (*where, "choices", number, "party"),
                            f"party {ch['party']!r} is not in [[parties]]",
                        )
                choices.append(
                    Choice(
                        id=ch["id"],
                        names=ch["names"],
                        against_all=ch.get("against_all", False),
                        party=party,
                        ballot_number=ch.get("ballot_number"),
                    )
                )
            contest = Contest(
                id=c["id"],
                titles=c["titles"],
                choices=tuple(choices),
                max_selections=c.get("max_selections", 1),
                kind=ContestKind(c["kind"]),
                blank_allowed=c.get("blank_allowed", False),
            )
            try:
                check_contest(contest, "contest")
            except FormatError as exc:
                self.problem(where, str(exc).removeprefix("contest: "))
            contests.append(contest)
        return tuple(contests)

    def _territories(self) -> tuple[Territory, ...]:
        regions, districts = self.data["regions"], self.data["districts"]
        self.unique(regions, "regions", "id")
        self.unique(districts, "districts", "id")
        region_ids = {r["id"] for r in regions}
        for index, district in enumerate(districts):
            # One id space in election.json: a district is never mistaken for a region.
            if district["id"] in region_ids:
                self.problem(("districts", index, "id"), f"{district['id']!r} is also a region")
        territories = [Territory(r["id"], TerritoryKind.REGION, r["names"], None) for r in regions]
        for index, district in enumerate(districts):
            if district["region"] not in region_ids:
                self.problem(
                    ("districts", index, "region"),
                    f"region {district['region']!r} is not in [[regions]]",
                )
            territories.append(
                Territory(
                    district["id"], TerritoryKind.DISTRICT, district["names"], district["region"]
                )
            )
        return tuple(territories)

    def _precincts(self, districts: set[str]) -> tuple[PrecinctDefinition, ...]:
        items = self.data["precincts"]
        self.unique(items, "precincts", "code")
        self.unique(items, "precincts", "number")
        seen: dict[str, int] = {}
        precincts = []
        for index, p in enumerate(items):
            where = ("precincts", index)
            if p["district"] not in districts:
                self.problem(
                    (*where, "district"), f"district {p['district']!r} is not in [[districts]]"
                )
            for number, t in enumerate(p["terminals"]):
                if t["id"] in seen:
                    self.problem(
                        (*where, "terminals", number, "id"),
                        f"terminal {t['id']!r} appears twice (also in precincts[{seen[t['id']]}])",
                    )
                seen.setdefault(t["id"], index)
                if "booth" in t and t["role"] != "vote":
                    self.problem(
                        (*where, "terminals", number, "booth"), "only a vote terminal has a booth"
                    )
            # The registry keeps an abolished precinct (appendix 2 marks it): no one votes there.
            if p.get("abolished", False):
                if p["terminals"]:
                    self.problem((*where, "abolished"), "an abolished precinct has no terminals")
                if p["voters_on_list"]:
                    self.problem((*where, "voters_on_list"), "an abolished precinct has no voters")
            elif not p["terminals"]:
                self.problem((*where, "terminals"), "a precinct needs at least one terminal")
            elif not p["voters_on_list"]:
                self.problem((*where, "voters_on_list"), "only an abolished precinct has no voters")
            else:
                self._check_roles(where, [Role(t["role"]) for t in p["terminals"]])
            register = (
                None if p["register"] == SYNTHETIC else self._register_path(where, p["register"])
            )
            precincts.append(
                PrecinctDefinition(
                    code=p["code"],
                    names=p["names"],
                    number=p["number"],
                    district=p["district"],
                    premises=p["premises"],
                    address=p["address"],
                    restricted_access=p.get("restricted_access", False),
                    new=p.get("new", False),
                    abolished=p.get("abolished", False),
                    voters_on_list=p["voters_on_list"],
                    register=register,
                    terminals=tuple(
                        TerminalPlan(t["id"], Role(t["role"]), t.get("booth"))
                        for t in p["terminals"]
                    ),
                )
            )
        return tuple(precincts)

    def _check_roles(self, where: tuple[str | int, ...], roles: list[Role]) -> None:
        combined = roles.count(Role.COMBINED)
        desks, booths = roles.count(Role.IDENTIFY), roles.count(Role.VOTE)
        if combined and (desks or booths):
            self.problem(
                (*where, "terminals"), "combined terminals and a desk with booths do not mix"
            )
        elif not combined and (desks < 1 or booths < 1):
            self.problem((*where, "terminals"), "a desk (identify) needs at least one booth (vote)")

    def _register_path(self, where: tuple[str | int, ...], text: str) -> Path:
        path = Path(text)
        if not path.is_absolute():
            path = self.path.parent / path
        if self.check_files and not path.is_file():
            self.problem((*where, "register"), f'{path}: no such file (or write "{SYNTHETIC}")')
        return path
