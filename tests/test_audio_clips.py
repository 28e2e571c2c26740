"""The audio ballot's clips, rendered once at setup: every line the voter's screens show is
in the index in the voter's language, each clip is real speech (sox measures it), and the
index says which text and voice each file holds."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sim import screen_states as ss
from terminal.app import station as station_module
from terminal.app.audio_clips import FORMAT, INDEX, VOICES, AudioError, Clip, render_clips
from terminal.app.ballot_session import Session
from terminal.app.i18n import VOTER_LANGUAGES
from terminal.app.screens import Fonts, Part
from terminal.app.view import View

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox: scripts/setup-system.sh",
)
ELECTION = ss.catalogue_election()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    directory = tmp_path_factory.mktemp("audio")
    render_clips(ELECTION, directory)
    return directory, json.loads((directory / INDEX).read_text())


def peak(wav: Path) -> tuple[float, float]:
    """sox's maximum amplitude and length in seconds of a clip."""
    stat = subprocess.run(
        ["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=True
    ).stderr
    amplitude = float(re.search(r"Maximum amplitude:\s+([-\d.]+)", stat)[1])  # type: ignore[index]
    length = float(re.search(r"Length \(seconds\):\s+([\d.]+)", stat)[1])  # type: ignore[index]
    return amplitude, length


def shown_texts(language: str) -> list[str]:
    """What the voter's screens show in `language`: each contest's page, the cast screen
    and the idle warning, from the screens' own description (Screen.elements())."""
    display = type("D", (), {"width": 800, "height": 480, "show": lambda self, f: None})()
    station = station_module.Station(
        ss.ScreenPolls(ELECTION),  # type: ignore[arg-type]
        display,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        Fonts(),
        "ru",
        ss.REPO / "bundle",
    )
    station.session = Session(0, None, reissue=False)
    station.session.language = language
    texts = []
    for view in (View.BALLOT, View.CAST, View.IDLE_WARNING):
        station.view = view
        for contest in range(len(ELECTION.contests) if view is View.BALLOT else 1):
            station.session.contest = contest
            elements = station._screen().elements()
            texts += [e.text for e in elements if e.part is not Part.PAGE and e.text]
    return texts


def test_every_line_the_voters_screens_show_is_a_clip_in_their_language(
    rendered: tuple[Path, dict[str, object]],
) -> None:
    directory, index = rendered
    assert index["format"] == FORMAT
    clips = index["clips"]
    assert isinstance(clips, list)
    by_language: dict[str, set[str]] = {}
    for clip in clips:
        assert clip["voice"] == VOICES[clip["language"]]
        assert (directory / clip["file"]).is_file()
        assert clip["file"] == Clip(clip["language"], clip["voice"], clip["text"]).file
        by_language.setdefault(clip["language"], set()).add(clip["text"])
    assert set(by_language) == set(VOTER_LANGUAGES)
    for language in VOTER_LANGUAGES:
        missing = [t for t in shown_texts(language) if t not in by_language[language]]
        assert missing == [], f"{language}: shown but never spoken: {missing}"
    # The 30-candidate contest: every one of its names is said.
    assert len(clips) > 4 * 30


def test_the_clips_are_speech_not_silence(rendered: tuple[Path, dict[str, object]]) -> None:
    directory, index = rendered
    clips = index["clips"]
    assert isinstance(clips, list)
    for clip in clips[:: max(1, len(clips) // 12)]:  # a dozen, across the languages
        amplitude, length = peak(directory / clip["file"])
        assert amplitude > 0.1, clip
        assert 0.2 < length < 30, clip


def test_setting_up_again_keeps_what_was_rendered(
    rendered: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    directory, index = rendered
    copy = tmp_path / "audio"
    shutil.copytree(directory, copy)
    clips = index["clips"]
    assert isinstance(clips, list)
    gone = copy / clips[0]["file"]
    gone.unlink()
    before = {p.name: p.stat().st_mtime_ns for p in copy.glob("*.wav")}
    render_clips(ELECTION, copy)
    assert gone.is_file()
    assert {p.name: p.stat().st_mtime_ns for p in copy.glob("*.wav") if p.name in before} == before
    assert json.loads((copy / INDEX).read_text()) == index


def test_a_missing_synthesiser_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("terminal.app.audio_clips.ESPEAK", "espeak-ng-not-here")
    with pytest.raises(AudioError, match="espeak-ng-not-here is not installed"):
        render_clips(ELECTION, tmp_path / "audio")
    assert not (tmp_path / "audio" / INDEX).exists()
