"""Check digits against values computed by hand and published by ICAO, and the writers
against the specimens."""

from __future__ import annotations

import datetime as dt

import pytest

from terminal.idscan.mrz import Format, check_digit, make_td1, make_td2, make_td3, parse_mrz
from terminal.idscan.pin import Sex
from terminal.idscan.scans import Kind, classify
from tests.idscan import specimens as s


def test_check_digit_of_the_part_3_worked_example() -> None:
    # Doc 9303 Part 3: 5*7 + 2*3 + 0*1 + 7*7 + 2*3 + 7*1 = 103, so 3.
    assert check_digit("520727") == 3


@pytest.mark.parametrize(
    ("data", "digit"),
    [
        # The Part 4 passport specimen's five check digits.
        ("L898902C3", 6),
        ("740812", 2),
        ("120415", 9),
        ("ZE184226B<<<<<", 1),
        ("L898902C36" + "7408122" + "1204159ZE184226B<<<<<1", 0),
        # Ours, by hand. KAZ ID card number: 0*7 + 1*3 + 2*1 + 3*7 + 4*3 + 5*1 + 6*7 + 7*3
        # + 8*1 = 114. KGZ ID card number, I = 18 and D = 13: 126 + 39 + 0 + 7 + 6 + 3 + 28
        # + 15 + 6 = 230. KAZ passport number, N = 23: 161 + 3 + 2 + 21 + 12 + 5 + 42 + 21
        # + 8 = 275. KGZ passport number, P = 25 and E = 14: 175 + 42 + 1 + 14 + 9 + 4 + 35
        # + 18 + 7 = 305.
        ("012345678", 4),
        ("ID0123456", 0),
        ("N12345678", 5),
        ("PE1234567", 5),
        # Birth and expiry dates: 900315 -> 63 + 0 + 0 + 21 + 3 + 5 = 92; 310411 -> 56;
        # 850722 -> 128; 271231 -> 60; 721130 -> 72; 290901 -> 105; 010109 -> 19;
        # 300228 -> 49.
        ("900315", 2),
        ("310411", 6),
        ("850722", 8),
        ("271231", 0),
        ("721130", 2),
        ("290901", 5),
        ("010109", 9),
        ("300228", 9),
        # Personal numbers: the IIN 721130345674 -> 49 + 6 + 1 + 7 + 9 + 0 + 21 + 12 + 5
        # + 42 + 21 + 4 = 177; the PIN 20901200104210 -> 14 + 0 + 9 + 0 + 3 + 2 + 0 + 0
        # + 1 + 0 + 12 + 2 + 7 + 0 = 50.
        ("721130345674<<", 7),
        ("20901200104210", 0),
        # The KAZ ID card's composite over line 1 6-30, then line 2 1-7, 9-15 and 19-29:
        # 0123456784900315401233<<< weighs 263 (114 as above, then 4*7 + 9*3 + 0 + 0 + 3*3
        # + 1 + 5*7 + 4*3 + 0 + 1*7 + 2*3 + 3*1 + 3*7); 9003152 continues at weight 3:
        # 27 + 0 + 0 + 9 + 1 + 35 + 6 = 78; 3104116 at weight 1: 3 + 7 + 0 + 4 + 7 + 3 + 6
        # = 30; the fillers add 0. 263 + 78 + 30 = 371.
        ("0123456784900315401233<<<" + "9003152" + "3104116" + "<" * 11, 1),
    ],
)
def test_check_digits_known_by_hand(data: str, digit: int) -> None:
    assert check_digit(data) == digit


def test_the_check_digit_refuses_characters_outside_the_mrz_set() -> None:
    with pytest.raises(ValueError, match="'a' is not an MRZ character"):
        check_digit("12a")


def test_writers_make_the_icao_specimens() -> None:
    anna = {
        "issuing_state": "UTO",
        "birth_date": dt.date(1974, 8, 12),
        "sex": Sex.FEMALE,
        "expiry": dt.date(2012, 4, 15),
        "nationality": "UTO",
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
    }
    assert make_td3(document_number="L898902C3", personal_number="ZE184226B", **anna) == (
        s.ICAO_TD3
    )
    assert make_td1(document_number="D23145890", document_code="I", **anna) == s.ICAO_TD1
    assert make_td2(document_number="D23145890", **anna) == s.ICAO_TD2
    assert make_td1(document_number="D23145890734", document_code="I", **anna) == (
        s.ICAO_TD1_LONG_NUMBER
    )
    assert make_td2(document_number="D23145890734", **anna) == s.ICAO_TD2_LONG_NUMBER


