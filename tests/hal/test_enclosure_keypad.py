"""The enclosure controller's keys as the station's keypad (`[keypad] driver = "enclosure"`):
a key acts when it goes down, the arrows move the focus, and the station waits on the
controller's line so a key is answered at once."""

from __future__ import annotations

import os
import select

from terminal.hal.enclosure import EnclosureKeypad, KeyEvent, NoEnclosure
from terminal.hal.enclosure import Key as EnclosureKey
from terminal.hal.interfaces import Key


class Controller(NoEnclosure):
    """An enclosure whose keys are given, on a pipe the test can make readable."""

    def __init__(self, events: list[KeyEvent]) -> None:
        super().__init__()
        self.events = events
        self.line = os.pipe()

    def fileno(self) -> int:
        return self.line[0]

    def keys(self) -> list[KeyEvent]:
        events, self.events = self.events, []
        return events


def test_keys_act_when_they_go_down_and_the_arrows_move_the_focus() -> None:
    presses = [
        (EnclosureKey.DOWN, True), (EnclosureKey.DOWN, False),
        (EnclosureKey.RIGHT, True), (EnclosureKey.LEFT, True), (EnclosureKey.UP, True),
        (EnclosureKey.SELECT, True), (EnclosureKey.SELECT, False),
        (EnclosureKey.BACK, True), (EnclosureKey.HELP, True),
    ]  # fmt: skip
    keypad = EnclosureKeypad(Controller([KeyEvent(key, down) for key, down in presses]))
    assert keypad.read() == [
        Key.DOWN, Key.DOWN, Key.UP, Key.UP, Key.SELECT, Key.BACK, Key.HELP
    ]  # fmt: skip
    assert keypad.read() == []  # each press is read once


def test_the_keypad_is_selected_on_through_the_controllers_line() -> None:
    controller = Controller([])
    assert EnclosureKeypad(controller).fileno() == controller.line[0]
    # A board without a controller has a descriptor that never becomes readable.
    quiet = NoEnclosure().fileno()
    assert select.select([quiet], [], [], 0) == ([], [], [])
