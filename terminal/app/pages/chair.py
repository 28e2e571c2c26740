"""The chair's screens: before opening, the PIN, closing, the key shares, the results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.app.pages.common import in_test
from terminal.app.screens import Button, Screen
from terminal.trust import chair

if TYPE_CHECKING:
    from terminal.app.station import Station


def ready(s: Station) -> Screen:
    w, polls = s._w, s.polls
    return Screen(
        "ready",
        w("Polls not open"),
        (
            polls.election.name(s.worker_language),
            w("Precinct {code}").format(code=polls.precinct.code),
            w("Chair: scan the chair card to open the polls."),
            *s.lines,
        ),
        test_mode=in_test(s),
    )


def chair_pin(s: Station) -> Screen:
    w = s._w
    keys = (*(Button(f"digit-{d}", d) for d in "1234567890"), Button("erase", "⌫"))
    dots = "● " * len(s.pin) or "—"
    title = w("Chair PIN")
    return Screen(
        "chair_pin",
        f"{title}: {dots.strip()}",
        s.lines or (w("Enter the chair's PIN."),),
        choices=keys,
        columns=3,
        paged=False,
        actions=(
            Button("cancel", w("Cancel")),
            Button("ok", w("OK"), primary=True, enabled=len(s.pin) == chair.PIN_DIGITS),
        ),
        test_mode=in_test(s),
    )


def close_confirm(s: Station) -> Screen:
    w, polls = s._w, s.polls
    return Screen(
        "close_confirm",
        w("Close the polls?"),
        (
            w("After closing, no more ballots can be cast."),
            w("Ballots cast: {count}").format(count=polls.box.count if polls.box else 0),
        ),
        actions=(
            Button("cancel", w("Cancel")),
            Button("close", w("Close polls"), primary=True),
        ),
        test_mode=in_test(s),
    )


def shares(s: Station) -> Screen:
    w = s._w
    have = len(s.collector.shares) if s.collector else 0
    return Screen(
        "shares",
        w("Count the ballots"),
        (
            w("Polls are closed. Commission members: scan your key-share cards."),
            w("Cards accepted: {count}").format(count=have),
            *s.lines,
        ),
        test_mode=in_test(s),
    )


def counted(s: Station) -> Screen:
    w = s._w
    return Screen(
        "counted",
        w("Polls closed"),
        (
            w("The ballots are counted and the results protocol is signed and printed."),
            w("Results bundle: {path}").format(path=str(s.export_dir)),
            *s.lines,
        ),
        actions=(
            Button("reprint", w("Print protocol again")),
            Button("export", w("Export again")),
        ),
        test_mode=in_test(s),
    )
