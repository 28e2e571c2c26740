"""The poll worker's desk: the waiting screen, the voter found, refusals, the coupon."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.app.ballot_session import ISSUE_WITH_AUDIO
from terminal.app.i18n import N_, every_language
from terminal.app.pages import enclosure
from terminal.app.pages.common import in_test, ok_button
from terminal.app.screens import Button, Screen
from terminal.ballot.election import Role
from terminal.hal.storage import StorageWarning
from terminal.idscan.pin import mask
from terminal.invariants import InvariantError

if TYPE_CHECKING:
    from terminal.app.station import Station

MIRROR_REFUSED = N_(
    "Warning: the mirror card holds links, pipes or device files: it is refused and nothing "
    "is written to it. Replace it with a clean card."
)


def idle(s: Station) -> Screen:
    w, polls = s._w, s.polls
    if polls.role is Role.IDENTIFY:
        status = w("Coupons issued: {count}").format(count=polls.count_events("coupon_issued"))
    else:
        status = w("Ballots cast: {count}").format(count=polls.box.count if polls.box else 0)
    # At the booth the voter reads this screen before choosing a language.
    prompts = (
        every_language(SCAN_COUPON)
        if polls.role is Role.VOTE
        else (w("Scan the voter's document."),)
    )
    problem = polls.storage.warning()
    warning: tuple[str, ...] = ()
    if isinstance(problem, StorageWarning) and problem.refused:
        warning = (w(MIRROR_REFUSED), problem)
    elif problem is not None:
        warning = (
            w("Warning: the mirror card is not being written ({problem}).").format(problem=problem),
        )
    if s.seal is False:
        warning += (w("Warning: the terminal's seal is open. Call the chair."),)
    warning += enclosure.warnings(s)
    return Screen(
        "idle", w("Polls open"), (*prompts, status, *s.lines, *warning), test_mode=in_test(s)
    )


SCAN_COUPON = N_("Voter: scan the code on your coupon.")


def coupon(s: Station) -> Screen:
    w = s._w
    return Screen(
        "coupon",
        w("Coupon printed"),
        (w("Give the coupon to the voter and show them to the voting booth."),),
        actions=ok_button(s),
        test_mode=in_test(s),
    )


def _voter_lines(s: Station) -> tuple[str, ...]:
    w = s._w
    if not (s.session is not None and s.session.voter is not None):
        raise InvariantError("invariant broken: s.session is not None and s.session.voter is no...")
    voter = s.session.voter
    return (
        voter.full_name(),
        w("Born {date}").format(date=voter.birth_date.isoformat()),
        w("PIN {number}").format(number=mask(voter.number)),
    )


def voter_found(s: Station) -> Screen:
    w = s._w
    return Screen(
        "voter_found",
        w("Voter found"),
        (*_voter_lines(s), w("Compare the name with the document.")),
        actions=(
            Button("cancel", w("Cancel")),
            *_with_headphones(s),
            Button("issue", w("Issue ballot"), primary=True),
        ),
        test_mode=in_test(s),
    )


def reissue_offer(s: Station) -> Screen:
    w = s._w
    return Screen(
        "reissue_offer",
        w("Ballot already issued"),
        (
            *_voter_lines(s),
            w("This voter's earlier ballot was not cast (interrupted). Issue a new ballot?"),
        ),
        actions=(
            Button("refuse", w("Refuse")),
            *_with_headphones(s),
            Button("issue", w("Issue new ballot"), primary=True),
        ),
        test_mode=in_test(s),
    )


def _with_headphones(s: Station) -> tuple[Button, ...]:
    """At a terminal with headphones, the poll worker can issue the ballot with audio on
    (a voter who cannot see the screen need not find the help key)."""
    return (Button(ISSUE_WITH_AUDIO, s._w("With headphones")),) if s.spoken is not None else ()


NO_BALLOT = N_("No ballot")


def refused(s: Station) -> Screen:
    # At the booth a voter with a coupon reads it before choosing a language: the lines
    # say why in all four (four titles do not fit the small panels), the red bar says no.
    booth = s.polls.role is Role.VOTE
    title = "✕" if booth else s._w(NO_BALLOT)
    return _lines_with_ok(s, "refused", title)


def _lines_with_ok(s: Station, name: str, title: str) -> Screen:
    """A warning whose lines the station set, dismissed with OK."""
    return Screen(name, title, s.lines, actions=ok_button(s), warning=True, test_mode=in_test(s))


def other_terminal(s: Station) -> Screen:
    """A voter of another terminal's part of the register: the lines name that terminal."""
    return _lines_with_ok(s, "other_terminal", s._w("Another terminal"))


def wrong_booth(s: Station) -> Screen:
    """A coupon for another booth: the lines send the voter there, in every language."""
    return _lines_with_ok(s, "wrong_booth", s._w("Another booth"))


def timed_out(s: Station) -> Screen:
    w = s._w
    return Screen(
        "timed_out",
        w("Ballot void: nobody was voting"),
        (
            w("The voter did not touch the screen for three minutes: the ballot is void."),
            w("It can be issued again: scan the voter's document or coupon."),
        ),
        actions=ok_button(s),
        warning=True,
        test_mode=in_test(s),
    )
