"""ICAO Doc 9303 machine-readable zones: TD1 (3 lines of 30), TD2 (2 of 36), TD3 (2 of 44).

Parsing verifies every check digit the format defines and collects every problem it finds
in reading order, so that the poll worker sees them all at once. The make_td* writers make
specimens with correct check digits for the tests and the simulator.

Sources (ICAO Doc 9303, 8th edition, 2021): Part 3 §4.9 for check digits, Part 4 for TD3
(passports), Part 5 for TD1 and Part 6 for TD2 (ID cards and other official documents).
Field positions in comments and messages are 1-based, as in Doc 9303.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from terminal.idscan.findings import Finding, Problem
from terminal.idscan.icao import is_icao_code
from terminal.idscan.pin import Sex

FILLER = "<"
# Part 3 §4.9: digits are their value, A-Z are 10-35, the filler is 0; weights 7, 3, 1.
_VALUES = {c: v for v, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {FILLER: 0}
WEIGHTS = (7, 3, 1)
_MRZ_LINE = re.compile(r"[A-Z0-9<]*")
# A country code: one to three letters, padded with fillers (e.g. "KAZ", "D<<").
_STATE = re.compile(r"[A-Z]{1,3}<*")
_DATE = re.compile(r"[0-9]{6}")
_SEXES = {"M": Sex.MALE, "F": Sex.FEMALE, "X": None, FILLER: None}
# How far ahead of today an expiry date can lie when its century is chosen: documents are
# valid for ten years at most, so half a century is a wide margin either way.
_EXPIRY_HORIZON_YEARS = 50


class Format(Enum):
    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"

    @property
    def shape(self) -> tuple[int, int]:
        """(number of lines, characters per line)."""
        return {Format.TD1: (3, 30), Format.TD2: (2, 36), Format.TD3: (2, 44)}[self]

    @classmethod
    def of(cls, lines: Sequence[str]) -> Format | None:
        """The format whose shape these lines have, or None."""
        shape = (len(lines), len(lines[0]) if lines else 0)
        if all(len(line) == shape[1] for line in lines):
            return next((f for f in cls if f.shape == shape), None)
        return None


class Field(Enum):
    """The fields an issuer may fill with its own data (where national numbers go)."""

    # TD1 upper line 16-30 (after any document number overflow), TD2 line 2 29-35,
    # TD3 line 2 29-42 (the personal number).
    OPTIONAL_DATA = "optional_data"
    # TD1 middle line 19-29; TD2 and TD3 have no second optional data field.
    OPTIONAL_DATA_2 = "optional_data_2"


@dataclass(frozen=True)
class Mrz:
    format: Format
    document_code: str  # fillers removed: "ID", "P", "I"
    issuing_state: str  # fillers removed: "KAZ", "KGZ", "D"
    document_number: str  # the whole number (TD1/TD2 overflow joined), trailing fillers removed
    birth_date: dt.date | None  # None when the field is not a date (see errors)
    sex: Sex | None  # None: unspecified (X or <), or not a sex code (see errors)
    expiry: dt.date | None
    nationality: str
    optional_data: str  # as printed, fillers kept, without the document number overflow
    optional_data_2: str  # TD1 only; "" for TD2 and TD3
    surname: str
    given_names: str
    errors: tuple[Finding, ...]
    # Part 3: a name field that ends in a letter, with no filler left, was cut to fit.
    name_truncated: bool = False

    def field(self, field: Field) -> str:
        return self.optional_data if field is Field.OPTIONAL_DATA else self.optional_data_2


class MrzError(ValueError):
    """The lines are not an MRZ at all (shape or characters); nothing can be read from them."""


def check_digit(data: str) -> int:
    """The Doc 9303 check digit of MRZ characters (Part 3 §4.9): 7-3-1 weights, mod 10.

    Part 3's worked example: check_digit("520727") == 3.
    """
    try:
        return sum(_VALUES[c] * WEIGHTS[i % 3] for i, c in enumerate(data)) % 10
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not an MRZ character") from exc


def parse_mrz(lines: Sequence[str], today: dt.date) -> Mrz:
    """Parse an MRZ given as its lines; `today` chooses the century of two-digit years.

    Raises MrzError when the lines have no MRZ shape or hold characters outside A-Z, 0-9
    and '<'; every other problem is a Finding in Mrz.errors (valid when there are none).
    """
    fmt = Format.of(lines)
    if fmt is None:
        lengths = " and ".join(str(len(line)) for line in lines)
        shape = f" of {lengths} characters" if len(lines) <= 3 else ""
        raise MrzError(
            "an MRZ is 3 lines of 30 characters (TD1) or 2 lines of 36 (TD2) or 44 (TD3); "
            f"this scan has {len(lines)} lines{shape}"
        )
    for number, line in enumerate(lines, 1):
        if not _MRZ_LINE.fullmatch(line):
            position, char = next((i, c) for i, c in enumerate(line, 1) if c not in _VALUES)
            raise MrzError(
                f"{fmt.value} line {number}: character {char!a} at position {position} "
                "is not allowed in an MRZ (A-Z, 0-9 and '<' only)"
            )
    return _Reader(fmt, today).read(lines)


class _Reader:
    """Reads the fields of one MRZ whose shape and characters are known to be right."""

    def __init__(self, fmt: Format, today: dt.date) -> None:
        self.fmt = fmt
        self.today = today
        self.errors: list[Finding] = []
        self.truncated = False

    def read(self, lines: Sequence[str]) -> Mrz:
        if self.fmt is Format.TD1:
            return self._td1(*lines)
        return self._td2_td3(*lines)

    def _td1(self, l1: str, l2: str, l3: str) -> Mrz:
        # Part 5: line 1 code 1-2, state 3-5, number 6-14, check 15, optional 16-30;
        # line 2 birth 1-6, check 7, sex 8, expiry 9-14, check 15, nationality 16-18,
        # optional 19-29, composite 30 (over line 1 6-30 and line 2 1-7, 9-15, 19-29);
        # line 3 the name.
        code = self._code(1, l1[0:2])
        state = self._state(1, "issuing state", l1[2:5])
        number, optional = self._number(1, l1[5:14], l1[14], l1[15:30])
        birth = self._date(2, "birth date", l2[0:6], l2[6], self.today)
        sex = self._sex(2, l2[7])
        expiry = self._date(2, "expiry date", l2[8:14], l2[14], self._expiry_limit())
        nationality = self._state(2, "nationality", l2[15:18])
        self._check(2, "composite", l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
        surname, given = self._name(3, l3)
        return Mrz(
            format=self.fmt,
            document_code=code,
            issuing_state=state,
            document_number=number,
            birth_date=birth,
            sex=sex,
            expiry=expiry,
            nationality=nationality,
            optional_data=optional,
            optional_data_2=l2[18:29],
            surname=surname,
            given_names=given,
            errors=tuple(self.errors),
            name_truncated=self.truncated,
        )

    def _td2_td3(self, l1: str, l2: str) -> Mrz:
        # Part 4 (TD3) and Part 6 (TD2): line 1 code 1-2, state 3-5, name 6-end;
        # line 2 number 1-9, check 10, nationality 11-13, birth 14-19, check 20, sex 21,
        # expiry 22-27, check 28, then the optional data: TD2 29-35; TD3 29-42 with its own
        # check digit at 43. Last the composite, over 1-10, 14-20 and 22 up to it.
        code = self._code(1, l1[0:2])
        state = self._state(1, "issuing state", l1[2:5])
        surname, given = self._name(1, l1[5:])
        end = len(l2) - 1
        optional_end = end - 1 if self.fmt is Format.TD3 else end
        number, optional = self._number(2, l2[0:9], l2[9], l2[28:optional_end])
        nationality = self._state(2, "nationality", l2[10:13])
        birth = self._date(2, "birth date", l2[13:19], l2[19], self.today)
        sex = self._sex(2, l2[20])
        expiry = self._date(2, "expiry date", l2[21:27], l2[27], self._expiry_limit())
        if self.fmt is Format.TD3:
            self._optional_check(l2[28:42], l2[42])
        self._check(2, "composite", l2[0:10] + l2[13:20] + l2[21:end], l2[end])
        return Mrz(
            format=self.fmt,
            document_code=code,
            issuing_state=state,
            document_number=number,
            birth_date=birth,
            sex=sex,
            expiry=expiry,
            nationality=nationality,
            optional_data=optional,
            optional_data_2="",
            surname=surname,
            given_names=given,
            errors=tuple(self.errors),
            name_truncated=self.truncated,
        )

    def _error(self, line: int, problem: Problem, message: str) -> None:
        self.errors.append(Finding(problem, f"{self.fmt.value} line {line}: {message}"))

    def _check(self, line: int, what: str, data: str, digit: str) -> None:
        expected = check_digit(data)
        if digit != str(expected):
            shown = digit if digit.isdigit() else repr(digit)
            self._error(
                line, Problem.CHECK_DIGIT, f"{what} check digit is {shown}, expected {expected}"
            )

    def _code(self, line: int, code: str) -> str:
        # Part 4: passports start with P. Parts 5 and 6: official travel documents (ID
        # cards) with A, C or I. The second character is the issuer's choice.
        first = "P" if self.fmt is Format.TD3 else "ACI"
        if code[0] not in first or not (code[1].isalpha() or code[1] == FILLER):
            kind = "a passport code (P)" if self.fmt is Format.TD3 else "an ID code (A, C or I)"
            self._error(line, Problem.MALFORMED, f"document code {code!r} is not {kind}")
        elif self.fmt is not Format.TD3 and code[1] == "V":
            # Parts 5 and 6: V is never the second character (it would read as a visa).
            self._error(line, Problem.MALFORMED, f"document code {code!r}: V is not allowed")
        elif code == "AC":
            # Part 5, appendix: AC is the crew member certificate, an airline crew's travel
            # document, which identifies no voter.
            self._error(line, Problem.MALFORMED, "document code 'AC' is a crew member certificate")
        return code.rstrip(FILLER)

    def _state(self, line: int, what: str, code: str) -> str:
        if not _STATE.fullmatch(code):
            self._error(line, Problem.MALFORMED, f"{what} {code!r} is not a country code")
        elif not is_icao_code(code.rstrip(FILLER)):
            self._error(line, Problem.MALFORMED, f"{what} {code!r} is not on ICAO's list of codes")
        return code.rstrip(FILLER)

    def _number(self, line: int, first: str, check: str, optional: str) -> tuple[str, str]:
        """The document number and the optional data that follows it.

        Parts 5 and 6 (the notes on the document number field): a number longer than 9
        characters has its first 9 in the number field, a filler where the check digit
        would be, and the rest at the start of the optional data, followed by the check
        digit of the whole number and a filler. TD3 has no such overflow (Part 4).
        """
        if check != FILLER or self.fmt is Format.TD3:
            self._check(line, "document number", first, check)
            return first.rstrip(FILLER), optional
        rest = optional.split(FILLER, 1)[0]
        if len(rest) < 2:
            self._error(
                line,
                Problem.MALFORMED,
                "document number check digit is '<' but the optional data does not continue "
                "the number (the rest of it, then its check digit)",
            )
            return first.rstrip(FILLER), optional
        number = first + rest[:-1]
        self._check(line, "document number", number, rest[-1])
        return number, optional[len(rest) + 1 :]

    def _date(self, line: int, what: str, field: str, check: str, limit: dt.date) -> dt.date | None:
        self._check(line, what, field, check)
        date = _resolve(field, limit) if _DATE.fullmatch(field) else None
        if date is None:
            self._error(line, Problem.MALFORMED, f"{what} {field!r} is not a date YYMMDD")
        return date

    def _expiry_limit(self) -> dt.date:
        return dt.date(min(self.today.year + _EXPIRY_HORIZON_YEARS, dt.MAXYEAR), 12, 31)

    def _sex(self, line: int, code: str) -> Sex | None:
        # Parts 4-6, the sex field: F, M, or unspecified, written '<' by the 7th edition and
        # X by the 8th; both are read as "not stated".
        if code not in _SEXES:
            self._error(line, Problem.MALFORMED, f"sex is {code!r}, expected M, F, X or '<'")
        return _SEXES.get(code)

    def _optional_check(self, optional: str, check: str) -> None:
        # Part 4: when the personal number field is all fillers its check digit may be a
        # filler too (and a filler counts as 0, so 0 is right as well).
        if optional.strip(FILLER) or check != FILLER:
            self._check(2, "personal number", optional, check)

    def _name(self, line: int, field: str) -> tuple[str, str]:
        # Part 3, names: the primary identifier (surname), two fillers, the secondary
        # identifier (given names); single fillers separate the components inside either.
        # Once two fillers follow the secondary identifier, only fillers may follow; a
        # field that ends in a letter was truncated to fit, which is no error.
        self.truncated = field[-1:].isalpha()
        surname, _, given = field.rstrip(FILLER).partition(FILLER * 2)
        if not surname or surname.startswith(FILLER):
            self._error(line, Problem.MALFORMED, "the name has no surname (primary identifier)")
        if any(c.isdigit() for c in field):
            self._error(line, Problem.MALFORMED, "the name holds digits (letters A-Z and '<' only)")
        elif given.startswith(FILLER) or FILLER * 2 in given:
            self._error(
                line,
                Problem.MALFORMED,
                "the name continues after the two fillers that end the given names",
            )
        return _words(surname), _words(given)


def _words(part: str) -> str:
    return " ".join(word for word in part.split(FILLER) if word)


def _resolve(yymmdd: str, limit: dt.date) -> dt.date | None:
    """The date with these digits in the century that puts it closest to `limit` without
    passing it, or None when no century makes it a date (Doc 9303 gives years as 2 digits).
    """
    yy, mm, dd = int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    year = limit.year - (limit.year - yy) % 100
    for candidate in (year, year - 100):
        try:
            date = dt.date(candidate, mm, dd)
        except ValueError:
            continue
        if date <= limit:
            return date
    return None


def make_td1(
    *,
    issuing_state: str,
    document_number: str,
    birth_date: dt.date,
    sex: Sex | None,
    expiry: dt.date,
    nationality: str,
    surname: str,
    given_names: str,
    optional_data: str = "",
    optional_data_2: str = "",
    document_code: str = "ID",
) -> tuple[str, str, str]:
    """The three lines of a TD1 MRZ (Part 5); join them with '\\r' for a scanner payload."""
    number, check, optional = _number_fields(document_number, optional_data, 15)
    l1 = _pad(document_code, 2) + _pad(issuing_state, 3) + number + check + optional
    l2 = (
        _date_field(birth_date)
        + _sex_code(sex)
        + _date_field(expiry)
        + _pad(nationality, 3)
        + _pad(optional_data_2, 11)
    )
    l2 += str(check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]))
    return l1, l2, _name_field(surname, given_names, 30)


def make_td2(
    *,
    issuing_state: str,
    document_number: str,
    birth_date: dt.date,
    sex: Sex | None,
    expiry: dt.date,
    nationality: str,
    surname: str,
    given_names: str,
    optional_data: str = "",
    document_code: str = "I",
) -> tuple[str, str]:
    """The two lines of a TD2 MRZ (Part 6)."""
    number, check, optional = _number_fields(document_number, optional_data, 7)
    l1 = _pad(document_code, 2) + _pad(issuing_state, 3) + _name_field(surname, given_names, 31)
    l2 = (
        number
        + check
        + _pad(nationality, 3)
        + _date_field(birth_date)
        + _sex_code(sex)
        + _date_field(expiry)
        + optional
    )
    return l1, l2 + str(check_digit(l2[0:10] + l2[13:20] + l2[21:35]))


def make_td3(
    *,
    issuing_state: str,
    document_number: str,
    birth_date: dt.date,
    sex: Sex | None,
    expiry: dt.date,
    nationality: str,
    surname: str,
    given_names: str,
    personal_number: str = "",
    document_code: str = "P",
) -> tuple[str, str]:
    """The two lines of a TD3 MRZ (Part 4): passports; numbers of at most 9 characters."""
    number = _pad(document_number, 9)
    personal = _pad(personal_number, 14)
    l1 = _pad(document_code, 2) + _pad(issuing_state, 3) + _name_field(surname, given_names, 39)
    l2 = (
        number
        + str(check_digit(number))
        + _pad(nationality, 3)
        + _date_field(birth_date)
        + _sex_code(sex)
        + _date_field(expiry)
        + personal
        + (str(check_digit(personal)) if personal_number else FILLER)
    )
    return l1, l2 + str(check_digit(l2[0:10] + l2[13:20] + l2[21:43]))


def _number_fields(number: str, optional: str, width: int) -> tuple[str, str, str]:
    """Number field, its check digit and the optional data, with a long number's overflow."""
    if len(number) <= 9:
        field = _pad(number, 9)
        return field, str(check_digit(field)), _pad(optional, width)
    overflow = number[9:] + str(check_digit(number)) + FILLER
    return number[:9], FILLER, _pad(overflow + optional, width)


def _pad(text: str, width: int) -> str:
    if len(text) > width or not _MRZ_LINE.fullmatch(text):
        raise ValueError(f"{text!r} is not up to {width} MRZ characters (A-Z, 0-9, '<')")
    return text.ljust(width, FILLER)


def _date_field(date: dt.date) -> str:
    field = f"{date:%y%m%d}"
    return field + str(check_digit(field))


def _sex_code(sex: Sex | None) -> str:
    return FILLER if sex is None else sex.value


def _name_field(surname: str, given_names: str, width: int) -> str:
    """Names already in MRZ letters (Part 3 gives the transliteration of Cyrillic to A-Z);
    spaces and hyphens become fillers. A name longer than the field is cut at its end, which
    is enough for specimens (Part 3 has finer truncation rules)."""
    name = f"{surname}<<{given_names}".upper().replace(" ", FILLER).replace("-", FILLER)
    return _pad(name[:width], width)
