"""MRZ parsing: precise errors, every single-character corruption, and the exact blind spots
of the 7-3-1 check digits (docs/documents.md)."""

from __future__ import annotations

import datetime as dt
import re
from itertools import product

import pytest

from terminal.idscan.findings import Problem
from terminal.idscan.mrz import Format, MrzError, parse_mrz
from terminal.idscan.pin import Sex
from terminal.idscan.scans import classify
from tests.idscan import specimens as s

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"


def value(char: str) -> int:
    """Doc 9303 Part 3: digits are themselves, A-Z 10-35, the filler 0."""
    return 0 if char == "<" else ALPHABET.index(char)


def blind(a: str, b: str) -> bool:
    """Whether no check digit can tell a from b: a substitution changes a 7-3-1 sum by
    weight * (value(a) - value(b)), and every weight is prime to 10, so it goes unseen
    exactly when the values are equal mod 10."""
    return value(a) % 10 == value(b) % 10


def corrupt(lines: tuple[str, ...], line: int, column: int, char: str) -> tuple[str, ...]:
    changed = lines[line][:column] + char + lines[line][column + 1 :]
    return (*lines[:line], changed, *lines[line + 1 :])


def errors(lines: tuple[str, ...]) -> list[str]:
    return [f.message for f in parse_mrz(lines, s.TODAY).errors]


def test_the_blind_classes_are_those_in_the_docs() -> None:
    classes = {"".join(c for c in ALPHABET if value(c) % 10 == r) for r in range(10)}
    assert classes == {"0AKU<", "1BLV", "2CMW", "3DNX", "4EOY", "5FPZ", "6GQ", "7HR", "8IS", "9JT"}
    # Most look-alikes that OCR confuses are told apart; G and 6 are not.
    assert not any(blind(a, b) for a, b in ["O0", "I1", "B8", "S5", "Z2", "D0", "Q0", "T7"])
    assert blind("G", "6") and blind("K", "<")


# Positions (line, column; 0-based) covered by a check digit, per format: TD1 line 1 6-30
# and line 2 1-7, 9-15, 19-30; TD2 and TD3 line 2 1-10, 14-20 and 22 to the end.
COVERED = {
    Format.TD1: [(0, c) for c in range(5, 30)]
    + [(1, c) for c in [*range(0, 7), *range(8, 15), *range(18, 30)]],
    Format.TD2: [(1, c) for c in [*range(0, 10), *range(13, 20), *range(21, 36)]],
    Format.TD3: [(1, c) for c in [*range(0, 10), *range(13, 20), *range(21, 44)]],
}


def _columns(line: int, first: int, last: int) -> set[tuple[int, int]]:
    return {(line, c) for c in range(first, last + 1)}


# Covered positions whose content is free text (document numbers, optional data that holds
# no national number): there, and only there, a blind substitution goes unnoticed. All
# other covered positions hold dates, check digits, a national number or the structure of
# a long document number, which must be digits or fillers, so nothing there goes unseen.
FREE = {
    "KAZ TD1": _columns(0, 5, 13) | _columns(0, 27, 29) | _columns(1, 18, 28),
    "KGZ TD1": _columns(0, 5, 13) | _columns(0, 29, 29) | _columns(1, 18, 28),
    "KAZ TD3": _columns(1, 0, 8) | _columns(1, 40, 41),
    "KGZ TD3": _columns(1, 0, 8),
    "ICAO TD1": _columns(0, 5, 13) | _columns(0, 15, 29) | _columns(1, 18, 28),
    "ICAO TD2": _columns(1, 0, 8) | _columns(1, 28, 34),
    "ICAO TD3": _columns(1, 0, 8) | _columns(1, 28, 41),
    # The number's first 9, its overflow "734"; after its check digit and the filler that
    # ends it, the rest of the optional data.
    "ICAO TD1 long number": _columns(0, 5, 13)
    | _columns(0, 15, 17)
    | _columns(0, 20, 29)
    | _columns(1, 18, 28),
    "ICAO TD2 long number": _columns(1, 0, 8) | _columns(1, 28, 30) | _columns(1, 33, 34),
}


