"""Logic-and-accuracy testing: a deck of test votes with known totals, and the comparison of
a TEST day's signed results with them.

The deck gives each choice of a contest a different number of votes (the k-th choice k
votes), so that two choices swapped, a choice dropped or counted twice, or a contest's
votes credited to another all change a total: the usual shape of an L&A deck. A deck is
JSON Lines, one ballot a line, `{"contest": ["choice", ...]}` — what `sim day --choices`
reads — and its expected totals are a JSON file beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from terminal.ballot.election import Election, Mode
from terminal.jsonfmt import FormatError, canonical_json, load_object

DECK_FORMAT = "tamga-lat-expected/1"


@dataclass(frozen=True)
class Deck:
    ballots: tuple[dict[str, list[str]], ...]
    expected: dict[str, dict[str, int]]  # contest -> choice -> votes


def make_deck(election: Election) -> Deck:
    """The deck for every contest of `election`: choice k of a contest gets k votes; a
    contest with fewer votes than the deck has ballots gives the rest to its last choice
    (still the largest count, so every count stays distinct)."""
    sizes = [len(c.choices) * (len(c.choices) + 1) // 2 for c in election.contests]
    count = max(sizes)
    columns: dict[str, list[str]] = {}
    expected: dict[str, dict[str, int]] = {}
    for contest in election.contests:
        marks = [ch.id for k, ch in enumerate(contest.choices, 1) for _ in range(k)]
        marks += [contest.choices[-1].id] * (count - len(marks))
        columns[contest.id] = marks
        expected[contest.id] = {ch.id: marks.count(ch.id) for ch in contest.choices}
    ballots = tuple({cid: [marks[i]] for cid, marks in columns.items()} for i in range(count))
    return Deck(ballots, expected)


def write_deck(deck: Deck, election: Election, path: Path, expected_path: Path) -> None:
    path.write_bytes(b"".join(canonical_json(ballot) for ballot in deck.ballots))
    expected_path.write_bytes(
        canonical_json(
            {
                "format": DECK_FORMAT,
                "election": election.id,
                "ballots": len(deck.ballots),
                "contests": deck.expected,
            }
        )
    )


def read_expected(path: Path) -> tuple[str, int, dict[str, dict[str, int]]]:
    """The election id, ballot count and totals of an expected-totals file."""
    try:
        fields = load_object(path.read_bytes(), str(path))
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc
    if fields.str("format") != DECK_FORMAT:
        raise FormatError(f"{path}: not an expected-totals file of `election test-deck`")
    contests = fields.obj("contests")
    totals: dict[str, dict[str, int]] = {}
    for contest in contests.value:
        choices = contests.obj(contest)
        totals[contest] = {choice: choices.int(choice) for choice in choices.value}
    return fields.str("election"), fields.int("ballots"), totals


@dataclass(frozen=True)
class Difference:
    contest: str
    choice: str
    expected: int
    counted: int


def compare(
    election: Election, expected: dict[str, dict[str, int]], counted: dict[str, Any]
) -> list[Difference]:
    """Every choice whose counted total differs from the deck's (zeros included)."""
    differences = []
    for contest in election.contests:
        for choice in contest.choices:
            want = expected.get(contest.id, {}).get(choice.id, 0)
            got = int(counted.get(contest.id, {}).get(choice.id, 0))
            if want != got:
                differences.append(Difference(contest.id, choice.id, want, got))
    return differences


def is_test(election: Election) -> bool:
    return election.mode is Mode.TEST


def expected_path_for(deck: Path) -> Path:
    return deck.with_name(deck.name.removesuffix(".jsonl") + ".expected.json")
