"""Voting by keys alone: which target of the screen the keypad has focused, and what a key does.

The targets are the screen's as shown (`Layout.shown()`: this page's choices, then the
actions), in reading order, the same list an audio read-out walks, so a voter who hears
"3 of 7: Asanov" and presses select gets Asanov. Up and down move through them (wrapping
round, so that every target is reachable from anywhere with one key), select taps the
focused one, back taps the screen's way back if it has one.

The focus is shown only once a key has been pressed: a voter using the touchscreen never
sees a ring they did not ask for.
"""

from __future__ import annotations

from terminal.app.screens import PAGE_PREVIOUS, Layout, Part
from terminal.hal.interfaces import Key

# What "back" means, first found first: the previous page of choices, the previous contest,
# leaving a dialogue.
BACK_TARGETS = (PAGE_PREVIOUS, "back", "cancel")


def targets_of(plan: Layout) -> tuple[str, ...]:
    """The targets a key can reach on this screen, in reading order (enabled ones only)."""
    return tuple(
        element.target
        for element in plan.shown()
        if element.target is not None and element.enabled and element.part is not Part.PAGE
    )


def _place(plan: Layout) -> tuple[str, int]:
    """Which screen (by its title: each contest's differs) and page this is."""
    title = next((e.text for e in plan.shown() if e.part is Part.TITLE), "")
    return title, plan.page


class KeyFocus:
    """The keypad's focus on the screen shown; one a station."""

    def __init__(self) -> None:
        self.used = False  # a key has been pressed: the focus is drawn from now on
        self.focus: str | None = None
        self._targets: tuple[str, ...] = ()
        self._place: tuple[str, int] | None = None

    def settle(self, plan: Layout) -> str | None:
        """The focused target of a newly laid-out screen: kept where it was if the voter is
        still on the same page of the same screen (a choice just ticked), else the first."""
        targets, place = targets_of(plan), _place(plan)
        if self.focus not in targets or place != self._place:
            self.focus = targets[0] if targets else None
        self._targets, self._place = targets, place
        return self.focus if self.used else None

    def press(self, key: Key) -> str | None:
        """Act on a key: move the focus, or return the target to tap (None: nothing to tap)."""
        first_key = not self.used
        self.used = True
        targets = self._targets
        if not targets:
            return None
        if key in (Key.UP, Key.DOWN):
            if first_key:
                return None  # the first press shows where the focus is, and moves nothing
            index = targets.index(self.focus) if self.focus in targets else 0
            step = -1 if key is Key.UP else 1
            self.focus = targets[(index + step) % len(targets)]
            return None
        if key is Key.SELECT:
            return self.focus
        if key is Key.BACK:
            return next((t for t in BACK_TARGETS if t in targets), None)
        return None  # HELP: the screen is said again; nothing is tapped
