"""Screen builders: one small function a screen, grouped by who uses it, found by View.

Each builder reads the station's state and returns a `Screen`, the one description of what
is shown: the drawing, the touch targets, the accessibility checks and any spoken prompt
are all made from it. A new screen is a builder in its family's module and a line in
BUILDERS; nothing else dispatches on the view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from terminal.app.pages import ballot, chair, desk, notices
from terminal.app.screens import Screen
from terminal.app.view import View

if TYPE_CHECKING:
    from terminal.app.station import Station

Builder = Callable[["Station"], Screen]

BUILDERS: dict[View, Builder] = {  # every View has its builder (tests/test_screen_pages.py)
    View.READY: chair.ready,
    View.CHAIR_PIN: chair.chair_pin,
    View.CLOSE_CONFIRM: chair.close_confirm,
    View.SHARES: chair.shares,
    View.COUNTED: chair.counted,
    View.IDLE: desk.idle,
    View.VOTER_FOUND: desk.voter_found,
    View.REISSUE_OFFER: desk.reissue_offer,
    View.REFUSED: desk.refused,
    View.OTHER_TERMINAL: desk.other_terminal,
    View.WRONG_BOOTH: desk.wrong_booth,
    View.COUPON: desk.coupon,
    View.LANGUAGE: ballot.language,
    View.BALLOT: ballot.ballot,
    View.REVIEW: ballot.review,
    View.RECEIPT: ballot.receipt,
    View.CHALLENGED: ballot.challenged,
    View.CAST: ballot.cast,
    View.IDLE_WARNING: ballot.idle_warning,
    View.TIMED_OUT: desk.timed_out,
    View.PRINTER_PROBLEM: notices.printer_problem,
    View.RECOVERED: notices.recovered,
}


def build(station: Station) -> Screen:
    """The screen for the station's current view."""
    return BUILDERS[station.view](station)
