"""The voter's ballot as a voter meets it: paging, contest kinds, the review, changing one
contest, blank contests, display modes for one session, and the idle timeout."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from sim import screen_states as ss
from terminal.app import station as station_module
from terminal.app.ballot_session import IDLE_VOID, IDLE_WARNING, Session
from terminal.app.screen_checks import contrast, problems
from terminal.app.screens import PAGE_NEXT, PAGE_PREVIOUS, Button, Fonts, Screen, Style, layout
from terminal.app.view import View
from terminal.hal.interfaces import Key

ELECTION = ss.catalogue_election()
SMALL = ss.Panel("480x320", 480, 320, 73.44)
SEVEN_INCH = ss.Panel("800x480", 800, 480, 154.2)


class Polls(ss.ScreenPolls):
    """The screens' stand-in, plus what a voter's session calls: casting and voiding."""

    def __init__(self) -> None:
        super().__init__(ELECTION)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.cast_ballots: list[dict[str, tuple[str, ...]]] = []
        self.log.append = lambda kind, **data: self.events.append((kind, data))  # type: ignore[method-assign]

    def cancel(self, reason: str = "cancelled") -> None:
        self.events.append(("ballot_void", {"reason": reason}))

    def cast(self, selections: dict[str, tuple[str, ...]], slip: object) -> None:
        self.cast_ballots.append(dict(selections))


def voter_at_language(panel: ss.Panel = SEVEN_INCH) -> tuple[station_module.Station, Polls]:
    polls = Polls()
    shown: list[Any] = []
    display = type("D", (), {"width": panel.width, "height": panel.height})()
    display.show = shown.append  # type: ignore[attr-defined]
    station = station_module.Station(
        polls,  # type: ignore[arg-type]
        display,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        Fonts(),
        "ru",
        ss.REPO / "bundle",
        px_per_mm=panel.px_per_mm,
    )
    station.session = Session(0, None, reissue=False)
    station.view = View.LANGUAGE
    station.show()
    return station, polls


def tap(station: station_module.Station, label_or_id: str) -> None:
    """Tap a target that is on the screen now (by id or label), as a finger would."""
    assert station.frame is not None
    ids = {t.id for t in station.frame.targets}
    labels = {t.label: t.id for t in station.frame.targets}
    target = label_or_id if label_or_id in ids else labels.get(label_or_id)
    assert target is not None, f"{label_or_id!r} is not on {station.frame.name}: {sorted(ids)}"
    station.on_tap(target)


def on_screen(station: station_module.Station) -> set[str]:
    assert station.frame is not None
    return {t.id for t in station.frame.targets}


def choose(station: station_module.Station, choice: str) -> None:
    """Page back to the first page, then forward until the choice is shown, and tap it."""
    while PAGE_PREVIOUS in on_screen(station):
        tap(station, PAGE_PREVIOUS)
    while f"choice-{choice}" not in on_screen(station):
        tap(station, PAGE_NEXT)
    tap(station, f"choice-{choice}")


def test_a_voter_pages_marks_reviews_changes_and_casts() -> None:
    station, polls = voter_at_language(SMALL)
    tap(station, "ru")
    choose(station, "cand-3")
    tap(station, "next")
    choose(station, "party-6")  # the last party: beyond the first page on this panel
    tap(station, "next")
    for cand in ("cand-30", "cand-1", "cand-17", "cand-2"):  # a fourth mark changes nothing
        choose(station, cand)
    assert station.session is not None
    assert station.session.selections["maslikhat"] == ("cand-30", "cand-1", "cand-17")
    tap(station, "next")
    assert "next" in on_screen(station), "a referendum that allows a blank may be left blank"
    tap(station, "next")
    assert station.view is View.REVIEW
    rows = {e.target: e.text for e in station._screen().elements() if e.target}
    assert rows["change-referendum"].endswith(": ничего не выбрано")  # left blank
    assert rows["change-mazhilis"].endswith(": 6. Партия «Таң шолпан»")
    # Change one contest from the review, and come straight back to the review.
    while "change-mazhilis" not in on_screen(station):
        tap(station, PAGE_NEXT)
    tap(station, "change-mazhilis")
    assert station.view is View.BALLOT and "back" not in on_screen(station)
    choose(station, "party-2")
    tap(station, "next")
    assert station.view is View.REVIEW
    tap(station, "cast")
    assert polls.cast_ballots == [
        {
            "president": ("cand-3",),
            "mazhilis": ("party-2",),
            "maslikhat": ("cand-30", "cand-1", "cand-17"),
            "referendum": (),
        }
    ]


def test_against_all_is_exclusive_on_the_screen() -> None:
    station, _ = voter_at_language()
    tap(station, "en")
    choose(station, "cand-1")
    choose(station, "against-all")
    assert station.session is not None
    assert station.session.selections["president"] == ("against-all",)
    choose(station, "cand-2")
    assert station.session.selections["president"] == ("cand-2",)


def test_a_contest_without_blank_needs_a_mark_to_go_on() -> None:
    station, _ = voter_at_language()
    tap(station, "kk")
    assert "next" not in on_screen(station)  # drawn, disabled: not a target
    choose(station, "cand-4")
    tap(station, "next")
    assert station.session is not None and station.session.contest == 1


def test_display_modes_last_for_the_session_only() -> None:
    station, _ = voter_at_language()
    tap(station, "large-text")
    tap(station, "high-contrast")
    tap(station, "ky")
    assert station.style() == Style(SEVEN_INCH.px_per_mm, True, True)
    # The next voter starts in the normal mode.
    station.session, station.view = None, View.IDLE
    assert station.style() == Style(SEVEN_INCH.px_per_mm, False, False)


def test_an_idle_ballot_is_warned_then_voided_for_the_poll_worker() -> None:
    station, polls = voter_at_language()
    clock = polls.log.clock
    tap(station, "ru")
    start = clock.moment
    clock.moment = start + IDLE_WARNING - dt.timedelta(seconds=1)
    station.check_idle()
    assert station.view is View.BALLOT and polls.events == []
    clock.moment = start + IDLE_WARNING
    station.check_idle()
    assert station.view is View.IDLE_WARNING
    assert polls.events == [("ballot_idle_warning", {})]
    tap(station, "continue")  # the voter is still there: back where they were
    assert station.view is View.BALLOT
    clock.moment += IDLE_WARNING
    station.check_idle()
    clock.moment += IDLE_VOID
    station.check_idle()
    assert station.view is View.TIMED_OUT and station.session is None
    assert polls.events[-1] == ("ballot_void", {"reason": "timed_out"})
    assert polls.cast_ballots == []


def test_the_checker_finds_small_targets_small_text_low_contrast_and_overflow() -> None:
    style = Style(SMALL.px_per_mm)
    good = layout(Screen("s", "Title", ("Text",)), 480, 320, Fonts(), style)
    assert problems(good) == []
    # The same screen on a panel with twice the pixels per mm: everything is half as big.
    crowded = Screen("s", "Title " * 30, ("word " * 400,), choices=(Button("a", "A" * 300),) * 3)
    found = " ".join(problems(layout(crowded, 480, 320, Fonts(), Style(SMALL.px_per_mm))))
    assert "does not fit" in found or "drawn over" in found
    tiny = layout(Screen("s", "T", choices=(Button("a", "A"),)), 480, 320, Fonts(), Style(30.0))
    found = " ".join(problems(tiny))
    assert "outside" in found or "does not fit" in found
    assert contrast((255, 255, 255), (0, 0, 0)) == pytest.approx(21.0)
    assert contrast((230, 120, 0), (255, 255, 255)) < 7  # the old TEST badge: now refused


def test_a_page_past_the_last_after_larger_text_is_brought_back() -> None:
    station, _ = voter_at_language(SMALL)
    tap(station, "ru")
    assert station.session is not None
    station.session.page = 99  # as if kept from a layout with more pages
    station.show()
    assert 0 < station.session.page < 99
    assert PAGE_PREVIOUS in on_screen(station) and PAGE_NEXT not in on_screen(station)
    tap(station, PAGE_PREVIOUS)  # one tap is one page back from the last
    assert PAGE_NEXT in on_screen(station)


# --- the tactile keypad -------------------------------------------------------------------


def key(station: station_module.Station, pressed: Key) -> None:
    station.on_key(pressed)


def keys_to(station: station_module.Station, target: str) -> None:
    """Down, the way a voter walks the screen, until `target` is focused, then select."""
    assert station.frame is not None
    for _ in range(2 * len(station.frame.targets) + 2):
        if station.frame.focus == target:
            key(station, Key.SELECT)
            return
        key(station, Key.DOWN)
    raise AssertionError(f"{target!r} never focused on {station.frame.name}")


def choose_by_keys(station: station_module.Station, choice: str) -> None:
    while PAGE_PREVIOUS in on_screen(station):
        key(station, Key.BACK)  # back on a later page is the previous page
    while f"choice-{choice}" not in on_screen(station):
        keys_to(station, PAGE_NEXT)
    keys_to(station, f"choice-{choice}")


def test_a_whole_ballot_is_voted_with_the_keypad_alone() -> None:
    station, polls = voter_at_language(SMALL)
    assert station.frame is not None and station.frame.focus is None  # until a key is pressed
    key(station, Key.DOWN)
    assert station.frame.focus == station.frame.targets[0].id  # the first key shows the focus
    keys_to(station, "ru")
    assert station.view is View.BALLOT
    # The focus walks the shown targets in reading order, wrapping round at either end.
    assert station.frame is not None
    order = [t.id for t in station.frame.targets]
    assert station.frame.focus == order[0]
    key(station, Key.UP)
    assert station.frame.focus == order[-1]
    key(station, Key.DOWN)
    key(station, Key.DOWN)
    assert station.frame.focus == order[1]
    choose_by_keys(station, "cand-3")
    assert station.frame.focus == "choice-cand-3", "ticking a choice keeps the focus on it"
    keys_to(station, "next")
    choose_by_keys(station, "party-6")
    keys_to(station, "next")
    # Back is the previous page, and on the first page the previous contest.
    choose_by_keys(station, "cand-30")
    session = station.session
    assert session is not None and session.contest == 2 and session.page > 0
    page = session.page
    key(station, Key.BACK)
    assert (session.contest, session.page) == (2, page - 1)
    while PAGE_PREVIOUS in on_screen(station):
        key(station, Key.BACK)
    key(station, Key.BACK)
    assert session.contest == 1 and session.selections["maslikhat"] == ("cand-30",)
    keys_to(station, "next")
    for cand in ("cand-1", "cand-17"):
        choose_by_keys(station, cand)
    keys_to(station, "next")
    shown = station.frame
    key(station, Key.HELP)  # says the screen again: nothing is tapped, nothing moves
    assert station.frame is not None and station.frame.focus == shown.focus
    assert station.view is View.BALLOT
    keys_to(station, "next")
    assert station.view is View.REVIEW
    keys_to(station, "cast")
    assert polls.cast_ballots == [
        {
            "president": ("cand-3",),
            "mazhilis": ("party-6",),
            "maslikhat": ("cand-30", "cand-1", "cand-17"),
            "referendum": (),
        }
    ]


@pytest.mark.parametrize("panel", [SMALL, SEVEN_INCH], ids=lambda p: p.name)
@pytest.mark.parametrize("high_contrast", [False, True])
def test_the_focus_ring_is_drawn_inside_its_button_legibly(
    panel: ss.Panel, high_contrast: bool
) -> None:
    station, _ = voter_at_language(panel)
    assert station.session is not None
    station.session.high_contrast = high_contrast
    tap(station, "ru")
    plain = station.frame
    key(station, Key.DOWN)
    key(station, Key.DOWN)
    ringed = station.frame
    assert plain is not None and ringed is not None and ringed.focus is not None
    focused = next(t for t in ringed.targets if t.id == ringed.focus)
    plan = layout(station._screen(), panel.width, panel.height, Fonts(), station.style())
    assert problems(plan) == []
    item = next(p for p in plan.placed if p.element.target == ringed.focus)
    assert contrast(item.ink, item.ground) >= 7
    # Every pixel the ring changes lies inside the focused button.
    a = np.asarray(plain.image, dtype=np.int16)
    b = np.asarray(ringed.image, dtype=np.int16)
    ys, xs = np.nonzero(np.abs(a - b).sum(axis=2))
    assert len(xs) > 0
    box = focused.box
    assert box.left < xs.min() and xs.max() < box.right - 1
    assert box.top < ys.min() and ys.max() < box.bottom - 1
