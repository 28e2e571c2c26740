"""Voter marks, the register and the Kyrgyz PIN: the voter data a terminal holds."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.hal.storage import DataDir
from terminal.idscan.marks import FILE_NAME, MarksError, VoterMarks
from terminal.idscan.pin import Pin, PinError, Sex, make_pin, mask, parse_pin
from terminal.idscan.register import Register, Voter
from terminal.jsonfmt import FormatError
from tests.unit.conftest import RecordingStorage, fuzz, make_register

# --- marks -------------------------------------------------------------------------------------


def test_marks_survive_a_restart(data_dir: DataDir) -> None:
    marks = VoterMarks(data_dir, 5)
    assert marks.count == 0 and not any(marks.issued(i) for i in range(5))
    marks.mark(3)
    marks.mark(1)
    marks.mark(3)  # marking twice is still one voter
    data_dir.close()
    again = VoterMarks(DataDir(data_dir.root), 5)
    assert [again.issued(i) for i in range(5)] == [False, True, False, True, False]
    assert again.count == 2


def test_a_mark_is_one_byte_in_place_and_synced(data_dir: DataDir) -> None:
    storage = RecordingStorage(data_dir)
    marks = VoterMarks(storage, 4)
    storage.calls.clear()
    marks.mark(2)
    assert storage.calls == [("pwrite", FILE_NAME, 2, 1), ("sync", FILE_NAME, 0, 0)]
    # Position-addressed: the file is one byte per voter, with no order or time in it.
    assert data_dir.read(FILE_NAME) == b"\0\0\1\0"


def test_a_marks_file_of_the_wrong_size_is_refused(data_dir: DataDir) -> None:
    VoterMarks(data_dir, 5).mark(0)
    for voters in (4, 6):
        with pytest.raises(MarksError, match="5 marks"):
            VoterMarks(data_dir, voters)
    assert data_dir.read(FILE_NAME) == b"\1\0\0\0\0"


@pytest.mark.parametrize("value", [2, 0x31, 0xFF])
def test_a_mark_other_than_0_or_1_is_refused(data_dir: DataDir, value: int) -> None:
    VoterMarks(data_dir, 3)
    data_dir.pwrite(FILE_NAME, 1, bytes([value]))
    with pytest.raises(MarksError, match="0 or 1"):
        VoterMarks(data_dir, 3)


# --- register ----------------------------------------------------------------------------------

REGISTER = make_register("P1", 4)


def test_find_gives_the_register_position() -> None:
    for position, voter in enumerate(REGISTER.voters):
        assert REGISTER.find(voter.number) == position
    assert REGISTER.find("29999999999999") is None
    assert REGISTER.find(REGISTER.voters[0].number[:-1]) is None


def test_duplicate_numbers_are_refused() -> None:
    twin = REGISTER.voters[0]
    with pytest.raises(FormatError, match="entries 0 and 4"):
        Register("P1", (*REGISTER.voters, Voter(**{**twin.__dict__, "surname": "Другой"})))


def test_register_json_round_trip() -> None:
    data = REGISTER.to_json()
    assert Register.from_json(data) == REGISTER
    assert Register.from_json(data).voters[1].full_name() == "Асанов1 Бакыт"
    assert "Асанов0".encode() in data  # UTF-8, not escapes


def register_dict() -> dict[str, object]:
    value: dict[str, object] = json.loads(REGISTER.to_json())
    return value


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("format",), "tamga-register/2"),
        (("precinct",), 1),
        (("voters",), {}),
        (("voters", 0), "Асанов"),
        (("voters", 1, "birth_date"), "2000-02-30"),
        (("voters", 1, "birth_date"), "30.01.2000"),
        (("voters", 1, "document_issued"), None),
        (("voters", 2, "number"), 21503198512345),
        (("voters", 3, "surname"), ["Асанов"]),
    ],
)
def test_register_parsing_is_strict(path: tuple[object, ...], bad: object) -> None:
    value = register_dict()
    target: object = value
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = bad  # type: ignore[index]
    with pytest.raises(FormatError, match=r"reg\.json"):
        Register.from_json(json.dumps(value).encode(), "reg.json")


def test_register_missing_fields_and_duplicates_are_refused() -> None:
    value = register_dict()
    voter = value["voters"][0]  # type: ignore[index]
    for key in list(voter):
        del voter[key]
        # (a missing date is reported as "dates must be YYYY-MM-DD", without its name)
        with pytest.raises(FormatError, match=f"{key!r}|dates must be"):
            Register.from_json(json.dumps(value).encode())
        value = register_dict()
        voter = value["voters"][0]  # type: ignore[index]
    voters = value["voters"]
    voters.append(dict(voters[0]))  # type: ignore[attr-defined]
    with pytest.raises(FormatError, match="same"):
        Register.from_json(json.dumps(value).encode())
    with pytest.raises(FormatError, match="duplicate key"):
        Register.from_json(
            REGISTER.to_json().replace(b'"precinct":"P1",', b'"precinct":"P1","precinct":"P2",', 1)
        )


# --- PIN ---------------------------------------------------------------------------------------


def test_a_valid_pin_gives_sex_and_birth_date() -> None:
    assert parse_pin("21503198500123") == Pin("21503198500123", Sex.MALE, dt.date(1985, 3, 15))
    assert parse_pin("12902200099999") == Pin("12902200099999", Sex.FEMALE, dt.date(2000, 2, 29))
    assert make_pin(Sex.FEMALE, dt.date(1901, 12, 31), 7) == "13112190100007"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("01503198500123", "sex"),
        ("31503198500123", "sex"),
        ("93102200012345", "sex"),
        ("13102200012345", "birth date"),  # 31 February
        ("12902200112345", "birth date"),  # 29 February of a common year
        ("10013198500123", "birth date"),  # day 0
        ("11513198500123", "birth date"),  # month 13
        ("11501189900123", "1900"),
        ("2150319850012", "14 digits"),
        ("215031985001234", "14 digits"),
        ("", "14 digits"),
        ("2150319850012a", "14 digits"),
        (" 2150319850012", "14 digits"),
        ("2150319850012\n", "14 digits"),
        ("215031985001２3", "14 digits"),  # a full-width digit
        ("٢١٥٠٣١٩٨٥٠٠١٢٣", "14 digits"),  # Arabic-Indic digits
    ],
)
def test_invalid_pins_are_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(PinError, match=why):
        parse_pin(text)


@fuzz(300)
@given(st.text(min_size=14, max_size=14) | st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_any_14_characters_parse_to_their_own_pin_or_raise_pin_error(text: str) -> None:
    try:
        pin = parse_pin(text)
    except PinError:
        return
    assert pin.number == text
    assert make_pin(pin.sex, pin.birth_date, int(text[9:])) == text


@fuzz(100)
@given(
    st.sampled_from(Sex),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.integers(min_value=0, max_value=99999),
)
def test_made_pins_parse_back(sex: Sex, birth: dt.date, serial: int) -> None:
    assert parse_pin(make_pin(sex, birth, serial)) == Pin(make_pin(sex, birth, serial), sex, birth)


def test_mask_shows_only_the_last_three_digits() -> None:
    assert mask("21503198500123") == "•" * 11 + "123"
    assert mask("850315300123") == "•" * 9 + "123"  # a 12-digit IIN
    shown = mask("21503198545678")
    assert len(shown) == 14
    assert shown.endswith("678") and sum(c.isdigit() for c in shown) == 3
