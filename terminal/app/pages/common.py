"""What every screen builder shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.app.screens import Button
from terminal.ballot.election import Mode

if TYPE_CHECKING:
    from terminal.app.station import Station


def in_test(station: Station) -> bool:
    """Test elections say TEST on every screen."""
    polls = station.polls
    return polls.package is not None and polls.election.mode is Mode.TEST


def ok_button(station: Station) -> tuple[Button, ...]:
    return (Button("ok", station._w("OK"), primary=True),)
