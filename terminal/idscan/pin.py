"""Kyrgyz personal identification number (PIN, ПИН): 14 digits, no check digit.

Layout: a sex digit (1 female, 2 male), the birth date as DDMMYYYY, then a five-digit
serial. With no check digit, a PIN is only as good as its structure and its date, which
is why it is cross-checked against the document and the register.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

PIN_LENGTH = 14


class Sex(Enum):
    FEMALE = "F"
    MALE = "M"


@dataclass(frozen=True)
class Pin:
    number: str
    sex: Sex
    birth_date: dt.date


class PinError(ValueError):
    """The text is not a structurally valid PIN; the message says which part is wrong."""


def parse_pin(text: str) -> Pin:
    """Parse and validate a 14-digit Kyrgyz PIN."""
    if len(text) != PIN_LENGTH or not (text.isascii() and text.isdigit()):
        raise PinError(f"a PIN is {PIN_LENGTH} digits")
    sex = {"1": Sex.FEMALE, "2": Sex.MALE}.get(text[0])
    if sex is None:
        raise PinError("the first digit of a PIN (sex) must be 1 or 2")
    try:
        birth = dt.date(int(text[5:9]), int(text[3:5]), int(text[1:3]))
    except ValueError as exc:
        raise PinError("digits 2-9 of the PIN are not a valid birth date DDMMYYYY") from exc
    if birth.year < 1900:
        raise PinError("the birth year in the PIN is before 1900")
    return Pin(text, sex, birth)


def make_pin(sex: Sex, birth_date: dt.date, serial: int) -> str:
    """The PIN for a sex, a birth date and a serial (used to make synthetic registers)."""
    digit = "1" if sex is Sex.FEMALE else "2"
    return f"{digit}{birth_date:%d%m%Y}{serial:05d}"


def mask(number: str) -> str:
    """The number as shown on screen: only the last three digits, so onlookers learn nothing."""
    return "•" * (len(number) - 3) + number[-3:]