def test_writers_make_our_specimens() -> None:
    assert (
        make_td1(
            issuing_state="KAZ",
            document_number="012345678",
            birth_date=dt.date(1990, 3, 15),
            sex=Sex.FEMALE,
            expiry=dt.date(2031, 4, 11),
            nationality="KAZ",
            surname="ZHANUZAKOVA",
            given_names="AIGERIM",
            optional_data=s.KAZ_IIN_F,
        )
        == s.KAZ_TD1
    )
    assert (
        make_td3(
            issuing_state="KAZ",
            document_number="N12345678",
            birth_date=dt.date(1972, 11, 30),
            sex=Sex.MALE,
            expiry=dt.date(2029, 9, 1),
            nationality="KAZ",
            surname="ABENOV",
            given_names="ERLAN",
            personal_number=s.KAZ_IIN_M,
        )
        == s.KAZ_TD3
    )
    assert (
        make_td1(
            issuing_state="KGZ",
            document_number="ID0123456",
            birth_date=dt.date(1985, 7, 22),
            sex=Sex.FEMALE,
            expiry=dt.date(2027, 12, 31),
            nationality="KGZ",
            surname="ASANOVA",
            given_names="AIGUL",
            optional_data=s.KGZ_PIN_F,
        )
        == s.KGZ_TD1
    )
    assert (
        make_td3(
            issuing_state="KGZ",
            document_number="PE1234567",
            birth_date=dt.date(2001, 1, 9),
            sex=Sex.MALE,
            expiry=dt.date(2030, 2, 28),
            nationality="KGZ",
            surname="TOKTOGULOV",
            given_names="NURLAN",
            personal_number=s.KGZ_PIN_M,
        )
        == s.KGZ_TD3
    )


def test_an_empty_personal_number_gets_a_filler_check_digit_and_parses() -> None:
    lines = make_td3(
        issuing_state="UTO",
        document_number="L898902C3",
        birth_date=dt.date(1974, 8, 12),
        sex=None,
        expiry=dt.date(2012, 4, 15),
        nationality="UTO",
        surname="ERIKSSON",
        given_names="ANNA",
    )
    assert lines[1][28:43] == "<" * 15
    mrz = parse_mrz(lines, s.TODAY)
    assert mrz.errors == () and mrz.sex is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"document_number": "L898902C3X"}, "'L898902C3X' is not up to 9"),
        ({"document_number": "l898902c3"}, "'l898902c3' is not up to 9"),
        ({"personal_number": "ZE184226B123456"}, "is not up to 14"),
        ({"nationality": "UTOPIA"}, "is not up to 3"),
        ({"surname": "ÖZ"}, "is not up to 39"),
    ],
)
def test_writers_refuse_what_does_not_fit(fields: dict[str, str], message: str) -> None:
    values: dict[str, object] = {
        "issuing_state": "UTO",
        "document_number": "L898902C3",
        "birth_date": dt.date(1974, 8, 12),
        "sex": Sex.FEMALE,
        "expiry": dt.date(2012, 4, 15),
        "nationality": "UTO",
        "surname": "ERIKSSON",
        "given_names": "ANNA",
    }
    with pytest.raises(ValueError, match=message):
        make_td3(**{**values, **fields})


def test_long_names_are_cut_to_the_field() -> None:
    lines = make_td1(
        issuing_state="KAZ",
        document_number="012345678",
        birth_date=dt.date(1990, 3, 15),
        sex=Sex.FEMALE,
        expiry=dt.date(2031, 4, 11),
        nationality="KAZ",
        surname="NURSULTANOVA-ZHANUZAKOVA",
        given_names="AIGERIM SERIKKYZY",
        optional_data=s.KAZ_IIN_F,
    )
    assert lines[2] == "NURSULTANOVA<ZHANUZAKOVA<<AIGE"
    assert classify(s.scan(lines), today=s.TODAY).surname == "NURSULTANOVA ZHANUZAKOVA"


@pytest.mark.parametrize("name", sorted(s.SPECIMENS))
def test_every_specimen_is_valid(name: str) -> None:
    lines = s.SPECIMENS[name]
    document = classify(s.scan(lines), today=s.TODAY)
    assert document.errors == ()
    assert document.valid
    assert document.kind is Kind(Format.of(lines).value)


def test_the_icao_passport_specimen_reads_as_published() -> None:
    document = classify(s.scan(s.ICAO_TD3), today=s.TODAY)
    assert document.to_json() == {
        "valid": True,
        "document": "TD3",
        "country": "UTO",
        "number": None,
        "birth_date": "1974-08-12",
        "expiry": "2012-04-15",
        "sex": "F",
        "document_number": "L898902C3",
        "nationality": "UTO",
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
        "symbology": None,
        "errors": [],
        "problems": [],
    }


def test_long_document_numbers_are_joined() -> None:
    for lines in (s.ICAO_TD1_LONG_NUMBER, s.ICAO_TD2_LONG_NUMBER):
        mrz = parse_mrz(lines, s.TODAY)
        assert mrz.document_number == "D23145890734"
        assert mrz.optional_data.strip("<") == ""
