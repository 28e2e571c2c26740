"""Who may have a ballot: the decision on one scanned document, by the election's rules.

Each refusal has its own reason code (logged, never with the voter's identity) and its own
screen. The checks run from the document to the register to the marks, so that the
poll worker is told the first thing that is wrong:

  1. the scan is a valid document with a national number (IIN or PIN);
  2. a bare IIN/PIN, with no document's MRZ, only where the election accepts one;
  3. the document is of a country the election accepts, and its holder's nationality (when
     the document states one: an MRZ does, a bare IIN/PIN does not) is the election's own
     country: a foreign national's residence card of that country gives no vote;
  4. the number is on this precinct's register;
  5. the document agrees with the register: the birth date, and for an ID card its
     number (the register records the ID card; a passport is checked by number and date);
  6. the document has not expired (unless the election accepts expired documents);
  7. the voter is of age on election day;
  8. the voter is in this terminal's part of the register (where a precinct has several
     terminals that mark voters, each voter is marked at one of them only);
  9. the voter has not received a ballot (or may be given one again after a ballot that
     was proven not cast).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from terminal.ballot.election import Identification, RegisterPart
from terminal.idscan.register import Register, Voter
from terminal.idscan.scans import Document, Kind


class Decision(Enum):
    ELIGIBLE = "eligible"
    INVALID_DOCUMENT = "invalid_document"
    BARE_NUMBER_REFUSED = "bare_number_refused"
    DOCUMENT_NOT_ACCEPTED = "document_not_accepted"
    NOT_A_NATIONAL = "not_a_national"
    NOT_ON_REGISTER = "not_on_register"
    DOCUMENT_MISMATCH = "document_mismatch"
    DOCUMENT_EXPIRED = "document_expired"
    UNDER_AGE = "under_age"
    OTHER_TERMINAL = "other_terminal"
    ALREADY_VOTED = "already_voted"
    REISSUE_POSSIBLE = "reissue_possible"


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    position: int | None = None  # in the register
    voter: Voter | None = None


BARE_NUMBERS = (Kind.IIN, Kind.PIN)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def decide(
    document: Document,
    register: Register,
    rules: Identification,
    election_day: dt.date,
    marked: Callable[[int], bool],
    may_reissue: bool,
    nationality: str,
    part: RegisterPart | None = None,
) -> Outcome:
    """The decision on one document; see the module docstring for the order of checks.
    `nationality` is the election's country as an MRZ writes it (KGZ, KAZ); `part` is this
    terminal's part of the register (None: the whole register)."""
    if not document.valid or document.number is None:
        return Outcome(Decision.INVALID_DOCUMENT)
    if document.kind in BARE_NUMBERS and not rules.accept_bare_number:
        return Outcome(Decision.BARE_NUMBER_REFUSED)
    if document.country not in rules.countries:
        return Outcome(Decision.DOCUMENT_NOT_ACCEPTED)
    if document.nationality is not None and document.nationality != nationality:
        return Outcome(Decision.NOT_A_NATIONAL)
    position = register.find(document.number)
    if position is None:
        return Outcome(Decision.NOT_ON_REGISTER)
    voter = register.voters[position]
    found = Outcome(Decision.ELIGIBLE, position, voter)
    if document.birth_date is not None and document.birth_date != voter.birth_date:
        return Outcome(Decision.DOCUMENT_MISMATCH, position, voter)
    if document.kind is Kind.TD1 and document.document_number != voter.document:
        return Outcome(Decision.DOCUMENT_MISMATCH, position, voter)
    expired = document.expiry is not None and document.expiry < election_day
    if expired and not rules.accept_expired_documents:
        return Outcome(Decision.DOCUMENT_EXPIRED, position, voter)
    if age_on(voter.birth_date, election_day) < rules.minimum_age:
        return Outcome(Decision.UNDER_AGE, position, voter)
    if part is not None and position not in part:
        return Outcome(Decision.OTHER_TERMINAL, position, voter)
    if marked(position):
        decision = Decision.REISSUE_POSSIBLE if may_reissue else Decision.ALREADY_VOTED
        return Outcome(decision, position, voter)
    return found
