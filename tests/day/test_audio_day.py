"""A day voted by keypad with the audio ballot on: a voter turns audio on with the help key,
or the poll worker issues the ballot with headphones, and the simulated headphones keep what
the booth said. What was heard must be real speech, the clips rendered at setup, in the
order of the screens the voters saw; a definition's recorded line is played as recorded."""

from __future__ import annotations

import array
import json
import shutil
import subprocess
import sys
import wave
from collections import Counter
from itertools import groupby
from pathlib import Path

import pytest

from tests.day.conftest import REPO, run_day
from tests.host.test_commission_desk import DEFINITION
from tests.host.test_recordings import tone

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng: scripts/setup-system.sh"
)
VOTERS = 2


def loudest(wav: Path) -> tuple[int, float]:
    """A clip's peak sample (16-bit) and its length in seconds."""
    with wave.open(str(wav)) as clip:
        assert (clip.getnchannels(), clip.getsampwidth()) == (1, 2)
        samples = array.array("h", clip.readframes(clip.getnframes()))
        return max(abs(s) for s in samples), clip.getnframes() / clip.getframerate()


def test_a_keypad_day_with_audio_keeps_what_each_voter_heard(tmp_path: Path) -> None:
    run = run_day(tmp_path / "run", VOTERS, 3, VOTERS, "--input", "keypad", "--audio")
    tally = json.loads((run.out / "tally.json").read_text())["contests"]["president"]
    assert {k: v for k, v in tally.items() if v} == Counter(c["president"][0] for c in run.choices)
    heard = sorted((run.out / "audio").glob("*.wav"))
    assert heard, "nothing was played"
    index = json.loads((run.out / "data" / "audio" / "index.json").read_text())
    rendered = {(run.out / "data" / "audio" / c["file"]).read_bytes(): c for c in index["clips"]}
    for number, wav in enumerate(heard, 1):
        assert wav.name.startswith(f"{number:04d}-")
        # Each clip is one rendered at setup, byte for byte: nothing is synthesised at a tap.
        assert wav.read_bytes() in rendered, wav.name
        peak, seconds = loudest(wav)
        assert peak > 3000 and 0.2 < seconds < 30, (wav.name, peak, seconds)
    # Per voter, the screens in the order shown (every other voter was issued the ballot
    # "With headphones" by the poll worker, the others pressed help; the day fails if the
    # poll worker's screen has no such button): the language screen (each language's name
    # in its own voice), the ballot (said whole, then each
    # choice the focus reached), the review, the receipt (format 2) and the cast screen.
    screens = [name for name, _ in groupby(w.name.split("-")[1] for w in heard)]
    assert screens == ["language", "ballot", "review", "receipt", "cast"] * VOTERS
    for code in ("ky", "ru", "kk", "en"):
        assert any(w.name.endswith(f"-language-{code}.wav") for w in heard), code
    # Each ballot is said from its title; each voter's choice was said when focused.
    titles = [w for w in heard if w.name.endswith("-ballot-title.wav")]
    assert len(titles) == VOTERS
    for choice in {c["president"][0] for c in run.choices}:
        assert any(w.name.endswith(f"-ballot-choice-{choice}.wav") for w in heard), choice
    # The review's row "contest: choice" is said as the contest's title, then the choice
    # ticked in it; a ticked choice is followed by "selected" in the voter's language.
    said = {c["text"] for c in index["clips"]}
    text_of = {
        (run.out / "data" / "audio" / c["file"]).read_bytes(): c["text"] for c in index["clips"]
    }
    rows = [
        text_of[w.read_bytes()] for w in heard if w.name.endswith("-review-change-president.wav")
    ]
    assert len(rows) >= 2 * VOTERS, rows
    cues = {"selected", "выбрано", "тандалды", "таңдалды"} & said
    assert sum(text_of[w.read_bytes()] in cues for w in heard) >= VOTERS


def test_a_recorded_line_is_what_the_voter_hears(tmp_path: Path) -> None:
    recorded = tone(0.7)
    (tmp_path / "a.wav").write_bytes(recorded)
    # Choice "a" is named only in Russian and English: the ballot shows "1. А" in ky and kk.
    lines = {"ky": "1. А", "ru": "1. А", "kk": "1. А", "en": "1. A"}
    definition = tmp_path / "def.toml"
    definition.write_text(
        DEFINITION
        + "".join(
            f'\n[[recordings]]\nlanguage = "{language}"\ntext = "{text}"\nfile = "a.wav"\n'
            for language, text in lines.items()
        ),
        encoding="utf-8",
    )
    out = tmp_path / "run"
    command = [sys.executable, "-m", "sim", "day", "--voters", "1", "--seed", "2"]
    command += ["--out", str(out), "--definition", str(definition), "--input", "keypad", "--audio"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    heard = [w.read_bytes() for w in sorted((out / "audio").glob("*-ballot-choice-a.wav"))]
    assert heard and all(clip == recorded for clip in heard)
    index = json.loads((out / "data" / "audio" / "index.json").read_text())
    assert sorted(c["language"] for c in index["clips"] if c["voice"] == "recorded") == sorted(
        lines
    )
