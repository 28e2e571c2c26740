"""The machine-readable record on the voter's paper slip: the choices, as a QR code.

    TAMGA-SLIP:1:<mode>:<election id>:<precinct>:<contest>=<choice>,<choice>;<contest>=...

Every contest of the election appears once, in ballot order, with its marked choices in
ballot order (nothing after `=` for a blank contest). The record holds the choices and what
box the slip belongs in, and nothing else: no serial, no time, no tracking code, so equal
choices give byte-identical slips. The paper audit (host_tools/audit) reads it back with
`decode`, which refuses what the terminal could never have printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from terminal.ballot import selection
from terminal.ballot.election import Election, Mode

PREFIX = "TAMGA-SLIP:1"


class SlipError(ValueError):
    """A scanned slip code that is not a slip of this election; the message says why."""


@dataclass(frozen=True)
class SlipRecord:
    """What one paper slip says: its precinct and each contest's marked choice ids."""

    mode: Mode
    precinct: str
    selections: dict[str, tuple[str, ...]]


def encode(election: Election, precinct: str, selections: Mapping[str, Sequence[str]]) -> str:
    """The slip's QR payload for these selections (choice ids, any order)."""
    contests = []
    for contest in election.contests:
        chosen = set(selections.get(contest.id, ()))
        marked = ",".join(c.id for c in contest.choices if c.id in chosen)
        contests.append(f"{contest.id}={marked}")
    return f"{PREFIX}:{election.mode.value}:{election.id}:{precinct}:{';'.join(contests)}"


def decode(payload: str, election: Election) -> SlipRecord:
    """Read a scanned slip code; SlipError unless it is a well-formed slip of `election`
    (its mode and id, one of its precincts, every contest once in ballot order, and marks
    that the contest's rules allow)."""
    text = payload.strip()
    head, sep, rest = text.partition(":")
    version, sep2, rest = rest.partition(":")
    if not (sep and sep2) or f"{head}:{version}" != PREFIX:
        raise SlipError("not a Tamga slip code")
    fields = rest.split(":")
    if len(fields) != 4:
        raise SlipError("a slip code has mode, election, precinct and contests")
    mode, election_id, precinct, body = fields
    if mode != election.mode.value:
        raise SlipError(f"a {mode} slip, but the election is {election.mode.value}")
    if election_id != election.id:
        raise SlipError(f"a slip of election {election_id!r}, not {election.id!r}")
    if election.precinct(precinct) is None:
        raise SlipError(f"precinct {precinct!r} is not in the election")
    entries = body.split(";")
    if len(entries) != len(election.contests):
        raise SlipError(f"{len(entries)} contests, the ballot has {len(election.contests)}")
    selections: dict[str, tuple[str, ...]] = {}
    for contest, entry in zip(election.contests, entries, strict=True):
        contest_id, eq, marked = entry.partition("=")
        if not eq or contest_id != contest.id:
            raise SlipError(f"contest {contest.id!r} expected, found {contest_id!r}")
        chosen = tuple(marked.split(",")) if marked else ()
        order = [c.id for c in contest.choices]
        wrong = selection.problem(contest, chosen)
        if wrong is not None:
            raise SlipError(f"contest {contest.id!r}: {wrong.value.replace('_', ' ')}")
        if list(chosen) != sorted(chosen, key=order.index):
            raise SlipError(f"contest {contest.id!r}: choices out of ballot order")
        selections[contest.id] = chosen
    return SlipRecord(Mode(mode), precinct, selections)
