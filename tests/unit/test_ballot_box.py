"""The sealed ballot box: random slots, each one page written once, torn pages set aside,
and the export that carries no position."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import pytest

from terminal.hal.storage import DataDir
from terminal.jsonfmt import FormatError
from terminal.tally.ballot_box import (
    FILE_NAME,
    SLOT_SIZE,
    BallotBox,
    BallotBoxFull,
    Commitment,
    commit,
    compact,
    encode_slot,
    split_records,
)
from terminal.tally.sealing import RECORD_SIZE, Ballot, SealError, seal
from terminal.trust.signing import SigningKey
from tests.unit.conftest import MemoryStorage, RecordingStorage, flip


@pytest.fixture(scope="module")
def records(precinct_key: tuple[bytes, bytes], terminal_key: SigningKey) -> list[bytes]:
    """Twelve sealed ballots, as the terminal makes them."""
    _, public = precinct_key
    choices = ["asanov", "bekova", "against"]
    return [
        seal(Ballot("e", "P1", False, {"mayor": (choices[i % 3],)}), public, terminal_key)
        for i in range(12)
    ]


def pages(data: bytes) -> list[bytes]:
    return [data[i : i + SLOT_SIZE] for i in range(0, len(data), SLOT_SIZE)]


def test_cast_ballots_are_found_again_after_a_restart(
    data_dir: DataDir, terminal_key: SigningKey, records: list[bytes]
) -> None:
    box = BallotBox.create(data_dir, terminal_key.public, 16)
    assert data_dir.size(FILE_NAME) == 16 * SLOT_SIZE
    for record in records[:5]:
        box.cast(record)
    assert box.count == 5
    data_dir.close()
    again = BallotBox.open(DataDir(data_dir.root), terminal_key.public)
    assert (again.slots, again.count, again.damaged) == (16, 5, set())
    assert again.filled == box.filled
    assert again.records() == sorted(records[:5])


def test_a_box_of_another_terminal_has_no_valid_ballot(
    data_dir: DataDir, terminal_key: SigningKey, other_key: SigningKey, records: list[bytes]
) -> None:
    box = BallotBox.create(data_dir, terminal_key.public, 4)
    box.cast(records[0])
    opened = BallotBox.open(data_dir, other_key.public)
    assert opened.count == 0 and len(opened.damaged) == 1
    assert opened.records() == []


def test_the_first_slot_is_uniformly_random(records: list[bytes], terminal_key: SigningKey) -> None:
    """A fresh 8-slot box, one ballot, 2000 times: every slot comes up about 1/8 of the time.

    Expected 250 each with a standard deviation of about 15; the bounds are 6-7 deviations
    wide, so only a biased or predictable choice fails (always the first free slot, a
    generator seeded the same way for every box, ...)."""
    first: Counter[int] = Counter()
    second: Counter[int] = Counter()
    for _ in range(2000):
        box = BallotBox.create(MemoryStorage(), terminal_key.public, 8)
        box.cast(records[0])
        (slot,) = box.filled
        first[slot] += 1
        box.cast(records[1])
        (other,) = box.filled - {slot}
        second[other] += 1
    for counts in (first, second):
        assert set(counts) == set(range(8))
        assert all(150 <= n <= 350 for n in counts.values()), counts


def test_each_slot_is_one_aligned_page_written_once_and_synced(
    data_dir: DataDir, terminal_key: SigningKey, records: list[bytes]
) -> None:
    storage = RecordingStorage(data_dir)
    box = BallotBox.create(storage, terminal_key.public, 12)
    storage.calls.clear()
    for record in records:
        before = data_dir.read(FILE_NAME)
        box.cast(record)
        after = data_dir.read(FILE_NAME)
        # Durable before cast returns: the last thing done was a sync of the box.
        assert storage.calls[-1] == ("sync", FILE_NAME, 0, 0)
        assert storage.calls[-2][:2] == ("pwrite", FILE_NAME)
        # Exactly one page changed, from empty to this record's slot.
        changed = [
            i for i, (a, b) in enumerate(zip(pages(before), pages(after), strict=True)) if a != b
        ]
        assert len(changed) == 1
        assert pages(before)[changed[0]] == bytes(SLOT_SIZE)
        assert pages(after)[changed[0]] == encode_slot(record)
    writes = storage.writes()
    assert len(writes) == 12
    assert all(offset % SLOT_SIZE == 0 and length == SLOT_SIZE for _, _, offset, length in writes)
    offsets = [offset for _, _, offset, _ in writes]
    assert sorted(offsets) == [slot * SLOT_SIZE for slot in range(12)]  # each slot once
    # Full: a further ballot is refused and nothing is written.
    storage.calls.clear()
    with pytest.raises(BallotBoxFull):
        box.cast(records[0])
    assert storage.calls == []


@pytest.mark.parametrize("torn", [1, 4, 5, 6, 7, 70, 600, 6 + RECORD_SIZE - 1])
def test_a_torn_slot_is_set_aside_never_counted_nor_reused(
    data_dir: DataDir, terminal_key: SigningKey, records: list[bytes], torn: int
) -> None:
    box = BallotBox.create(data_dir, terminal_key.public, 5)
    box.cast(records[0])
    box.cast(records[1])
    (good,) = sorted(box.filled)[:1]
    empty = min(set(range(5)) - box.filled)
    # A power cut while writing `empty`: only the first `torn` bytes of a page reached the card.
    # The bytes lost must differ from the blank page, or the write was in fact complete (a
    # record ending in a zero byte, one in 256, would make the last cut no cut at all).
    page = next(p for p in map(encode_slot, records[2:]) if any(p[torn : 6 + RECORD_SIZE]))
    data_dir.pwrite(FILE_NAME, empty * SLOT_SIZE, page[:torn])
    torn_page = data_dir.read(FILE_NAME)[empty * SLOT_SIZE : (empty + 1) * SLOT_SIZE]
    data_dir.sync(FILE_NAME)

    opened = BallotBox.open(data_dir, terminal_key.public)
    assert opened.damaged == {empty}
    assert opened.filled == box.filled and good in opened.filled
    assert opened.count == 2
    assert opened.records() == sorted(records[:2])
    # The remaining two empty slots take two more ballots; the torn one is never written.
    opened.cast(records[3])
    opened.cast(records[4])
    with pytest.raises(BallotBoxFull):
        opened.cast(records[5])
    data = data_dir.read(FILE_NAME)
    assert data[empty * SLOT_SIZE : (empty + 1) * SLOT_SIZE] == torn_page
    assert BallotBox.open(data_dir, terminal_key.public).count == 4


def test_an_altered_slot_is_damaged_and_its_neighbours_are_not(
    data_dir: DataDir, terminal_key: SigningKey, records: list[bytes]
) -> None:
    box = BallotBox.create(data_dir, terminal_key.public, 6)
    for record in records[:6]:
        box.cast(record)
    data = bytearray(data_dir.read(FILE_NAME))
    data[2 * SLOT_SIZE + 300] ^= 0x40  # inside the record
    data[4 * SLOT_SIZE + SLOT_SIZE - 1] = 1  # in the padding after the record
    data_dir.replace(FILE_NAME, bytes(data))
    opened = BallotBox.open(data_dir, terminal_key.public)
    assert opened.damaged == {2, 4}
    assert opened.filled == {0, 1, 3, 5}
    assert len(opened.records()) == 4


def test_a_box_file_of_a_partial_slot_is_refused(
    data_dir: DataDir, terminal_key: SigningKey
) -> None:
    BallotBox.create(data_dir, terminal_key.public, 2)
    data_dir.append(FILE_NAME, b"\0")
    with pytest.raises(SealError, match="whole number of slots"):
        BallotBox.open(data_dir, terminal_key.public)


def test_records_are_sorted_and_say_nothing_of_their_slots(
    terminal_key: SigningKey, records: list[bytes]
) -> None:
    """Two boxes with the same ballots in different slots export exactly the same bytes."""
    exports = set()
    slot_sets = set()
    for _ in range(6):
        box = BallotBox.create(MemoryStorage(), terminal_key.public, 40)
        for record in records:
            box.cast(record)
        found = box.records()
        assert found == sorted(records)
        assert all(len(r) == RECORD_SIZE for r in found)
        exports.add(compact(found))
        slot_sets.add(frozenset(box.filled))
    assert len(exports) == 1
    assert len(slot_sets) > 1  # the slots did differ


def test_compact_commit_and_split(records: list[bytes]) -> None:
    exported = compact(list(reversed(records)))
    assert exported == b"".join(sorted(records))
    assert split_records(exported, "ballots.bin") == sorted(records)
    commitment = commit("e", "P1", "T-1", exported)
    assert commitment.count == len(records)
    assert commitment.record_size == RECORD_SIZE
    assert commitment.sha256 == hashlib.sha256(exported).hexdigest()
    assert commit("e", "P1", "T-1", b"").count == 0
    assert split_records(b"", "ballots.bin") == []


def test_split_refuses_copies_disorder_and_partial_records(records: list[bytes]) -> None:
    ordered = sorted(records)
    with pytest.raises(FormatError, match="record 2 is out of order or a copy"):
        split_records(b"".join([ordered[0], ordered[1], ordered[1], ordered[2]]), "ballots.bin")
    with pytest.raises(FormatError, match="record 1 is out of order"):
        split_records(ordered[1] + ordered[0], "ballots.bin")
    with pytest.raises(FormatError, match="whole number"):
        split_records(compact(records)[:-1], "ballots.bin")


COMMITMENT = Commitment("e", "P1", "T-1", 3, RECORD_SIZE, "ab" * 32)


def test_commitment_round_trip_is_canonical() -> None:
    data = COMMITMENT.to_json()
    assert Commitment.from_json(data, "commitment.json") == COMMITMENT
    assert data.endswith(b"\n") and b" " not in data
    assert list(json.loads(data)) == sorted(json.loads(data))


@pytest.mark.parametrize(
    "change",
    [
        {"format": "tamga-ballot-commitment/2"},
        {"count": -1},
        {"count": True},
        {"count": "3"},
        {"record_size": 0},
        {"sha256": "ab" * 31},
        {"sha256": "zz" * 32},
        {"election": 7},
    ],
)
def test_commitment_parsing_is_strict(change: dict[str, object]) -> None:
    value = json.loads(COMMITMENT.to_json())
    value.update(change)
    with pytest.raises(FormatError, match=r"commitment\.json"):
        Commitment.from_json(json.dumps(value).encode(), "commitment.json")


def test_commitment_missing_field_or_duplicate_key_is_refused() -> None:
    value = json.loads(COMMITMENT.to_json())
    for key in value:
        partial = {k: v for k, v in value.items() if k != key}
        with pytest.raises(FormatError, match=repr(key)):
            Commitment.from_json(json.dumps(partial).encode(), "commitment.json")
    doubled = COMMITMENT.to_json().replace(b'"count":3', b'"count":3,"count":4')
    with pytest.raises(FormatError, match="duplicate"):
        Commitment.from_json(doubled, "commitment.json")


def test_flipped_slot_record_is_refused_by_decode(
    data_dir: DataDir, terminal_key: SigningKey, records: list[bytes]
) -> None:
    box = BallotBox.create(data_dir, terminal_key.public, 1)
    box.cast(records[0])
    page = data_dir.read(FILE_NAME)
    for index in (0, 4, 5, 6, 6 + RECORD_SIZE // 2, 6 + RECORD_SIZE - 1):
        data_dir.replace(FILE_NAME, flip(page, index))
        assert BallotBox.open(data_dir, terminal_key.public).damaged == {0}
