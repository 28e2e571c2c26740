"""Kazakh individual identification number (IIN, ЖСН/ИИН): 12 digits with a check digit.

Layout: the birth date as YYMMDD; a digit for the century and sex (1/2: born in the 1800s,
male/female; 3/4: the 1900s; 5/6: the 2000s); four serial digits; a check digit.

The check digit (as the OECD's sheet on Kazakh TINs gives it, and public validators such as
valery1707/kaz-person-id implement it): the first 11 digits weighted 1..11, mod 11; if that
gives 10, weighted 3..11, 1, 2, mod 11; if that gives 10 again, no IIN has those 11 digits.
Weight 11 is 0 mod 11, so the first pass cannot see the 11th digit at all (and the second
pass cannot see the 9th): docs/documents.md lists exactly which misreads go unnoticed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terminal.idscan.pin import Sex

IIN_LENGTH = 12
FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# Digit 7: the first year of the birth century and the sex.
_CENTURY_SEX = {
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


class IinCheckDigitError(IinError):
    """Twelve digits whose check digit is wrong (most often a misread or mistyped digit)."""


def check_digit(first_eleven: str) -> int | None:
    """The check digit of an IIN's first 11 digits, or None when both passes give 10."""
    digits = [int(c) for c in first_eleven]
    for weights in (FIRST_WEIGHTS, SECOND_WEIGHTS):
        value = sum(w * d for w, d in zip(weights, digits, strict=True)) % 11
        if value != 10:
            return value
    return None


def parse_iin(text: str) -> Iin:
    """Parse and validate a 12-digit IIN.

    The check digit is verified before the date, so that a misread digit is reported as the
    misread it most likely is (IinCheckDigitError) rather than as an impossible date.
    """
    if len(text) != IIN_LENGTH or not (text.isascii() and text.isdigit()):
        raise IinError(f"an IIN is {IIN_LENGTH} digits")
    expected = check_digit(text[:11])
    if expected is None:
        raise IinCheckDigitError(
            "no IIN can start with these 11 digits (both check digit passes give 10)"
        )
    if int(text[11]) != expected:
        raise IinCheckDigitError(f"IIN check digit is {text[11]}, expected {expected}")
    century_sex = _CENTURY_SEX.get(text[6])
    if century_sex is None:
        raise IinError(f"digit 7 of an IIN (century and sex) must be 1-6, not {text[6]}")
    century, sex = century_sex
    try:
        birth = dt.date(century + int(text[0:2]), int(text[2:4]), int(text[4:6]))
    except ValueError as exc:
        raise IinError("digits 1-6 of the IIN are not a valid birth date YYMMDD") from exc
    return Iin(text, sex, birth)


def make_iin(sex: Sex, birth_date: dt.date, serial: int) -> str:
    """The IIN for a sex, a birth date (1800-2099) and a serial 0-9999 (for specimens and
    synthetic registers).

    Raises ValueError for a serial that admits no check digit (about one in 121): the
    issuer skips those numbers, so the caller picks another serial.
    """
    if not 1800 <= birth_date.year <= 2099 or not 0 <= serial <= 9999:
        raise ValueError("an IIN needs a birth year 1800-2099 and a serial 0-9999")
    century = birth_date.year // 100 * 100
    digit = next(d for d, cs in _CENTURY_SEX.items() if cs == (century, sex))
    first_eleven = f"{birth_date:%y%m%d}{digit}{serial:04d}"
    check = check_digit(first_eleven)
    if check is None:
        raise ValueError(f"serial {serial:04d} admits no IIN check digit on {birth_date}")
    return f"{first_eleven}{check}"
