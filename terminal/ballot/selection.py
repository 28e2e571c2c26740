"""What a voter may mark in one contest: one rule for the ballot screen and for the count.

The terminal's screen applies `mark` as the voter taps, and both the terminal's count at
close and the host's recount refuse a ballot that `problem` finds fault with, so a ballot
the screen could not produce can never be counted.
"""

from __future__ import annotations

from enum import Enum

from terminal.ballot.election import Contest


class SelectionProblem(Enum):
    UNKNOWN_CHOICE = "unknown_choice"
    REPEATED_CHOICE = "repeated_choice"
    TOO_MANY = "too_many"
    AGAINST_ALL_NOT_ALONE = "against_all_not_alone"
    BLANK_NOT_ALLOWED = "blank_not_allowed"


def problem(contest: Contest, chosen: tuple[str, ...]) -> SelectionProblem | None:
    """Why the marks `chosen` are not a valid vote in `contest`, or None when they are."""
    choices = {c.id: c for c in contest.choices}
    if any(c not in choices for c in chosen):
        return SelectionProblem.UNKNOWN_CHOICE
    if len(set(chosen)) != len(chosen):
        return SelectionProblem.REPEATED_CHOICE
    if not chosen and not contest.blank_allowed:
        return SelectionProblem.BLANK_NOT_ALLOWED
    if len(chosen) > 1 and any(choices[c].against_all for c in chosen):
        return SelectionProblem.AGAINST_ALL_NOT_ALONE
    if len(chosen) > contest.max_selections:
        return SelectionProblem.TOO_MANY
    return None


def mark(contest: Contest, chosen: tuple[str, ...], choice_id: str) -> tuple[str, ...]:
    """The marks after the voter taps `choice_id`: a marked choice is unmarked; against-all
    replaces every other mark and any other mark replaces against-all; with one mark allowed
    a new mark replaces the old; with k allowed a (k+1)th tap changes nothing."""
    choice = contest.choice(choice_id)
    if choice is None:
        return chosen
    if choice_id in chosen:
        return tuple(c for c in chosen if c != choice_id)
    if choice.against_all or contest.max_selections == 1:
        return (choice_id,)
    kept = tuple(c for c in chosen if not _against_all(contest, c))
    if len(kept) >= contest.max_selections:
        return kept
    return (*kept, choice_id)


def complete(contest: Contest, chosen: tuple[str, ...]) -> bool:
    """May the voter move on from this contest with these marks?"""
    return problem(contest, chosen) is None


def _against_all(contest: Contest, choice_id: str) -> bool:
    choice = contest.choice(choice_id)
    return choice is not None and choice.against_all
