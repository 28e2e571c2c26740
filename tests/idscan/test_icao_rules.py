"""ICAO Doc 9303 rules beyond the check digits: the layout of names (Part 3), the list of
state and organization codes (Part 3), and the document codes Parts 4-6 forbid."""

from __future__ import annotations

import datetime as dt

import pytest

from terminal.idscan.mrz import make_td1, make_td2, make_td3, parse_mrz
from terminal.idscan.pin import Sex

TODAY = dt.date(2025, 11, 30)
PERSON = {
    "document_number": "AB1234567",
    "birth_date": dt.date(1990, 3, 25),
    "sex": Sex.FEMALE,
    "expiry": dt.date(2030, 1, 1),
}


def td1(**changes: str) -> tuple[str, str, str]:
    fields = {"issuing_state": "KGZ", "nationality": "KGZ", "surname": "ASANOVA",
              "given_names": "AIGUL"} | changes  # fmt: skip
    code = fields.pop("document_code", "ID")
    return make_td1(**PERSON, **fields, document_code=code)  # type: ignore[arg-type]


def messages(lines: tuple[str, ...]) -> list[str]:
    return [f.message for f in parse_mrz(lines, TODAY).errors]


def with_name(lines: tuple[str, str, str], name_field: str) -> tuple[str, str, str]:
    return lines[0], lines[1], name_field.ljust(30, "<")


@pytest.mark.parametrize(
    "name, surname, given",
    [
        ("ASANOVA<<AIGUL", "ASANOVA", "AIGUL"),
        ("ASANOVA<KYZY<<AIGUL<NURLANOVN", "ASANOVA KYZY", "AIGUL NURLANOVN"),
        ("TOKTOGULOV", "TOKTOGULOV", ""),  # no secondary identifier at all
    ],
)
def test_names_follow_part_3(name: str, surname: str, given: str) -> None:
    mrz = parse_mrz(with_name(td1(), name), TODAY)
    assert (mrz.errors, mrz.surname, mrz.given_names) == ((), surname, given)
    assert not mrz.name_truncated


def test_a_name_that_fills_its_field_is_truncated_not_wrong() -> None:
    mrz = parse_mrz(with_name(td1(), "ABDYKADYROVA<<ZHYLDYZKANBUBUSA"), TODAY)
    assert mrz.errors == () and mrz.name_truncated
    assert mrz.given_names == "ZHYLDYZKANBUBUSA"


@pytest.mark.parametrize(
    "name",
    [
        "ASANOVA<<AIGUL<<NURLAN",  # letters after the two fillers that end the given names
        "ASANOVA<<<AIGUL",  # the secondary identifier starts with a filler
        "<ASANOVA<<AIGUL",  # no primary identifier first
    ],
)
def test_names_breaking_part_3_are_refused(name: str) -> None:
    found = messages(with_name(td1(), name))
    assert len(found) == 1 and "line 3" in found[0], found


@pytest.mark.parametrize("code", ["D", "UNO", "XXA", "XXB", "EUE", "KAZ", "KGZ", "RUS"])
def test_codes_of_icaos_list_are_read(code: str) -> None:
    mrz = parse_mrz(td1(issuing_state=code, nationality=code), TODAY)
    assert mrz.errors == () and (mrz.issuing_state, mrz.nationality) == (code, code)


@pytest.mark.parametrize("field", ["issuing_state", "nationality"])
@pytest.mark.parametrize("code", ["KGY", "QQQ", "SU", "ZZZ"])
def test_a_code_on_no_list_is_refused(field: str, code: str) -> None:
    found = messages(td1(**{field: code}))
    what = field.replace("_", " ")
    assert found == [f"TD1 line {1 if field == 'issuing_state' else 2}: {what} "
                     f"{code.ljust(3, '<')!r} is not on ICAO's list of codes"]  # fmt: skip


@pytest.mark.parametrize("code", ["IV", "AV", "CV"])
def test_v_as_second_character_is_refused_on_id_cards(code: str) -> None:
    assert any("V is not allowed" in m for m in messages(td1(document_code=code)))
    lines = make_td2(**PERSON, issuing_state="KAZ", nationality="KAZ", surname="A",
                     given_names="B", document_code=code)  # fmt: skip
    assert any("V is not allowed" in m for m in messages(lines))


def test_a_crew_member_certificate_is_refused() -> None:
    assert any("crew member certificate" in m for m in messages(td1(document_code="AC")))


@pytest.mark.parametrize("code", ["ID", "I", "IR", "AR", "C"])
def test_id_card_codes_the_parts_allow_are_read(code: str) -> None:
    assert messages(td1(document_code=code)) == []


def test_passports_take_p_with_any_second_letter() -> None:
    for code in ("P", "PK", "PD"):
        lines = make_td3(**PERSON, issuing_state="KGZ", nationality="KGZ", surname="A",
                         given_names="B", document_code=code)  # fmt: skip
        assert messages(lines) == []
