"""Voting by audio with the screen dark: a voter who listens can turn the screen off, so that
nobody near the booth sees the choices; the keys go on working on the screen that is not
shown."""

from __future__ import annotations

from sim.screen_states import STATES, board_panels, catalogue_election, station_in
from terminal.app.ballot_session import SCREEN_OFF
from terminal.app.view import View
from terminal.hal.interfaces import Key

LANGUAGE = next(s for s in STATES if s.name == "language")


def _booth(listening: bool):  # type: ignore[no-untyped-def]
    panel = next(p for p in board_panels() if p.name == "800x480")
    s = station_in(LANGUAGE, catalogue_election(), "ru", "normal", panel)
    assert s.session is not None
    s.session.audio = listening
    s.show()
    return s


def _lit(s) -> bool:  # type: ignore[no-untyped-def]
    """Whether any pixel of the frame shown is not black."""
    return s.frame.image.convert("L").getbbox() is not None


def test_screen_off_is_offered_only_to_a_voter_listening() -> None:
    assert SCREEN_OFF not in {t.id for t in _booth(listening=False).frame.targets}
    s = _booth(listening=True)
    (button,) = [t for t in s.frame.targets if t.id == SCREEN_OFF]
    # Before a language is chosen it is named, and said, in all four.
    assert button.label == "Экран өчүк · Экран выключен · Экран сөндірулі · Screen off"
    element = next(e for e in s._screen().elements() if e.target == SCREEN_OFF)
    assert element.said == ("Экран өчүк", "Экран выключен", "Экран сөндірулі", "Screen off")


def test_a_dark_screen_shows_nothing_and_takes_no_tap_but_the_keys_still_vote() -> None:
    s = _booth(listening=True)
    assert _lit(s)
    s.on_tap(SCREEN_OFF)
    assert s.session is not None and s.session.screen_off
    assert not _lit(s) and s.frame.targets == ()
    # The keys walk the screen that is not shown: down to Русский, select, the ballot.
    for _ in range(20):
        if s.keys.focus == "ru":
            break
        s.on_key(Key.DOWN)
        assert not _lit(s) and s.frame.focus == s.keys.focus
    s.on_key(Key.SELECT)
    assert s.view is View.BALLOT and s.session.language == "ru"
    assert not _lit(s) and s.frame.targets == ()


def test_screen_off_needs_audio_and_turns_back_on() -> None:
    s = _booth(listening=False)
    s.on_tap(SCREEN_OFF)  # not offered: a tap on its place does nothing
    assert s.session is not None and not s.session.screen_off and _lit(s)
    s = _booth(listening=True)
    s.on_tap(SCREEN_OFF)
    assert not _lit(s)
    s.on_key(Key.DOWN)
    while s.keys.focus != SCREEN_OFF:
        s.on_key(Key.DOWN)
    s.on_key(Key.SELECT)
    assert s.session is not None and not s.session.screen_off and _lit(s)
