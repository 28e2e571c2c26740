"""The audio ballot's clips: every line a voter's screen can say, spoken once at setup.

espeak-ng renders each line in the voter's language into a WAV file under the data
directory, before the polls open: a tap must never wait for a synthesiser (espeak-ng takes
a few hundred milliseconds a line on a Pi). Identical lines share one clip, named by the
SHA-256 of its voice and text, so a candidate's name said on the ballot and again on the
review is one file. `index.json` records each clip's text, language and voice, so that what
is played can be checked against what the screen shows.

The package may carry recorded clips (election.json `recordings`: a voice actor saying a
name espeak-ng's ky or kk voice says badly): such a line's clip is the package's file,
checked against its hash in the signed election and read as a WAV, never synthesised.

Format `tamga-audio/1`, the index (canonical JSON):
    {"format": "tamga-audio/1",
     "clips": [{"file": "<sha256>.wav", "language": "ky", "voice": "ky", "text": "..."},
               {"file": ..., "voice": "recorded", "recording": "<the package file's sha256>",
                ...}, ...]}
sorted by language then text.
"""

from __future__ import annotations

import hashlib
import io
import subprocess  # nosec B404: espeak-ng with a fixed argument list, no shell
import wave
from collections.abc import Iterable, Sequence
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
from terminal.ballot.election import Contest, ContestKind, Election
from terminal.ballot.package import Package, PackageError
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
RECORDED = "recorded"  # the voice of a clip the package carries
MAX_RECORDED_S = 30.0  # a recorded name or prompt; longer is a wrong file


class AudioError(RuntimeError):
    """A clip could not be rendered (espeak-ng missing, or it failed on a line)."""


@dataclass(frozen=True)
class Clip:
    language: str
    voice: str
    text: str
    recording: str = ""  # a recorded clip's package file's SHA-256; empty: synthesised

    @property
    def file(self) -> str:
        voice = f"{self.voice}:{self.recording}" if self.recording else self.voice
        digest = hashlib.sha256(f"{voice}\n{self.text}".encode()).hexdigest()
        return f"{digest}.wav"


def ballot_lines(contests: Sequence[Contest], language: str, t: Gettext) -> set[str]:
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
        len(contests),
        *(len(contest.choices) for contest in contests),
    )
    lines.update(t(PAGE_N).format(n=n) for n in range(1, most + 1))
    lines.update(t(OF_N).format(n=n) for n in range(2, most + 1))
    for contest in contests:
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
    """The clips an election needs, one a distinct line and language, in index order: the
    package's recording where it has one, else espeak-ng's."""
    recorded = {(r.language, r.text): r.sha256 for r in election.recordings}
    clips = set()
    for language in languages:
        for line in ballot_lines(election.contests, language, translator(language)):
            sha256 = recorded.get((language, line))
            if sha256 is None:
                clips.add(Clip(language, VOICES[language], line))
            else:
                clips.add(Clip(language, RECORDED, line, sha256))
    return sorted(clips, key=lambda c: (c.language, c.text))


def check_wav(data: bytes, name: str) -> float:
    """A recorded line's length in seconds; AudioError unless it is a WAV file that aplay
    can play, between a frame and MAX_RECORDED_S long."""
    try:
        with wave.open(io.BytesIO(data)) as clip:
            seconds = float(clip.getnframes() / clip.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError) as exc:
        raise AudioError(f"{name}: not a WAV file ({exc})") from exc
    if not 0 < seconds <= MAX_RECORDED_S:
        raise AudioError(
            f"{name}: {seconds:.1f} s long; a recorded line is at most {MAX_RECORDED_S:.0f} s"
        )
    return seconds


def _copy_recorded(clip: Clip, election: Election, package: Package | None, target: Path) -> None:
    recording = next(r for r in election.recordings if r.sha256 == clip.recording)
    if package is None:
        raise AudioError(f"recording {recording.file}: no package to read it from")
    try:
        data = package.recording(recording)
    except PackageError as exc:
        raise AudioError(str(exc)) from exc
    check_wav(data, f"package/{recording.file}")
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)


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


def render_clips(
    election: Election, directory: Path, package: Package | None = None, workers: int = 2
) -> list[Clip]:
    """Render every clip of the election into `directory` (made if missing), the recorded
    ones copied from `package`, and write its index last, so that a directory with an index
    holds every clip it names. Clips already there are kept: setting up again after a power
    cut redoes only what is missing. Raises AudioError naming the line or file that fails."""
    directory.mkdir(parents=True, exist_ok=True)
    clips = clips_for(election)
    missing = [clip for clip in clips if not (directory / clip.file).exists()]
    # A name written alike in ky, ru and kk is one recorded clip, one file: copied once.
    for clip in {clip.file: clip for clip in missing if clip.recording}.values():
        _copy_recorded(clip, election, package, directory / clip.file)
    synthetic = [clip for clip in missing if not clip.recording]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(lambda clip: _render(clip, directory), synthetic):
            pass
    index = {
        "format": FORMAT,
        "clips": [
            {"file": c.file, "language": c.language, "voice": c.voice, "text": c.text}
            | ({"recording": c.recording} if c.recording else {})
            for c in clips
        ],
    }
    partial = directory / f"{INDEX}.part"
    partial.write_bytes(canonical_json(index))
    partial.replace(directory / INDEX)
    return clips
