"""Kazakh IIN: numbers computed by hand, both check digit passes, and exactly which single
digit errors the check digit misses (docs/documents.md)."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from terminal.idscan.iin import (
    FIRST_WEIGHTS,
    IinCheckDigitError,
    IinError,
    check_digit,
    make_iin,
    parse_iin,
)
from terminal.idscan.pin import Sex
from terminal.idscan.scans import classify
from tests.idscan import specimens as s


def test_numbers_computed_by_hand() -> None:
    assert check_digit(s.KAZ_IIN_F[:11]) == 3
    assert check_digit(s.KAZ_IIN_M[:11]) == 4
    female = parse_iin(s.KAZ_IIN_F)
    assert (female.sex, female.birth_date) == (Sex.FEMALE, dt.date(1990, 3, 15))
    male = parse_iin(s.KAZ_IIN_M)
    assert (male.sex, male.birth_date) == (Sex.MALE, dt.date(1972, 11, 30))


def test_the_second_pass() -> None:
    assert check_digit(s.KAZ_IIN_SECOND_PASS[:11]) == 7
    iin = parse_iin(s.KAZ_IIN_SECOND_PASS)
    assert (iin.sex, iin.birth_date) == (Sex.MALE, dt.date(1975, 8, 12))
    assert make_iin(Sex.MALE, dt.date(1975, 8, 12), 0) == s.KAZ_IIN_SECOND_PASS


def test_digits_that_admit_no_check_digit_are_no_iin() -> None:
    assert check_digit(s.KAZ_IIN_PREFIX_WITHOUT_CHECK) is None
    for last in "0123456789":
        with pytest.raises(IinCheckDigitError, match="both check digit passes give 10"):
            parse_iin(s.KAZ_IIN_PREFIX_WITHOUT_CHECK + last)
    with pytest.raises(ValueError, match="serial 0007 admits no IIN check digit"):
        make_iin(Sex.MALE, dt.date(1975, 8, 12), 7)


@pytest.mark.parametrize(
    ("sex", "born", "digit"),
    [
        (Sex.MALE, dt.date(1899, 12, 31), "1"),
        (Sex.FEMALE, dt.date(1800, 1, 1), "2"),
        (Sex.MALE, dt.date(1900, 2, 28), "3"),
        (Sex.FEMALE, dt.date(1999, 6, 30), "4"),
        (Sex.MALE, dt.date(2000, 2, 29), "5"),
        (Sex.FEMALE, dt.date(2024, 5, 1), "6"),
    ],
)
def test_century_and_sex(sex: Sex, born: dt.date, digit: str) -> None:
    number = next(n for n in (_try_make(sex, born, serial) for serial in range(20)) if n)
    assert number[6] == digit
    iin = parse_iin(number)
    assert (iin.sex, iin.birth_date, iin.number) == (sex, born, number)


def _try_make(sex: Sex, born: dt.date, serial: int) -> str | None:
    try:
        return make_iin(sex, born, serial)
    except ValueError:
        return None


def _with_check(first_eleven: str) -> str:
    check = check_digit(first_eleven)
    assert check is not None
    return first_eleven + str(check)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("90031540123", "an IIN is 12 digits"),
        ("9003154012333", "an IIN is 12 digits"),
        ("90031540123X", "an IIN is 12 digits"),
        ("９００３１５４０１２３３", "an IIN is 12 digits"),
        ("900315401234", "IIN check digit is 4, expected 3"),
        (_with_check("90031500123"), "digit 7 of an IIN (century and sex) must be 1-6, not 0"),
        (_with_check("90031570123"), "digit 7 of an IIN (century and sex) must be 1-6, not 7"),
        (_with_check("90023140123"), "digits 1-6 of the IIN are not a valid birth date"),
        (_with_check("00022930123"), "digits 1-6 of the IIN are not a valid birth date"),
    ],
)
def test_what_is_not_an_iin(text: str, message: str) -> None:
    with pytest.raises(IinError, match=re.escape(message)):
        parse_iin(text)


def test_make_refuses_what_no_iin_can_say() -> None:
    for born, serial in [(dt.date(1799, 12, 31), 1), (dt.date(2100, 1, 1), 1)]:
        with pytest.raises(ValueError, match="birth year 1800-2099"):
            make_iin(Sex.MALE, born, serial)
    with pytest.raises(ValueError, match="serial 0-9999"):
        make_iin(Sex.MALE, dt.date(1990, 1, 1), 10000)


def _first_pass(digits: str) -> int:
    return sum(w * int(d) for w, d in zip(FIRST_WEIGHTS, digits, strict=False)) % 11


def test_exactly_which_single_digit_errors_the_check_digit_misses() -> None:
    """Weight 11 is 0 mod 11, so the first pass never sees digit 11; a substitution
    elsewhere is missed only when it moves the number from one pass to the other and the
    other pass happens to give the same check digit. The check digit itself is always
    checked."""
    rng = random.Random(9303)
    numbers = 0
    while numbers < 3000:
        first_eleven = "".join(rng.choice("0123456789") for _ in range(11))
        check = check_digit(first_eleven)
        if check is None:
            continue
        numbers += 1
        number = first_eleven + str(check)
        before = _first_pass(number)
        for position, digit in ((p, d) for p in range(12) for d in "0123456789"):
            if digit == number[position]:
                continue
            changed = number[:position] + digit + number[position + 1 :]
            missed = check_digit(changed[:11]) == int(changed[11])
            if position == 11:
                assert not missed
            elif position == 10:
                assert missed == (before != 10)
            elif missed:
                assert (before == 10) != (_first_pass(changed) == 10)


def test_the_11th_digit_is_unprotected_in_a_bare_iin_but_not_in_an_mrz() -> None:
    # 900315401233 has first pass 3 (not 10), so its 11th digit can be anything.
    other = s.KAZ_IIN_F[:10] + "9" + s.KAZ_IIN_F[11]
    assert parse_iin(other).number == "900315401293"
    # Inside an MRZ the 7-3-1 check digits catch every digit-for-digit substitution.
    line1 = s.KAZ_TD1[0].replace(s.KAZ_IIN_F, other)
    assert not classify(s.scan((line1, *s.KAZ_TD1[1:])), today=s.TODAY).valid
