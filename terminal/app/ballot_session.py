"""The voter's way through the ballot: language and display modes, each contest page by
page, the review, changing one contest and coming back, and the idle timeout.

Nothing here is stored: the marks live in memory until Polls casts them. The rules of
what may be marked are terminal/ballot/selection.py's, the same the count applies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from terminal.app.i18n import VOTER_LANGUAGES
from terminal.app.screens import PAGE_NEXT, PAGE_PREVIOUS
from terminal.app.view import View
from terminal.ballot import selection
from terminal.ballot.election import Contest, Election
from terminal.idscan.register import Voter
from terminal.tally.spoiled import Spoiled

# A voter who stops touching the screen is asked whether they are still voting, then the
# ballot goes back to the poll worker as void (it can be issued again): an unattended open
# ballot would let the next person in the booth cast it.
IDLE_WARNING = dt.timedelta(minutes=2)
IDLE_VOID = dt.timedelta(minutes=1)  # after the warning
# The screens of an open ballot, where the idle timeout runs; with the one after casting,
# the screens the voter's display modes apply to.
OPEN_BALLOT_VIEWS = (
    View.LANGUAGE,
    View.BALLOT,
    View.REVIEW,
    View.RECEIPT,
    View.CHALLENGED,
    View.IDLE_WARNING,
)
VOTER_VIEWS = (*OPEN_BALLOT_VIEWS, View.CAST)
PAGED_VIEWS = (View.LANGUAGE, View.BALLOT, View.REVIEW)  # Session.page is their page
LARGE_TEXT = "large-text"
HIGH_CONTRAST = "high-contrast"
SCREEN_OFF = "screen-off"  # offered while audio is on: the screen dark for privacy
ISSUE_WITH_AUDIO = "issue-audio"  # the poll worker issues the ballot with audio on


@dataclass
class Session:
    """One voter at the terminal: nothing of it is stored but through Polls."""

    position: int | None  # register position (None at the booth, which knows no voter)
    voter: Voter | None
    reissue: bool
    language: str = "ky"
    contest: int = 0
    selections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    page: int = 0  # the page of the contest's choices, or of the review
    reviewing: bool = False  # changing one contest from the review: Next goes back to it
    large_text: bool = False  # display modes the voter chose, for this session only
    high_contrast: bool = False
    audio: bool = False  # the audio ballot, turned on by the voter's help key
    screen_off: bool = False  # voting by audio with the screen dark (nobody sees the choices)
    warned_view: View | None = None  # the view the idle warning interrupted
    sealed: Spoiled | None = None  # the encrypted ballot whose receipt was printed (format 2)


def tap_language(session: Session, target: str) -> View | None:
    """The language (or a display mode) chosen; the view to go to, or None to stay."""
    if target in (PAGE_NEXT, PAGE_PREVIOUS):
        turn_page(session, target)
    elif target == LARGE_TEXT:
        session.large_text = not session.large_text
    elif target == HIGH_CONTRAST:
        session.high_contrast = not session.high_contrast
    elif target == SCREEN_OFF and session.audio:
        session.screen_off = not session.screen_off
    elif target in VOTER_LANGUAGES:
        session.language, session.contest, session.page = target, 0, 0
        return View.BALLOT
    return None


def turn_page(session: Session, target: str) -> None:
    """A page on or back; the layout keeps the page within the pages there are (the
    buttons past the first and the last page are drawn disabled)."""
    session.page = max(0, session.page + (1 if target == PAGE_NEXT else -1))


def contest_of(session: Session, election: Election) -> Contest:
    return election.contests[session.contest]


def tap_ballot(session: Session, election: Election, target: str) -> View | None:
    contest = contest_of(session, election)
    chosen = session.selections.get(contest.id, ())
    if target.startswith("choice-"):
        session.selections[contest.id] = selection.mark(
            contest, chosen, target.removeprefix("choice-")
        )
    elif target in (PAGE_NEXT, PAGE_PREVIOUS):
        turn_page(session, target)
    elif target == "next" and selection.complete(contest, chosen):
        session.selections.setdefault(contest.id, chosen)
        session.page = 0
        if session.reviewing or session.contest + 1 == len(election.contests):
            session.reviewing = False
            return View.REVIEW
        session.contest += 1
    elif target == "back" and session.contest > 0 and not session.reviewing:
        session.contest, session.page = session.contest - 1, 0
    return None


def tap_review(session: Session, election: Election, target: str) -> View | None:
    """Changing a contest from the review; casting is the station's (it prints)."""
    if target.startswith("change-"):
        wanted = target.removeprefix("change-")
        for index, contest in enumerate(election.contests):
            if contest.id == wanted:
                session.contest, session.page, session.reviewing = index, 0, True
                return View.BALLOT
    elif target in (PAGE_NEXT, PAGE_PREVIOUS):
        turn_page(session, target)
    return None


class IdleTimer:
    """When the voter last touched the screen; says when to warn and when to give up."""

    def __init__(self, now: dt.datetime) -> None:
        self.last = now

    def touched(self, now: dt.datetime) -> None:
        self.last = now

    def due(self, now: dt.datetime, warned: bool) -> bool:
        return now - self.last >= (IDLE_VOID if warned else IDLE_WARNING)
