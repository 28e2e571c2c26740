"""Kyrgyz PIN: structure and date, the only checks a number without a check digit allows."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from terminal.idscan.pin import Pin, PinError, Sex, make_pin, mask, parse_pin
from tests.idscan import specimens as s


def test_specimens() -> None:
    assert parse_pin(s.KGZ_PIN_F) == Pin(s.KGZ_PIN_F, Sex.FEMALE, dt.date(1985, 7, 22))
    assert parse_pin(s.KGZ_PIN_M) == Pin(s.KGZ_PIN_M, Sex.MALE, dt.date(2001, 1, 9))
    assert make_pin(Sex.FEMALE, dt.date(1985, 7, 22), 123) == s.KGZ_PIN_F
    assert make_pin(Sex.MALE, dt.date(2001, 1, 9), 4210) == s.KGZ_PIN_M


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1220719850012", "a PIN is 14 digits"),
        ("1220719850012X", "a PIN is 14 digits"),
        ("32207198500123", "the first digit of a PIN (sex) must be 1 or 2"),
        ("13202198500123", "digits 2-9 of the PIN are not a valid birth date DDMMYYYY"),
        ("12902190000123", "digits 2-9 of the PIN are not a valid birth date DDMMYYYY"),
        ("12207189900123", "the birth year in the PIN is before 1900"),
    ],
)
def test_what_is_not_a_pin(text: str, message: str) -> None:
    with pytest.raises(PinError, match=re.escape(message)):
        parse_pin(text)


def test_mask_shows_only_the_last_three_digits() -> None:
    assert mask(s.KGZ_PIN_F) == "•" * 11 + "123"
