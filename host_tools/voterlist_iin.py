"""Kazakh individual identification number (IIN, ЖСН/ИИН): 12 digits with a check digit.

Layout: the birth date as YYMMDD, a digit giving the century and sex (1/2 born in the
1800s, 3/4 in the 1900s, 5/6 in the 2000s; odd male, even female), a four-digit serial,
then a check digit.

This lives in host_tools only until terminal/idscan/iin.py exists; it mirrors the API of
terminal/idscan/pin.py (parse, make, error type) so that the two can be folded into one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terminal.idscan.pin import Sex

IIN_LENGTH = 12
_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# century/sex digit -> (first year of the century, sex)
_CENTURY = {
    "1": (1800, Sex.MALE),
    "2": (1800, Sex.FEMALE),
    "3": (1900, Sex.MALE),
    "4": (1900, Sex.FEMALE),
    "5": (2000, Sex.MALE),
    "6": (2000, Sex.FEMALE),
}


@dataclass(frozen=True)
class Iin:
    number: str
    sex: Sex
    birth_date: dt.date


class IinError(ValueError):
    """The text is not a valid IIN; the message says which part is wrong."""


def check_digit(first11: str) -> int | None:
    """The check digit for the first 11 digits, or None when no digit can be valid.

    A weighted sum mod 11; a result of 10 is retried with shifted weights, and a second
    10 means the number is never issued (the registry skips such serials).
    """
    digits = [ord(c) - 48 for c in first11]
    total = sum(w * d for w, d in zip(_WEIGHTS, digits, strict=True)) % 11
    if total == 10:
        total = sum(w * d for w, d in zip(_SECOND_WEIGHTS, digits, strict=True)) % 11
        if total == 10:
            return None
    return total


def parse_iin(text: str) -> Iin:
    """Parse and validate a 12-digit Kazakh IIN: length, date, century digit, check digit."""
    if len(text) != IIN_LENGTH or not (text.isascii() and text.isdigit()):
        raise IinError(f"an IIN is {IIN_LENGTH} digits")
    century = _CENTURY.get(text[6])
    if century is None:
        raise IinError("the 7th digit of an IIN (century and sex) must be 1-6")
    first_year, sex = century
    try:
        birth = dt.date(first_year + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError as exc:
        raise IinError("digits 1-6 of the IIN are not a valid birth date YYMMDD") from exc
    expected = check_digit(text[:11])
    if expected is None:
        raise IinError("the IIN has no valid check digit (such numbers are never issued)")
    if int(text[11]) != expected:
        raise IinError("the check digit of the IIN is wrong")
    return Iin(text, sex, birth)


def make_iin(sex: Sex, birth_date: dt.date, serial: int) -> str | None:
    """The IIN for a sex, a birth date and a serial 0-9999, or None when that serial has no
    valid check digit (used to make synthetic lists; real IINs skip those serials)."""
    if not 1800 <= birth_date.year <= 2099:
        raise ValueError("an IIN covers birth years 1800-2099")
    base = (birth_date.year // 100 - 18) * 2 + 1  # 1, 3 or 5: the male digit of the century
    digit = base if sex is Sex.MALE else base + 1
    first11 = f"{birth_date:%y%m%d}{digit}{serial:04d}"
    check = check_digit(first11)
    return None if check is None else f"{first11}{check}"
