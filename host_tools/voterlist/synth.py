"""Synthetic voter lists with Kyrgyz and Kazakh names and injected errors, for the tests and
the benchmark of the voter-list check.

Each injected error is made so that it triggers its own category and nothing else (an
outdated document belongs to someone old enough that it was not also issued before 16, a
shifted birth date stays adult, numbers and name+birth-date keys are unique unless a
duplicate is the point), so a test can ask that the check find exactly what was injected.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from host_tools.voterlist.check import (
    DEFAULT_DOCUMENT_VALIDITY_YEARS,
    DOCUMENT_AGE,
    LIST_CATEGORIES,
    PRECINCT_LIMIT,
    Category,
    CheckOptions,
    Country,
    add_years,
    name_key,
)
from terminal.idscan.iin import make_iin
from terminal.idscan.pin import Sex, make_pin

SYNTHETIC_AS_OF = dt.date(2025, 6, 1)
PRECINCT_SIZE = 2000  # records per ordinary synthetic precinct, well under the limit
OVERSIZED = PRECINCT_LIMIT + 5  # records of the one oversized precinct, when there is room:
OVERSIZED_FROM = 4000  # at most 1 in 8 records may go elsewhere (no precinct, a twin's)

# The categories synthetic_list injects (one record or a pair each); the oversized precinct
# and unreadable rows are made separately.
INJECTED = (
    Category.INVALID_NUMBER,
    Category.BAD_BIRTH_DATE,
    Category.MISSING_NAME,
    Category.MISSING_PRECINCT,
    Category.WITHOUT_ADDRESS,
    Category.INVALID_DOCUMENT,
    Category.OUTDATED_DOCUMENT,
    Category.DOCUMENT_BEFORE_16,
    Category.DUPLICATE_IN_PRECINCT,
    Category.POSSIBLE_DUPLICATE,
    Category.SEVERAL_PRECINCTS,
    Category.UNDER_18,
    *LIST_CATEGORIES,
)
_PAIRS = (
    Category.DUPLICATE_IN_PRECINCT,
    Category.POSSIBLE_DUPLICATE,
    Category.SEVERAL_PRECINCTS,
)

HEADER = (
    "Cod",
    "Cod_izber",
    "Soname",
    "Name",
    "Otchestvo",
    "Cod_uch",
    "Data_rojd",
    "{number}",
    "Udostve",
    "Date_vidach",
    "Adres",
    "Dopol1",
    "Dopol2",
    "Dopol3",
    "Dopol4",
)
_SURNAME, _NAME, _PRECINCT, _BIRTH, _NUMBER, _DOCUMENT, _ISSUED, _ADDRESS = 2, 3, 5, 6, 7, 8, 9, 10


@dataclass(frozen=True)
class _Names:
    male: tuple[str, ...]  # given names; all end in a consonant, so -ович/-овна fit
    female: tuple[str, ...]
    surnames: tuple[str, ...]  # male form, -ов/-ев; the female form adds -а
    son: str  # traditional patronymic: "<father> уулу" / "<father>ұлы"
    daughter: str
    cities: tuple[str, ...]
    streets: tuple[str, ...]


_KG = _Names(
    male=("Азамат", "Бакыт", "Эрлан", "Нурбек", "Улан", "Айбек", "Канат", "Эрмек", "Мирлан",
          "Жоомарт", "Темирлан", "Бектур", "Чынгыз", "Алмаз", "Үсөн", "Талант"),
    female=("Айгерим", "Жылдыз", "Гүлзат", "Назира", "Айпери", "Бермет", "Асел", "Нургүл",
            "Чолпон", "Мээрим", "Айжан", "Динара", "Элмира", "Төлгөнай", "Сезим", "Бүбүсара"),
    surnames=("Асанов", "Токтогулов", "Бекмуратов", "Жумабаев", "Сатыбалдиев", "Осмонов",
              "Мамытов", "Турдубеков", "Абдыкадыров", "Үсөнов", "Чотонов", "Молдобаев",
              "Кадыров", "Рысбеков", "Өмүрзаков", "Эсенгулов", "Токтосунов", "Шаршенов",
              "Назаров", "Исаков", "Дүйшөнбиев", "Сыдыков"),
    son=" уулу",
    daughter=" кызы",
    cities=("г. Бишкек", "г. Ош", "г. Каракол", "г. Нарын", "г. Талас", "г. Жалал-Абад",
            "с. Кочкор", "с. Чолпон-Ата"),
    streets=("ул. Киевская", "ул. Токтогула", "пр. Чуй", "ул. Манаса", "ул. Ибраимова",
             "ул. Курманжан Датка", "мкр. Жал", "ул. Фрунзе"),
)  # fmt: skip
_KZ = _Names(
    male=("Нұрлан", "Ерлан", "Асхат", "Бауыржан", "Дәурен", "Ержан", "Қайрат", "Мұрат",
          "Серік", "Талғат", "Айдос", "Әлихан", "Нұрсұлтан", "Ерасыл", "Данияр", "Жандос"),
    female=("Айгүл", "Гүлнар", "Жанар", "Әсел", "Дана", "Мәдина", "Ақбота", "Аружан",
            "Салтанат", "Динара", "Жібек", "Перизат", "Толқын", "Айым", "Камила", "Меруерт"),
    surnames=("Ахметов", "Жұмабаев", "Сейітов", "Нұрланов", "Серікбаев", "Омаров", "Қасымов",
              "Төлеуов", "Әбенов", "Исаев", "Байжанов", "Оспанов", "Мұхамеджанов", "Тұрсынов",
              "Сәрсенбаев", "Ермеков", "Жақыпов", "Құдайбергенов", "Есенов", "Абдрахманов",
              "Бекмағамбетов", "Шәріпов"),
    son="ұлы",
    daughter="қызы",
    cities=("г. Алматы", "г. Астана", "г. Шымкент", "г. Қарағанды", "г. Ақтөбе",
            "г. Павлодар", "г. Семей", "г. Түркістан"),
    streets=("ул. Абая", "пр. Достык", "ул. Жібек Жолы", "ул. Сейфуллина", "пр. Республики",
             "ул. Төле би", "мкр. Самал-2", "ул. Кенесары"),
)  # fmt: skip

# cp1251 has no ң ө ү ә қ ғ ұ һ: lists kept in it carry the Russian look-alikes instead.
_CP1251 = str.maketrans("ңөүәқғұһҢӨҮӘҚҒҰҺ", "ноуакгухНОУАКГУХ")


@dataclass(frozen=True)
class SyntheticList:
    """A voter list with known errors. Rows are numbered as the check numbers them: the
    header is row 1, so the record at index i is row i + 2."""

    country: Country
    as_of: dt.date
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    lists: Mapping[Category, tuple[str, ...]]  # numbers on the deceased, emigrated... lists
    expected: Mapping[Category, frozenset[int]]  # category -> rows the check must flag
    oversized: frozenset[str]  # precincts the check must flag as over the limit

    def write_csv(self, path: Path, encoding: str = "utf-8", delimiter: str = ",") -> Path:
        """Write the list as the CEC's exchange CSV. In cp1251 the Kazakh and Kyrgyz letters
        it cannot hold are written as their Russian look-alikes, as such lists are."""
        with path.open("w", encoding=encoding, newline="") as out:
            writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
            for row in (self.header, *self.rows):
                if encoding.replace("-", "").lower() in ("cp1251", "windows1251"):
                    row = tuple(v.translate(_CP1251) for v in row)
                writer.writerow(row)
        return path

    def write_lists(self, directory: Path) -> dict[Category, Path]:
        """Write each of the other lists (deceased and so on) as a CSV with an IIN/PIN column
        and a name column, as the registry sends them."""
        paths: dict[Category, Path] = {}
        for category, numbers in self.lists.items():
            path = directory / f"{category.value}.csv"
            with path.open("w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
                writer.writerow((self.country.number_name, "Note"))
                writer.writerows((number, category.value) for number in numbers)
            paths[category] = path
        return paths

    def check_options(self) -> CheckOptions:
        """The options the expected flags assume."""
        lists = {c: frozenset(numbers) for c, numbers in self.lists.items()}
        return CheckOptions(as_of=self.as_of, lists=lists)


class _Maker:
    """Draws people, numbers and documents, keeping numbers and name keys unique."""

    def __init__(self, rng: random.Random, country: Country, as_of: dt.date) -> None:
        self.rng = rng
        self.country = country
        self.as_of = as_of
        self.names = _KZ if country is Country.KZ else _KG
        self.numbers: set[str] = set()
        self.keys: set[tuple[str, str, str]] = set()
        self.cod = 0

    def days_ago(self, low: int, high: int) -> dt.date:
        return self.as_of - dt.timedelta(days=self.rng.randint(low, high))

    def birth_aged(self, youngest: int, oldest: int) -> dt.date:
        """A birth date making the person between `youngest` and `oldest` years old."""
        return self.days_ago(youngest * 366 + 1, oldest * 365 - 1)

    def number(self, sex: Sex, birth: dt.date) -> str:
        while True:
            if self.country is Country.KZ:
                try:
                    number = make_iin(sex, birth, self.rng.randrange(10_000))
                except ValueError:
                    continue  # a serial with no check digit: the registry skips it too
            else:
                number = make_pin(sex, birth, self.rng.randrange(100_000))
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def fresh_number(self) -> str:
        """A valid number of someone not on the list."""
        return self.number(self.rng.choice((Sex.MALE, Sex.FEMALE)), self.birth_aged(18, 90))

    def document(self) -> str:
        if self.country is Country.KZ:
            return f"0{self.rng.randrange(10**8):08d}"
        return f"{self.rng.choice(('ID', 'AN'))}{self.rng.randrange(10**7):07d}"

    def issued(self, birth: dt.date) -> dt.date:
        """A document issue date after the 16th birthday and well within the validity."""
        earliest = max(add_years(birth, DOCUMENT_AGE), self.days_ago(3400, 3400))
        span = (self.as_of - earliest).days - 1
        return earliest + dt.timedelta(days=self.rng.randint(0, span))

    def person(self, precinct: str, birth: dt.date | None = None) -> list[str]:
        """A correct record: an adult (unless `birth` says otherwise) with a valid document."""
        rng, names = self.rng, self.names
        sex = rng.choice((Sex.MALE, Sex.FEMALE))
        birth = birth or self.birth_aged(20, 85)
        surname = rng.choice(names.surnames)
        father = rng.choice(names.male)
        if sex is Sex.MALE:
            name = rng.choice(names.male)
            patronymic = rng.choice((f"{father}ович", f"{father}{names.son}"))
        else:
            name = rng.choice(names.female)
            surname += "а"
            patronymic = rng.choice((f"{father}овна", f"{father}{names.daughter}"))
        if rng.random() < 0.03:
            patronymic = ""  # no patronymic is allowed
        self.cod += 1
        street = rng.choice(names.streets)
        address = f"{rng.choice(names.cities)}, {street}, д. {rng.randint(1, 150)}"
        if rng.random() < 0.6:
            address += f", кв. {rng.randint(1, 200)}"
        row = [
            str(self.cod),
            str(rng.randrange(10**6, 10**7)),
            surname,
            name,
            patronymic,
            precinct,
            "",  # birth date, set below
            self.number(sex, birth),
            self.document(),
            "",  # issue date, set below
            address,
            "",
            "",
            "",
            "",
        ]
        self.set_dates(row, birth, self.issued(birth))
        return row

    def set_dates(self, row: list[str], birth: dt.date, issued: dt.date) -> None:
        # Both layouts occur; most lists use DD.MM.YYYY.
        iso = self.rng.random() < 0.1
        row[_BIRTH] = birth.isoformat() if iso else f"{birth:%d.%m.%Y}"
        row[_ISSUED] = issued.isoformat() if iso else f"{issued:%d.%m.%Y}"

    def key(self, row: list[str]) -> tuple[str, str, str]:
        return (row[_PRECINCT], name_key(row[_SURNAME], row[_NAME], row[4]), row[_BIRTH])

    def claim_keys(self, rows: list[list[str]]) -> bool:
        """Reserve the name keys of a group of rows (which may share them on purpose);
        False when one is taken by an earlier row, so the group must be made again."""
        keys = {self.key(r) for r in rows}
        if keys & self.keys:
            return False
        self.keys |= keys
        return True


def _dmy(day: dt.date, like: str) -> str:
    return day.isoformat() if "-" in like else f"{day:%d.%m.%Y}"


def _invalid_number(m: _Maker, row: list[str]) -> None:
    number = row[_NUMBER]
    if m.country is Country.KZ:
        wrong_check = number[:11] + str((int(number[11]) + m.rng.randint(1, 9)) % 10)
        choices = [
            wrong_check,
            number[:2] + "13" + number[4:],  # month 13
            number[:6] + m.rng.choice("0789") + number[7:],  # no such century digit
            number[1:],  # a leading digit lost
        ]
    else:
        choices = [
            m.rng.choice("03") + number[1:],  # no such sex digit
            number[0] + "32" + number[3:],  # day 32
            number[:-1],  # 13 digits
            number[:5] + "O" + number[6:],  # a letter O for a zero
        ]
    while True:
        bad = m.rng.choice(choices)
        if bad not in m.numbers and bad != number:
            m.numbers.add(bad)
            row[_NUMBER] = bad
            return


def _bad_birth_date(m: _Maker, row: list[str]) -> None:
    shape = m.rng.randrange(3)
    if shape == 0:
        row[_BIRTH] = ""
    elif shape == 1:
        row[_BIRTH] = "31.02." + row[_BIRTH][-4:] if "." in row[_BIRTH] else "1985-02-31"
    else:
        # A typing slip of a few days or months. The checks take the age from the number,
        # so the person (born 20+ years ago) stays adult and the document stays valid.
        birth = _parse(row[_BIRTH])
        shift = dt.timedelta(days=m.rng.choice((-1, 1)) * m.rng.randint(1, 200))
        row[_BIRTH] = _dmy(birth + shift, row[_BIRTH])


def _missing_name(m: _Maker, row: list[str]) -> None:
    row[m.rng.choice((_SURNAME, _NAME))] = ""


def _missing_precinct(m: _Maker, row: list[str]) -> None:
    row[_PRECINCT] = ""


def _without_address(m: _Maker, row: list[str]) -> None:
    row[_ADDRESS] = ""


def _invalid_document(m: _Maker, row: list[str]) -> None:
    shape = m.rng.randrange(4)
    if shape == 0:
        row[_DOCUMENT] = ""
    elif shape == 1:
        row[_ISSUED] = ""
    elif shape == 2:
        row[_ISSUED] = "00.00.0000"
    else:
        row[_ISSUED] = _dmy(m.as_of + dt.timedelta(days=m.rng.randint(1, 90)), row[_ISSUED])


def _outdated_document(m: _Maker, row: list[str]) -> None:
    # Someone over 40 whose document is 10-14 years old: after their 16th birthday.
    birth = m.birth_aged(40, 85)
    sex = Sex.MALE if m.rng.random() < 0.5 else Sex.FEMALE
    m.numbers.discard(row[_NUMBER])
    row[_NUMBER] = m.number(sex, birth)
    validity = DEFAULT_DOCUMENT_VALIDITY_YEARS
    issued = add_years(m.as_of, -validity) - dt.timedelta(days=m.rng.randint(1, 1500))
    m.set_dates(row, birth, issued)


def _document_before_16(m: _Maker, row: list[str]) -> None:
    # Someone of 19-23 whose document predates their 16th birthday by a month to ten
    # months: still under ten years old, so it is not outdated as well.
    birth = m.birth_aged(19, 23)
    sex = Sex.MALE if m.rng.random() < 0.5 else Sex.FEMALE
    m.numbers.discard(row[_NUMBER])
    row[_NUMBER] = m.number(sex, birth)
    issued = add_years(birth, DOCUMENT_AGE) - dt.timedelta(days=m.rng.randint(30, 300))
    m.set_dates(row, birth, issued)


def _under_18(m: _Maker, row: list[str]) -> None:
    # 17 years old, with the document received at 16.
    birth = add_years(m.as_of, -18) + dt.timedelta(days=m.rng.randint(1, 300))
    sex = Sex.MALE if m.rng.random() < 0.5 else Sex.FEMALE
    m.numbers.discard(row[_NUMBER])
    row[_NUMBER] = m.number(sex, birth)
    sixteenth = add_years(birth, DOCUMENT_AGE)
    issued = sixteenth + dt.timedelta(days=m.rng.randint(0, (m.as_of - sixteenth).days - 1))
    m.set_dates(row, birth, issued)


def _parse(text: str) -> dt.date:
    if "-" in text:
        return dt.date.fromisoformat(text)
    return dt.datetime.strptime(text, "%d.%m.%Y").date()


_SINGLE: dict[Category, Callable[[_Maker, list[str]], None]] = {
    Category.INVALID_NUMBER: _invalid_number,
    Category.BAD_BIRTH_DATE: _bad_birth_date,
    Category.MISSING_NAME: _missing_name,
    Category.MISSING_PRECINCT: _missing_precinct,
    Category.WITHOUT_ADDRESS: _without_address,
    Category.INVALID_DOCUMENT: _invalid_document,
    Category.OUTDATED_DOCUMENT: _outdated_document,
    Category.DOCUMENT_BEFORE_16: _document_before_16,
    Category.UNDER_18: _under_18,
}


def _pair(m: _Maker, kind: Category, row: list[str], other_precinct: str) -> list[str]:
    """The second record of a duplicate pair."""
    twin = list(row)
    m.cod += 1
    twin[0] = str(m.cod)
    if kind is Category.SEVERAL_PRECINCTS:
        twin[_PRECINCT] = other_precinct
    elif kind is Category.POSSIBLE_DUPLICATE:
        # Same name and birth date, another number and document: maybe two people, maybe one
        # registered twice.
        sex = Sex.MALE if row[_NAME] in m.names.male else Sex.FEMALE
        twin[_NUMBER] = m.number(sex, _parse(row[_BIRTH]))
        twin[_DOCUMENT] = m.document()
    return twin


def synthetic_list(
    n: int,
    seed: int,
    error_rate: float,
    country: Country = Country.KZ,
    as_of: dt.date = SYNTHETIC_AS_OF,
) -> SyntheticList:
    """`n` voter records, a fraction `error_rate` of them with one injected error each
    (categories drawn evenly from INJECTED; duplicates come as pairs). With errors and room
    for it (n >= 4,000) the first precinct gets 3,005 records, over the limit."""
    if not 0 <= error_rate <= 1:
        raise ValueError("error_rate is a fraction between 0 and 1")
    # Synthetic data, reproducible from the seed: nothing secret depends on it.
    rng = random.Random(seed)  # nosec B311
    m = _Maker(rng, country, as_of)
    first = OVERSIZED if error_rate > 0 and n >= OVERSIZED_FROM else PRECINCT_SIZE

    def code(block: int) -> str:
        return f"{1001 + block}"

    rows: list[list[str]] = []
    expected: dict[Category, set[int]] = {c: set() for c in INJECTED}
    lists: dict[Category, list[str]] = {c: [] for c in LIST_CATEGORIES}
    # Records fill precincts one after another, as lists are sorted; the second record of a
    # "several precincts" pair goes to the next precinct and does not count for this one.
    block, in_block = 0, 0
    while len(rows) < n:
        if in_block >= (first if block == 0 else PRECINCT_SIZE):
            block, in_block = block + 1, 0
        kind: Category | None = None
        if rng.random() < error_rate:
            kind = rng.choice(INJECTED)
            if kind in _PAIRS and len(rows) + 2 > n:
                kind = None
        row = m.person(code(block))
        group = [row]
        if kind is not None and kind in _SINGLE:
            _SINGLE[kind](m, row)
        elif kind is not None and kind in _PAIRS:
            group.append(_pair(m, kind, row, code(block + 1)))
        if not m.claim_keys(group):
            continue  # a name clash with an earlier record: draw this one again
        if kind is not None:
            first_row = len(rows) + 2
            expected[kind].update(range(first_row, first_row + len(group)))
            if kind in LIST_CATEGORIES:
                lists[kind].append(row[_NUMBER])
        rows.extend(group)
        in_block += sum(1 for r in group if r[_PRECINCT] == code(block))
    for numbers in lists.values():
        # People on the registry's lists who are not on this voter list: never flagged.
        numbers.extend(m.fresh_number() for _ in range(3))
        rng.shuffle(numbers)
    counts: dict[str, int] = {}
    for row in rows:
        if row[_PRECINCT]:
            counts[row[_PRECINCT]] = counts.get(row[_PRECINCT], 0) + 1
    header = tuple(h.format(number=country.number_name) for h in HEADER)
    return SyntheticList(
        country=country,
        as_of=as_of,
        header=header,
        rows=tuple(tuple(r) for r in rows),
        lists={c: tuple(v) for c, v in lists.items()},
        expected={c: frozenset(v) for c, v in expected.items()},
        oversized=frozenset(p for p, c in counts.items() if c > PRECINCT_LIMIT),
    )
