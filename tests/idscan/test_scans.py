"""Scanner payloads: recognised, cross-checked, or refused with a message that says why."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from terminal.idscan.documents import (
    PLACEMENTS,
    NumberKind,
    Placement,
    load_placements,
    placement,
)
from terminal.idscan.findings import Problem
from terminal.idscan.iin import make_iin
from terminal.idscan.mrz import Field, Format, make_td1, make_td3, parse_mrz
from terminal.idscan.pin import Sex, make_pin
from terminal.idscan.scans import MAX_SCAN_CHARS, Document, Kind, classify
from tests.idscan import specimens as s

KEYS = {
    "valid", "document", "country", "number", "birth_date", "expiry", "sex",
    "document_number", "nationality", "surname", "given_names", "symbology", "errors",
    "problems",
}  # fmt: skip


def decode(data: str, symbology: str = "") -> Document:
    return classify(data, symbology, today=s.TODAY)


def messages(document: Document) -> list[str]:
    return [f.message for f in document.errors]


@pytest.mark.parametrize(
    ("data", "symbology", "kind", "number"),
    [
        (s.KAZ_IIN_F, "", Kind.IIN, s.KAZ_IIN_F),
        (f"]C0{s.KAZ_IIN_F}", "", Kind.IIN, s.KAZ_IIN_F),
        (s.KAZ_IIN_F, "]C0", Kind.IIN, s.KAZ_IIN_F),
        (f"]L2{s.KGZ_PIN_M}", "", Kind.PIN, s.KGZ_PIN_M),
        (f" {s.KGZ_PIN_F}\r\n", "", Kind.PIN, s.KGZ_PIN_F),
        (f"]Q1{s.scan(s.KAZ_TD1)}", "", Kind.TD1, s.KAZ_IIN_F),
        (s.scan(s.KAZ_TD3), "]Q1", Kind.TD3, s.KAZ_IIN_M),
        ("\n".join(s.KGZ_TD1), "", Kind.TD1, s.KGZ_PIN_F),
        ("\r\n".join(s.KGZ_TD3) + "\r\n", "", Kind.TD3, s.KGZ_PIN_M),
    ],
)
def test_recognised(data: str, symbology: str, kind: Kind, number: str) -> None:
    document = decode(data, symbology)
    assert (document.kind, document.number, document.errors) == (kind, number, ())
    assert document.valid
    assert document.symbology == (data[:3] if data.startswith("]") else symbology)


def test_bare_numbers_say_who() -> None:
    iin = decode(s.KAZ_IIN_M)
    assert (iin.country, iin.sex, iin.birth_date) == ("KAZ", Sex.MALE, dt.date(1972, 11, 30))
    pin = decode(s.KGZ_PIN_F)
    assert (pin.country, pin.sex, pin.birth_date) == ("KGZ", Sex.FEMALE, dt.date(1985, 7, 22))
    assert pin.expiry is pin.document_number is pin.surname is None


def test_an_id_card_says_everything() -> None:
    assert decode(s.scan(s.KAZ_TD1)).to_json() == {
        "valid": True,
        "document": "TD1",
        "country": "KAZ",
        "number": s.KAZ_IIN_F,
        "birth_date": "1990-03-15",
        "expiry": "2031-04-11",
        "sex": "F",
        "document_number": "012345678",
        "nationality": "KAZ",
        "surname": "ZHANUZAKOVA",
        "given_names": "AIGERIM",
        "symbology": None,
        "errors": [],
        "problems": [],
    }


@pytest.mark.parametrize(
    ("data", "symbology", "message"),
    [
        ("", "", "the scan is empty"),
        (" \r\n", "", "the scan is empty"),
        ("]C0", "", "the scan is empty"),
        ("hello", "", "not an identity document: expected an IIN (12 digits), a PIN"),
        ("900315-401233", "", "not an identity document"),
        ("9003154012331", "", "13 digits: an IIN has 12 digits and a PIN 14"),
        ("4006381333931", "]E0", "]E0 is a product barcode (EAN/UPC), not an ID"),
        (f"]E0{s.KAZ_IIN_F}", "", "]E0 is a product barcode (EAN/UPC), not an ID"),
        (s.KAZ_IIN_F, "C0", "'C0' is not an AIM symbology identifier (like ]C0 or ]Q1)"),
        (s.KAZ_IIN_F, "]C01", "']C01' is not an AIM symbology identifier"),
        ("1" * (MAX_SCAN_CHARS + 1), "", "the scan is 4097 characters, longer than any ID"),
        ("A\rB", "", "an MRZ is 3 lines of 30 characters (TD1) or 2 lines of 36 (TD2) or 44"),
        (s.scan(s.KAZ_TD1[:2]), "", "this scan has 2 lines of 30 and 30 characters"),
    ],
)
def test_refused(data: str, symbology: str, message: str) -> None:
    document = decode(data, symbology)
    assert (document.kind, document.valid) == (Kind.UNKNOWN, False)
    assert [f.problem for f in document.errors] == [Problem.UNRECOGNISED]
    assert message in messages(document)[0]


def test_an_mrz_of_the_right_shape_with_foreign_characters_is_named() -> None:
    document = decode(s.scan((s.KAZ_TD1[0], s.KAZ_TD1[1].replace("F", "Ф"), s.KAZ_TD1[2])))
    assert (document.kind, document.valid) == (Kind.TD1, False)
    assert messages(document) == [
        "TD1 line 2: character '\\u0424' at position 8 is not allowed in an MRZ "
        "(A-Z, 0-9 and '<' only)"
    ]


def _kaz_card(number: str, born: dt.date, sex: Sex | None) -> str:
    return s.scan(
        make_td1(
            issuing_state="KAZ",
            document_number="012345678",
            birth_date=born,
            sex=sex,
            expiry=dt.date(2031, 4, 11),
            nationality="KAZ",
            surname="ZHANUZAKOVA",
            given_names="AIGERIM",
            optional_data=number,
        )
    )


def test_the_number_and_the_mrz_must_agree() -> None:
    # Every check digit is right: only the cross-check can see that the IIN is someone else's.
    document = decode(_kaz_card(s.KAZ_IIN_M, dt.date(1990, 3, 15), Sex.FEMALE))
    assert messages(document) == [
        "the birth date in the MRZ (900315) is not the IIN's (1972-11-30)",
        "the sex in the MRZ (F) is not the IIN's (M)",
    ]
    assert [f.problem for f in document.errors] == [Problem.MISMATCH] * 2
    passport = make_td3(
        issuing_state="KGZ",
        document_number="PE1234567",
        birth_date=dt.date(2001, 1, 10),
        sex=Sex.MALE,
        expiry=dt.date(2030, 2, 28),
        nationality="KGZ",
        surname="TOKTOGULOV",
        given_names="NURLAN",
        personal_number=s.KGZ_PIN_M,
    )
    assert messages(decode(s.scan(passport))) == [
        "the birth date in the MRZ (010110) is not the PIN's (2001-01-09)"
    ]


def test_an_unstated_sex_is_taken_from_the_number() -> None:
    document = decode(_kaz_card(s.KAZ_IIN_F, dt.date(1990, 3, 15), None))
    assert (document.valid, document.sex) == (True, Sex.FEMALE)


def test_the_number_gives_the_century() -> None:
    # Born 1924: the MRZ says 240505, which alone reads as 2024 (the latest such day that is
    # not after today); the IIN's century digit says 1924.
    born = dt.date(1924, 5, 5)
    iin = make_iin(Sex.FEMALE, born, 1)
    assert decode(_kaz_card(iin, born, Sex.FEMALE)).birth_date == born


@pytest.mark.parametrize(
    ("number", "problem", "message"),
    [
        (
            "",
            Problem.MALFORMED,
            "KAZ TD1 optional data: characters 1-12, where the IIN belongs, are empty",
        ),
        (
            s.KAZ_IIN_F[:11] + "4",
            Problem.CHECK_DIGIT,
            "KAZ TD1 optional data: IIN check digit is 4, expected 3",
        ),
        (s.KAZ_IIN_F[:11], Problem.MALFORMED, "KAZ TD1 optional data: an IIN is 12 digits"),
        (s.KAZ_IIN_F[:11] + "A", Problem.MALFORMED, "KAZ TD1 optional data: an IIN is 12 digits"),
    ],
)
def test_the_number_must_be_where_the_country_puts_it(
    number: str, problem: Problem, message: str
) -> None:
    # The MRZ's own check digits are right (the writer computed them): only the national
    # number is wrong.
    document = decode(_kaz_card(number, dt.date(1990, 3, 15), Sex.FEMALE))
    assert [(f.problem, f.message) for f in document.errors] == [(problem, message)]
    assert document.number is None


def test_birth_dates_in_the_future_are_refused() -> None:
    future = dt.date(2030, 1, 1)
    iin = make_iin(Sex.MALE, future, 1)
    assert messages(decode(iin)) == ["the IIN's birth date 2030-01-01 is in the future"]
    pin = make_pin(Sex.MALE, future, 1)
    assert messages(decode(pin)) == ["the PIN's birth date 2030-01-01 is in the future"]
    assert messages(decode(_kaz_card(iin, future, Sex.MALE))) == [
        "the birth date 2030-01-01 is in the future"
    ]


def test_other_countries_parse_without_a_number() -> None:
    document = decode(s.scan(s.ICAO_TD1))
    assert (document.valid, document.country, document.number) == (True, "UTO", None)


@pytest.mark.parametrize("data", ["", s.KAZ_IIN_F, s.scan(s.KAZ_TD1), "x\ry", "\x00"])
def test_the_json_always_has_every_key(data: str) -> None:
    assert set(decode(data).to_json()) == KEYS


def test_the_placements_shipped() -> None:
    assert {
        ("KAZ", Format.TD1): Placement(NumberKind.IIN, Field.OPTIONAL_DATA, 0, 12),
        ("KAZ", Format.TD3): Placement(NumberKind.IIN, Field.OPTIONAL_DATA, 0, 12),
        ("KGZ", Format.TD1): Placement(NumberKind.PIN, Field.OPTIONAL_DATA, 0, 14),
        ("KGZ", Format.TD3): Placement(NumberKind.PIN, Field.OPTIONAL_DATA, 0, 14),
    } == PLACEMENTS
    assert placement("UTO", Format.TD1) is None


def test_a_placement_elsewhere_in_the_field_is_honoured() -> None:
    placements = load_placements(
        '[KAZ.TD1]\nnumber = "IIN"\nfield = "optional_data"\noffset = 2\nlength = 12\n', "t"
    )
    where = placements["KAZ", Format.TD1]
    card = make_td1(
        issuing_state="KAZ",
        document_number="012345678",
        birth_date=dt.date(1990, 3, 15),
        sex=Sex.FEMALE,
        expiry=dt.date(2031, 4, 11),
        nationality="KAZ",
        surname="ZHANUZAKOVA",
        given_names="AIGERIM",
        optional_data="<<" + s.KAZ_IIN_F,
    )
    assert where.extract(parse_mrz(card, s.TODAY)) == s.KAZ_IIN_F


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("KAZ = 1\n", "'KAZ' is not a table named by a country code"),
        ("[kaz.TD1]\n", "'kaz' is not a table named by a country code"),
        ("[KAZ.TD4]\n", "[KAZ.TD4]: the format must be TD1, TD2 or TD3"),
        ('[KAZ.TD1]\nnumber = "IIN"\n', "needs exactly number, field, offset and length"),
        (
            '[KAZ.TD1]\nnumber = "SSN"\nfield = "optional_data"\noffset = 0\nlength = 12\n',
            "number must be IIN or PIN",
        ),
        (
            '[KAZ.TD3]\nnumber = "IIN"\nfield = "optional_data_2"\noffset = 0\nlength = 12\n',
            "TD3 has no optional_data_2 field",
        ),
        (
            '[KAZ.TD1]\nnumber = "IIN"\nfield = "optional_data"\noffset = true\nlength = 12\n',
            "offset must be a whole number, length 12",
        ),
        (
            '[KGZ.TD1]\nnumber = "PIN"\nfield = "optional_data"\noffset = 0\nlength = 12\n',
            "offset must be a whole number, length 14",
        ),
        (
            '[KGZ.TD1]\nnumber = "PIN"\nfield = "optional_data"\noffset = 2\nlength = 14\n',
            "the number does not fit in the 15-character field",
        ),
        (
            '[KAZ.TD2]\nnumber = "IIN"\nfield = "optional_data"\noffset = 0\nlength = 12\n',
            "the number does not fit in the 7-character field",
        ),
    ],
)
def test_bad_placements_are_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        load_placements(text, "documents.toml")
