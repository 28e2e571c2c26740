"""The hash-chained event log: what survives a power cut, what is tampering, and checkpoints."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.hal.storage import DataDir
from terminal.tally.event_kinds import CATALOGUE
from terminal.tally.event_log import (
    CHECKPOINT_REASONS,
    FILE_NAME,
    GENESIS,
    Checkpoint,
    EventLog,
    LogError,
    _read_checked,
    _read_plain,
    origin,
    parse_log,
    record_line,
)
from tests.unit.conftest import FixedClock, MemoryStorage, RecordingStorage, fuzz


def write_day(storage: DataDir | MemoryStorage) -> EventLog:
    log = EventLog.open(storage, FixedClock())
    log.append("terminal_started", software="ab" * 32)
    log.append("ballot_box_created", slots=108)
    log.append("polls_opened")
    log.append("ballot_issued", reissue=False)
    log.append("ballot_cast", recovered=False)
    log.append("polls_closed")
    return log


def lines_of(data: bytes) -> list[bytes]:
    assert data.endswith(b"\n")
    return data[:-1].split(b"\n")


def joined(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def line_error(data: bytes) -> str:
    with pytest.raises(LogError) as caught:
        parse_log(data)
    return str(caught.value)


def names_line(message: str, number: int) -> bool:
    return re.search(rf"\bline {number} \(byte \d+\)", message) is not None


def test_appended_events_are_read_back_after_a_restart(data_dir: DataDir) -> None:
    log = write_day(data_dir)
    data_dir.close()
    again = EventLog.open(DataDir(data_dir.root), FixedClock())
    assert again.events == log.events
    assert again.truncated == 0
    assert [e.seq for e in again.events] == list(range(6))
    assert again.events[1].data == {"slots": 108}
    assert (
        again.head == log.head == hashlib.sha256(lines_of(data_dir.read(FILE_NAME))[-1]).hexdigest()
    )
    assert again.events[0].prev == GENESIS
    assert all(b.prev == a.hash for a, b in zip(again.events, again.events[1:], strict=False))
    assert again.events[0].clock == "manual" and again.events[0].time.startswith("2025-11-30T08:00")


def test_every_append_is_synced_before_it_returns(data_dir: DataDir) -> None:
    storage = RecordingStorage(data_dir)
    log = EventLog.open(storage, FixedClock())
    for _ in range(3):
        log.append("polls_opened")
        assert storage.calls[-1] == ("sync", FILE_NAME, 0, 0)
        assert storage.calls[-2][:2] == ("append", FILE_NAME)
    assert [c[0] for c in storage.calls] == ["append", "sync"] * 3


def test_records_are_canonical_json_lines(data_dir: DataDir) -> None:
    write_day(data_dir)
    for line in lines_of(data_dir.read(FILE_NAME)):
        assert line.startswith(b'{"clock":"manual","data":')
        assert b" " not in line


@pytest.mark.parametrize("target", range(5))  # the last line has no successor to break
def test_an_edited_line_breaks_the_chain_at_the_next_line(data_dir: DataDir, target: int) -> None:
    write_day(data_dir)
    lines = lines_of(data_dir.read(FILE_NAME))
    # Edit the record properly (canonical form kept): only the chain shows it.
    edited = lines[target].replace(b'"time":"2025-11-30T08:00', b'"time":"2025-11-30T09:00')
    assert edited != lines[target]
    message = line_error(joined([*lines[:target], edited, *lines[target + 1 :]]))
    assert names_line(message, target + 2) and "chain" in message
    assert FILE_NAME in message


@pytest.mark.parametrize("target", range(6))
def test_a_crudely_edited_line_is_named(data_dir: DataDir, target: int) -> None:
    write_day(data_dir)
    lines = lines_of(data_dir.read(FILE_NAME))
    for edited in (
        lines[target].replace(b'{"clock"', b'{ "clock"'),  # not canonical
        lines[target][:-1],  # not JSON
        lines[target].replace(b'"seq":', b'"seq":1'),
    ):
        message = line_error(joined([*lines[:target], edited, *lines[target + 1 :]]))
        assert names_line(message, target + 1), message


@pytest.mark.parametrize("target", range(5))
def test_a_deleted_line_is_named(data_dir: DataDir, target: int) -> None:
    write_day(data_dir)
    lines = lines_of(data_dir.read(FILE_NAME))
    message = line_error(joined(lines[:target] + lines[target + 1 :]))
    assert names_line(message, target + 1), message


@pytest.mark.parametrize("target", range(5))
def test_swapped_lines_are_named(data_dir: DataDir, target: int) -> None:
    write_day(data_dir)
    lines = lines_of(data_dir.read(FILE_NAME))
    lines[target], lines[target + 1] = lines[target + 1], lines[target]
    assert names_line(line_error(joined(lines)), target + 1)


@pytest.mark.parametrize("target", range(7))
def test_an_inserted_line_is_named(data_dir: DataDir, target: int) -> None:
    write_day(data_dir)
    lines = lines_of(data_dir.read(FILE_NAME))
    # A well-formed record, even one with the right seq and prev for its place.
    prev = GENESIS if target == 0 else hashlib.sha256(lines[target - 1]).hexdigest()
    forged = record_line(target, "2025-11-30T08:00:00.000000Z", "manual", "polls_opened", {}, prev)
    data = joined([*lines[:target], forged, *lines[target:]])
    if target == len(lines):
        parse_log(data)  # appending at the end is what a terminal does: checkpoints pin it
        return
    assert names_line(line_error(data), target + 2)


def test_tampering_is_reported_at_start_up_and_never_repaired(data_dir: DataDir) -> None:
    write_day(data_dir)
    lines = lines_of(data_dir.read(FILE_NAME))
    tampered = joined([lines[0], lines[2], lines[3], *lines[4:]])
    data_dir.replace(FILE_NAME, tampered)
    with pytest.raises(LogError, match=r"line 2 \(byte"):
        EventLog.open(data_dir, FixedClock())
    assert data_dir.read(FILE_NAME) == tampered


def test_a_rewritten_log_passes_the_chain_but_not_the_checkpoint(data_dir: DataDir) -> None:
    log = write_day(data_dir)
    point = Checkpoint(origin("e", "P1", "T-1"), len(log.events), log.head, "close")
    assert point.matches([e.hash for e in log.events])
    forged = EventLog(MemoryStorage(), FixedClock())
    for event in log.events:
        data = {"software": "cd" * 32} if event.kind == "terminal_started" else event.data
        forged.append(event.kind, **data)
    assert not point.matches([e.hash for e in forged.events])


def test_a_torn_tail_is_cut_at_start_up_at_every_byte() -> None:
    storage = MemoryStorage()
    write_day(storage)
    full = storage.read(FILE_NAME)
    lines = lines_of(full)
    start = len(full) - len(lines[-1]) - 1
    kept = full[:start]
    earlier = parse_log(kept)[0]
    for cut in range(start + 1, len(full)):  # every incomplete last line, to just the newline
        torn = MemoryStorage()
        torn.replace(FILE_NAME, full[:cut])
        log = EventLog.open(torn, FixedClock())
        assert log.truncated == cut - start
        assert log.events[:-1] == earlier
        last = log.events[-1]
        assert (last.kind, last.data, last.seq) == ("log_tail_truncated", {"bytes": cut - start}, 5)
        repaired = torn.read(FILE_NAME)
        assert repaired.startswith(kept) and repaired[len(kept) :].count(b"\n") == 1
        # The repaired log is clean: a second start finds nothing to cut.
        again = EventLog.open(torn, FixedClock())
        assert again.truncated == 0 and again.events == log.events


def test_a_torn_tail_is_cut_on_disk_and_synced(data_dir: DataDir) -> None:
    write_day(data_dir)
    full = data_dir.read(FILE_NAME)
    data_dir.truncate(FILE_NAME, len(full) - 10)
    storage = RecordingStorage(data_dir)
    log = EventLog.open(storage, FixedClock())
    start = len(full) - len(lines_of(full)[-1]) - 1
    assert storage.calls[:2] == [("truncate", FILE_NAME, 0, start), ("sync", FILE_NAME, 0, 0)]
    lines = lines_of(data_dir.read(FILE_NAME))
    assert len(lines) == 6
    assert log.of_kind("log_tail_truncated")[0].data == {"bytes": len(lines_of(full)[-1]) + 1 - 10}


def test_a_torn_first_line_leaves_only_the_truncation_record() -> None:
    storage = MemoryStorage()
    storage.replace(FILE_NAME, b'{"clock":"man')
    log = EventLog.open(storage, FixedClock())
    assert [(e.kind, e.data) for e in log.events] == [("log_tail_truncated", {"bytes": 13})]
    assert log.events[0].prev == GENESIS


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("voter_identified", {"pin": "21503198512345"}),
        ("ballot_cast", {"recovered": False, "slot": 17}),
        ("ballot_cast", {"recovered": False, "choices": ["asanov"]}),
        ("ballot_cast", {}),
        ("terminal_started", {"software": "x", "voter": "Асанов"}),
    ],
)
def test_unknown_kinds_and_fields_are_refused_and_nothing_is_written(
    data_dir: DataDir, kind: str, data: dict[str, object]
) -> None:
    log = write_day(data_dir)
    before = data_dir.read(FILE_NAME)
    with pytest.raises(LogError):
        log.append(kind, **data)
    assert data_dir.read(FILE_NAME) == before
    assert len(log.events) == 6


def test_the_catalogue_has_no_field_for_voter_or_ballot_data() -> None:
    forbidden = {"pin", "iin", "name", "surname", "voter", "choice", "choices", "slot", "number"}
    for kind in CATALOGUE.values():
        assert not forbidden & set(kind.fields), kind.name


def test_a_record_of_an_unknown_kind_in_the_file_is_refused() -> None:
    line = record_line(0, "t", "manual", "voter_identified", {"pin": "1"}, GENESIS)
    with pytest.raises(LogError, match=r"line 1 .*unknown event kind"):
        parse_log(line + b"\n")
    extra = record_line(0, "t", "manual", "polls_opened", {"slot": 3}, GENESIS)
    with pytest.raises(LogError, match="exactly the fields"):
        parse_log(extra + b"\n")


def test_a_record_with_extra_top_level_fields_is_refused() -> None:
    line = b'{"clock":"c","data":{},"kind":"polls_opened","prev":"' + GENESIS.encode()
    line += b'","seq":0,"time":"t","voter":"x"}'
    with pytest.raises(LogError, match="line 1"):
        parse_log(line + b"\n")


def test_strings_that_are_not_unicode_are_refused_as_tampering() -> None:
    """A lone surrogate escape is valid JSON syntax but no text: the log names the line."""
    line = b'{"clock":"\\ud800","data":{},"kind":"polls_opened","prev":"' + GENESIS.encode()
    line += b'","seq":0,"time":"t"}'
    with pytest.raises(LogError, match="line 1"):
        parse_log(line + b"\n")


def _either(read: Callable[[], object]) -> object:
    """What a reading gives: its events, or the message it refuses the log with."""
    try:
        return read()
    except LogError as exc:
        return f"refused: {exc}"


def _both_ways(data: bytes) -> None:
    """The bulk reading of a log (the host's fast path) must give exactly what the checked,
    line-by-line reading gives, or step aside (None) so that the checked reading decides."""
    lines = data.split(b"\n")
    lines.pop()
    try:
        texts = data[: data.rfind(b"\n") + 1].decode("utf-8").split("\n")[:-1]
    except UnicodeDecodeError:
        texts = None  # the bulk reading is only given text
    if texts is not None and (bulk := _read_plain(lines, texts)) is not None:
        assert bulk.events() == _read_checked(lines, FILE_NAME)
    with mock.patch("terminal.tally.event_log._read_plain", return_value=None):
        checked = _either(lambda: parse_log(data))
    assert _either(lambda: parse_log(data)) == checked


def _log(records: list[tuple[str, str, str, dict[str, object]]]) -> bytes:
    """A well-chained log of (time, clock, kind, data) records."""
    lines, prev = [], GENESIS
    for seq, (time, clock, kind, data) in enumerate(records):
        lines.append(record_line(seq, time, clock, kind, data, prev))
        prev = hashlib.sha256(lines[-1]).hexdigest()
    return joined(lines)


DAY = _log(
    [
        ("2025-11-30T07:00:00.000000Z", "manual", "polls_opened", {}),
        *[
            (f"2025-11-30T08:00:{i:02d}.000000Z", "ntp", kind, data)
            for i in range(20)
            for kind, data in (
                ("ballot_issued", {"reissue": i == 3}),
                ("ballot_cast", {"recovered": False}),
            )
        ],
        ("2025-11-30T20:00:00.000000Z", "manual", "polls_closed", {}),
    ]
)
TIMES = st.sampled_from(["2025-11-30T08:00:00.000000Z", "", "t", "08:00\n", "é", '"}', "\\"])
DATA = st.sampled_from([{}, {"reissue": False}, {"recovered": True}, {"slots": 3}])
ANY_DATA = st.dictionaries(
    st.sampled_from(["prev", "seq", "time", "x"]) | st.text(max_size=3),
    st.booleans() | st.integers() | st.none() | st.text(max_size=12),
)
RECORDS = st.tuples(
    TIMES | st.text(max_size=8),
    st.sampled_from(["manual", "ntp", "Manual", "x y", ""]) | st.text(max_size=4),
    st.sampled_from(sorted(CATALOGUE)) | st.text(max_size=6),
    DATA | ANY_DATA,
)


def test_a_polling_day_is_read_in_bulk() -> None:
    """The bulk reading must actually take the records it exists for."""
    lines = DAY.split(b"\n")[:-1]
    log = _read_plain(lines, DAY.decode().split("\n")[:-1])
    assert log is not None and len(log.meanings) == 5  # opened, closed, 2 issues, cast
    events = log.events()
    assert events == _read_checked(lines, FILE_NAME)
    assert events[7].data == {"reissue": True} and events[9].data == {"reissue": False}
    events[9].data["reissue"] = True  # each event has its own data, not its head's
    assert events[5].data == {"reissue": False}


@fuzz(300)
@given(
    st.lists(
        RECORDS | st.sampled_from([("t", "ntp", "ballot_cast", {"recovered": False})]), max_size=6
    )
)
def test_the_bulk_reading_agrees_with_the_checked_one(
    records: list[tuple[str, str, str, dict[str, object]]],
) -> None:
    _both_ways(_log(records))


@fuzz(400)
@given(position=st.integers(0, len(DAY) - 1), byte=st.integers(0, 255))
def test_a_log_with_a_byte_changed_reads_the_same_both_ways(position: int, byte: int) -> None:
    data = bytearray(DAY)
    data[position] = byte
    _both_ways(bytes(data))


@fuzz(200)
@given(position=st.integers(0, len(DAY) - 1), insert=st.binary(min_size=1, max_size=4))
def test_a_log_with_bytes_inserted_or_removed_reads_the_same_both_ways(
    position: int, insert: bytes
) -> None:
    _both_ways(DAY[:position] + insert + DAY[position:])
    _both_ways(DAY[:position] + DAY[position + len(insert) :])


def test_a_line_whose_time_runs_into_its_end_is_refused() -> None:
    """`..."time":"}` ends like a record, with a head seen before, but its time is never
    closed: the bulk reading must not take it for a record with an empty time."""
    first = record_line(0, "t", "ntp", "polls_opened", {}, GENESIS)
    second = record_line(1, "t", "ntp", "polls_opened", {}, hashlib.sha256(first).hexdigest())
    short = second[: second.rindex(b'"time":"') + len('"time":"')] + b"}"
    data = first + b"\n" + short + b"\n"
    assert _read_plain([first, short], data.decode().split("\n")[:-1]) is None
    assert "line 2" in str(_either(lambda: parse_log(data)))


@pytest.mark.parametrize("spelling", [b'08"00', b"08\\u0030", b"08\\", b"08\x01", b'","x":"1'])
def test_a_time_spelled_in_a_way_canonical_json_never_writes_is_never_read_in_bulk(
    spelling: bytes,
) -> None:
    """A second line with a known head, the right chain link and a time that canonical JSON
    would never write raw (a quote, an escape, a control character): the parser decides."""
    first = record_line(0, "t", "ntp", "polls_opened", {}, GENESIS)
    second = record_line(1, "TIME", "ntp", "polls_opened", {}, hashlib.sha256(first).hexdigest())
    second = second.replace(b"TIME", spelling)
    data = first + b"\n" + second + b"\n"
    assert _read_plain([first, second], data.decode().split("\n")[:-1]) is None
    _both_ways(data)


# --- checkpoints -------------------------------------------------------------------------------

HEAD = hashlib.sha256(b"head").hexdigest()


def test_checkpoint_bytes_are_the_tlog_layout_and_say_which_checkpoint() -> None:
    point = Checkpoint("tamga/e/P1/T-1", 42, HEAD, "open")
    digest = base64.b64encode(bytes.fromhex(HEAD)).decode()
    signed = f"tamga/e/P1/T-1\n42\n{digest}\ntamga-checkpoint/1 open\n".encode()
    assert point.to_bytes() == signed
    assert Checkpoint.from_bytes(point.to_bytes(), "open.checkpoint", "open") == point
    assert origin("kg-2025", "P1", "T-1") == "tamga/kg-2025/P1/T-1"


@pytest.mark.parametrize(("made", "expected"), [("close", "export"), ("open", "close")])
def test_a_checkpoint_of_one_kind_is_refused_as_another(made: str, expected: str) -> None:
    body = Checkpoint("tamga/e/P1/T-1", 42, HEAD, made).to_bytes()
    with pytest.raises(LogError, match=f"is the {made} checkpoint, not the {expected} one"):
        Checkpoint.from_bytes(body, "cp.txt", expected)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"o\n1\n",
        b"o\n1\nAAAA\n",  # a 3-byte hash
        b"o\n0\n%s\n",  # size 0
        b"o\n-1\n%s\n",
        b"o\n01\n%s\n",
        b"o\n+1\n%s\n",
        b"o\n 1\n%s\n",
        b"o\n1_0\n%s\n",
        b"o\n1\n%s\ntamga-checkpoint/1 open",  # no final newline
        b"o\n1\n%s\n",  # no kind: the three lines of the old format
        b"o\n1\n%s\nextra\n",
        b"o\n1\n%s\ntamga-checkpoint/1 opened\n",
        b"o\n1\n%s\ntamga-checkpoint/2 open\n",
        b"o\n1\n%s\ntamga-checkpoint/1 open\nmore\n",
        b"o\n1\n%s\n\n",
        b"\xd0\xb0\n1\n%s\n",  # not ASCII
        b"o\n1\n%s=\n",
    ],
)
def test_checkpoint_parsing_is_strict(data: bytes) -> None:
    digest = base64.b64encode(bytes.fromhex(HEAD))
    with pytest.raises(LogError, match=r"cp\.txt"):
        Checkpoint.from_bytes(data.replace(b"%s", digest), "cp.txt", "open")


@fuzz(200)
@given(st.binary(max_size=120))
def test_random_checkpoint_bytes_raise_only_log_error(data: bytes) -> None:
    try:
        point = Checkpoint.from_bytes(data, "cp", "export")
    except LogError:
        return
    assert point.to_bytes() == data


@fuzz(100)
@given(
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
    st.integers(min_value=1, max_value=10**12),
    st.binary(min_size=32, max_size=32),
)
def test_checkpoints_round_trip(name: str, size: int, head: bytes) -> None:
    for reason in CHECKPOINT_REASONS:
        point = Checkpoint(name, size, head.hex(), reason)
        assert Checkpoint.from_bytes(point.to_bytes(), "cp", reason) == point


def test_checkpoint_matches_only_the_log_it_pins(data_dir: DataDir) -> None:
    log = write_day(data_dir)
    hashes = [e.hash for e in log.events]
    at_three = Checkpoint("o", 3, hashes[2], "open")
    assert at_three.matches(hashes)
    assert at_three.matches(hashes[:3])
    assert not at_three.matches(hashes[:2])  # the log is shorter than what paper pinned
    assert not Checkpoint("o", 3, hashes[3], "open").matches(hashes)
    assert not Checkpoint("o", 99, hashes[-1], "open").matches(hashes)
    log.append("terminal_started", software="00" * 32)
    assert at_three.matches([e.hash for e in log.events])  # a log that grows still extends it
