"""Screens that interrupt the day: a printer problem, a power cut settled at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.app.pages.common import in_test, ok_button
from terminal.app.polls import Recovery
from terminal.app.screens import Button, Screen
from terminal.app.view import View

if TYPE_CHECKING:
    from terminal.app.station import Station


def printer_problem(s: Station) -> Screen:
    w = s._w
    return Screen(
        "printer_problem",
        w("Printer problem"),
        (
            *s.lines,
            w("Fix the printer, then tap Retry."),
            w("What was cut short is marked void and printed again in full."),
            *(
                (w("The voter's ballot is not cast yet: it is cast with its slip."),)
                if s.after_print is View.CAST
                else ()
            ),
        ),
        actions=(Button("retry", w("Retry"), primary=True),),
        warning=True,
        test_mode=in_test(s),
    )


def recovered(s: Station) -> Screen:
    w = s._w
    text = {
        Recovery.BALLOT_CAST: w(
            "The last ballot WAS cast before the interruption; its slip is complete."
        ),
        Recovery.BALLOT_VOID: w(
            "The last ballot was NOT cast; its slip is marked void. "
            "Scan the voter's document to issue a new ballot."
        ),
        Recovery.PRINT_INTERRUPTED: w("A printout was interrupted and marked void."),
        Recovery.COUPON_VOID: w(
            "The last coupon was never printed. Scan the voter's document to issue a new one."
        ),
        Recovery.COUPON_INTERRUPTED: w(
            "A coupon was being printed when the power failed and is marked void. "
            "If the voter's coupon is complete it is still valid; no second coupon "
            "can be issued to them: refer them to the commission."
        ),
    }.get(s.recovery, "")
    # The name says how the interruption was settled, for the screen log and tests.
    return Screen(
        f"recovered-{s.recovery.value}",
        w("Power was interrupted"),
        (text,),
        actions=ok_button(s),
        warning=True,
        test_mode=in_test(s),
    )
