"""The audio ballot at the booth: each screen the voter sees, said through the headphones
from the same description the screen is drawn from, so that what is heard and what is
shown cannot drift apart.

A new screen (or page) is said whole, element by element in reading order (the order the
keypad's focus walks, terminal/app/key_focus.py); a move of the keypad's focus says the
focused element alone; the help key says the screen again. Each line is looked up by its
text in the clips rendered at setup (terminal/app/audio_clips.py): nothing is synthesised
at a tap. A row made of several lines (the review's "contest: choices") is said line by
line, a ticked choice is followed by "selected". A line with no clip (a page indicator,
the language screen's four-language title) is not said.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from terminal.app.audio_clips import SELECTED, Clip, render_clips
from terminal.app.i18n import VOTER_LANGUAGES, translator
from terminal.app.screens import Element
from terminal.ballot.package import Package
from terminal.hal.interfaces import Audio, Sound

# Under the data directory: rendered once per package, kept across restarts.
AUDIO_DIR = "audio"


class SpokenScreens:
    """The clips of one election and the headphones they are played on."""

    def __init__(self, audio: Audio, directory: Path, clips: Iterable[Clip]) -> None:
        self.audio = audio
        self.directory = directory
        clips = list(clips)
        self._files = {(clip.language, clip.text): clip.file for clip in clips}
        # A line shown in another language than the voter's (the language screen names each
        # language in itself) is said in its own language's voice.
        self._any_language = {clip.text: clip.file for clip in reversed(clips)}
        self._said: tuple[object, ...] | None = None  # the screen said last, and its focus
        # Said after a ticked choice: a voter who cannot see the tick hears it.
        self._selected = {language: translator(language)(SELECTED) for language in VOTER_LANGUAGES}

    @classmethod
    def set_up(cls, audio: Audio, package: Package, data: Path) -> SpokenScreens:
        """Render the package's clips into the data directory (those already there are
        kept: a restart redoes nothing), its recorded ones copied. Raises AudioError if
        espeak-ng cannot say them or a recording is not the one the package signed."""
        directory = data / AUDIO_DIR
        return cls(audio, directory, render_clips(package.election, directory, package))

    def sounds(self, screen: str, elements: Sequence[Element], language: str) -> list[Sound]:
        """The clips of `elements` in `language`, named for the simulator's record by the
        screen and the element ("ballot-choice-3", "review-title")."""
        sounds = []
        for element in elements:
            lines = element.said
            if element.selected:
                lines = (*lines, self._selected[language])
            name = f"{screen}-{element.target or element.part.value}"
            for text in lines:
                file = self._files.get((language, text), self._any_language.get(text))
                if file is not None:
                    sounds.append(Sound(self.directory / file, name))
        return sounds

    def show(
        self, screen: str, page: int, elements: Sequence[Element], focus: str | None, language: str
    ) -> None:
        """Say a screen just shown: the whole of it if it is new (another screen, page or
        text), else the focused element if the focus moved or a choice was ticked or
        unticked, else nothing."""
        place = (screen, page, language, tuple(element.text for element in elements))
        # A tick changes no text: the ticked choice is said again, with "selected".
        state = (focus, tuple(element.target for element in elements if element.selected))
        if self._said is not None and self._said[:-2] == place:
            if self._said[-2:] == state:
                return
            elements = [element for element in elements if element.target == focus]
        self._said = (*place, *state)
        self.audio.play(self.sounds(screen, elements, language))

    def again(self) -> None:
        """Say the next screen shown whole, even if it is the one said last (help key)."""
        self._said = None

    def quiet(self) -> None:
        """Stop speaking (the voter's session ended)."""
        if self._said is not None:
            self.audio.stop()
            self._said = None
