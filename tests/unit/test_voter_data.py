"""Voter marks, the register and the Kyrgyz PIN: the voter data a terminal holds."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.hal.storage import DataDir
from terminal.idscan.marks import FILE_NAME, PAGE, MarksError, VoterMarks, copy_size
from terminal.idscan.pin import Pin, PinError, Sex, make_pin, mask, parse_pin
from terminal.idscan.register import Register, Voter
from terminal.jsonfmt import FormatError
from terminal.trust.sealed_store import DeviceSealer
from tests.unit.conftest import MemoryStorage, RecordingStorage, fuzz, make_register

# --- marks -------------------------------------------------------------------------------------


def test_marks_survive_a_restart(data_dir: DataDir, device: DeviceSealer) -> None:
    marks = VoterMarks(data_dir, 5, device)
    assert marks.count == 0 and not any(marks.issued(i) for i in range(5))
    marks.mark(3)
    marks.mark(1)
    marks.mark(3)  # marking twice is still one voter
    data_dir.close()
    again = VoterMarks(DataDir(data_dir.root), 5, device)
    assert [again.issued(i) for i in range(5)] == [False, True, False, True, False]
    assert again.count == 2


def test_a_mark_reseals_one_whole_page_copy_and_syncs(
    data_dir: DataDir, device: DeviceSealer
) -> None:
    storage = RecordingStorage(data_dir)
    marks = VoterMarks(storage, 4, device)
    storage.calls.clear()
    marks.mark(2)
    used = 8 + 4 + 8 + 12 + 4 + 16
    # Generation 1 goes to the second copy, which starts on its own 4 KiB page.
    assert storage.calls == [("pwrite", FILE_NAME, PAGE, used), ("sync", FILE_NAME, 0, 0)]
    marks.mark(0)
    assert storage.writes()[-1] == ("pwrite", FILE_NAME, 0, used)
    assert len(data_dir.read(FILE_NAME)) == 2 * PAGE == 2 * copy_size(4)


def test_the_marks_file_does_not_show_who_was_marked(
    data_dir: DataDir, device: DeviceSealer
) -> None:
    """No byte of the file follows a voter: marking any one voter changes the whole copy,
    and the same marks sealed twice share nothing but the header."""
    voters = 3000
    assert copy_size(voters) == PAGE  # a precinct's whole register fits in one page
    marks = VoterMarks(data_dir, voters, device)
    marks.mark(10)
    before = data_dir.read(FILE_NAME)
    marks.mark(2999)
    after = data_dir.read(FILE_NAME)
    changed = [i for i in range(len(after)) if before[i] != after[i]]
    # Every sealed byte of the copy written changed (bar chance ones), not only byte 2999.
    assert len(changed) > 0.98 * voters


def test_a_marks_file_of_the_wrong_size_is_refused(data_dir: DataDir, device: DeviceSealer) -> None:
    VoterMarks(data_dir, 5, device).mark(0)
    kept = data_dir.read(FILE_NAME)
    for voters in (4, 5000):
        with pytest.raises(MarksError, match="from another register"):
            VoterMarks(data_dir, voters, device)
    assert data_dir.read(FILE_NAME) == kept


def test_another_device_key_opens_no_marks_and_changes_nothing(
    data_dir: DataDir, device: DeviceSealer
) -> None:
    marks = VoterMarks(data_dir, 5, device)
    marks.mark(0)
    marks.mark(4)
    kept = data_dir.read(FILE_NAME)
    with pytest.raises(MarksError, match="neither copy opens with this board's device key"):
        VoterMarks(data_dir, 5, DeviceSealer(os.urandom(32)))
    assert data_dir.read(FILE_NAME) == kept


@given(st.integers(0, 2 * PAGE - 1), st.integers(1, 255))
def test_no_flipped_byte_sets_or_clears_a_mark_silently(at: int, mask: int) -> None:
    """A flip in the older copy costs nothing; in the current copy the marks fall back to the
    copy before (one mark fewer: polls.recover() reports that against the log), or refuse."""
    storage = MemoryStorage()
    device = DeviceSealer(bytes(range(32)))
    marks = VoterMarks(storage, 6, device)
    for position in (1, 4, 5):
        marks.mark(position)  # generation 3, in copy 1; generation 2 in copy 0
    data = bytearray(storage.read(FILE_NAME))
    data[at] ^= mask
    storage.files[FILE_NAME] = bytearray(data)
    try:
        again = VoterMarks(storage, 6, device)
    except MarksError:
        return
    found = {p for p in range(6) if again.issued(p)}
    assert found in ({1, 4, 5}, {1, 4}), found


@pytest.mark.parametrize("kept", [1, 8, 12, 20, 32, 40])
def test_a_torn_mark_leaves_the_marks_as_before_it(device: DeviceSealer, kept: int) -> None:
    storage = MemoryStorage()
    marks = VoterMarks(storage, 6, device)
    marks.mark(1)
    marks.mark(2)  # generation 2, copy 0
    before = storage.read(FILE_NAME)
    marks.mark(3)  # generation 3, to copy 1
    # Torn: only the first `kept` bytes of the new copy reached the card (in its header: its
    # magic, then its voter count, generation and nonce; then its first sealed marks).
    torn = bytearray(before)
    torn[PAGE : PAGE + kept] = storage.read(FILE_NAME)[PAGE : PAGE + kept]
    storage.files[FILE_NAME] = torn
    again = VoterMarks(storage, 6, device)
    assert {p for p in range(6) if again.issued(p)} == {1, 2}


def test_an_older_copy_put_back_is_refused(data_dir: DataDir, device: DeviceSealer) -> None:
    marks = VoterMarks(data_dir, 5, device)
    marks.mark(0)  # generation 1, copy 1
    old_copy_1 = data_dir.read(FILE_NAME)[PAGE:]
    for position in (1, 2, 3):
        marks.mark(position)  # generation 4 in copy 0, 3 in copy 1
    data_dir.pwrite(FILE_NAME, PAGE, old_copy_1)
    with pytest.raises(MarksError, match="generations 4 and 1, not one mark apart"):
        VoterMarks(DataDir(data_dir.root), 5, device)


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
