"""The audio ballot's clips: every line a voter's screen can say, spoken once at setup.

espeak-ng renders each line in the voter's language into a WAV file under the data
directory, before the polls open: a tap must never wait for a synthesiser (espeak-ng takes
a few hundred milliseconds a line on a Pi). Identical lines share one clip, named by the
SHA-256 of its voice and text, so a candidate's name said on the ballot and again on the
review is one file. `index.json` records each clip's text, language and voice, so that what
is played can be checked against what the screen shows.

Format `tamga-audio/1`, the index (canonical JSON):
    {"format": "tamga-audio/1",
     "clips": [{"file": "<sha256>.wav", "language": "ky", "voice": "ky", "text": "..."}, ...]}
sorted by language then text.
"""

from __future__ import annotations

import hashlib
import subprocess  # nosec B404: espeak-ng with a fixed argument list, no shell
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from terminal.app.i18n import LANGUAGE_NAMES, N_, VOTER_LANGUAGES, Gettext, translator
from terminal.app.pages.ballot import (
    CHOOSE_LANGUAGE,
    HIGH_CONTRAST_MESSAGE,
    HINTS,
    LARGE_TEXT_MESSAGE,
    NEXT_PAGE,
    OF_N,
    PAGE_N,
    PREVIOUS_PAGE,
    SCREEN_OFF_MESSAGE,
    TRACKING_CODE_LABEL,
    choice_label,
)
from terminal.ballot.election import ContestKind, Election
from terminal.jsonfmt import canonical_json
from terminal.tally import tracking

FORMAT = "tamga-audio/1"
INDEX = "index.json"
ESPEAK = "espeak-ng"
# espeak-ng's voices for the voter languages (`espeak-ng --voices` lists them).
VOICES = {"ky": "ky", "ru": "ru", "kk": "kk", "en": "en-us"}
# Words a minute: a little slower than espeak-ng's 175, for voters hearing names.
SPEED = 150
# Said after a ticked choice (terminal/app/audio_ballot.py).
SELECTED = N_("selected")
# Lines longer than this are not said (no ballot line comes near it).
MAX_TEXT = 1000


class AudioError(RuntimeError):
    """A clip could not be rendered (espeak-ng missing, or it failed on a line)."""


@dataclass(frozen=True)
class Clip:
    language: str
    voice: str
    text: str

    @property
    def file(self) -> str:
        digest = hashlib.sha256(f"{self.voice}\n{self.text}".encode()).hexdigest()
        return f"{digest}.wav"


def ballot_lines(election: Election, language: str, t: Gettext) -> set[str]:
    """Every line the voter's screens show in `language` for this election: the prompts,
    each contest's title, hints and choices, the review's, cast and idle screens' lines and
    the language's own name (the language screen's button), the receipt's and a challenged
    ballot's lines, the pager's words and numbers, and the letters of a tracking code.
    Review rows ("contest: choices") are said as their contest's title and each choice."""
    lines = {
        t("Next"),
        t("Back"),
        t("Check your choice"),
        t("Tap a contest to change it, or Cast to cast your ballot."),
        t("no choice"),
        t(SELECTED),
        t(SCREEN_OFF_MESSAGE),
        t(LARGE_TEXT_MESSAGE),
        t(HIGH_CONTRAST_MESSAGE),
        t("Cast ballot"),
        t("Your ballot is cast"),
        t("Take your paper slip. Thank you!"),
        t("Done"),
        t("Are you still voting?"),
        t("Nobody has touched the screen for two minutes."),
        t("Without a touch within a minute the ballot is void and goes back to the poll worker."),
        t("Continue voting"),
        t("Take your receipt"),
        t(TRACKING_CODE_LABEL),
        t("Cast it, or challenge it to check it: then it is not counted, you vote again."),
        t("Challenge"),
        t("Ballot challenged: not counted"),
        t("Take the printout marked SPOILED: it shows your choices and their encryption."),
        t("Your code is still valid. Vote again."),
        t("Vote again"),
        t(PREVIOUS_PAGE),
        t(NEXT_PAGE),
        # The language screen names each language in itself: said in that language's voice.
        LANGUAGE_NAMES[language],
        t(CHOOSE_LANGUAGE),
        *tracking.ALPHABET,
    }
    # A page indicator is "Page 2", "of 5": no screen has more pages than choices or rows.
    most = max(
        len(VOTER_LANGUAGES) + 3,
        len(election.contests),
        *(len(contest.choices) for contest in election.contests),
    )
    lines.update(t(PAGE_N).format(n=n) for n in range(1, most + 1))
    lines.update(t(OF_N).format(n=n) for n in range(2, most + 1))
    for contest in election.contests:
        lines.add(contest.title(language))
        if contest.kind is ContestKind.UP_TO_K:
            for marked in range(contest.max_selections + 1):
                lines.add(
                    t("Choose up to {n}; marked: {count}.").format(
                        n=contest.max_selections, count=marked
                    )
                )
        else:
            lines.add(t(HINTS[contest.kind]))
        if contest.blank_allowed:
            lines.add(t("You may leave this contest without a mark."))
        lines.update(choice_label(choice, language) for choice in contest.choices)
    return {line for line in lines if line}


def clips_for(election: Election, languages: Iterable[str] = VOTER_LANGUAGES) -> list[Clip]:
    """The clips an election needs, one a distinct line and language, in index order."""
    clips = {
        Clip(language, VOICES[language], line)
        for language in languages
        for line in ballot_lines(election, language, translator(language))
    }
    return sorted(clips, key=lambda c: (c.language, c.text))


def _render(clip: Clip, directory: Path) -> None:
    if len(clip.text) > MAX_TEXT:
        raise AudioError(f"a {len(clip.text)}-character line is too long to say")
    target = directory / clip.file
    partial = target.with_suffix(".part")
    try:
        # The text goes on stdin, never on the command line: a name starting with "-"
        # must be said, not taken for an option.
        subprocess.run(  # nosec B603: the text goes on stdin, never as an argument
            [ESPEAK, "-v", clip.voice, "-s", str(SPEED), "-w", str(partial), "--stdin"],
            input=clip.text.encode(),
            check=True,
            capture_output=True,
            timeout=60,
        )
    except FileNotFoundError as exc:
        raise AudioError(f"{ESPEAK} is not installed (scripts/setup-system.sh)") from exc
    except subprocess.CalledProcessError as exc:
        stderr = exc.stderr.decode(errors="replace").strip()
        raise AudioError(f"{ESPEAK} -v {clip.voice} failed on a line: {stderr}") from exc
    partial.replace(target)


def render_clips(election: Election, directory: Path, workers: int = 2) -> list[Clip]:
    """Render every clip of the election into `directory` (made if missing) and write its
    index last, so that a directory with an index holds every clip it names. Clips already
    there are kept: setting up again after a power cut redoes only what is missing."""
    directory.mkdir(parents=True, exist_ok=True)
    clips = clips_for(election)
    missing = [clip for clip in clips if not (directory / clip.file).exists()]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(lambda clip: _render(clip, directory), missing):
            pass
    index = {
        "format": FORMAT,
        "clips": [
            {"file": c.file, "language": c.language, "voice": c.voice, "text": c.text}
            for c in clips
        ],
    }
    partial = directory / f"{INDEX}.part"
    partial.write_bytes(canonical_json(index))
    partial.replace(directory / INDEX)
    return clips
