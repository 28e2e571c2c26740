"""The harsh crash model (GARBLE, after SQLite's test6.c): a power cut during an unsynced
write leaves each 4 KiB page it touches full of garbage (random bytes, zeros, or 0xFF as
erased flash reads), synced bytes in that page included.

Our layout: the ballot box gives each slot its own 4 KiB-aligned page, so a garbled slot
write damages that slot only (set aside, never counted). The event log, the voter marks and
a booth's used codes are not page-aligned: an append, a mark or a used code rewrites a page
that holds synced records, marks or codes. This is where the question "can a cut garble a
synced record" is answered: yes, and the terminal must then stop with a report (LogError,
MarksError, InconsistentStores), never go on with changed counts. Before the fix in
event_log.parse_log, a zeroed or erased tail page was taken for a torn tail and truncated:
synced records vanished with only a log_tail_truncated event, and the terminal came back
blank over a box full of ballots.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sim.faulty_storage import PAGE, FaultyStorage, Garble, Image
from terminal.tally.event_log import FILE_NAME as EVENTS
from terminal.tally.event_log import EventLog, LogError
from tests.reliability.cuts import Tally, count_operations, run_until_cut, survive_cut
from tests.reliability.polling import StepClock, World


def garbled(storage: FaultyStorage) -> list[Image]:
    return list(storage.garbled_images(seed=len(storage.operations)))


def sweep(world: World, scratch: Path, voters: int, seed: int) -> Tally:
    operations = count_operations(world, scratch / "uncut", voters, seed)
    tally = Tally()
    started = time.monotonic()
    for k in range(len(operations) + 1):
        survive_cut(world, scratch, voters, seed, k, garbled, tally, stops_allowed=True)
    print(
        f"\n{voters} voters: K={len(operations)}, {tally.cuts} cuts, {tally.restarts} restarts "
        f"went on and were checked, stops {tally.stops}, {time.monotonic() - started:.1f} s"
    )
    return tally


def test_a_garbled_page_stops_the_terminal_or_changes_nothing(world: World, scratch: Path) -> None:
    tally = sweep(world, scratch, 3, 21)
    assert tally.stops and tally.stops.get("LogError", 0) > 0 and tally.restarts > 0


def test_a_garbled_page_of_a_booths_used_codes_stops_it_or_changes_nothing(
    booth: World, scratch: Path
) -> None:
    """A used code's entry shares its page with others: a cut while writing one garbles
    them all; the booth must stop (the entries fail their check) or go on unchanged."""
    tally = sweep(booth, scratch, 3, 23)
    assert tally.stops and tally.stops.get("InconsistentStores", 0) > 0 and tally.restarts > 0


@pytest.mark.slow
@pytest.mark.parametrize("voters", [8, 12])
def test_a_garbled_page_of_a_larger_day_stops_the_terminal_or_changes_nothing(
    world: World, scratch: Path, voters: int
) -> None:
    sweep(world, scratch, voters, 22 + voters)


@pytest.mark.parametrize("fill", list(Garble))
def test_a_torn_append_garbles_synced_records_and_the_terminal_stops(
    world: World, scratch: Path, fill: Garble
) -> None:
    """Evidence: the append of the record after the first ballot cast shares its page with
    synced records; garbling that page destroys them, and the log reports it."""
    operations = count_operations(world, scratch / "uncut", 3, 31)
    after_cast = next(
        i for i, op in enumerate(operations) if op.name == EVENTS and b"ballot_cast" in op.data
    )
    append = operations[after_cast + 2]  # the print_finished record, after ballot_cast's sync
    assert append.name == EVENTS and append.kind == "write" and append.offset % PAGE
    day = run_until_cut(world, scratch / "cut", 3, 31, append.number)
    images = [
        i for i in day.storage.garbled_images([fill]) if f"page {append.offset // PAGE}" in i.label
    ]
    assert images
    synced = day.storage.durable()[EVENTS]
    page_start = append.offset // PAGE * PAGE
    assert synced[page_start : append.offset].count(b"\n") >= 1  # whole synced records in it
    for image in images:
        storage = FaultyStorage(image.files)
        with pytest.raises(LogError, match=rf"{EVENTS} line \d+ \(byte \d+\)"):
            EventLog.open(storage, StepClock())
        assert storage.files_now() == image.files  # nothing truncated, nothing written


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(bytes(300), id="zeroed page"),
        pytest.param(b"\xff" * 300, id="erased flash"),
        pytest.param(b'{"clock":"manual","data":{' + bytes(40), id="record then zeros"),
        pytest.param(b"\x0b", id="last newline flipped"),
    ],
)
def test_a_tail_that_no_torn_append_leaves_is_reported_not_truncated(tail: bytes) -> None:
    storage = FaultyStorage()
    log = EventLog.open(storage, StepClock())
    log.append("polls_opened")
    log.append("polls_closed")
    synced = storage.read(EVENTS)
    damaged = synced[:-1] + tail if tail == b"\x0b" else synced + tail
    with pytest.raises(LogError, match=rf"{EVENTS} line \d+ \(byte \d+\)"):
        EventLog.open(FaultyStorage({EVENTS: damaged}), StepClock())


def test_a_record_cut_short_is_truncated_and_logged() -> None:
    storage = FaultyStorage()
    log = EventLog.open(storage, StepClock())
    log.append("polls_opened")
    cut = storage.read(EVENTS) + b'{"clock":"manual","data":{},"kind":"polls_cl'
    reopened = EventLog.open(FaultyStorage({EVENTS: cut}), StepClock())
    assert [e.kind for e in reopened.events] == ["polls_opened", "log_tail_truncated"]