@pytest.mark.parametrize("name", sorted(s.SPECIMENS))
def test_every_single_substitution_is_caught_except_the_blind_ones(name: str) -> None:
    lines = s.SPECIMENS[name]
    fmt = Format.of(lines)
    assert fmt is not None
    missed, seen_blind = [], 0
    for (line, column), char in product(COVERED[fmt], ALPHABET):
        original = lines[line][column]
        if char == original:
            continue
        document = classify(s.scan(corrupt(lines, line, column, char)), today=s.TODAY)
        expected = (line, column) in FREE[name] and blind(original, char)
        seen_blind += expected
        if document.valid != expected:
            missed.append((line + 1, column + 1, original, char, document.valid))
    assert missed == []
    assert seen_blind > 0  # the blind spots are real, not only possible


def test_what_no_check_digit_covers() -> None:
    # Names, sex, nationality, document code and issuing state carry no check digit
    # (Doc 9303: on TD2 and TD3 nothing of line 1 is covered). A changed name goes unseen.
    renamed = corrupt(s.KAZ_TD1, 2, 0, "S")
    assert classify(s.scan(renamed), today=s.TODAY).surname == "SHANUZAKOVA"
    assert classify(s.scan(renamed), today=s.TODAY).valid
    # A changed sex is caught only by the national number.
    assert not classify(s.scan(corrupt(s.KAZ_TD1, 1, 7, "M")), today=s.TODAY).valid
    assert classify(s.scan(corrupt(s.ICAO_TD1, 1, 7, "M")), today=s.TODAY).valid
    # A changed issuing state is caught by ICAO's list of codes when the new code is on no
    # list ("KAY"); changed into another state's code ("KAZ" -> "KEN") the document loses its
    # national number: valid, but of another country, which no KAZ or KGZ election accepts.
    other = classify(s.scan(corrupt(s.KAZ_TD1, 0, 4, "Y")), today=s.TODAY)
    assert (other.valid, other.country) == (False, "KAY")
    assert "issuing state 'KAY' is not on ICAO's list of codes" in str(other.errors)
    kenya = classify(s.scan(corrupt(corrupt(s.KAZ_TD1, 0, 3, "E"), 0, 4, "N")), today=s.TODAY)
    assert (kenya.valid, kenya.country, kenya.number) == (True, "KEN", None)


def test_the_example_message_of_the_issue() -> None:
    # The composite covers the check digit too, at weight 7: 6 - (7 - 3) * 7 = -22, so 8.
    assert errors(corrupt(s.ICAO_TD1, 0, 14, "3")) == [
        "TD1 line 1: document number check digit is 3, expected 7",
        "TD1 line 2: composite check digit is 6, expected 8",
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            # The composite sees the birth date's check digit at weight 3: 0 - 2 * 3, so 4.
            corrupt(s.ICAO_TD3, 1, 19, "<"),
            [
                "TD3 line 2: birth date check digit is '<', expected 2",
                "TD3 line 2: composite check digit is 0, expected 4",
            ],
        ),
        (
            # At weight 1: 8 + (1 - 7), so 2.
            corrupt(s.KAZ_TD3, 1, 42, "1"),
            [
                "TD3 line 2: personal number check digit is 1, expected 7",
                "TD3 line 2: composite check digit is 8, expected 2",
            ],
        ),
        (
            # 741312: 49 + 12 + 1 + 21 + 3 + 2 = 88, so 8; the composite sees the two
            # changed digits at weights 7 and 3: 0 + (1 - 0) * 7 + (3 - 8) * 3 = -8, so 2.
            corrupt(corrupt(s.ICAO_TD3, 1, 15, "1"), 1, 16, "3"),
            [
                "TD3 line 2: birth date check digit is 2, expected 8",
                "TD3 line 2: birth date '741312' is not a date YYMMDD",
                "TD3 line 2: composite check digit is 0, expected 2",
            ],
        ),
        (corrupt(s.ICAO_TD1, 1, 7, "Q"), ["TD1 line 2: sex is 'Q', expected M, F, X or '<'"]),
        (
            corrupt(s.ICAO_TD2, 0, 0, "P"),
            ["TD2 line 1: document code 'P<' is not an ID code (A, C or I)"],
        ),
        (
            corrupt(s.ICAO_TD3, 0, 0, "V"),
            ["TD3 line 1: document code 'V<' is not a passport code (P)"],
        ),
        (corrupt(s.ICAO_TD3, 0, 3, "<"), ["TD3 line 1: issuing state 'U<O' is not a country code"]),
        (corrupt(s.ICAO_TD3, 1, 11, "1"), ["TD3 line 2: nationality 'U1O' is not a country code"]),
        (
            corrupt(s.ICAO_TD1, 2, 3, "1"),
            ["TD1 line 3: the name holds digits (letters A-Z and '<' only)"],
        ),
        (
            (s.ICAO_TD1[0], s.ICAO_TD1[1], "<<ANNA" + "<" * 24),
            ["TD1 line 3: the name has no surname (primary identifier)"],
        ),
        (
            # The long number's check digit, at composite weight 3: 6 + (8 - 9) * 3, so 3.
            corrupt(s.ICAO_TD1_LONG_NUMBER, 0, 18, "8"),
            [
                "TD1 line 1: document number check digit is 8, expected 9",
                "TD1 line 2: composite check digit is 6, expected 3",
            ],
        ),
        (
            # At composite weight 7: 6 - 7 * 7 = -43, so 7.
            corrupt(s.ICAO_TD1, 0, 14, "<"),
            [
                "TD1 line 1: document number check digit is '<' but the optional data does not"
                " continue the number (the rest of it, then its check digit)",
                "TD1 line 2: composite check digit is 6, expected 7",
            ],
        ),
    ],
)
def test_errors_say_exactly_what_is_wrong(lines: tuple[str, ...], expected: list[str]) -> None:
    assert errors(lines) == expected


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (("A" * 44, "B" * 43), "this scan has 2 lines of 44 and 43 characters"),
        (("A" * 30,) * 4, "this scan has 4 lines"),
        ((), "this scan has 0 lines"),
        ((s.ICAO_TD3[0], s.ICAO_TD3[1].lower()), "TD3 line 2: character 'l' at position 1 is"),
        ((s.ICAO_TD2[0], "\x00" * 36), r"TD2 line 2: character '\x00' at position 1 is"),
    ],
)
def test_what_is_not_an_mrz_at_all(lines: tuple[str, ...], message: str) -> None:
    with pytest.raises(MrzError, match=re.escape(message)):
        parse_mrz(lines, s.TODAY)


