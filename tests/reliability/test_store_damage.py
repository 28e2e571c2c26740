"""Every store of the card cut short after every byte and every byte flipped (files of
64 KiB and more: a seeded sample), then a restart: each case must end exactly as
tests/reliability/damage.py expects from the file's layout, and never in a silent change
of the counts. The default run takes a seeded sample of each file; `make torture` all.

What is accepted without a report, and why:
- a log cut inside a record (TORN) or at a record boundary (SHORTER) where a power cut could
  leave it beside the box and marks as they are; the stores are then checked as after a cut;
- the last record altered in a value nothing checks (HEAD_ALTERED): no later record hashes
  it yet; counts cannot change that way (kinds and field names are checked);
- the voter marks' older copy, or a copy's padding, damaged (MARKS_KEPT): the copy in use
  holds every mark; a damaged copy in use falls back to the one before it, one mark fewer
  than the log's first issues, which is reported (INCONSISTENT); no flip sets a mark;
- a damaged empty slot (DAMAGED_SLOT): set aside and logged, never counted;
- at a voting booth, a damaged empty used-code entry (CODE_CLEARED): it reads exactly like a
  use cut short by a power cut (every code the log counts as used is intact), so it is
  cleared and logged; a damaged used code's entry is always reported (INCONSISTENT);
- the box cut at a slot boundary after its last ballot (FEWER_SLOTS);
- signed artifacts (UNREAD) are not read at start-up: the export carries the damage and the
  host tools' verification names the file (export rewrites only the export checkpoint).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest

from terminal.idscan import marks
from terminal.tally import bundle as bundle_format
from terminal.tally.bundle import BundleError, verify_bundle
from terminal.tally.event_log import FILE_NAME as EVENTS
from tests.reliability.cards import card_after_export, card_while_open
from tests.reliability.damage import (
    BOX,
    CODES,
    MARKS,
    NAMES,
    SLOT,
    Card,
    Case,
    Outcome,
    Seen,
    cases,
    expect,
    marks_voters,
    observe,
)
from tests.reliability.polling import World

SIGNED = (
    "checkpoint-open.txt",
    "checkpoint-open.txt.sig",
    "checkpoint-close.txt",
    "checkpoint-close.txt.sig",
    "checkpoint-export.txt",
    "checkpoint-export.txt.sig",
    "protocol.json",
    "protocol.json.sig",
    "ballots.commitment.json",
    "ballots.commitment.json.sig",
)
# Offsets per file in the default run; 0: all (codes.bin, 1 KiB: 3,290 restarts, ~8 s).
# The marks (two 4 KiB copies) get a sample beside every byte that has its own meaning.
SAMPLES = {EVENTS: 600, BOX: 300, MARKS: 100, CODES: 0}
SIGNED_SAMPLE = 12


@pytest.fixture(scope="module")
def open_card(world: World, module_scratch: Path) -> Card:
    return card_while_open(world, module_scratch / "open")


@pytest.fixture(scope="module")
def end_card(world: World, module_scratch: Path) -> Card:
    return card_after_export(world, module_scratch / "end")


@pytest.fixture(scope="module")
def booth_card(booth: World, module_scratch: Path) -> Card:
    """A voting booth's card with the polls open: its used codes beside box and log."""
    return card_while_open(booth, module_scratch / "booth")


