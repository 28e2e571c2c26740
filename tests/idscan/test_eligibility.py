"""eligibility.decide, rule by rule and in its order: each refusal has its own reason, and
the first failing check is the one reported."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from terminal.ballot.election import Identification, RegisterPart
from terminal.idscan.eligibility import Decision, age_on, decide
from terminal.idscan.findings import Finding, Problem
from terminal.idscan.register import Register, Voter
from terminal.idscan.scans import Document, Kind

DAY = dt.date(2025, 11, 30)
RULES = Identification(minimum_age=18, countries=("KGZ",))
VOTER = Voter(
    surname="ASANOVA",
    name="AIGUL",
    patronymic="",
    birth_date=dt.date(1990, 3, 25),
    number="22503199012345",
    document="ID1234567",
    document_issued=dt.date(2020, 1, 1),
    address="Bishkek",
    precinct="1234",
)
YOUNG = dataclasses.replace(
    VOTER, number="20101200712346", birth_date=dt.date(2007, 12, 1), document="ID7654321"
)
REGISTER = Register("1234", (VOTER, YOUNG))
CARD = Document(
    kind=Kind.TD1,
    symbology="",
    errors=(),
    country="KGZ",
    number=VOTER.number,
    birth_date=VOTER.birth_date,
    expiry=dt.date(2030, 1, 1),
    document_number=VOTER.document,
    nationality="KGZ",
)


def verdict(
    document: Document = CARD,
    rules: Identification = RULES,
    marked: bool = False,
    may_reissue: bool = False,
) -> Decision:
    outcome = decide(document, REGISTER, rules, DAY, lambda _: marked, may_reissue, "KGZ")
    if outcome.decision in (Decision.INVALID_DOCUMENT, Decision.DOCUMENT_NOT_ACCEPTED,
                            Decision.NOT_A_NATIONAL, Decision.NOT_ON_REGISTER):  # fmt: skip
        assert outcome.position is None and outcome.voter is None
    return outcome.decision


def change(**fields: object) -> Document:
    return dataclasses.replace(CARD, **fields)  # type: ignore[arg-type]


def test_a_voter_on_the_register_with_a_good_card_is_eligible() -> None:
    outcome = decide(CARD, REGISTER, RULES, DAY, lambda _: False, False, "KGZ")
    assert (outcome.decision, outcome.position, outcome.voter) == (Decision.ELIGIBLE, 0, VOTER)


@pytest.mark.parametrize(
    "document",
    [
        change(errors=(Finding(Problem.CHECK_DIGIT, "x"),)),
        change(kind=Kind.UNKNOWN),
        change(number=None),  # a valid MRZ of a country whose documents carry no number
    ],
)
def test_1_an_invalid_document_or_one_without_a_number(document: Document) -> None:
    assert verdict(document) is Decision.INVALID_DOCUMENT


def test_2_a_document_of_another_country() -> None:
    assert verdict(change(country="KAZ")) is Decision.DOCUMENT_NOT_ACCEPTED


def test_2_a_foreign_national_with_a_document_of_the_country() -> None:
    assert verdict(change(nationality="RUS")) is Decision.NOT_A_NATIONAL
    assert verdict(change(nationality="XXA")) is Decision.NOT_A_NATIONAL  # stateless


def test_2_a_bare_national_number_states_no_nationality() -> None:
    bare = Document(Kind.PIN, "", (), "KGZ", VOTER.number, VOTER.birth_date)
    assert verdict(bare, rules=dataclasses.replace(RULES, accept_bare_number=True)) is (
        Decision.ELIGIBLE
    )


def test_a_bare_number_only_where_the_election_accepts_one() -> None:
    """A number alone is what an insider at the desk could present for an absent voter."""
    bare = Document(Kind.PIN, "", (), "KGZ", VOTER.number, VOTER.birth_date)
    assert verdict(bare) is Decision.BARE_NUMBER_REFUSED
    assert verdict(change(kind=Kind.TD1)) is Decision.ELIGIBLE


def test_8_a_voter_of_another_terminals_part_of_the_register() -> None:
    position = REGISTER.find(VOTER.number)
    assert position is not None
    elsewhere = RegisterPart(position + 1, position + 5)
    outcome = decide(CARD, REGISTER, RULES, DAY, lambda _: True, False, "KGZ", elsewhere)
    assert (outcome.decision, outcome.position) == (Decision.OTHER_TERMINAL, position)
    here = RegisterPart(position, position + 1)
    assert decide(CARD, REGISTER, RULES, DAY, lambda _: False, False, "KGZ", here).decision is (
        Decision.ELIGIBLE
    )


def test_3_not_on_the_register() -> None:
    assert verdict(change(number="21111199011111")) is Decision.NOT_ON_REGISTER


def test_4_the_document_must_agree_with_the_register() -> None:
    assert verdict(change(birth_date=dt.date(1990, 3, 26))) is Decision.DOCUMENT_MISMATCH
    assert verdict(change(document_number="ID0000000")) is Decision.DOCUMENT_MISMATCH
    # A passport is not the register's document: its number is not compared.
    passport = change(kind=Kind.TD3, document_number="PA0000000")
    assert verdict(passport) is Decision.ELIGIBLE


def test_5_an_expired_document() -> None:
    expired = change(expiry=DAY - dt.timedelta(days=1))
    assert verdict(expired) is Decision.DOCUMENT_EXPIRED
    assert verdict(change(expiry=DAY)) is Decision.ELIGIBLE  # valid on the day itself
    lenient = dataclasses.replace(RULES, accept_expired_documents=True)
    assert verdict(expired, rules=lenient) is Decision.ELIGIBLE


def test_6_under_age_on_election_day() -> None:
    young = change(number=YOUNG.number, birth_date=YOUNG.birth_date, document_number=YOUNG.document)
    assert age_on(YOUNG.birth_date, DAY) == 17
    assert verdict(young) is Decision.UNDER_AGE
    assert verdict(young, rules=dataclasses.replace(RULES, minimum_age=16)) is Decision.ELIGIBLE
    assert age_on(dt.date(2007, 11, 30), DAY) == 18  # the 18th birthday is the election day


def test_7_already_received_a_ballot_or_may_be_given_one_again() -> None:
    assert verdict(marked=True) is Decision.ALREADY_VOTED
    assert verdict(marked=True, may_reissue=True) is Decision.REISSUE_POSSIBLE


def test_the_first_failing_check_is_the_one_reported() -> None:
    everything = change(
        country="KAZ", nationality="RUS", birth_date=dt.date(2000, 1, 1), expiry=dt.date(2000, 1, 1)
    )
    assert verdict(everything, marked=True) is Decision.DOCUMENT_NOT_ACCEPTED
    assert verdict(change(nationality="RUS", number="21111199011111")) is Decision.NOT_A_NATIONAL
    late = change(birth_date=dt.date(1990, 3, 26), expiry=dt.date(2000, 1, 1))
    assert verdict(late, marked=True) is Decision.DOCUMENT_MISMATCH
    assert verdict(change(expiry=dt.date(2000, 1, 1)), marked=True) is Decision.DOCUMENT_EXPIRED
