"""One-time ballot codes: only this precinct's genuine, fresh, unused codes open a ballot."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.hal.storage import DataDir
from terminal.idscan.ballot_codes import (
    FILE_NAME,
    BallotCode,
    CodeProblem,
    CodesError,
    UsedCodes,
    check_code,
    code_hash,
    named_booth,
    new_code,
)

KEY = os.urandom(32)
MINUTE = 29_000_000
BOOTH = "T-1234-02"


def _check(
    payload: str, minute: int = MINUTE, key: bytes = KEY, booth: str = BOOTH
) -> BallotCode | CodeProblem:
    return check_code(payload, "E1", "1234", booth, key, minute, 30)


def test_a_fresh_genuine_code_is_accepted() -> None:
    code = new_code("E1", "1234", BOOTH, MINUTE)
    assert _check(code.payload(KEY), MINUTE + 29) == code


def test_forged_foreign_and_expired_codes_are_refused() -> None:
    code = new_code("E1", "1234", BOOTH, MINUTE)
    payload = code.payload(KEY)
    assert _check(payload, key=os.urandom(32)) is CodeProblem.FORGED
    assert _check(new_code("E1", "9999", BOOTH, MINUTE).payload(KEY)) is CodeProblem.OTHER_PRECINCT
    assert _check(new_code("E2", "1234", BOOTH, MINUTE).payload(KEY)) is CodeProblem.OTHER_PRECINCT
    assert _check(payload, MINUTE + 31) is CodeProblem.EXPIRED
    assert _check(payload, MINUTE - 1) is CodeProblem.EXPIRED, "issued in the future"
    # Changing the minute to extend the time limit breaks the tag.
    later = payload.replace(f":{MINUTE}:", f":{MINUTE + 20}:")
    assert _check(later, MINUTE + 40) is CodeProblem.FORGED
    for position in range(len(payload)):
        changed = (
            payload[:position]
            + ("A" if payload[position] != "A" else "B")
            + payload[position + 1 :]
        )
        assert not isinstance(_check(changed), BallotCode), f"changed at {position}"


def test_a_code_is_good_at_its_own_booth_only() -> None:
    """The booth is inside the tag: a coupon used at its booth cannot vote at another, and
    renaming the booth in the text breaks the tag (forged, not merely another booth's)."""
    payload = new_code("E1", "1234", BOOTH, MINUTE).payload(KEY)
    assert isinstance(_check(payload), BallotCode)
    assert _check(payload, booth="T-1234-03") is CodeProblem.OTHER_BOOTH
    assert named_booth(payload) == BOOTH
    renamed = payload.replace(f":{BOOTH}:", ":T-1234-03:")
    assert _check(renamed, booth="T-1234-03") is CodeProblem.FORGED
    # The logs name a code by the SHA-256 of its text, as anyone can compute it.
    assert code_hash(payload + "\n") == hashlib.sha256(payload.encode()).hexdigest()


@given(st.text(max_size=120))
def test_any_scan_is_a_code_or_a_refusal(text: str) -> None:
    result = _check(text)
    assert isinstance(result, CodeProblem)


def test_used_codes_survive_a_restart_and_are_not_ordered(tmp_path: Path) -> None:
    codes = [new_code("E1", "1234", BOOTH, MINUTE) for _ in range(50)]
    used = UsedCodes(DataDir(tmp_path), 40)
    for code in codes[:30]:
        used.use(code)
    again = UsedCodes(DataDir(tmp_path), 40)
    assert again.count == 30
    assert all(again.used(c) for c in codes[:30]) and not any(again.used(c) for c in codes[30:])
    # Entries sit where their hash puts them: the file does not tell the order of use.
    table = (tmp_path / FILE_NAME).read_bytes()
    positions = [table.index(UsedCodes._entry(c)) for c in codes[:30]]
    assert positions != sorted(positions)
    assert (tmp_path / FILE_NAME).stat().st_mode & 0o777 == 0o600


def _used_table(root: Path, count: int) -> tuple[list[BallotCode], bytes]:
    codes = [new_code("E1", "1234", BOOTH, MINUTE) for _ in range(count + 1)]
    used = UsedCodes(DataDir(root), 4)
    for code in codes[:count]:
        used.use(code)
    return codes, (root / FILE_NAME).read_bytes()


def test_every_changed_byte_of_the_used_codes_is_found(tmp_path: Path) -> None:
    """A garbled or flipped byte never silently frees a used code: the changed entry fails its
    check, so the terminal sees one valid entry fewer than its log's count of used codes
    (and stops), or sees an extra suspect entry in an empty slot (and frees nothing)."""
    codes, table = _used_table(tmp_path / "a", 3)
    for offset in range(len(table)):
        for value in {table[offset] ^ 0x01, table[offset] ^ 0xFF, 0}:
            if value == table[offset]:
                continue
            damaged = bytearray(table)
            damaged[offset] = value
            root = tmp_path / f"{offset}-{value}"
            root.mkdir()
            (root / FILE_NAME).write_bytes(bytes(damaged))
            again = UsedCodes(DataDir(root), 4)
            entry = offset - offset % 16
            assert again.suspects == [entry], (offset, value)
            if any(table[entry : entry + 16]):
                assert again.count == 2  # a used code's entry: one valid entry fewer
            else:
                assert again.count == 3 and all(again.used(c) for c in codes[:3])


def test_a_use_cut_short_at_any_byte_is_a_suspect_that_can_be_cleared(tmp_path: Path) -> None:
    for written in range(1, 16):
        root = tmp_path / str(written)
        codes, _ = _used_table(root, 3)
        entry = UsedCodes._entry(codes[3])
        slot = UsedCodes(DataDir(root), 4)._find(entry)[0]
        DataDir(root).pwrite(FILE_NAME, slot * 16, entry[:written])  # the power went here
        again = UsedCodes(DataDir(root), 4)
        assert (again.count, again.suspects) == (3, [slot * 16])
        again.clear(slot * 16)
        after = UsedCodes(DataDir(root), 4)
        assert (after.count, after.suspects) == (3, [])
        assert all(after.used(c) for c in codes[:3]) and not after.used(codes[3])


def test_a_used_codes_file_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    _, table = _used_table(tmp_path, 2)
    (tmp_path / FILE_NAME).write_bytes(table[:-1])
    with pytest.raises(CodesError, match=f"{FILE_NAME} holds {len(table) - 1} bytes"):
        UsedCodes(DataDir(tmp_path), 4)