def box_offsets(card: Card) -> set[int]:
    """Offsets that matter in the box: slot boundaries, and the edges of each filled slot's
    header, record and padding."""
    data = card.files[BOX]
    keep = {s * SLOT for s in range(len(data) // SLOT)}
    for slot in range(len(data) // SLOT):
        if any(data[slot * SLOT : (slot + 1) * SLOT]):
            base = slot * SLOT
            keep |= {base + i for i in (0, 3, 4, 5, 6, 7, 100, 1200, 1300, 4095)}
    return keep


def check(world: World, root: Path, card: Card, case: Case) -> Outcome:
    """Restart on the damaged card; the outcome must be the expected one, with its report."""
    expected = expect(card, case)
    seen = observe(world, root, card, case)
    assert seen.outcome is expected, f"{case}: expected {expected.name}, got {seen}"
    if expected in NAMES:
        assert NAMES[expected] in seen.message, f"{case}: the report does not name the file"
        if expected is Outcome.LOG_ERROR:
            assert "byte " in seen.message and "line " in seen.message, seen.message
        if case.name == CODES and case.how == "flip":
            entry = case.at - case.at % 16
            assert f"{CODES} bytes {entry}:" in seen.message, seen.message
        return expected
    _check_counts(card, case, seen)
    return expected


def _check_counts(card: Card, case: Case, seen: Seen) -> None:
    """A restart that goes on must hold the same ballots, agreeing with its log."""
    terminal = seen.terminal
    assert terminal is not None and terminal.polls is not None
    polls = terminal.polls
    assert polls.box is not None
    filled = sum(
        1
        for s in range(len(card.files[BOX]) // SLOT)
        if any(card.files[BOX][s * SLOT : (s + 1) * SLOT])
    )
    assert polls.box.count == filled == polls.count_events("ballot_cast"), case
    recorded = polls.recorded
    assert recorded == polls.count_events("ballot_issued", reissue=False), case
    if seen.outcome is Outcome.CODE_CLEARED:
        assert polls.codes is not None and not polls.codes.suspects, case
    issued = polls.count_events("ballot_issued")
    assert issued == polls.count_events("ballot_cast") + polls.count_events("ballot_void")
    if seen.outcome is Outcome.DAMAGED_SLOT:
        assert polls.box.damaged == {case.at // SLOT}
        assert polls.log.of_kind("ballot_box_checked")[-1].data == {
            "filled": filled,
            "damaged": 1,
        }
    if seen.outcome is Outcome.TORN:
        kept = case.apply(card.files)[EVENTS]
        torn = len(kept) - (kept.rfind(b"\n") + 1)
        assert polls.log.of_kind("log_tail_truncated")[-1].data == {"bytes": torn}


def log_offsets(card: Card) -> set[int]:
    """Offsets that matter in the log: every record boundary, and every byte of the last
    record (the one no later record hashes)."""
    bounds = card.bounds()
    return set(bounds[:-1]) | set(range(bounds[-2], bounds[-1]))


def codes_offsets(card: Card) -> set[int]:
    """Every byte of each used code's entry, and every entry boundary."""
    data = card.files[CODES]
    keep = set(range(0, len(data), 16))
    for entry in range(0, len(data), 16):
        if any(data[entry : entry + 16]):
            keep |= set(range(entry, entry + 16))
    return keep


def marks_offsets(card: Card) -> set[int]:
    """Each copy's header and tag, the first and last sealed mark, the first byte of the
    padding and the copy's last byte."""
    data = card.files[MARKS]
    span = len(data) // 2
    voters = marks_voters(data)
    keep: set[int] = set()
    for base in (0, span):
        keep |= {base + i for i in range(32)}
        used = marks.copy_used(voters)
        keep |= {base + i for i in range(used - 16, used)}
        keep |= {base + 32 + voters - 1, base + used, base + span - 1}
    return keep


def run(world: World, root: Path, card: Card, name: str, sample: int, seed: int) -> dict[str, int]:
    found: dict[str, int] = {}
    offsets: dict[str, Callable[[Card], set[int]]] = {
        BOX: box_offsets,
        EVENTS: log_offsets,
        CODES: codes_offsets,
        MARKS: marks_offsets,
    }
    extra = offsets[name](card) if name in offsets else set()
    chosen = cases(card, name, seed, sample)
    chosen += [c for at in sorted(extra) for c in (Case(name, "cut", at), Case(name, "flip", at))]
    for case in chosen:
        outcome = check(world, root, card, case)
        found[outcome.name] = found.get(outcome.name, 0) + 1
    return found


@pytest.mark.parametrize("name", [EVENTS, MARKS, BOX])
def test_damaged_stores_of_an_open_terminal_are_truncated_or_reported(
    world: World, module_scratch: Path, open_card: Card, name: str
) -> None:
    found = run(world, module_scratch / "runs", open_card, name, SAMPLES[name], seed=7)
    print(f"\n{name}: {found}")
    if name == EVENTS:
        assert {"TORN", "SHORTER", "LOG_ERROR", "INCONSISTENT", "HEAD_ALTERED"} <= set(found)
    if name == BOX:
        assert {"SEAL_ERROR", "INCONSISTENT", "DAMAGED_SLOT"} <= set(found)
    if name == MARKS:
        assert {"MARKS_ERROR", "INCONSISTENT", "MARKS_KEPT"} <= set(found)


@pytest.mark.parametrize("name", [CODES, EVENTS])
def test_damaged_stores_of_a_voting_booth_are_cleared_or_reported(
    booth: World, module_scratch: Path, booth_card: Card, name: str
) -> None:
    """The booth keeps used codes instead of marks: a damaged used code is reported (its
    entry fails its check, one valid entry fewer than the log's count), never freed."""
    found = run(booth, module_scratch / "booth-runs", booth_card, name, SAMPLES[name], seed=11)
    print(f"\n{name}: {found}")
    if name == CODES:
        assert {"CODES_ERROR", "INCONSISTENT", "CODE_CLEARED"} <= set(found)


@pytest.mark.slow
@pytest.mark.parametrize("name", [EVENTS, MARKS, BOX])
def test_every_byte_of_the_stores_of_an_open_terminal(
    world: World, module_scratch: Path, open_card: Card, name: str
) -> None:
    found = run(world, module_scratch / "runs", open_card, name, 4096 if name == BOX else 0, 8)
    print(f"\n{name}: {found}")


@pytest.mark.slow
@pytest.mark.parametrize("name", [EVENTS, MARKS, BOX])
def test_every_byte_of_the_stores_of_a_counted_terminal(
    world: World, module_scratch: Path, end_card: Card, name: str
) -> None:
    found = run(world, module_scratch / "runs", end_card, name, 4096 if name == BOX else 0, 9)
    print(f"\n{name}: {found}")


def bundle_name(name: str) -> str:
    stem = name.removesuffix(".sig")
    if stem.startswith("checkpoint-"):
        return bundle_format.checkpoint_name(stem.removeprefix("checkpoint-").removesuffix(".txt"))
    return stem


def check_signed(world: World, root: Path, card: Card, case: Case) -> None:
    """A damaged signed artifact: the terminal restarts (it does not read it), and the export
    carries it to the host tools, whose verification names it; the export checkpoint is
    signed again at every export, which repairs it."""
    check(world, root, card, case)
    seen = observe(world, root, card, case)
    assert seen.terminal is not None and seen.terminal.polls is not None
    target = root / "export"
    seen.terminal.polls.export(target)
    if case.name.startswith("checkpoint-export"):
        verify_bundle(target, world.package, world.private_key)
        return
    with pytest.raises(BundleError) as caught:
        verify_bundle(target, world.package, world.private_key)
    assert f"{target}/{bundle_name(case.name)}:" in str(caught.value), (case, caught.value)


@pytest.mark.parametrize("name", SIGNED)
def test_damaged_signed_artifacts_are_caught_when_verified(
    world: World, module_scratch: Path, end_card: Card, name: str
) -> None:
    size = len(end_card.files[name])
    offsets = [*sorted(random.Random(name).sample(range(size), SIGNED_SAMPLE)), 0, size - 1]
    for at in offsets:
        for case in (Case(name, "cut", at), Case(name, "flip", at)):
            check_signed(world, module_scratch / "signed" / name / str(at), end_card, case)


@pytest.mark.slow
@pytest.mark.parametrize("name", SIGNED)
def test_every_byte_of_the_signed_artifacts(
    world: World, module_scratch: Path, end_card: Card, name: str
) -> None:
    for at in range(len(end_card.files[name])):
        for case in (Case(name, "cut", at), Case(name, "flip", at), Case(name, "flip", at, 0xFF)):
            check_signed(world, module_scratch / "signed" / name / str(at), end_card, case)
