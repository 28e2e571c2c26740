"""Cut the power at one storage operation of a scripted day, restart on what the card kept,
check that nothing confirmed was lost or counted twice, then finish the day and check the count.

The checks after a restart are the terminal's promises after a power cut:
- every ballot the terminal confirmed to a voter is in the box exactly once, and the
  ballot being cast when the power went is in it at most once, and then its voter is done;
- the box counts only valid records; a torn slot is set aside as damaged, never counted;
- marks, issued, cast and void ballots reconcile; the log verifies; a torn log tail was
  truncated and that was logged;
- the polls state is the one before the cut or the next one.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sim.faulty_storage import Fault, FaultyStorage, Image, Operation, PowerCut
from terminal.app.polls import InconsistentStores, PollsState, Recovery, polls_state
from terminal.hal.storage import StorageError
from terminal.idscan.ballot_codes import CodesError
from terminal.idscan.marks import MarksError
from terminal.tally import ballot_box
from terminal.tally.bundle import verify_bundle
from terminal.tally.event_log import FILE_NAME as EVENTS
from terminal.tally.event_log import LogError, parse_log
from terminal.tally.protocol import Protocol
from terminal.tally.sealing import ballot_body
from terminal.tally.spoiled import SpoiledError, SpoiledStore, check
from terminal.tally.tracking import tracking_code
from tests.reliability.polling import NEXT_STATE, People, Terminal, World, plan

# What terminal/__main__.py turns into a clear "stores inconsistent" stop screen.
CLEAR_STOPS = (LogError, InconsistentStores, MarksError, CodesError)


def sample_tears(op: Operation) -> set[int]:
    """Where a torn write is cut: after one byte, in the middle, one byte short; in a slot
    also around the record's end (past it only zero padding is missing)."""
    tears = {1, len(op.data) // 2, len(op.data) - 1}
    if op.name == ballot_box.FILE_NAME:
        # "SLOT", the length, the record (its size is the election's): then zero padding.
        record_end = 6 + int.from_bytes(op.data[4:6], "big")
        tears |= {4, 6, record_end - 1, record_end}
    return tears


def every_byte(op: Operation) -> range:
    return range(1, len(op.data))


def torn(tears: Callable[[Operation], Iterable[int]]) -> Callable[[FaultyStorage], list[Image]]:
    """The TORN images of a cut, with the writes cut where `tears` says."""
    return lambda storage: unique(storage.torn_images(tears))


def half_torn(storage: FaultyStorage) -> list[Image]:
    """One TORN image: the unsynced write cut in its middle (or the unsynced truncation done)."""
    images = list(storage.torn_images(lambda op: {len(op.data) // 2}))
    return [next((i for i in images if "torn after" in i.label), images[-1])]


def count_operations(world: World, root: Path, voters: int, seed: int) -> list[Operation]:
    """The storage operations of the whole day without a cut."""
    attempts, selections = plan(voters, seed)
    storage = FaultyStorage()
    terminal = Terminal(world, storage, root / "data", root / "export")
    terminal.start()
    terminal.proceed(People(attempts, selections))
    return storage.operations


@dataclass
class CutDay:
    """A day stopped by a power cut at operation `cut` (None: the day ended first)."""

    storage: FaultyStorage
    people: People
    state: PollsState
    cut: int | None


def run_until_cut(world: World, root: Path, voters: int, seed: int, cut_after: int) -> CutDay:
    """Run the day in `root` with the power cut after operation `cut_after` (if the day has
    that many; otherwise it ends, and the power goes off after it)."""
    attempts, selections = plan(voters, seed)
    people = People(attempts, selections)
    storage = FaultyStorage(cut_after=cut_after)
    terminal = Terminal(world, storage, root / "data", root / "export")
    try:
        terminal.start()
        terminal.proceed(people)
    except PowerCut:
        log = terminal.polls.log if terminal.polls is not None else None
        state = polls_state(log) if log is not None else PollsState.BLANK
        return CutDay(storage, people, state, storage.cut)
    return CutDay(storage, people, PollsState.COUNTED, None)


def unique(images: Iterable[Image]) -> list[Image]:
    """Drop images with the same bytes as an earlier one (a slot torn in its zero padding)."""
    seen: set[bytes] = set()
    kept = []
    for image in images:
        digest = hashlib.sha256()
        for name in sorted(image.files):
            digest.update(name.encode() + b"\0" + hashlib.sha256(image.files[name]).digest())
        if digest.digest() not in seen:
            seen.add(digest.digest())
            kept.append(image)
    return kept


class Failed(AssertionError):
    """A promise was broken; the message says at which cut, on which image, and how."""


def check_restart(
    terminal: Terminal, people: People, before: PollsState, image: dict[str, bytes]
) -> None:
    """The promises after a restart; updates `people` with what the restart settled."""
    polls = terminal.polls
    assert polls is not None and polls.box is not None
    storage = terminal.storage
    state = polls.state
    if state not in (before, NEXT_STATE[before]):
        raise Failed(f"the state went from {before} to {state}")

    events, torn = parse_log(storage.read(EVENTS))
    if torn or len(events) != len(polls.log.events):
        raise Failed("the log on the card is not the log the terminal holds")
    tail = image.get(EVENTS, b"")
    torn_tail = len(tail) - (tail.rfind(b"\n") + 1)
    truncations = polls.log.of_kind("log_tail_truncated")
    logged = [e.data["bytes"] for e in truncations]
    if torn_tail and torn_tail not in logged[-1:]:
        raise Failed(f"a torn tail of {torn_tail} bytes was not truncated and logged: {logged}")

    cast_logged = polls.count_events("ballot_cast")
    settled = cast_logged - len(people.cast)
    if settled not in (0, 1) or (settled and people.current is None):
        raise Failed(f"{cast_logged} ballots logged as cast, people saw {len(people.cast)}")
    if settled:
        assert people.current is not None
        if terminal.recovery is Recovery.BALLOT_VOID:
            raise Failed("the ballot is in the box but the voter was told it was not cast")
        people.recovered[people.current] = people.selections[people.current]
        people.current = None
    elif terminal.recovery is Recovery.BALLOT_CAST:
        raise Failed("recovery said the ballot was cast but it is not in the box")

    if polls.box.count != cast_logged:
        raise Failed(f"the box holds {polls.box.count} ballots, the log {cast_logged}")
    check_spoiled(terminal, people)
    if terminal.box_contents() != people.tally():
        raise Failed(
            f"the box holds {sorted(terminal.box_contents().items())}, "
            f"the voters cast {sorted(people.tally().items())}"
        )
    box = terminal.reopened_box()
    if box.filled != polls.box.filled or box.filled & box.damaged or len(box.damaged) > 1:
        raise Failed(f"slots: filled {sorted(box.filled)}, damaged {sorted(box.damaged)}")

    issued_first = polls.count_events("ballot_issued", reissue=False)
    # the position-addressed store of first issues: voter marks, or a booth's used codes
    recorded = polls.recorded
    if recorded != issued_first:
        raise Failed(f"{recorded} voters marked (or codes used), {issued_first} first issued")
    if polls.codes is not None and polls.codes.suspects:
        raise Failed(f"used-code entries left unsettled at {polls.codes.suspects}")
    issued = polls.count_events("ballot_issued")
    void = polls.count_events("ballot_void")
    if issued != cast_logged + void or polls.session_open():
        raise Failed(f"issued {issued} != cast {cast_logged} + void {void}")


def check_spoiled(terminal: Terminal, people: People) -> None:
    """A challenged ballot is kept at most once, re-encrypts its choices, is never in the
    box; none is kept for a voter who did not challenge."""
    polls = terminal.polls
    assert polls is not None and polls.box is not None
    kept = SpoiledStore(terminal.storage).ballots()
    if len(kept) > len(people.challenged):
        raise Failed(f"{len(kept)} spoiled ballots kept, {len(people.challenged)} challenged")
    cast = {tracking_code(ballot_body(r)) for r in polls.box.records()}
    election = polls.election
    try:
        check(kept, election, polls.precinct, polls.identity.key.public, cast)
    except SpoiledError as exc:
        raise Failed(str(exc)) from exc
    for ballot in kept:
        chosen = {c: tuple(v) for c, v in ballot.selections.items()}
        if chosen not in [people.selections[v] for v in people.challenged]:
            raise Failed(f"spoiled ballot {ballot.tracking_code} holds no challenger's choices")


def check_finished(terminal: Terminal, people: People, world: World, voters: int) -> None:
    polls = terminal.polls
    assert polls is not None
    if polls.state is not PollsState.COUNTED or not people.exported:
        raise Failed(f"the day ended in {polls.state}")
    if sorted(people.cast) != list(range(voters)):
        raise Failed(f"voters cast: {sorted(people.cast)}")
    protocol = Protocol.from_json(polls.protocol()[0], "protocol.json")
    votes = {
        ("president", choice): n for choice, n in protocol.contests["president"].votes.items() if n
    }
    if votes != dict(people.tally()) or protocol.lines["ballots_cast"] != voters:
        raise Failed(f"the protocol counts {votes}, the voters cast {dict(people.tally())}")
    verified = verify_bundle(terminal.export_dir, world.package, world.private_key)
    if verified.protocol != protocol:
        raise Failed("the exported bundle's protocol is not the terminal's")


@dataclass
class Tally:
    """What happened over all cut points, for the report."""

    cuts: int = 0
    restarts: int = 0
    stops: dict[str, int] | None = None

    def stop(self, kind: str) -> None:
        self.stops = self.stops or {}
        self.stops[kind] = self.stops.get(kind, 0) + 1


def survive_cut(
    world: World,
    root: Path,
    voters: int,
    seed: int,
    cut_after: int,
    images: Callable[[FaultyStorage], Iterable[Image]],
    tally: Tally,
    second_cuts: Callable[[FaultyStorage], Iterable[Image]] | None = None,
    stops_allowed: bool = False,
) -> None:
    """Cut after operation `cut_after`; restart on each image the card may hold and finish
    the day. With `second_cuts`, also cut the power at every operation of the restart
    itself (the recovery) and restart again on each image that second cut gives."""
    base = root / f"cut-{cut_after}"
    day = run_until_cut(world, base, voters, seed, cut_after)
    tally.cuts += 1
    for number, image in enumerate(unique(images(day.storage))):
        branches = [(image.label, image.files)]
        if second_cuts is not None:
            branches += [
                (f"{image.label}, then {label}", files)
                for label, files in _second_cuts(world, base, image.files, second_cuts, tally)
            ]
        for branch, (label, files) in enumerate(branches):
            where = f"cut after operation {cut_after} ({day.state.value}), {label}"
            run = base / f"run-{number}-{branch}"
            try:
                _finish(world, base, run, files, day, voters, tally, stops_allowed)
            except Failed as exc:
                raise Failed(f"{where}: {exc}") from None
            except Exception as exc:
                raise Failed(f"{where}: {type(exc).__name__}: {exc}") from exc


def _finish(
    world: World,
    root: Path,
    run: Path,
    files: dict[str, bytes],
    day: CutDay,
    voters: int,
    tally: Tally,
    stops_allowed: bool,
) -> None:
    people = day.people.copy()
    if (root / "export").exists():  # the bundle on the USB stick when the power went
        shutil.copytree(root / "export", run / "export")
    terminal = Terminal(world, FaultyStorage(files), root / "data", run / "export")
    try:
        terminal.start()
    except CLEAR_STOPS as exc:
        if not stops_allowed:
            raise
        tally.stop(type(exc).__name__)
        return
    tally.restarts += 1
    check_restart(terminal, people, day.state, files)
    terminal.proceed(people)
    check_finished(terminal, people, world, voters)


def _second_cuts(
    world: World,
    root: Path,
    files: dict[str, bytes],
    images: Callable[[FaultyStorage], Iterable[Image]],
    tally: Tally,
) -> list[tuple[str, dict[str, bytes]]]:
    """The card after a second cut at each operation of the restart on `files`."""
    probe = FaultyStorage(files)
    Terminal(world, probe, root / "data", root / "probe").start()
    found = []
    for second in range(len(probe.operations)):
        storage = FaultyStorage(files, cut_after=second)
        try:
            Terminal(world, storage, root / "data", root / "probe").start()
        except PowerCut:
            tally.cuts += 1
            for image in unique(images(storage)):
                label = f"cut again after restart operation {second}: {image.label}"
                found.append((label, image.files))
    return found


@dataclass
class FaultDay:
    """A day stopped by a storage error, and where it stopped."""

    storage: FaultyStorage
    people: People
    state: PollsState
    error: StorageError
    casting: bool  # the error came out of Polls.cast: the voter was never told "cast"
    stored: bool  # ... though the ballot was already durably in the box


def run_until_fault(world: World, root: Path, voters: int, seed: int, fault: Fault) -> FaultDay:
    attempts, selections = plan(voters, seed)
    people = People(attempts, selections)
    storage = FaultyStorage(faults=[fault])
    terminal = Terminal(world, storage, root / "data", root / "export")
    try:
        terminal.start()
        terminal.proceed(people)
    except StorageError as exc:
        assert storage.operations[-1].number == fault.at, "the error was not the first one"
        log = terminal.polls.log if terminal.polls is not None else None
        state = polls_state(log) if log is not None else PollsState.BLANK
        casting = terminal.casting
        slip = [
            op.number
            for op in storage.operations
            if op.name == EVENTS and b'"printout":"slip"' in op.data and b"print_started" in op.data
        ]
        stored = casting and any(
            op.name == ballot_box.FILE_NAME
            and op.kind == "sync"
            and slip[-1] < op.number < fault.at
            for op in storage.operations
        )
        return FaultDay(storage, people, state, exc, casting, stored)
    raise AssertionError(f"the day went on past a failed {storage.operations[fault.at - 1]}")
