"""Voter-list reconciliation: the flags of the CEC voter-list rules, over read lists.

Every finding is a Flag naming the file and row of the record, so that commission staff can
find it; nothing here prints or logs. The checks are one pass over the records plus
dictionary groupings for the duplicates: 100,000 records take about two seconds of CPU.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from host_tools.voterlist.read import VoterFile, VoterRecord
from terminal.idscan.iin import IinError, parse_iin
from terminal.idscan.pin import PinError, parse_pin

PRECINCT_LIMIT = 3000  # voters a precinct may have (DESIGN: "at most 3,000 voters")
VOTING_AGE = 18
DOCUMENT_AGE = 16  # an identity document is first issued at 16
DEFAULT_DOCUMENT_VALIDITY_YEARS = 10


class Country(Enum):
    KZ = "kz"  # 12-digit IIN with a check digit
    KG = "kg"  # 14-digit PIN, no check digit

    @property
    def number_name(self) -> str:
        return "IIN" if self is Country.KZ else "PIN"

    @property
    def number_length(self) -> int:
        return 12 if self is Country.KZ else 14


class Category(Enum):
    """The reconciliation flags; the value is the key in the JSON report."""

    MALFORMED_ROW = "malformed_row"
    INVALID_NUMBER = "invalid_number"
    BAD_BIRTH_DATE = "bad_birth_date"
    MISSING_NAME = "missing_name"
    MISSING_PRECINCT = "missing_precinct"
    WITHOUT_ADDRESS = "without_address"
    INVALID_DOCUMENT = "invalid_document"
    OUTDATED_DOCUMENT = "outdated_document"
    DOCUMENT_BEFORE_16 = "document_before_16"
    DUPLICATE_IN_PRECINCT = "duplicate_in_precinct"
    POSSIBLE_DUPLICATE = "possible_duplicate"
    SEVERAL_PRECINCTS = "several_precincts"
    UNDER_18 = "under_18"
    DECEASED = "deceased"
    EMIGRATED = "emigrated"
    NON_CITIZEN = "non_citizen"
    INCAPABLE = "incapable"
    IMPRISONED = "imprisoned"
    PRECINCT_OVER_LIMIT = "precinct_over_limit"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Category.MALFORMED_ROW: "Нечитаемые строки / Unreadable rows",
    Category.INVALID_NUMBER: "Неверный ИИН/ПИН / Invalid IIN/PIN",
    Category.BAD_BIRTH_DATE: "Дата рождения неверна или не как в ИИН/ПИН"
    " / Birth date invalid or not the one in the IIN/PIN",
    Category.MISSING_NAME: "Нет фамилии или имени / Missing surname or name",
    Category.MISSING_PRECINCT: "Нет кода участка / Missing precinct code",
    Category.WITHOUT_ADDRESS: "Без адреса / Without address",
    Category.INVALID_DOCUMENT: "Нет номера или даты выдачи документа"
    " / Document number or issue date missing or invalid",
    Category.OUTDATED_DOCUMENT: "Просроченный документ / Outdated document",
    Category.DOCUMENT_BEFORE_16: "Документ выдан до 16 лет / Document issued before age 16",
    Category.DUPLICATE_IN_PRECINCT: "Повтор ИИН/ПИН на участке / Same IIN/PIN twice in a precinct",
    Category.POSSIBLE_DUPLICATE: "Возможные двойники (ФИО и дата рождения)"
    " / Possible duplicates (same name and birth date)",
    Category.SEVERAL_PRECINCTS: "В списках нескольких участков / On several precincts",
    Category.UNDER_18: "Моложе 18 лет / Under 18",
    Category.DECEASED: "Умершие / Deceased",
    Category.EMIGRATED: "Выбывшие за рубеж / Emigrated",
    Category.NON_CITIZEN: "Не граждане / Non-citizens",
    Category.INCAPABLE: "Недееспособные / Legally incapable",
    Category.IMPRISONED: "Находящиеся в местах лишения свободы / Imprisoned",
    Category.PRECINCT_OVER_LIMIT: f"Участки более {PRECINCT_LIMIT} избирателей"
    f" / Precincts with over {PRECINCT_LIMIT} voters",
}

# The categories that come from other lists (--deceased FILE and so on).
LIST_CATEGORIES = (
    Category.DECEASED,
    Category.EMIGRATED,
    Category.NON_CITIZEN,
    Category.INCAPABLE,
    Category.IMPRISONED,
)


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding: a record (file, row, its number and precinct) or, for a precinct over
    the limit, the precinct alone."""

    category: Category
    file: str | None
    row: int | None
    number: str | None
    precinct: str | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "number": self.number,
            "precinct": self.precinct,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CheckOptions:
    as_of: dt.date
    document_validity_years: int = DEFAULT_DOCUMENT_VALIDITY_YEARS
    country: Country | None = None  # None: decided per file from its numbers
    lists: Mapping[Category, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    records: int
    files: tuple[str, ...]
    options: CheckOptions
    flags: Mapping[Category, tuple[Flag, ...]]  # every category, in report order
    precincts: Mapping[str, int]  # precinct code -> records, sorted by code
    countries: Mapping[str, Country]  # file -> the country its numbers were read as
    formats: Mapping[str, str]  # file -> how it was read ("utf-8, ';'"), to spot a wrong guess

    def checked(self, category: Category) -> bool:
        """False for a list category whose list was not given."""
        return category not in LIST_CATEGORIES or category in self.options.lists

    @property
    def unreadable(self) -> bool:
        return bool(self.flags[Category.MALFORMED_ROW])

    @property
    def flagged(self) -> bool:
        return any(self.flags.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "files": list(self.files),
            "date": self.options.as_of.isoformat(),
            "document_validity_years": self.options.document_validity_years,
            "categories": {
                c.value: {"count": len(flags), "records": [f.to_json() for f in flags]}
                for c, flags in self.flags.items()
            },
            "not_checked": [c.value for c in Category if not self.checked(c)],
            "precincts": dict(self.precincts),
        }


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February becomes 1 March, so that someone born on
    29 February comes of age the day after 28 February, never earlier."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


@functools.lru_cache(maxsize=1 << 16)  # a list repeats its dates a lot: issue days above all
def parse_date(text: str) -> dt.date | None:
    """DD.MM.YYYY or YYYY-MM-DD (an Access export may append a time, which is ignored);
    None for anything else, including dates that do not exist."""
    head, _, time = text.partition(" ")
    if time and not _is_time(time.strip()):
        return None
    if "." in head:
        parts = head.split(".")
        if len(parts) != 3:
            return None
        day, month, year = parts
    else:
        parts = head.split("-")
        if len(parts) != 3:
            return None
        year, month, day = parts
    if not (
        len(year) == 4
        and 1 <= len(month) <= 2
        and 1 <= len(day) <= 2
        and (year + month + day).isascii()
        and (year + month + day).isdigit()
    ):
        return None
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _is_time(text: str) -> bool:
    parts = text.split(":")
    return 2 <= len(parts) <= 3 and all(p.isascii() and p.isdigit() for p in parts)


# What a spreadsheet makes of a long number it took for a quantity: 8.80101E+11, 8,8E+11.
_SPREADSHEET_NUMBER = re.compile(r"\d+([.,]\d+)?[Ee]\+?\d+")
# Placeholders typed into a field for "nothing": they count as an empty field.
_PLACEHOLDERS = frozenset({"-", "--", "—", "–", "0", "нет", "не указан", "не указано", "б/а"})
_PLACEHOLDER_LENGTH = max(map(len, _PLACEHOLDERS))


def blank(value: str) -> bool:
    """True for an empty field or one holding only a placeholder such as "-" or "нет"."""
    return not value or (len(value) <= _PLACEHOLDER_LENGTH and value.casefold() in _PLACEHOLDERS)


_FOLD = str.maketrans("ёңөүәқғұһі", "еноуакгухи")


def name_key(surname: str, name: str, patronymic: str) -> str:
    """Names compared for possible duplicates: case, spacing and the Kazakh/Kyrgyz letters
    that cp1251 cannot hold (ң ө ү ә қ ғ ұ һ і, often typed as н о у а к г у х и) folded,
    so the same person from a cp1251 and a UTF-8 source still matches."""
    text = " ".join(f"{surname} {name} {patronymic}".split()).casefold()
    return text.translate(_FOLD)


def detect_country(voter_file: VoterFile) -> Country:
    """The country of a list from its numbers: 12 digits are IINs, 14 PINs. A list of
    mostly bad numbers falls back to its column name (INN is the Kyrgyz spelling)."""
    lengths = Counter(len(r.number) for r in voter_file.records)
    if lengths[12] != lengths[14]:
        return Country.KZ if lengths[12] > lengths[14] else Country.KG
    return Country.KZ if voter_file.number_column.upper() == "IIN" else Country.KG


def _number_problem(number: str, country: Country) -> tuple[str | None, dt.date | None]:
    """(what is wrong with the number or None, the birth date inside it when valid)."""
    if not number:
        return f"no {country.number_name}", None
    try:
        if country is Country.KZ:
            return None, parse_iin(number).birth_date
        return None, parse_pin(number).birth_date
    except (IinError, PinError) as exc:
        problem = str(exc)
    if _SPREADSHEET_NUMBER.fullmatch(number):
        problem += " (a spreadsheet may have turned it into a number such as 8.8E+11)"
    elif number.isdigit() and len(number) == country.number_length - 1:
        problem += f" ({len(number)} digits: a spreadsheet may have dropped a leading zero)"
    return problem, None


def _where(record: VoterRecord, other: VoterRecord) -> str:
    """How a record is named beside another one: the row alone when in the same file."""
    if record.file == other.file:
        return f"row {record.row}"
    return f"{record.file} row {record.row}"


def _others(record: VoterRecord, group: Sequence[VoterRecord], most: int = 3) -> str:
    others = [r for r in group if r is not record]
    text = ", ".join(_where(r, record) for r in others[:most])
    if len(others) > most:
        text += f" and {len(others) - most} more"
    return text


def check_lists(files: Sequence[VoterFile], options: CheckOptions) -> Report:
    """Run every check over the records of `files` (taken together, so that a voter on two
    files' precincts is found) and collect the flags."""
    found: dict[Category, list[Flag]] = {c: [] for c in Category}
    by_number: dict[str, list[VoterRecord]] = defaultdict(list)
    by_person: dict[tuple[str, str, dt.date], list[VoterRecord]] = defaultdict(list)
    precincts: Counter[str] = Counter()
    countries: dict[str, Country] = {}
    formats: dict[str, str] = {}
    records = 0

    for voter_file in files:
        for bad in voter_file.bad_rows:
            found[Category.MALFORMED_ROW].append(
                Flag(Category.MALFORMED_ROW, bad.file, bad.row, None, None, bad.problem)
            )
        country = options.country or detect_country(voter_file)
        countries[voter_file.name] = country
        formats[voter_file.name] = (
            voter_file.encoding
            if voter_file.encoding == "mdb"
            else f"{voter_file.encoding}, {voter_file.delimiter!r}"
        )
        records += len(voter_file.records)
        for r in voter_file.records:
            for category, detail in _record_problems(r, country, options):
                found[category].append(Flag(category, r.file, r.row, r.number, r.precinct, detail))
            if not blank(r.precinct):
                precincts[r.precinct] += 1
            if r.number:
                by_number[r.number].append(r)
            written_birth = parse_date(r.birth_date)
            if written_birth is not None and (r.surname or r.name):
                key = name_key(r.surname, r.name, r.patronymic)
                by_person[(r.precinct, key, written_birth)].append(r)

    _duplicates(found, by_number, by_person)
    for precinct, count in sorted(precincts.items()):
        if count > PRECINCT_LIMIT:
            found[Category.PRECINCT_OVER_LIMIT].append(
                Flag(
                    Category.PRECINCT_OVER_LIMIT,
                    None,
                    None,
                    None,
                    precinct,
                    f"{count} voters, over the limit of {PRECINCT_LIMIT}",
                )
            )

    order = {f.name: i for i, f in enumerate(files)}

    def position(f: Flag) -> tuple[int, int, str]:
        return (order.get(f.file or "", -1), f.row or 0, f.precinct or "")

    return Report(
        records=records,
        files=tuple(f.name for f in files),
        options=options,
        flags={c: tuple(sorted(flags, key=position)) for c, flags in found.items()},
        precincts=dict(sorted(precincts.items())),
        countries=countries,
        formats=formats,
    )


def _record_problems(
    r: VoterRecord, country: Country, options: CheckOptions
) -> Iterator[tuple[Category, str]]:
    """(category, detail) for everything wrong with one record on its own."""
    as_of = options.as_of
    problem, number_birth = _number_problem(r.number, country)
    if problem is not None:
        yield Category.INVALID_NUMBER, problem
    written_birth = parse_date(r.birth_date)
    if not r.birth_date:
        yield Category.BAD_BIRTH_DATE, "no birth date"
    elif written_birth is None:
        yield Category.BAD_BIRTH_DATE, f"birth date {r.birth_date!r} is not a date"
    elif number_birth is not None and written_birth != number_birth:
        yield (
            Category.BAD_BIRTH_DATE,
            f"birth date {written_birth:%d.%m.%Y}, {country.number_name} says"
            f" {number_birth:%d.%m.%Y}",
        )
    # The number's date is the identity's; the written one is all a bad number leaves.
    birth = number_birth or written_birth

    missing = [what for what, value in (("surname", r.surname), ("name", r.name)) if blank(value)]
    if missing:
        yield Category.MISSING_NAME, f"no {' and '.join(missing)}"
    if blank(r.precinct):
        yield Category.MISSING_PRECINCT, "no precinct code"
    if blank(r.address):
        yield Category.WITHOUT_ADDRESS, "no address"

    if blank(r.document):
        yield Category.INVALID_DOCUMENT, "no document number"
    issued = parse_date(r.document_issued)
    if not r.document_issued:
        yield Category.INVALID_DOCUMENT, "no document issue date"
    elif issued is None:
        yield Category.INVALID_DOCUMENT, f"document issue date {r.document_issued!r} is not a date"
    elif issued > as_of:
        yield (
            Category.INVALID_DOCUMENT,
            f"document issued {issued:%d.%m.%Y}, after {as_of:%d.%m.%Y}",
        )
    else:
        # A document issued N years ago is outdated on its Nth anniversary: ID cards are
        # valid until the day before.
        validity = options.document_validity_years
        if add_years(issued, validity) <= as_of:
            yield (
                Category.OUTDATED_DOCUMENT,
                f"document issued {issued:%d.%m.%Y}, over {validity} years before {as_of:%d.%m.%Y}",
            )
        if birth is not None and issued < add_years(birth, DOCUMENT_AGE):
            yield (
                Category.DOCUMENT_BEFORE_16,
                f"document issued {issued:%d.%m.%Y}, born {birth:%d.%m.%Y}",
            )

    # Of age on the 18th birthday itself.
    if birth is not None and add_years(birth, VOTING_AGE) > as_of:
        yield Category.UNDER_18, f"born {birth:%d.%m.%Y}: under 18 on {as_of:%d.%m.%Y}"
    for category in LIST_CATEGORIES:
        numbers = options.lists.get(category)
        if numbers is not None and r.number in numbers:
            yield category, f"on the {category.value.replace('_', '-')} list"


def _duplicates(
    found: dict[Category, list[Flag]],
    by_number: Mapping[str, list[VoterRecord]],
    by_person: Mapping[tuple[str, str, dt.date], list[VoterRecord]],
) -> None:
    """Flag every record of a group: the same number twice in a precinct, the same number
    on several precincts, and the same name and birth date under different numbers."""
    for number, group in by_number.items():
        if len(group) < 2:
            continue
        in_precinct: dict[str, list[VoterRecord]] = defaultdict(list)
        for r in group:
            in_precinct[r.precinct].append(r)
        for precinct_group in in_precinct.values():
            if len(precinct_group) > 1:
                for r in precinct_group:
                    found[Category.DUPLICATE_IN_PRECINCT].append(
                        Flag(
                            Category.DUPLICATE_IN_PRECINCT,
                            r.file,
                            r.row,
                            number,
                            r.precinct,
                            f"same number as {_others(r, precinct_group)}",
                        )
                    )
        codes = sorted(p for p in in_precinct if not blank(p))
        if len(codes) > 1:
            for r in group:
                elsewhere = [p for p in codes if p != r.precinct]
                found[Category.SEVERAL_PRECINCTS].append(
                    Flag(
                        Category.SEVERAL_PRECINCTS,
                        r.file,
                        r.row,
                        number,
                        r.precinct,
                        f"also on precinct {', '.join(elsewhere)} ({_others(r, group)})",
                    )
                )
    for group in by_person.values():
        if len(group) < 2 or len({r.number for r in group}) < 2:
            continue
        for r in group:
            different = [o for o in group if o.number != r.number]
            found[Category.POSSIBLE_DUPLICATE].append(
                Flag(
                    Category.POSSIBLE_DUPLICATE,
                    r.file,
                    r.row,
                    r.number,
                    r.precinct,
                    f"same name and birth date as {_others(r, different)}, another number",
                )
            )
