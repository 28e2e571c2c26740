"""Contest kinds: what the election data allows, and what a voter's marks may be.

The same rules serve the ballot screen (`selection.mark`) and the count (`count_records`),
so a ballot the screen could not produce is refused by the terminal's and the host's count.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from terminal.ballot import selection
from terminal.ballot.election import Choice, Contest, ContestKind, Election, Logo, Party
from terminal.ballot.selection import SelectionProblem
from terminal.jsonfmt import FormatError, canonical_json
from terminal.tally.count import CountError, count_records
from terminal.tally.sealing import Ballot, seal
from terminal.trust.signing import SigningKey
from tests.unit.conftest import SmallPackage, x25519_pair

LOGO_SHA256 = "ab" * 32


def party(number: int) -> Party:
    logo = Logo(f"logo-{number}.png", LOGO_SHA256) if number == 1 else None
    return Party({"ru": f"Партия {number}", "kk": f"{number} партия"}, number, logo)


PARTY_LIST = Contest(
    "mazhilis",
    {"ru": "Мажилис", "kk": "Мәжіліс"},
    (
        *(Choice(f"p{n}", party(n).names, party=party(n), ballot_number=n) for n in (1, 2, 3)),
        Choice("against", {"ru": "Против всех"}, against_all=True),
    ),
    kind=ContestKind.PARTY_LIST,
)
COUNCIL = Contest(
    "council",
    {"ru": "Совет"},
    (
        *(Choice(f"c{n}", {"ru": f"Кандидат {n}"}, ballot_number=n) for n in range(1, 6)),
        Choice("against", {"ru": "Против всех"}, against_all=True),
    ),
    max_selections=3,
    kind=ContestKind.UP_TO_K,
    blank_allowed=True,
)
REFERENDUM = Contest(
    "question",
    {"ru": "Согласны ли вы?"},
    (Choice("yes", {"ru": "Да"}), Choice("no", {"ru": "Нет"})),
    kind=ContestKind.REFERENDUM,
    blank_allowed=True,
)


@pytest.fixture
def election(small_package: SmallPackage) -> Election:
    base = small_package.created.election
    return Election.from_json(
        canonical_json(
            {
                **json.loads(base.to_json()),
                "contests": [
                    json.loads(_with(base, c).to_json())["contests"][0]
                    for c in (PARTY_LIST, COUNCIL, REFERENDUM)
                ],
            }
        )
    )


def _with(base: Election, contest: Contest) -> Election:
    return dataclasses.replace(base, contests=(contest,))


def test_every_kind_round_trips_canonically(election: Election) -> None:
    assert election.contests == (PARTY_LIST, COUNCIL, REFERENDUM)
    again = Election.from_json(election.to_json())
    assert again == election and again.to_json() == election.to_json()
    written = json.loads(election.to_json())["contests"][0]
    assert written["kind"] == "party_list" and written["blank_allowed"] is False
    assert written["choices"][0]["party"] == {
        "names": {"ru": "Партия 1", "kk": "1 партия"},
        "number": 1,
        "logo": {"file": "logo-1.png", "sha256": LOGO_SHA256},
    }
    assert written["choices"][1]["party"]["logo"] is None
    assert again.logos() == (Logo("logo-1.png", LOGO_SHA256),)
    assert written["choices"][3]["party"] is None and written["choices"][3]["ballot_number"] is None


def test_an_election_json_written_before_contest_kinds_still_loads(election: Election) -> None:
    value = json.loads(election.to_json())
    for contest in value["contests"]:
        del contest["kind"], contest["blank_allowed"]
        for choice in contest["choices"]:
            del choice["party"], choice["ballot_number"]
    value["contests"] = value["contests"][1:]  # a party list needs its parties
    old = Election.from_json(canonical_json(value))
    council, question = old.contests
    # One mark is one of n, more is up to k; no blank ballot and no parties.
    assert council.kind is ContestKind.UP_TO_K and question.kind is ContestKind.ONE_OF
    assert not council.blank_allowed and not question.blank_allowed
    assert all(c.party is None and c.ballot_number is None for c in council.choices)


def contest_value(election: Election, index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    value = json.loads(election.to_json())
    return value, value["contests"][index]


@pytest.mark.parametrize(
    ("index", "change", "message"),
    [
        (0, lambda c: c.update(max_selections=2), "party_list contest has max_selections 1"),
        (0, lambda c: c["choices"][0].update(party=None), "name no party"),
        (0, lambda c: c["choices"][1]["party"].update(number=1), "party number"),
        (0, lambda c: c["choices"][1]["party"].update(number=0), "at least 1"),
        (
            0,
            lambda c: c["choices"][0]["party"]["logo"].update(file="../x.png"),
            "must be a plain .png file name",
        ),
        (
            0,
            lambda c: c["choices"][0]["party"]["logo"].update(file="x.gif"),
            "must be a plain .png file name",
        ),
        (0, lambda c: c["choices"][0]["party"]["logo"].update(sha256="ab"), "sha256"),
        (0, lambda c: c["choices"][0]["party"].update(logo="party-1.png"), "must be an object"),
        (
            0,
            lambda c: c["choices"][1]["party"].update(
                logo={"file": "logo-1.png", "sha256": "cd" * 32}
            ),
            "file 'logo-1.png' has two hashes",
        ),
        (0, lambda c: c["choices"][1].update(ballot_number=1), "ballot_number"),
        (0, lambda c: c["choices"][1].update(ballot_number="2"), "whole number"),
        (0, lambda c: c["choices"][0].update(against_all=True), "at most one against-all"),
        (0, lambda c: c.update(kind="ranked"), "one_of, up_to_k, party_list, referendum"),
        (0, lambda c: c.update(blank_allowed="yes"), "true or false"),
        (1, lambda c: c.update(max_selections=6), "exceeds"),
        (2, lambda c: c["choices"].append(dict(c["choices"][0], id="maybe")), "two answers"),
        (2, lambda c: c["choices"][1].update(against_all=True), "two answers"),
        (
            1,
            lambda c: c.update(choices=[dict(c["choices"][-1])], max_selections=1),
            "not against all",
        ),
    ],
)
def test_a_contest_breaking_its_kinds_rules_is_refused(
    election: Election, index: int, change: Any, message: str
) -> None:
    value, contest = contest_value(election, index)
    change(contest)
    with pytest.raises(FormatError, match=message) as caught:
        Election.from_json(canonical_json(value), "election.json")
    assert f"election.json.contests[{index}]" in str(caught.value)


def test_marks_follow_the_contest_kind() -> None:
    mark = selection.mark
    # One of n: a new mark replaces the old; tapping a marked choice unmarks it.
    assert mark(PARTY_LIST, ("p1",), "p2") == ("p2",)
    assert mark(PARTY_LIST, ("p2",), "p2") == ()
    # Up to k: marks add up to k, a (k+1)th tap changes nothing.
    assert mark(COUNCIL, ("c1", "c2"), "c3") == ("c1", "c2", "c3")
    assert mark(COUNCIL, ("c1", "c2", "c3"), "c4") == ("c1", "c2", "c3")
    # Against all is exclusive both ways.
    assert mark(COUNCIL, ("c1", "c2"), "against") == ("against",)
    assert mark(COUNCIL, ("against",), "c4") == ("c4",)
    assert mark(COUNCIL, ("c1",), "nobody") == ("c1",)


@pytest.mark.parametrize(
    ("contest", "chosen", "problem"),
    [
        (COUNCIL, ("c1", "against"), SelectionProblem.AGAINST_ALL_NOT_ALONE),
        (COUNCIL, ("c1", "c2", "c3", "c4"), SelectionProblem.TOO_MANY),
        (COUNCIL, ("c1", "c1"), SelectionProblem.REPEATED_CHOICE),
        (COUNCIL, ("c9",), SelectionProblem.UNKNOWN_CHOICE),
        (PARTY_LIST, (), SelectionProblem.BLANK_NOT_ALLOWED),
        (PARTY_LIST, ("p1", "p2"), SelectionProblem.TOO_MANY),
        (REFERENDUM, ("yes", "no"), SelectionProblem.TOO_MANY),
        (COUNCIL, (), None),
        (COUNCIL, ("against",), None),
        (COUNCIL, ("c5", "c1", "c3"), None),
        (REFERENDUM, (), None),
    ],
)
def test_selection_rules(contest: Contest, chosen: tuple[str, ...], problem: object) -> None:
    assert selection.problem(contest, chosen) is problem


def test_the_count_refuses_a_ballot_the_screen_could_not_make(election: Election) -> None:
    signer = SigningKey.generate()
    private, public = x25519_pair()
    precinct = election.precincts[0].code

    def records(*ballots: dict[str, tuple[str, ...]]) -> list[bytes]:
        return [seal(Ballot(election.id, precinct, False, b), public, signer) for b in ballots]

    good = records(
        {"mazhilis": ("p2",), "council": ("c1", "c4"), "question": ("yes",)},
        {"mazhilis": ("against",), "council": (), "question": ()},
    )
    counted = count_records(good, signer.public, private, election, precinct)
    assert counted.votes["council"] == {"c1": 1, "c2": 0, "c3": 0, "c4": 1, "c5": 0, "against": 0}
    assert counted.blank == {"mazhilis": 0, "council": 1, "question": 1}
    for bad, problem in (
        ({"mazhilis": ("p1",), "council": ("c1", "against")}, "against_all_not_alone"),
        ({"mazhilis": (), "council": ()}, "blank_not_allowed"),
    ):
        with pytest.raises(CountError, match=f"record 2: contest .*: {problem}"):
            count_records([*good, *records(bad)], signer.public, private, election, precinct)