@pytest.mark.parametrize(
    ("birth", "expiry", "today", "born", "expires"),
    [
        # Two-digit years: birth dates are the latest that is not after today, expiry dates
        # the latest within 50 years from now.
        ("250601", "300101", dt.date(2025, 6, 1), dt.date(2025, 6, 1), dt.date(2030, 1, 1)),
        ("250602", "991231", dt.date(2025, 6, 1), dt.date(1925, 6, 2), dt.date(1999, 12, 31)),
        ("000229", "750101", dt.date(2025, 6, 1), dt.date(2000, 2, 29), dt.date(2075, 1, 1)),
        ("000229", "760101", dt.date(2099, 6, 1), dt.date(2000, 2, 29), dt.date(2076, 1, 1)),
    ],
)
def test_centuries(
    birth: str, expiry: str, today: dt.date, born: dt.date, expires: dt.date
) -> None:
    from terminal.idscan.mrz import make_td3

    lines = make_td3(
        issuing_state="UTO",
        document_number="L898902C3",
        birth_date=dt.date(2000 + int(birth[:2]), int(birth[2:4]), int(birth[4:])),
        sex=Sex.MALE,
        expiry=dt.date(2000 + int(expiry[:2]), int(expiry[2:4]), int(expiry[4:])),
        nationality="UTO",
        surname="ERIKSSON",
        given_names="ANNA",
    )
    mrz = parse_mrz(lines, today)
    assert (mrz.birth_date, mrz.expiry, mrz.errors) == (born, expires, ())


def test_sex_x_and_filler_mean_unspecified() -> None:
    for char in "X<":
        lines = corrupt(s.ICAO_TD1, 1, 7, char)
        assert parse_mrz(lines, s.TODAY).sex is None
        assert errors(lines) == []


def test_problems_are_coded() -> None:
    found = parse_mrz(corrupt(corrupt(s.ICAO_TD1, 0, 14, "3"), 1, 7, "Q"), s.TODAY).errors
    assert [f.problem for f in found] == [
        Problem.CHECK_DIGIT,
        Problem.MALFORMED,
        Problem.CHECK_DIGIT,
    ]
